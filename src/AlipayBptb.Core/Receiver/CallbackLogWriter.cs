using System;
using System.IO;
using System.Runtime.InteropServices;

namespace AlipayBptb.Core.Receiver;

/// <summary>
/// Appends records to the receiver's log so that a record answered <c>success</c> is whole, on disk, in the
/// file at the log's path, whatever happens around it:
/// <list type="bullet">
/// <item>the file is opened for each record and written at its end as it is then, so a rotation by rename
/// (a new file appears at the path), by copy and truncate (the file shrinks), or a removal is followed, and
/// nothing lands after a hole of NUL bytes;</item>
/// <item>a write that fails (a full disk) is cut back off the file, so no partial record stays to merge with
/// the next one; and a file that ends without a newline (someone else's partial write) gets one first;</item>
/// <item>one receiver per log: a second one is refused, since two writers could interleave.</item>
/// </list>
/// Callbacks are a few per batch, so opening the file per record costs nothing that matters.
/// </summary>
internal sealed class CallbackLogWriter : IDisposable
{
    private readonly FileStream _lock;
    private readonly object _gate = new();
    private bool _disposed;

    private CallbackLogWriter(string path, FileStream lockFile)
    {
        Path = path;
        _lock = lockFile;
    }

    public string Path { get; }

    /// <summary>Test knob: writes fail after this many more bytes (as on a full disk); negative for never.</summary>
    public long FailAfter { get; set; } = -1;

    /// <summary>Takes the log's lock (<c>path.lock</c> beside it); refused when another receiver holds it.</summary>
    public static CallbackLogWriter Open(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        string lockPath = path + ".lock";
        FileStream lockFile;
        try
        {
            // FileShare.None is an exclusive lock (flock on Unix) that dies with the process: a receiver that
            // was killed leaves a file, never a held lock.
            lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException ex)
        {
            throw new LogInUseException($"The log '{path}' is being written by another receiver (it holds '{lockPath}'): run one receiver per log, or give this one another -LogPath.", ex);
        }
        var writer = new CallbackLogWriter(path, lockFile);
        // Fail at start, not at the first callback, when the log cannot be written at all.
        using (writer.OpenLog(out _))
        {
        }
        return writer;
    }

    /// <summary>Appends one record and flushes it to disk; false (and nothing of it left in the file) when it cannot.</summary>
    public bool TryAppend(byte[] record)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }
            FileStream? file = null;
            long end = -1;
            try
            {
                file = OpenLog(out bool created);
                end = file.Length;
                bool needsNewline = false;
                if (end > 0)
                {
                    file.Position = end - 1;
                    needsNewline = file.ReadByte() != '\n';
                }
                file.Position = end;
                if (needsNewline)
                {
                    Write(file, new[] { (byte)'\n' });
                }
                Write(file, record);
                // On disk before Alipay hears "success": after that it never sends this notification again.
                file.Flush(flushToDisk: true);
                if (created)
                {
                    SyncDirectory(System.IO.Path.GetDirectoryName(Path)!);
                }
                return true;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                CutBack(file, end);
                return false;
            }
            finally
            {
                try
                {
                    file?.Dispose();
                }
                catch (IOException)
                {
                    // Nothing buffered is left to lose: every byte went through Write, and the answer is decided.
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _lock.Dispose();
        }
    }

    private FileStream OpenLog(out bool created)
    {
        created = !File.Exists(Path);
        // Readable and removable by others while open: a reconciliation task reads it, logrotate moves it.
        // Unbuffered (buffer size 1): a write that fails fails in Write, not later in a Dispose that flushes.
        return new FileStream(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
    }

    private void Write(FileStream file, byte[] bytes)
    {
        long budget = FailAfter;
        if (budget >= 0 && budget < bytes.Length)
        {
            file.Write(bytes, 0, (int)budget);
            file.Flush(flushToDisk: true);
            FailAfter = 0;
            throw new IOException("No space left on device (injected)");
        }
        if (budget >= 0)
        {
            FailAfter = budget - bytes.Length;
        }
        file.Write(bytes, 0, bytes.Length);
    }

    // A failed write may have left part of the record: cut the file back to where it ended, so the next
    // record does not join it into one line that reads back as neither.
    private static void CutBack(FileStream? file, long end)
    {
        if (file == null || end < 0)
        {
            return;
        }
        try
        {
            file.SetLength(end);
            file.Flush(flushToDisk: true);
        }
        catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ObjectDisposedException)
        {
            // Left as it is: the newline check before the next record keeps that record on a line of its own.
        }
    }

    // A new file's name is only durable once its directory is: fsync the directory after creating the log
    // (POSIX; Windows has no such step, NTFS journals the entry).
    private static void SyncDirectory(string directory)
    {
#if NET
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        int fd = NativeMethods.open(directory, 0 /* O_RDONLY */);
        if (fd >= 0)
        {
            _ = NativeMethods.fsync(fd);
            _ = NativeMethods.close(fd);
        }
#else
        _ = directory;
#endif
    }

#if NET
    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);
    }
#endif
}

/// <summary>Another receiver is writing the log: one receiver per log.</summary>
public sealed class LogInUseException : IOException
{
    public LogInUseException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
