using System;
using System.IO;
using System.Linq;
using AlipayBptb.Core.Ledger;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>The ledger's upload records: the guard against a batch sent twice, and each batch from upload to result.</summary>
public sealed class LedgerUploadTests : IDisposable
{
    private const string Md5Key = "k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bptb-uploads-" + Guid.NewGuid().ToString("N"));

    public LedgerUploadTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
    }

    private string Db => Path.Combine(_dir, "bptb.db");

    private static UploadRecord Upload(string name, string content = "c1", decimal total = 0.02m) => new()
    {
        FileName = name,
        ContentSha256 = content,
        Digest = "d41d8cd98f00b204e9800998ecf8427e",
        DigestType = "MD5",
        Rows = 2,
        Total = total,
        Email = "pay@example.com",
        Sent = new DateTime(2026, 11, 26, 8, 0, 0, DateTimeKind.Utc),
    };

    [Fact]
    public void An_upload_is_unknown_from_the_moment_it_is_sent_until_its_answer_is_recorded()
    {
        using (var ledger = new NotificationLedger(Db))
        {
            ledger.RecordUploadSent(Upload("20261126-001.csv"), new[] { "a", "b" });
        }
        using (var ledger = new NotificationLedger(Db))
        {
            // A process killed here (between sending and the answer) leaves an upload to query, never one that looks unsent.
            UploadRecord found = Assert.Single(ledger.FindUploads("20261126-001.csv", "other"));
            Assert.Equal(UploadRecord.Unknown, found.State);
            ledger.RecordUploadAnswer("20261126-001.csv", UploadRecord.Accepted, null, "文件上传成功!", DateTime.UtcNow);
            Assert.Equal(UploadRecord.Accepted, Assert.Single(ledger.FindUploads("20261126-001.csv", "other")).State);
        }
    }

    [Theory]
    [InlineData(UploadRecord.Accepted, true)]
    [InlineData(UploadRecord.Unknown, true)]
    [InlineData(UploadRecord.Refused, false)]
    [InlineData(UploadRecord.NotSent, false)]
    public void Only_an_upload_Alipay_took_or_may_have_taken_blocks_the_batch(string state, bool blocks)
    {
        Assert.Equal(blocks, new UploadRecord { State = state }.Blocks);
    }

    [Theory]
    [InlineData("20261126-001.xls", "other-content")] // the same stem under another extension: Alipay's identity of the batch
    [InlineData("20261126-001.CSV", "other-content")] // case does not make another batch
    [InlineData("renamed.csv", "c1")]                 // the same payments under another name: paid twice
    public void The_same_batch_is_found_by_its_stem_or_its_content(string name, string content)
    {
        using var ledger = new NotificationLedger(Db);
        ledger.RecordUploadSent(Upload("20261126-001.csv"), new[] { "a" });
        Assert.Equal("20261126-001.csv", Assert.Single(ledger.FindUploads(name, content)).FileName);
        Assert.Empty(ledger.FindUploads("20261126-002.csv", "c2"));
    }

    [Fact]
    public void Rows_that_repeat_a_batch_without_a_result_are_found_and_forgotten_once_it_is_processed()
    {
        using var ledger = new NotificationLedger(Db);
        ledger.RecordUploadSent(Upload("a.csv"), new[] { "p1", "p2" });
        ledger.RecordUploadAnswer("a.csv", UploadRecord.Accepted, null, null, DateTime.UtcNow);
        ledger.RecordUploadSent(Upload("refused.csv", "c9"), new[] { "p3" });
        ledger.RecordUploadAnswer("refused.csv", UploadRecord.Refused, "MONEY_FORMAT_ERROR", null, DateTime.UtcNow);

        RepeatedPayment repeat = Assert.Single(ledger.FindRepeatedPayments("b.csv", new[] { "x", "p2", "p3" }));
        Assert.Equal((2, "a.csv", 2), (repeat.Row, repeat.OtherFile, repeat.OtherRow));
        Assert.Empty(ledger.FindRepeatedPayments("a.xls", new[] { "p1" })); // the batch itself, under its stem

        // The batch's result came: its payments are done, a new batch may pay the same people again.
        ParameterList p = TestCallbacks.Notification("n1", "a.csv");
        using var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        ledger.Register(new[] { v.Verify(p) });
        Assert.Empty(ledger.FindRepeatedPayments("b.csv", new[] { "p1", "p2" }));
    }

    [Fact]
    public void Batch_status_shows_a_batch_from_its_upload_on()
    {
        using var ledger = new NotificationLedger(Db);
        ledger.RecordUploadSent(Upload("a.csv", total: 12.34m), new[] { "p1", "p2" });
        ledger.RecordUploadAnswer("a.csv", UploadRecord.Accepted, null, null, new DateTime(2026, 11, 26, 8, 0, 1, DateTimeKind.Utc));
        BatchStatus s = Assert.Single(ledger.Status(null));
        Assert.Equal(("a.csv", "Accepted", 2, 12.34m), (s.FileName, s.Upload, s.Payments, s.Total));
        Assert.Null(s.Confirmed);
        Assert.Equal(new DateTime(2026, 11, 26, 8, 0, 0, DateTimeKind.Utc), s.Uploaded);
    }

    [Fact]
    public void A_ledger_of_schema_2_gains_the_upload_tables_and_keeps_its_callbacks()
    {
        ParameterList p = TestCallbacks.Notification("n1", "a.csv");
        using (var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8))
        using (var ledger = new NotificationLedger(Db))
        {
            ledger.Register(new[] { v.Verify(p) });
        }
        using (var c = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            c.Open();
            using SqliteCommand cmd = c.CreateCommand();
            cmd.CommandText = "DROP TABLE upload_row; DROP TABLE upload; PRAGMA user_version = 2;";
            cmd.ExecuteNonQuery();
        }
        using (var ledger = new NotificationLedger(Db))
        {
            ledger.RecordUploadSent(Upload("b.csv"), new[] { "p" });
            Assert.Equal(new[] { "a.csv", "b.csv" }, ledger.Status(null).Select(s => s.FileName).ToArray());
        }
        using var check = new SqliteConnection($"Data Source={Db};Pooling=False");
        check.Open();
        using SqliteCommand version = check.CreateCommand();
        version.CommandText = "PRAGMA user_version;";
        Assert.Equal(NotificationLedger.SchemaVersion, Convert.ToInt32(version.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
    }
}
