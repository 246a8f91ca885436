using System;
using Microsoft.Data.Sqlite;

namespace AlipayBptb.Core.Ledger;

/// <summary>Why a ledger could not be used: what a cmdlet turns into an error id a script can test.</summary>
public enum LedgerProblem
{
    /// <summary>The file is another application's database, or empty where a ledger was expected.</summary>
    NotALedger,

    /// <summary>The file is damaged, or not an SQLite database at all.</summary>
    Corrupt,

    /// <summary>The ledger was written by a newer version of the module.</summary>
    TooNew,

    /// <summary>The ledger has an older schema and was opened read-only, so it cannot be upgraded.</summary>
    TooOld,

    /// <summary>The file cannot be opened or written (permissions, a read-only medium, a full disk, locked too long).</summary>
    Unavailable,
}

/// <summary>A ledger that cannot be used, with the file and what to do; SQLite's own exception is kept inside.</summary>
public sealed class LedgerException : Exception
{
    public LedgerException(string path, LedgerProblem problem, string message, Exception? inner = null)
        : base(message, inner)
    {
        Path = path;
        Problem = problem;
    }

    public string Path { get; }

    public LedgerProblem Problem { get; }

    internal static LedgerException From(string path, SqliteException ex) => (ex.SqliteErrorCode & 0xFF) switch
    {
        11 or 26 => new LedgerException(path, LedgerProblem.Corrupt,
            $"The ledger '{path}' is damaged or not an SQLite database ({ex.Message}): restore it from a backup, or rebuild it by registering the callback logs into a new file.", ex),
        13 => new LedgerException(path, LedgerProblem.Unavailable, $"The ledger '{path}' cannot be written: the disk is full. Nothing of this batch was recorded; free space and run again.", ex),
        5 or 6 => new LedgerException(path, LedgerProblem.Unavailable, $"The ledger '{path}' stayed locked by another process for 30 s: run again when it has finished.", ex),
        8 or 14 => new LedgerException(path, LedgerProblem.Unavailable,
            $"The ledger '{path}' cannot be opened for writing (a read-only file, folder or medium, or no permission; SQLite: {ex.Message}): Register-BptbNotification needs to write it and the files beside it (-wal, -shm); Get-BptbBatchStatus only reads.", ex),
        _ => new LedgerException(path, LedgerProblem.Unavailable, $"The ledger '{path}' cannot be used: {ex.Message}", ex),
    };
}
