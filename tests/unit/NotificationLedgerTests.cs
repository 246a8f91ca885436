using System;
using System.IO;
using System.Linq;
using AlipayBptb.Core.Ledger;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>The SQLite ledger's own file: a damaged one, a read-only one, schema 1 (the promises of every store: <see cref="LedgerContractTests"/>).</summary>
public sealed class NotificationLedgerTests : IDisposable
{
    private const string Md5Key = "k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bptb-ledger-" + Guid.NewGuid().ToString("N"));

    public NotificationLedgerTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (string f in Directory.GetFiles(_dir))
        {
            File.SetAttributes(f, FileAttributes.Normal);
        }
        Directory.Delete(_dir, true);
    }

    private string Db(string name = "bptb.db") => Path.Combine(_dir, name);

    private static NotificationResult Notification(string id, string file)
    {
        ParameterList p = TestCallbacks.Notification(id, file);
        using var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        NotificationResult r = v.Verify(p);
        Assert.True(r.IsValid, r.Reason);
        return r;
    }

    private static void Sql(string path, string sql)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public void A_damaged_file_gives_a_ledger_error_not_a_raw_sqlite_one()
    {
        File.WriteAllBytes(Db(), Enumerable.Range(0, 8192).Select(i => (byte)(i * 7)).ToArray());
        var ex = Assert.Throws<LedgerException>(() => new NotificationLedger(Db()));
        Assert.Equal(LedgerProblem.Corrupt, ex.Problem);
        Assert.Contains(Db(), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_applications_database_is_refused_with_not_a_byte_of_it_changed()
    {
        Sql(Db(), "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Zhang San');");
        byte[] before = File.ReadAllBytes(Db());
        Assert.Equal(LedgerProblem.NotALedger, Assert.Throws<LedgerException>(() => new NotificationLedger(Db())).Problem);
        Assert.Equal(before, File.ReadAllBytes(Db())); // a WAL switch would have rewritten bytes 18 and 19 of the header
        Assert.False(File.Exists(Db() + "-wal"));
    }

    [Fact]
    public void Status_reads_a_ledger_it_cannot_write()
    {
        using (var ledger = new NotificationLedger(Db()))
        {
            ledger.Register(new[] { Notification("n1", "a.csv") });
            ledger.MarkPassed(1);
        }
        Sql(Db(), "PRAGMA wal_checkpoint(TRUNCATE);");
        File.SetAttributes(Db(), FileAttributes.ReadOnly);
        using var readOnly = new NotificationLedger(Db(), readOnly: true);
        BatchStatus s = Assert.Single(readOnly.Status(null));
        Assert.Equal("a.csv", s.FileName);
        Assert.True(s.ResultNotified);
    }

    [Fact]
    public void A_ledger_of_schema_1_is_upgraded_in_place_and_what_it_had_stays_handled()
    {
        // The tables of schema 1, as the module wrote them before the application_id mark.
        Sql(Db(), @"
CREATE TABLE callback (key TEXT PRIMARY KEY, kind TEXT NOT NULL, notify_id TEXT, notify_type TEXT, file_name TEXT, result_code TEXT,
  is_success INTEGER, pay_date TEXT, notify_time TEXT, source TEXT, line INTEGER, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, seen INTEGER NOT NULL);
CREATE INDEX callback_file ON callback(file_name);
CREATE TABLE invalid (id INTEGER PRIMARY KEY, file_name TEXT, notify_id TEXT, reason TEXT, source TEXT, line INTEGER, seen TEXT NOT NULL);
CREATE INDEX invalid_file ON invalid(file_name);
CREATE TABLE verification (notify_id TEXT PRIMARY KEY, verified INTEGER NOT NULL, response TEXT, checked TEXT NOT NULL);
INSERT INTO callback VALUES ('notify:n1', 'Notify', 'n1', 'bptb_result_notify', 'a.csv', NULL, NULL, '20261126', '2026-11-26 10:00:00', NULL, 1,
  '2026-11-26T02:00:00.0000000Z', '2026-11-26T02:00:00.0000000Z', 1);
INSERT INTO invalid (file_name, notify_id, reason, seen) VALUES ('a.csv', 'x', 'signature does not verify', '2026-11-26T02:00:00.0000000Z');");
        Assert.Throws<LedgerException>(() => new NotificationLedger(Db(), readOnly: true)); // too old to read without upgrading
        using (var ledger = new NotificationLedger(Db()))
        {
            NotificationResult again = Notification("n1", "a.csv");
            NotificationResult next = Notification("n2", "b.csv");
            ledger.Register(new[] { again, next });
            Assert.True(again.IsDuplicate);
            Assert.False(again.IsNewEvent);
            Assert.False(next.IsDuplicate);
            Assert.True(next.IsNewEvent);
            BatchStatus a = ledger.Status(new[] { "a.csv" }).Single();
            Assert.Equal(1, a.Invalid);
            Assert.True(a.ResultNotified);
        }
        using var reopened = new NotificationLedger(Db(), readOnly: true);
        Assert.Equal(2, reopened.Status(null).Count());
    }

    [Fact]
    public void A_new_ledger_has_pages_of_16_KiB_and_an_existing_one_keeps_its_own()
    {
        using (new NotificationLedger(Db()))
        {
        }
        Sql(Db("old.db"), "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; PRAGMA application_id = 1112560706; PRAGMA user_version = 4;");
        using (new NotificationLedger(Db("old.db")))
        {
        }
        foreach ((string file, long size) in new[] { ("bptb.db", 16384L), ("old.db", 4096L) })
        {
            using var c = new SqliteConnection($"Data Source={Db(file)};Pooling=False");
            c.Open();
            using SqliteCommand cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA page_size;";
            Assert.Equal(size, (long)cmd.ExecuteScalar()!);
        }
    }

    [Fact]
    public void A_ledger_of_schema_3_moves_its_callbacks_to_the_table_of_schema_4_with_their_claims()
    {
        using (var ledger = new NotificationLedger(Db()))
        {
            NotificationResult[] batch = { Notification("n1", "a.csv"), Notification("n2", "b.csv") };
            ledger.MarkPassed(ledger.Register(batch) - 1); // n1 handled; n2 emitted, never got past
        }
        // Schema 3's callback table, ordered by its key.
        Sql(Db(), @"
CREATE TABLE callback_v4 AS SELECT * FROM callback;
DROP TABLE callback;
CREATE TABLE callback (
    key TEXT PRIMARY KEY, kind TEXT NOT NULL, notify_id TEXT, notify_type TEXT, file_name TEXT, result_code TEXT, is_success INTEGER,
    pay_date TEXT, notify_time TEXT, source TEXT, line INTEGER, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, seen INTEGER NOT NULL,
    occurrence INTEGER, received TEXT, run INTEGER, seq INTEGER) WITHOUT ROWID;
CREATE INDEX callback_file ON callback(file_name);
INSERT INTO callback SELECT * FROM callback_v4;
DROP TABLE callback_v4;
PRAGMA user_version = 3;");
        using (var readOnly = new NotificationLedger(Db(), readOnly: true))
        {
            Assert.Equal(2, readOnly.Status(null).Count()); // read as it is, without upgrading
        }
        using (var ledger = new NotificationLedger(Db()))
        {
            NotificationResult[] rerun = { Notification("n1", "a.csv"), Notification("n2", "b.csv"), Notification("n3", "c.csv") };
            ledger.Register(rerun);
            Assert.Equal(new bool?[] { true, false, false }, rerun.Select(r => r.IsDuplicate).ToArray());
            Assert.Equal(new bool?[] { false, true, true }, rerun.Select(r => r.IsNewEvent).ToArray());
        }
        using var check = new SqliteConnection($"Data Source={Db()};Pooling=False");
        check.Open();
        using SqliteCommand c = check.CreateCommand();
        c.CommandText = "SELECT (SELECT sql FROM sqlite_master WHERE name = 'callback') || ' | ' || (SELECT COUNT(*) FROM sqlite_master WHERE name = 'callback_file') || ' | ' || (SELECT COUNT(*) FROM callback);";
        string shape = (string)c.ExecuteScalar()!;
        Assert.DoesNotContain("WITHOUT ROWID", shape, StringComparison.Ordinal);
        Assert.EndsWith("| 1 | 3", shape, StringComparison.Ordinal);
        c.CommandText = "PRAGMA user_version;";
        Assert.Equal(4L, (long)c.ExecuteScalar()!);
    }
}

/// <summary>The promises of every ledger store, kept by the SQLite file (a new file per test).</summary>
public sealed class SqliteLedgerContractTests : LedgerContractTests, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bptb-ledger-" + Guid.NewGuid().ToString("N"));

    public SqliteLedgerContractTests() => Directory.CreateDirectory(_dir);

    private string Db => Path.Combine(_dir, "bptb.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    protected override ILedger Open(bool readOnly = false) => Ledgers.Open(LedgerLocation.Parse(Db, p => p), readOnly);

    protected override void PutForeignTable() => Sql("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);");

    protected override int TableCount() => (int)(long)Scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table';")!;

    protected override void SetSchemaVersion(int version) => Sql($"PRAGMA user_version = {version};");

    protected override int StoredSchemaVersion() => (int)(long)Scalar("PRAGMA user_version;")!;

    protected override int CurrentSchemaVersion => NotificationLedger.SchemaVersion;

    protected override void MakeSchema2() => Sql("DROP TABLE upload_row; DROP TABLE upload; PRAGMA user_version = 2;");

    [Theory]
    [InlineData(UploadRecord.Accepted, true)]
    [InlineData(UploadRecord.Unknown, true)]
    [InlineData(UploadRecord.Refused, false)]
    [InlineData(UploadRecord.NotSent, false)]
    public void Only_an_upload_Alipay_took_or_may_have_taken_blocks_the_batch(string state, bool blocks)
    {
        Assert.Equal(blocks, new UploadRecord { State = state }.Blocks);
    }

    private void Sql(string sql) => Scalar(sql);

    private object? Scalar(string sql)
    {
        using var c = new SqliteConnection($"Data Source={Db};Pooling=False");
        c.Open();
        using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}
