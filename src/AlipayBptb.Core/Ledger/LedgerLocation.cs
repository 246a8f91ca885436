using System;

namespace AlipayBptb.Core.Ledger;

/// <summary>
/// Where a ledger is, as <c>-Ledger</c> gives it: a file path (SQLite, the default), a PostgreSQL URL
/// (<c>postgresql://user@host:port/database</c>) or an Npgsql connection string (<c>Host=…;Database=…</c>).
/// A password is never taken from here: it would sit in the command line, the history and the process list.
/// It comes from -LedgerCredential, or PostgreSQL's own PGPASSWORD and password file.
/// </summary>
public sealed class LedgerLocation
{
    private static readonly char[] AuthorityEnds = { '/', '?' };

    private LedgerLocation(string text, bool isPostgres)
    {
        Text = text;
        IsPostgres = isPostgres;
    }

    /// <summary>The file path (SQLite), or the URL or connection string (PostgreSQL), as given.</summary>
    public string Text { get; }

    public bool IsPostgres { get; }

    /// <summary>
    /// Reads <paramref name="ledger"/>; a file path goes through <paramref name="resolvePath"/> (relative to the
    /// caller's current folder). A URL or connection string that carries a password is refused with
    /// <see cref="ArgumentException"/>, whose message never repeats it.
    /// </summary>
    public static LedgerLocation Parse(string ledger, Func<string, string> resolvePath)
    {
        if (string.IsNullOrWhiteSpace(ledger))
        {
            throw new ArgumentException("The ledger is empty: give a file path, or a PostgreSQL URL such as postgresql://bptb@db.example.com:5432/bptb.", nameof(ledger));
        }
        string trimmed = ledger.Trim();
        if (trimmed.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            int schemeEnd = trimmed.IndexOf("://", StringComparison.Ordinal) + 3;
            int authorityEnd = trimmed.IndexOfAny(AuthorityEnds, schemeEnd);
            string authority = authorityEnd < 0 ? trimmed.Substring(schemeEnd) : trimmed.Substring(schemeEnd, authorityEnd - schemeEnd);
            int at = authority.LastIndexOf('@');
            if (at >= 0 && authority.Substring(0, at).IndexOf(':') >= 0 || HasQueryPassword(trimmed))
            {
                throw new ArgumentException(
                    "The ledger's URL carries a password (not repeated here): a password on the command line stays in the history and the process list. Give the URL without it, and the password with -LedgerCredential (Get-Secret works), PGPASSWORD or PostgreSQL's password file.", nameof(ledger));
            }
            return new LedgerLocation(trimmed, isPostgres: true);
        }
        if (LooksLikeConnectionString(trimmed))
        {
            foreach (string part in trimmed.Split(';'))
            {
                string key = part.Split('=')[0].Trim();
                if (key.Equals("Password", StringComparison.OrdinalIgnoreCase) || key.Equals("Pwd", StringComparison.OrdinalIgnoreCase))
                {
                    throw new ArgumentException(
                        "The ledger's connection string carries a password (not repeated here): give it without Password=, and the password with -LedgerCredential (Get-Secret works), PGPASSWORD or PostgreSQL's password file.", nameof(ledger));
                }
            }
            return new LedgerLocation(trimmed, isPostgres: true);
        }
        return new LedgerLocation(resolvePath(ledger), isPostgres: false);
    }

    // Npgsql's form: Host=...;Database=... (a file path has no '=' before its first ';' and no Host/Server key).
    private static bool LooksLikeConnectionString(string text)
    {
        int eq = text.IndexOf('=');
        if (eq <= 0)
        {
            return false;
        }
        string key = text.Substring(0, eq).Trim();
        return key.Equals("Host", StringComparison.OrdinalIgnoreCase) || key.Equals("Server", StringComparison.OrdinalIgnoreCase)
            || key.Equals("Database", StringComparison.OrdinalIgnoreCase) || key.Equals("Username", StringComparison.OrdinalIgnoreCase)
            || key.Equals("User ID", StringComparison.OrdinalIgnoreCase) || key.Equals("Port", StringComparison.OrdinalIgnoreCase);
    }

    private static bool HasQueryPassword(string url)
    {
        int q = url.IndexOf('?');
        return q >= 0 && (url.IndexOf("password=", q, StringComparison.OrdinalIgnoreCase) >= 0);
    }

    public override string ToString() => Text;
}
