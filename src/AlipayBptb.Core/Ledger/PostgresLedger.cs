using System;
using System.Collections.Generic;
using System.Data;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security;
using System.Threading;
using Npgsql;

namespace AlipayBptb.Core.Ledger;

/// <summary>
/// The idempotency ledger in PostgreSQL, for several hosts that share one: the same tables and promises as the SQLite
/// ledger (<see cref="NotificationLedger"/>), kept in one schema the ledger owns (<c>bptb</c> unless the connection's
/// search path names another).
/// <para>
/// What the role needs, and no more: CONNECT on the database, and its own schema, either made for it by an
/// administrator (<c>CREATE SCHEMA bptb AUTHORIZATION role</c>, the least privilege) or created by the ledger on first
/// use (then the role needs CREATE on the database). No superuser, nothing in <c>public</c>. A reader that only runs
/// Get-BptbBatchStatus needs USAGE on the schema and SELECT on its tables.
/// </para>
/// <para>
/// Concurrency: every write is an <c>INSERT … ON CONFLICT</c> in a READ COMMITTED transaction, so of several
/// processes registering one notification at once exactly one inserts it (the others wait for its commit and see
/// it). Rows that exist already are locked (<c>SELECT … FOR UPDATE</c>, in key order) before a claim is taken over,
/// so two runs never both take over one abandoned claim. A deadlock or serialization failure rolls the batch back
/// and runs it again.
/// </para>
/// <para>
/// A server restart: the connection is dead; the operation runs once more on a fresh connection. Every operation
/// is made safe to run twice, a batch included: its transaction either committed or not, and when the answer to
/// COMMIT was lost it may have. Its rows carry this run and their sequence number, so a second attempt finds what
/// the first recorded as this run's claim of that very sequence number and reports it new again, exactly as the
/// first attempt did; sightings, invalid rows and verifications are keyed, so nothing is counted twice.
/// </para>
/// </summary>
internal sealed partial class PostgresLedger : ILedger
{
    /// <summary>The ownership mark kept in <see cref="MetaTable"/>.</summary>
    internal const string Application = "AlipayBptb";

    /// <summary>The schema this code writes: the same tables, and the same numbering, as the SQLite ledger.</summary>
    // Its own number: the SQLite ledger's schema 4 changed only how SQLite stores callbacks. Bumped here, every
    // PostgreSQL ledger would have to be upgraded before it can be read.
    internal const int SchemaVersion = 3;

    internal const string DefaultSchema = "bptb";

    internal const string MetaTable = "ledger_meta";

    private const int ConflictRetries = 8;

    private readonly string _connectionString; // carries the password when one was given: never shown
    private readonly string? _password;
    private readonly string? _user;
    private readonly bool _readOnly;
    private NpgsqlConnection? _connection;

    public PostgresLedger(LedgerLocation location, bool readOnly, string? user, SecureString? password)
    {
        NpgsqlConnectionStringBuilder b = PostgresLocation.Builder(location.Text);
        if (!string.IsNullOrEmpty(user))
        {
            b.Username = user;
        }
        if (password != null)
        {
            _password = Plain(password);
            b.Password = _password;
        }
        // One connection per ledger, outside Npgsql's pool: after a server restart nothing dead is handed out again.
        b.Pooling = false;
        if (string.IsNullOrEmpty(b.ApplicationName))
        {
            b.ApplicationName = "AlipayBptb";
        }
        Schema = PostgresLocation.SchemaOf(b) ?? DefaultSchema;
        b.SearchPath = Quote(Schema);
        if (readOnly)
        {
            b.Options = ((b.Options ?? string.Empty) + " -c default_transaction_read_only=on").Trim();
        }
        _user = b.Username;
        _readOnly = readOnly;
        _connectionString = b.ConnectionString;
        Location = PostgresLocation.Describe(b, Schema);
        try
        {
            Do(c => Initialize(c, readOnly));
        }
        catch
        {
            _connection?.Dispose();
            throw;
        }
    }

    /// <summary>The server, database and user as a URL, never with a password (for messages).</summary>
    public string Location { get; }

    /// <summary>The schema the ledger's tables are in.</summary>
    public string Schema { get; }

    private static string Plain(SecureString s)
    {
        IntPtr p = Marshal.SecureStringToGlobalAllocUnicode(s);
        try
        {
            return Marshal.PtrToStringUni(p) ?? string.Empty;
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(p);
        }
    }

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    private static readonly string SchemaDdl = @"
CREATE TABLE IF NOT EXISTS ledger_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS callback (
    key text COLLATE ""C"" PRIMARY KEY,
    kind text NOT NULL,
    notify_id text, notify_type text, file_name text COLLATE ""C"", result_code text, is_success boolean,
    pay_date text, notify_time text, source text, line bigint,
    first_seen timestamptz NOT NULL, last_seen timestamptz NOT NULL, seen integer NOT NULL,
    occurrence bigint, received timestamptz, run bigint, seq bigint);
CREATE INDEX IF NOT EXISTS callback_file ON callback(file_name);
CREATE TABLE IF NOT EXISTS sighting (occurrence bigint PRIMARY KEY, key text COLLATE ""C"" NOT NULL);
CREATE TABLE IF NOT EXISTS invalid (
    occurrence bigint PRIMARY KEY, file_name text COLLATE ""C"", notify_id text, reason text, source text, line bigint, seen timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS invalid_file ON invalid(file_name);
CREATE TABLE IF NOT EXISTS event (
    file_name text COLLATE ""C"" NOT NULL, event text COLLATE ""C"" NOT NULL, key text NOT NULL, received timestamptz NOT NULL,
    first_seen timestamptz NOT NULL, run bigint, seq bigint, PRIMARY KEY (file_name, event));
CREATE TABLE IF NOT EXISTS verification (
    notify_id text PRIMARY KEY, verified boolean NOT NULL, response text, checked timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS run (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, token text NOT NULL UNIQUE, host text NOT NULL, pid integer NOT NULL,
    process_started text NOT NULL, heartbeat timestamptz NOT NULL, passed bigint NOT NULL DEFAULT 0, ended boolean NOT NULL DEFAULT false);
CREATE TABLE IF NOT EXISTS upload (
    file_name text COLLATE ""C"" PRIMARY KEY, stem text NOT NULL, content_sha256 text NOT NULL, digest text NOT NULL, digest_type text NOT NULL,
    rows integer NOT NULL, total numeric NOT NULL, email text, state text NOT NULL, code text, message text,
    sent timestamptz NOT NULL, answered timestamptz);
CREATE INDEX IF NOT EXISTS upload_stem ON upload(stem);
CREATE INDEX IF NOT EXISTS upload_content ON upload(content_sha256);
CREATE TABLE IF NOT EXISTS upload_row (
    file_name text COLLATE ""C"" NOT NULL, row integer NOT NULL, payee text NOT NULL, PRIMARY KEY (file_name, row));
CREATE INDEX IF NOT EXISTS upload_row_payee ON upload_row(payee);";

    // Checks whose the schema is, and unless read-only, creates or upgrades it; one creator at a time (an advisory
    // lock, which needs no grant), so two first runs at once do not both create it.
    private int Initialize(NpgsqlConnection c, bool readOnly)
    {
        using NpgsqlTransaction tx = c.BeginTransaction();
        if (!readOnly)
        {
            Exec(c, tx, "SELECT pg_advisory_xact_lock($1)", LockKey());
        }
        bool schemaExists = Convert.ToInt64(Scalar(c, tx, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", Schema), CultureInfo.InvariantCulture) > 0;
        var tables = new List<string>();
        using (NpgsqlCommand cmd = Command(c, tx, @"SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1", Schema))
        using (NpgsqlDataReader r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                tables.Add(r.GetString(0));
            }
        }
        long version = 0;
        if (tables.Contains(MetaTable))
        {
            var meta = new Dictionary<string, string>(StringComparer.Ordinal);
            using (NpgsqlCommand cmd = Command(c, tx, $"SELECT key, value FROM {Quote(Schema)}.{MetaTable}"))
            using (NpgsqlDataReader r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    meta[r.GetString(0)] = r.GetString(1);
                }
            }
            if (!meta.TryGetValue("application", out string? app) || app != Application
                || !meta.TryGetValue("schema_version", out string? v) || !long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out version))
            {
                throw new LedgerException(Location, LedgerProblem.NotALedger,
                    $"The schema '{Schema}' of {Location} has a table {MetaTable} that is not an AlipayBptb ledger's: give another schema (search_path) or database.");
            }
            if (version > SchemaVersion)
            {
                throw new LedgerException(Location, LedgerProblem.TooNew,
                    $"The ledger {Location} was written by a newer AlipayBptb (schema {version}; this one knows {SchemaVersion}): update the module.");
            }
        }
        else if (tables.Count > 0)
        {
            throw new LedgerException(Location, LedgerProblem.NotALedger,
                $"The schema '{Schema}' of {Location} holds something else (tables: {string.Join(", ", tables)}), not an AlipayBptb ledger: give a database or schema (search_path) of its own.");
        }
        else if (readOnly)
        {
            throw new LedgerException(Location, LedgerProblem.NotALedger,
                $"There is no ledger in {Location} (schema '{Schema}' {(schemaExists ? "is empty" : "does not exist")}). Register-BptbNotification creates one.");
        }
        if (version == SchemaVersion)
        {
            tx.Commit();
            return 0;
        }
        if (readOnly)
        {
            throw new LedgerException(Location, LedgerProblem.TooOld,
                $"The ledger {Location} has an older schema ({version}): run Register-BptbNotification on it once to upgrade it.");
        }
        if (!schemaExists)
        {
            Exec(c, tx, $"CREATE SCHEMA {Quote(Schema)}");
        }
        Exec(c, tx, $"SET LOCAL search_path TO {Quote(Schema)}");
        // Upgrades in place: each schema's tables are created where missing (schema 3 added upload and upload_row);
        // the version moves last, in the same transaction.
        Exec(c, tx, SchemaDdl);
        Exec(c, tx, $@"INSERT INTO {MetaTable} (key, value) VALUES ('application', $1), ('schema_version', $2)
ON CONFLICT (key) DO UPDATE SET value = excluded.value", Application, SchemaVersion.ToString(CultureInfo.InvariantCulture));
        tx.Commit();
        return 0;
    }

    private long LockKey()
    {
        ulong h = 14695981039346656037UL;
        foreach (char ch in "AlipayBptb ledger " + Schema)
        {
            h = (h ^ ch) * 1099511628211UL;
        }
        return (long)h;
    }

    /// <summary>
    /// Runs <paramref name="operation"/> (which must be safe to run twice) on the ledger's connection: once more on a
    /// fresh connection when the connection died (a server restart, a dropped network), and again after a deadlock
    /// or serialization failure (its transaction was rolled back); any other failure is a <see cref="LedgerException"/>.
    /// </summary>
    private T Do<T>(Func<NpgsqlConnection, T> operation)
    {
        int reconnects = 0;
        int conflicts = 0;
        var random = new Random();
        while (true)
        {
            try
            {
                return operation(Connection());
            }
            catch (Exception ex) when (ex is NpgsqlException || ex is InvalidOperationException || ex is TimeoutException || ex is System.IO.IOException)
            {
                bool broken = _connection == null || _connection.FullState.HasFlag(ConnectionState.Broken) || _connection.State != ConnectionState.Open
                    || ex is PostgresException { SqlState: "57P01" or "57P02" or "57P03" } || ex is PostgresException p8 && p8.SqlState.StartsWith("08", StringComparison.Ordinal);
                bool conflict = ex is PostgresException { SqlState: "40001" or "40P01" };
                if (broken)
                {
                    DropConnection();
                }
                if (conflict && conflicts++ < ConflictRetries)
                {
                    Thread.Sleep(random.Next(5, 50 * conflicts));
                    continue;
                }
                if (broken && reconnects++ < 1 && !IsLoginProblem(ex))
                {
                    continue;
                }
                if (ex is InvalidOperationException && !broken)
                {
                    throw;
                }
                throw Failure(ex);
            }
        }
    }

    private static bool IsLoginProblem(Exception ex) =>
        ex is PostgresException { SqlState: "28P01" or "28000" or "3D000" or "42501" } || ex is NpgsqlException && ex.InnerException is System.Net.Sockets.SocketException;

    private NpgsqlConnection Connection()
    {
        if (_connection != null && _connection.State == ConnectionState.Open)
        {
            return _connection;
        }
        DropConnection();
        var c = new NpgsqlConnection(_connectionString);
        try
        {
            c.Open();
        }
        catch
        {
            c.Dispose();
            throw;
        }
        _connection = c;
        return c;
    }

    private void DropConnection()
    {
        NpgsqlConnection? c = _connection;
        _connection = null;
        if (c != null)
        {
            try
            {
                c.Dispose();
            }
            catch (Exception ex) when (ex is NpgsqlException || ex is System.IO.IOException || ex is InvalidOperationException)
            {
                // a dead connection may complain on the way out: it is gone either way
            }
        }
    }

    /// <summary>What went wrong, for a person: the location (never the password) and what to do.</summary>
    private LedgerException Failure(Exception ex)
    {
        string who = _user ?? "(PostgreSQL's default user)";
        return ex switch
        {
            PostgresException p when p.SqlState is "28P01" or "28000" => new LedgerException(Location, LedgerProblem.Unavailable,
                $"The PostgreSQL server of {Location} refused the login of '{who}' ({Scrub(p.MessageText)}): check the password given with -LedgerCredential, PGPASSWORD or the password file, and the server's pg_hba.conf.", ex),
            PostgresException p when p.SqlState == "3D000" => new LedgerException(Location, LedgerProblem.Unavailable,
                $"The database of {Location} does not exist ({Scrub(p.MessageText)}): create it (CREATE DATABASE … OWNER …) or give another.", ex),
            PostgresException p when p.SqlState == "42501" => new LedgerException(Location, LedgerProblem.Unavailable,
                $"The role '{who}' lacks a privilege the ledger {Location} needs ({Scrub(p.MessageText)}). The ledger needs its own schema '{Schema}' and nothing else: "
                + $"have it made for the role (CREATE SCHEMA {Quote(Schema)} AUTHORIZATION <role>), or grant CREATE on the database so that the ledger creates it on first use; "
                + $"a reader needs USAGE on the schema and SELECT on its tables (GRANT USAGE ON SCHEMA {Quote(Schema)} …; GRANT SELECT ON ALL TABLES IN SCHEMA {Quote(Schema)} …).", ex),
            PostgresException p when p.SqlState == "25006" => new LedgerException(Location, LedgerProblem.Unavailable,
                $"The ledger {Location} was opened read-only, or the server only reads (a standby): {Scrub(p.MessageText)}", ex),
            PostgresException p when p.SqlState == "53100" => new LedgerException(Location, LedgerProblem.Unavailable,
                $"The PostgreSQL server of {Location} is out of disk space ({Scrub(p.MessageText)}): nothing of this batch was recorded; free space and run again.", ex),
            PostgresException p when p.SqlState is "XX001" or "XX002" => new LedgerException(Location, LedgerProblem.Corrupt,
                $"The ledger {Location} is damaged ({Scrub(p.MessageText)}): restore it from a backup.", ex),
            PostgresException p when p.SqlState is "40001" or "40P01" => new LedgerException(Location, LedgerProblem.Unavailable,
                $"The ledger {Location} kept conflicting with other runs ({ConflictRetries} attempts): run again.", ex),
            PostgresException p when p.SqlState is "57P01" or "57P02" or "57P03" || p.SqlState.StartsWith("08", StringComparison.Ordinal) => new LedgerException(Location, LedgerProblem.Unavailable,
                $"The PostgreSQL server of {Location} ended the connection ({Scrub(p.MessageText)}) and it could not be opened again: run again when the server is back; what was recorded stays, nothing is counted twice.", ex),
            PostgresException p => new LedgerException(Location, LedgerProblem.Unavailable, $"The ledger {Location} cannot be used: {p.SqlState}: {Scrub(p.MessageText)}", ex),
            NpgsqlException n when n.Message.IndexOf("password", StringComparison.OrdinalIgnoreCase) >= 0 => new LedgerException(Location, LedgerProblem.Unavailable,
                $"The PostgreSQL server of {Location} asks for a password and none was found for '{who}': give -LedgerCredential, or set PGPASSWORD or a password file (PGPASSFILE, ~/.pgpass, %APPDATA%\\postgresql\\pgpass.conf).", ex),
            _ => new LedgerException(Location, LedgerProblem.Unavailable,
                $"The PostgreSQL server of {Location} cannot be reached ({Scrub(Innermost(ex).Message)}): is it running, and is the host and port right? Nothing was recorded twice; run again when it is back.", ex),
        };
    }

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException != null)
        {
            ex = ex.InnerException;
        }
        return ex;
    }

    private string Scrub(string? text)
    {
        text ??= string.Empty;
        return string.IsNullOrEmpty(_password) ? text : text.Replace(_password, "***");
    }

    private static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params object?[] values)
    {
        var cmd = new NpgsqlCommand(sql, c, tx);
        foreach (object? v in values)
        {
            cmd.Parameters.Add(v is NpgsqlParameter p ? p : new NpgsqlParameter { Value = v ?? DBNull.Value });
        }
        return cmd;
    }

    private static int Exec(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params object?[] values)
    {
        using NpgsqlCommand cmd = Command(c, tx, sql, values);
        return cmd.ExecuteNonQuery();
    }

    private static object? Scalar(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params object?[] values)
    {
        using NpgsqlCommand cmd = Command(c, tx, sql, values);
        return cmd.ExecuteScalar();
    }

    /// <summary>A time as PostgreSQL keeps it: UTC, whole microseconds.</summary>
    internal static DateTime Utc(DateTime t)
    {
        DateTime u = t.Kind switch
        {
            DateTimeKind.Utc => t,
            DateTimeKind.Local => t.ToUniversalTime(),
            _ => DateTime.SpecifyKind(t, DateTimeKind.Utc),
        };
        return new DateTime(u.Ticks - (u.Ticks % 10), DateTimeKind.Utc);
    }
}
