using System.Collections.Generic;

namespace AlipayBptb.Core.Ledger;

/// <summary>
/// One table of a ledger as it moves between stores (Copy-BptbLedger): its name, its columns, its rows. Both stores
/// keep the same tables and columns, with values as text, integers or null, so a row moves as it is.
/// </summary>
public sealed class LedgerTable
{
    public LedgerTable(string name, IReadOnlyList<string> columns, IEnumerable<object?[]> rows)
    {
        Name = name;
        Columns = columns;
        Rows = rows;
    }

    public string Name { get; }

    public IReadOnlyList<string> Columns { get; }

    /// <summary>Read as they are enumerated: a million-row ledger is never held in memory.</summary>
    public IEnumerable<object?[]> Rows { get; }

    /// <summary>The ledger's tables in the order a copy writes them.</summary>
    public static readonly IReadOnlyList<string> Names = new[] { "run", "callback", "sighting", "invalid", "event", "verification", "upload", "upload_row" };
}
