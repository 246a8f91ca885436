using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Ledger;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace AlipayBptb.Tests;

/// <summary>
/// The promises of every ledger store, kept by PostgreSQL: each test in a schema of its own (the URL's search_path)
/// of one database of the test run's throwaway cluster.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresLedgerContractTests : LedgerContractTests
{
    private readonly PostgresCluster _pg;
    private readonly string _schema = "t_" + Guid.NewGuid().ToString("N").Substring(0, 12);

    public PostgresLedgerContractTests(PostgresCluster pg) => _pg = pg;

    internal static SecureString Secure(string s)
    {
        var secure = new SecureString();
        foreach (char ch in s)
        {
            secure.AppendChar(ch);
        }
        secure.MakeReadOnly();
        return secure;
    }

    protected override ILedger Open(bool readOnly = false) =>
        Ledgers.Open(LedgerLocation.Parse(_pg.Url() + "?search_path=" + _schema, p => p), readOnly, _pg.Username, Secure(_pg.Password));

    protected override void PutForeignTable() => Sql($"CREATE SCHEMA {_schema}; CREATE TABLE {_schema}.customers (id integer PRIMARY KEY, name text);");

    protected override int TableCount() => Convert.ToInt32(Scalar($"SELECT count(*) FROM pg_tables WHERE schemaname = '{_schema}'"), System.Globalization.CultureInfo.InvariantCulture);

    protected override void SetSchemaVersion(int version) => Sql($"UPDATE {_schema}.ledger_meta SET value = '{version}' WHERE key = 'schema_version'");

    protected override int StoredSchemaVersion() => int.Parse((string)Scalar($"SELECT value FROM {_schema}.ledger_meta WHERE key = 'schema_version'")!, System.Globalization.CultureInfo.InvariantCulture);

    protected override int CurrentSchemaVersion => PostgresLedger.SchemaVersion;

    protected override void MakeSchema2()
    {
        Sql($"DROP TABLE {_schema}.upload_row; DROP TABLE {_schema}.upload;");
        SetSchemaVersion(2);
    }

    [PostgresFact]
    public void A_ledger_of_an_older_schema_is_not_read_without_being_upgraded()
    {
        using (Open())
        {
        }
        MakeSchema2();
        Assert.Equal(LedgerProblem.TooOld, Assert.Throws<LedgerException>(() => Open(readOnly: true)).Problem);
        using (Open())
        {
        }
        using ILedger reader = Open(readOnly: true);
        Assert.Empty(reader.Status(null));
    }

    [PostgresFact]
    public void An_empty_schema_is_no_ledger_to_read_and_a_reader_writes_nothing()
    {
        Assert.Equal(LedgerProblem.NotALedger, Assert.Throws<LedgerException>(() => Open(readOnly: true)).Problem);
        Assert.Equal(0, TableCount());
    }

    private void Sql(string sql) => Scalar(sql);

    private object? Scalar(string sql)
    {
        // Outside the pool: PostgresClusterTests restarts the server without emptying the pool of this database.
        using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_pg.ConnectionString()) { Pooling = false }.ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        return cmd.ExecuteScalar();
    }
}

/// <summary>What only PostgreSQL has: passwords, a server that restarts or stops, several writers at once.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresLedgerTests
{
    private const string Md5Key = "k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";
    private readonly PostgresCluster _pg;
    private readonly ITestOutputHelper _out;

    public PostgresLedgerTests(PostgresCluster pg, ITestOutputHelper output)
    {
        _pg = pg;
        _out = output;
    }

    private string Url(string schema) => _pg.Url() + "?search_path=" + schema;

    private static string NewSchema() => "t_" + Guid.NewGuid().ToString("N").Substring(0, 12);

    private ILedger Open(string schema, string? password = null) =>
        Ledgers.Open(LedgerLocation.Parse(Url(schema), p => p), false, _pg.Username, PostgresLedgerContractTests.Secure(password ?? _pg.Password));

    private static NotificationResult[] Batch(NotificationVerifier v, int from, int count) =>
        Enumerable.Range(from, count).Select(i => v.Verify(TestCallbacks.Notification("n" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), "f" + (i % 50) + ".csv"))).ToArray();

    [PostgresFact]
    public void A_password_is_never_in_an_error_or_the_location()
    {
        const string secret = "Never-Shown-7f3a9c";
        var ex = Assert.Throws<LedgerException>(() => Open(NewSchema(), secret));
        Assert.Equal(LedgerProblem.Unavailable, ex.Problem);
        Assert.Contains("refused the login", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(secret, ex.Path, StringComparison.Ordinal);
        using ILedger ledger = Open(NewSchema());
        Assert.DoesNotContain(_pg.Password, ledger.Location, StringComparison.Ordinal);
        Assert.StartsWith($"postgresql://{_pg.Username}@{_pg.Host}:{_pg.Port}/", ledger.Location, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task A_missing_privilege_says_which_grant_the_role_needs()
    {
        string db = "noschema_" + Guid.NewGuid().ToString("N").Substring(0, 8);
        string cs = await _pg.CreateDatabaseAsync(db);
        using (var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cs) { Pooling = false }.ConnectionString))
        {
            c.Open();
            using var cmd = new NpgsqlCommand($"REVOKE CREATE ON DATABASE {db} FROM {_pg.Username}, PUBLIC", c);
            cmd.ExecuteNonQuery();
        }
        var ex = Assert.Throws<LedgerException>(() =>
            Ledgers.Open(LedgerLocation.Parse(_pg.Url(db), p => p), false, _pg.Username, PostgresLedgerContractTests.Secure(_pg.Password)));
        Assert.Equal(LedgerProblem.Unavailable, ex.Problem);
        Assert.Contains("CREATE SCHEMA \"bptb\" AUTHORIZATION", ex.Message, StringComparison.Ordinal);
        Assert.Contains(_pg.Url(db), ex.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public void Npgsqls_connection_string_form_and_PGPASSWORD_work_too()
    {
        string schema = NewSchema();
        string text = $"Host={_pg.Host};Port={_pg.Port};Database={_pg.Database};Username={_pg.Username};Search Path={schema}";
        string? before = Environment.GetEnvironmentVariable("PGPASSWORD");
        Environment.SetEnvironmentVariable("PGPASSWORD", _pg.Password);
        try
        {
            using ILedger ledger = Ledgers.Open(LedgerLocation.Parse(text, p => p));
            using var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
            ledger.Register(Batch(v, 0, 3));
            Assert.Equal(3, ledger.Status(null).Count());
            Assert.Equal($"postgresql://{_pg.Username}@{_pg.Host}:{_pg.Port}/{_pg.Database}?search_path={schema}", ledger.Location);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PGPASSWORD", before);
        }
    }

    [PostgresFact]
    public async Task A_server_restart_between_two_batches_is_survived_and_nothing_counts_twice()
    {
        string schema = NewSchema();
        using var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        using ILedger ledger = Open(schema);
        NotificationResult[] one = Batch(v, 0, 100);
        ledger.MarkPassed(ledger.Register(one));
        await _pg.RestartAsync("immediate");
        NotificationResult[] two = Batch(v, 50, 100);
        ledger.MarkPassed(ledger.Register(two)); // the ledger's connection died with the server: the batch runs on a fresh one
        Assert.All(one, r => Assert.False(r.IsDuplicate));
        Assert.Equal(50, two.Count(r => r.IsDuplicate == true));
        Assert.Equal(150, ledger.Status(null).Sum(s => s.Notifications));
        Assert.Equal(0, ledger.Status(null).Sum(s => s.Duplicates));
    }

    [PostgresFact]
    public async Task A_stopped_server_gives_an_unavailable_ledger_naming_the_location()
    {
        using var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        using ILedger ledger = Open(NewSchema());
        ledger.Register(Batch(v, 0, 10));
        await _pg.StopServerAsync();
        try
        {
            var ex = Assert.Throws<LedgerException>(() => ledger.Register(Batch(v, 10, 10)));
            Assert.Equal(LedgerProblem.Unavailable, ex.Problem);
            Assert.Contains(ledger.Location, ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(_pg.Password, ex.ToString(), StringComparison.Ordinal);
            _out.WriteLine(ex.Message);
            var open = Assert.Throws<LedgerException>(() => Open(NewSchema()));
            Assert.Equal(LedgerProblem.Unavailable, open.Problem);
        }
        finally
        {
            await _pg.StartServerAsync();
        }
        NotificationResult[] after = Batch(v, 0, 20);
        ledger.Register(after);
        Assert.Equal(10, after.Count(r => r.IsDuplicate == true));
    }

    [PostgresFact]
    public void Four_writers_at_once_each_notification_new_exactly_once()
    {
        // 20,000 notifications of which 20% repeat one of the others, registered by four ledgers (four connections)
        // at once, in batches of 2,000, each in its own order.
        string schema = NewSchema();
        using (Open(schema))
        {
        }
        using var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        var ids = Enumerable.Range(0, 16_000).Concat(Enumerable.Range(0, 4_000).Select(i => i * 4)).ToArray();
        var inputs = Enumerable.Range(0, 4).Select(w =>
        {
            var random = new Random(w);
            return ids.OrderBy(_ => random.Next()).Select(i => v.Verify(TestCallbacks.Notification("n" + i, "f" + (i % 50) + ".csv"))).ToArray();
        }).ToArray();
        var sw = Stopwatch.StartNew();
        using var start = new Barrier(4);
        var writers = inputs.Select(input => Task.Factory.StartNew(() =>
        {
            using ILedger ledger = Open(schema);
            start.SignalAndWait();
            for (int i = 0; i < input.Length; i += 2000)
            {
                NotificationResult[] batch = input.Skip(i).Take(2000).ToArray();
                ledger.MarkPassed(ledger.Register(batch));
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(writers);
        _out.WriteLine($"4 x 20,000 at once: {sw.ElapsedMilliseconds} ms");
        var news = inputs.SelectMany(x => x).Where(r => r.IsDuplicate == false).Select(r => r.NotifyId!).ToList();
        Assert.Equal(16_000, news.Count);
        Assert.Equal(16_000, news.Distinct().Count());
        Assert.Equal(50, inputs.SelectMany(x => x).Count(r => r.IsNewEvent == true)); // one Processed event per file
        using ILedger check = Open(schema);
        Assert.Equal(16_000, check.Status(null).Sum(s => s.Notifications));
    }

    [LedgerBenchFact]
    public void Measure_registering_100000_into_PostgreSQL_and_SQLite()
    {
        using var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        NotificationResult[] all = Batch(v, 0, 100_000);
        string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bptb-bench-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        try
        {
            double Rate(Func<ILedger> open)
            {
                using ILedger ledger = open();
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < all.Length; i += 2000)
                {
                    ledger.MarkPassed(ledger.Register(new ArraySegment<NotificationResult>(all, i, 2000)));
                }
                return all.Length / sw.Elapsed.TotalSeconds;
            }
            double sqlite = Rate(() => Ledgers.Open(LedgerLocation.Parse(System.IO.Path.Combine(dir, "bptb.db"), p => p)));
            double pg = Rate(() => Open(NewSchema()));
            _out.WriteLine($"100,000 notifications in batches of 2,000: SQLite {sqlite:F0}/s, PostgreSQL {pg:F0}/s, ratio {pg / sqlite:F2}");
            Console.WriteLine($"LEDGER BENCH: SQLite {sqlite:F0}/s, PostgreSQL {pg:F0}/s, ratio {pg / sqlite:F2}");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(dir, true);
        }
    }
}

/// <summary>A measurement, not a test: runs only with BPTB_LEDGER_BENCH=1.</summary>
public sealed class LedgerBenchFactAttribute : FactAttribute
{
    public LedgerBenchFactAttribute()
    {
        Skip = PostgresCluster.SkipReason
            ?? (Environment.GetEnvironmentVariable("BPTB_LEDGER_BENCH") == "1" ? null : "a measurement: set BPTB_LEDGER_BENCH=1 to run it");
    }
}
