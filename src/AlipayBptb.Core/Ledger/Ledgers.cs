using System.Runtime.CompilerServices;
using System.Security;

namespace AlipayBptb.Core.Ledger;

/// <summary>Opens the ledger a <see cref="LedgerLocation"/> names, in the store it is in.</summary>
public static class Ledgers
{
    /// <summary>
    /// Opens (and unless <paramref name="readOnly"/>, creates or upgrades) the ledger. For PostgreSQL, <paramref name="user"/>
    /// and <paramref name="password"/> come from -LedgerCredential when given; otherwise PostgreSQL's own conventions apply.
    /// </summary>
    public static ILedger Open(LedgerLocation location, bool readOnly = false, string? user = null, SecureString? password = null) =>
        location.IsPostgres ? OpenPostgres(location, readOnly, user, password) : new NotificationLedger(location.Text, readOnly);

    // Its own method, never inlined: Npgsql loads only when a PostgreSQL ledger is used, not at import or for a file.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ILedger OpenPostgres(LedgerLocation location, bool readOnly, string? user, SecureString? password) =>
        new PostgresLedger(location, readOnly, user, password);
}
