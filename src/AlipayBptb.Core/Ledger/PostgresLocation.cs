using System;
using System.Globalization;
using Npgsql;

namespace AlipayBptb.Core.Ledger;

/// <summary>
/// Reads a PostgreSQL ledger's location into Npgsql's connection settings: a URL
/// (<c>postgresql://user@host:port/database?sslmode=require&amp;search_path=bptb</c>, which Npgsql 8 does not read
/// itself) or Npgsql's own <c>Host=…;Database=…</c> form. Neither carries a password (<see cref="LedgerLocation"/>
/// refuses one): it comes from -LedgerCredential, or Npgsql's own PGPASSWORD, PGPASSFILE and password file.
/// </summary>
internal static class PostgresLocation
{
    private static readonly char[] Ampersand = { '&' };

    public static NpgsqlConnectionStringBuilder Builder(string text)
    {
        try
        {
            return text.StartsWith("postgres", StringComparison.OrdinalIgnoreCase) && text.IndexOf("://", StringComparison.Ordinal) > 0
                ? FromUrl(text)
                : new NpgsqlConnectionStringBuilder(text);
        }
        catch (Exception ex) when (ex is ArgumentException || ex is FormatException || ex is UriFormatException)
        {
            throw new LedgerException(Describe(text), LedgerProblem.Unavailable, $"The PostgreSQL ledger's location cannot be read: {ex.Message}", ex);
        }
    }

    private static NpgsqlConnectionStringBuilder FromUrl(string url)
    {
        var b = new NpgsqlConnectionStringBuilder();
        string rest = url.Substring(url.IndexOf("://", StringComparison.Ordinal) + 3);
        string query = string.Empty;
        int q = rest.IndexOf('?');
        if (q >= 0)
        {
            query = rest.Substring(q + 1);
            rest = rest.Substring(0, q);
        }
        int slash = rest.IndexOf('/');
        string authority = slash < 0 ? rest : rest.Substring(0, slash);
        string database = slash < 0 ? string.Empty : Uri.UnescapeDataString(rest.Substring(slash + 1));
        int at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            string user = authority.Substring(0, at);
            int colon = user.IndexOf(':'); // LedgerLocation refused a password; never keep one
            b.Username = Uri.UnescapeDataString(colon >= 0 ? user.Substring(0, colon) : user);
            authority = authority.Substring(at + 1);
        }
        if (authority.IndexOf(',') >= 0)
        {
            b.Host = Uri.UnescapeDataString(authority); // several hosts: Npgsql reads host:port,host:port itself
        }
        else if (authority.Length > 0 && authority[0] == '[')
        {
            int close = authority.IndexOf(']');
            if (close < 0)
            {
                throw new FormatException("the URL's IPv6 host has no closing ']'.");
            }
            b.Host = authority.Substring(1, close - 1);
            if (authority.Length > close + 2 && authority[close + 1] == ':')
            {
                b.Port = int.Parse(authority.Substring(close + 2), NumberStyles.None, CultureInfo.InvariantCulture);
            }
        }
        else if (authority.Length > 0)
        {
            int colon = authority.LastIndexOf(':');
            b.Host = Uri.UnescapeDataString(colon >= 0 ? authority.Substring(0, colon) : authority);
            if (colon >= 0)
            {
                b.Port = int.Parse(authority.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture);
            }
        }
        else
        {
            b.Host = "localhost";
        }
        if (database.Length > 0)
        {
            b.Database = database;
        }
        foreach (string pair in query.Split(Ampersand, StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            string key = Uri.UnescapeDataString(eq < 0 ? pair : pair.Substring(0, eq)).ToLowerInvariant();
            string value = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair.Substring(eq + 1).Replace('+', ' '));
            switch (key)
            {
                case "sslmode":
                    b.SslMode = Enum.TryParse(value.Replace("-", string.Empty), ignoreCase: true, out SslMode mode)
                        ? mode : throw new FormatException($"the URL's sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full.");
                    break;
                case "application_name":
                    b.ApplicationName = value;
                    break;
                case "connect_timeout":
                    b.Timeout = int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                    break;
                case "search_path":
                case "schema":
                    b.SearchPath = value;
                    break;
                case "options":
                    b.Options = value;
                    break;
                case "target_session_attrs":
                    b.TargetSessionAttributes = value;
                    break;
                case "sslrootcert":
                    b.RootCertificate = value;
                    break;
                case "user":
                    b.Username = value;
                    break;
                default:
                    throw new FormatException(
                        $"the URL's parameter '{key}' is not one the ledger reads (sslmode, sslrootcert, application_name, connect_timeout, search_path, options, target_session_attrs, user); give an Npgsql connection string for anything else.");
            }
        }
        return b;
    }

    /// <summary>The ledger's schema: the first of the connection's search path ($user: the user's name), or null.</summary>
    public static string? SchemaOf(NpgsqlConnectionStringBuilder b)
    {
        if (string.IsNullOrWhiteSpace(b.SearchPath))
        {
            return null;
        }
        string first = b.SearchPath!.Split(',')[0].Trim();
        if (first.Length >= 2 && first[0] == '"' && first[first.Length - 1] == '"')
        {
            return first.Substring(1, first.Length - 2).Replace("\"\"", "\"");
        }
        if (first == "$user")
        {
            return b.Username;
        }
        return first.Length == 0 ? null : first.ToLowerInvariant();
    }

    /// <summary>The location as a URL without any password, for messages.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder b, string schema)
    {
        string user = string.IsNullOrEmpty(b.Username) ? string.Empty : Uri.EscapeDataString(b.Username) + "@";
        string host = b.Host ?? "localhost";
        string port = host.IndexOf(',') >= 0 ? string.Empty : ":" + b.Port.ToString(CultureInfo.InvariantCulture);
        if (host.IndexOf(':') >= 0 && host.IndexOf(',') < 0)
        {
            host = "[" + host + "]";
        }
        string path = string.IsNullOrEmpty(b.Database) ? string.Empty : "/" + Uri.EscapeDataString(b.Database);
        string query = schema == PostgresLedger.DefaultSchema ? string.Empty : "?search_path=" + Uri.EscapeDataString(schema);
        return "postgresql://" + user + host + port + path + query;
    }

    // For a location that could not be read: as given, which LedgerLocation made sure has no password.
    private static string Describe(string text) => text;
}
