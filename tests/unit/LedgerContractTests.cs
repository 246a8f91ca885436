using System;
using System.Linq;
using AlipayBptb.Core.Ledger;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>
/// What every ledger store promises (issue 12: one suite, two stores): each notification once, claims that a run
/// gets past or leaves for the next, batch status, upload records, and refusing what is not a ledger. Each store's
/// test class opens its own empty ledger for each test.
/// </summary>
public abstract class LedgerContractTests
{
    private const string Md5Key = "k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";

    /// <summary>Opens (and unless read-only, creates or upgrades) this test's ledger.</summary>
    protected abstract ILedger Open(bool readOnly = false);

    /// <summary>Puts another application's table (customers) where this test's ledger would be.</summary>
    protected abstract void PutForeignTable();

    /// <summary>How many tables are where this test's ledger would be.</summary>
    protected abstract int TableCount();

    /// <summary>Writes the schema version this test's (existing) ledger says it has.</summary>
    protected abstract void SetSchemaVersion(int version);

    protected abstract int StoredSchemaVersion();

    /// <summary>The schema version this store writes.</summary>
    protected abstract int CurrentSchemaVersion { get; }

    /// <summary>Takes the tables of schema 3 (upload, upload_row) away and marks the ledger as schema 2.</summary>
    protected abstract void MakeSchema2();

    internal static NotificationResult Notification(string id, string file, NotificationVerifier? verifier = null)
    {
        ParameterList p = TestCallbacks.Notification(id, file);
        if (verifier != null)
        {
            return verifier.Verify(p);
        }
        using var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        NotificationResult r = v.Verify(p);
        Assert.True(r.IsValid, r.Reason);
        return r;
    }

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
    public void Another_applications_database_is_refused_and_left_untouched()
    {
        PutForeignTable();
        var ex = Assert.Throws<LedgerException>(() => Open());
        Assert.Equal(LedgerProblem.NotALedger, ex.Problem);
        Assert.Contains("customers", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, TableCount());
    }

    [Fact]
    public void A_ledger_from_a_newer_module_is_refused()
    {
        using (Open())
        {
        }
        SetSchemaVersion(CurrentSchemaVersion + 1);
        Assert.Equal(LedgerProblem.TooNew, Assert.Throws<LedgerException>(() => Open()).Problem);
        Assert.Equal(LedgerProblem.TooNew, Assert.Throws<LedgerException>(() => Open(readOnly: true)).Problem);
    }

    [Fact]
    public void Status_reads_a_ledger_opened_read_only()
    {
        using (ILedger ledger = Open())
        {
            ledger.Register(new[] { Notification("n1", "a.csv") });
            ledger.MarkPassed(1);
        }
        using ILedger readOnly = Open(readOnly: true);
        BatchStatus s = Assert.Single(readOnly.Status(null));
        Assert.Equal("a.csv", s.FileName);
        Assert.True(s.ResultNotified);
        Assert.Equal(1, s.Notifications);
    }

    [Fact]
    public void Each_notification_is_new_once_in_a_batch_across_batches_and_across_ledgers()
    {
        using ILedger ledger = Open();
        NotificationResult[] batch = { Notification("n1", "a.csv"), Notification("n1", "a.csv"), Notification("n2", "a.csv") };
        ledger.Register(batch);
        Assert.Equal(new bool?[] { false, true, false }, batch.Select(r => r.IsDuplicate).ToArray());
        // Both notifications say the same event (the batch was processed): it is new once.
        Assert.Equal(new bool?[] { true, false, false }, batch.Select(r => r.IsNewEvent).ToArray());
        Assert.Equal(batch[0].FirstSeen, batch[1].FirstSeen);
        ledger.MarkPassed(3);
        NotificationResult[] again = { Notification("n2", "a.csv"), Notification("n3", "b.csv") };
        Assert.Equal(5, ledger.Register(again)); // the run's results are numbered across its batches
        Assert.Equal(new bool?[] { true, false }, again.Select(r => r.IsDuplicate).ToArray());
        Assert.Equal(batch[2].FirstSeen, again[0].FirstSeen);
        ledger.MarkPassed(5);
        using ILedger other = Open();
        NotificationResult[] third = { Notification("n3", "b.csv") };
        other.Register(third);
        Assert.True(third[0].IsDuplicate);
        Assert.False(third[0].IsNewEvent);
        BatchStatus a = ledger.Status(new[] { "a.csv" }).Single();
        Assert.Equal((2, 0, true, true), (a.Notifications, a.Duplicates, a.ResultNotified, a.Confirmed == true));
        Assert.Equal(new DateTime(2026, 11, 26), a.PayDate);
    }

    [Fact]
    public void Verification_answers_are_kept_and_shown_in_the_status()
    {
        using ILedger ledger = Open();
        ledger.Register(new[] { Notification("n1", "a.csv") });
        Assert.Null(ledger.Status(null).Single().NotifyVerified);
        ledger.RecordVerification("n1", false, "false");
        Assert.False(ledger.Status(null).Single().NotifyVerified);
        ledger.RecordVerification("n1", true, "true");
        Assert.True(ledger.Status(null).Single().NotifyVerified);
        // Asked again later, Alipay answers false: the id expired once it was answered 'success' (spec 7.2 (12)).
        // What Alipay once confirmed stays confirmed.
        ledger.RecordVerification("n1", false, "false");
        Assert.True(ledger.Status(null).Single().NotifyVerified);
    }

    [Fact]
    public void A_stop_everything_code_stays_in_the_status_when_a_success_comes_after_it()
    {
        using ILedger ledger = Open();
        using var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        NotificationResult stop = v.Verify(TestCallbacks.Return("a.csv", false, "SYSTEM_ERROR"));
        NotificationResult confirmed = v.Verify(TestCallbacks.Return("a.csv", true, "USER_CONFIRM_SUCC"));
        Assert.True(stop.IsValid && confirmed.IsValid, stop.Reason ?? confirmed.Reason);
        ledger.Register(new[] { stop, confirmed });
        ledger.Register(new[] { Notification("n1", "b.csv") });
        BatchStatus a = ledger.Status(new[] { "a.csv" }).Single();
        Assert.Equal((true, "USER_CONFIRM_SUCC", "SYSTEM_ERROR"), (a.Confirmed == true, a.ResultCode, a.StopCode));
        Assert.Null(ledger.Status(new[] { "b.csv" }).Single().StopCode);
    }

    [Fact]
    public void A_notification_Alipay_denied_is_no_event_to_act_on_and_leaves_the_event_to_a_genuine_one()
    {
        using ILedger ledger = Open();
        NotificationResult denied = Notification("n1", "a.csv");
        denied.NotifyVerified = false; // the receiver asked notify_verify and Alipay answered false
        ledger.Register(new[] { denied });
        Assert.False(denied.IsNewEvent);
        Assert.False(denied.IsDuplicate);
        NotificationResult genuine = Notification("n2", "a.csv");
        genuine.NotifyVerified = true;
        ledger.Register(new[] { genuine });
        Assert.True(genuine.IsNewEvent);
    }

    [Fact]
    public void What_a_run_emitted_but_did_not_get_past_is_new_again_for_the_next_run_once_it_ended()
    {
        NotificationResult[] batch = { Notification("n1", "a.csv"), Notification("n2", "b.csv"), Notification("n3", "c.csv") };
        using (ILedger first = Open())
        {
            first.Register(batch);
            Assert.All(batch, r => Assert.True(r.IsNewEvent));
            first.MarkPassed(1); // the action threw on the second
        }
        NotificationResult[] rerun = { Notification("n1", "a.csv"), Notification("n2", "b.csv"), Notification("n3", "c.csv") };
        using (ILedger second = Open())
        {
            second.Register(rerun);
            Assert.Equal(new bool?[] { true, false, false }, rerun.Select(r => r.IsDuplicate).ToArray());
            Assert.Equal(new bool?[] { false, true, true }, rerun.Select(r => r.IsNewEvent).ToArray());
            // Still running, not past them: a third, concurrent run must not take them.
            NotificationResult[] concurrent = { Notification("n2", "b.csv") };
            using ILedger third = Open();
            third.Register(concurrent);
            Assert.True(concurrent[0].IsDuplicate);
            Assert.False(concurrent[0].IsNewEvent);
        }
    }

    [Fact]
    public void An_upload_is_unknown_from_the_moment_it_is_sent_until_its_answer_is_recorded()
    {
        using (ILedger ledger = Open())
        {
            ledger.RecordUploadSent(Upload("20261126-001.csv"), new[] { "a", "b" });
        }
        using (ILedger ledger = Open())
        {
            // A process killed here (between sending and the answer) leaves an upload to query, never one that looks unsent.
            UploadRecord found = Assert.Single(ledger.FindUploads("20261126-001.csv", "other"));
            Assert.Equal(UploadRecord.Unknown, found.State);
            Assert.Equal(new DateTime(2026, 11, 26, 8, 0, 0, DateTimeKind.Utc), found.Sent);
            ledger.RecordUploadAnswer("20261126-001.csv", UploadRecord.Accepted, null, "文件上传成功!", DateTime.UtcNow);
            found = Assert.Single(ledger.FindUploads("20261126-001.csv", "other"));
            Assert.Equal((UploadRecord.Accepted, "文件上传成功!", 0.02m), (found.State, found.Message, found.Total));
        }
    }

    [Theory]
    [InlineData("20261126-001.xls", "other-content")] // the same stem under another extension: Alipay's identity of the batch
    [InlineData("20261126-001.CSV", "other-content")] // case does not make another batch
    [InlineData("renamed.csv", "c1")]                 // the same payments under another name: paid twice
    public void The_same_batch_is_found_by_its_stem_or_its_content(string name, string content)
    {
        using ILedger ledger = Open();
        ledger.RecordUploadSent(Upload("20261126-001.csv"), new[] { "a" });
        Assert.Equal("20261126-001.csv", Assert.Single(ledger.FindUploads(name, content)).FileName);
        Assert.Empty(ledger.FindUploads("20261126-002.csv", "c2"));
    }

    [Fact]
    public void Rows_that_repeat_a_batch_without_a_result_are_found_and_forgotten_once_it_is_processed()
    {
        using ILedger ledger = Open();
        ledger.RecordUploadSent(Upload("a.csv"), new[] { "p1", "p2" });
        ledger.RecordUploadAnswer("a.csv", UploadRecord.Accepted, null, null, DateTime.UtcNow);
        ledger.RecordUploadSent(Upload("refused.csv", "c9"), new[] { "p3" });
        ledger.RecordUploadAnswer("refused.csv", UploadRecord.Refused, "MONEY_FORMAT_ERROR", null, DateTime.UtcNow);

        RepeatedPayment repeat = Assert.Single(ledger.FindRepeatedPayments("b.csv", new[] { "x", "p2", "p3" }));
        Assert.Equal((2, "a.csv", 2), (repeat.Row, repeat.OtherFile, repeat.OtherRow));
        Assert.Empty(ledger.FindRepeatedPayments("a.xls", new[] { "p1" })); // the batch itself, under its stem

        // The batch's result came: its payments are done, a new batch may pay the same people again.
        ledger.Register(new[] { Notification("n1", "a.csv") });
        Assert.Empty(ledger.FindRepeatedPayments("b.csv", new[] { "p1", "p2" }));
    }

    [Fact]
    public void A_file_sent_again_replaces_its_earlier_record()
    {
        using ILedger ledger = Open();
        ledger.RecordUploadSent(Upload("a.csv"), new[] { "p1", "p2" });
        ledger.RecordUploadAnswer("a.csv", UploadRecord.Refused, "MONEY_FORMAT_ERROR", null, DateTime.UtcNow);
        ledger.RecordUploadSent(Upload("a.csv", "c2"), new[] { "p3" });
        UploadRecord u = Assert.Single(ledger.FindUploads("a.csv", "none"));
        Assert.Equal((UploadRecord.Unknown, "c2", (string?)null), (u.State, u.ContentSha256, u.Code));
        ledger.RecordUploadAnswer("a.csv", UploadRecord.Accepted, null, null, DateTime.UtcNow);
        Assert.Empty(ledger.FindRepeatedPayments("b.csv", new[] { "p1", "p2" }));
        Assert.Equal(1, Assert.Single(ledger.FindRepeatedPayments("b.csv", new[] { "p3" })).Row);
    }

    [Fact]
    public void Batch_status_shows_a_batch_from_its_upload_on()
    {
        using ILedger ledger = Open();
        ledger.RecordUploadSent(Upload("a.csv", total: 12.34m), new[] { "p1", "p2" });
        ledger.RecordUploadAnswer("a.csv", UploadRecord.Accepted, null, null, new DateTime(2026, 11, 26, 8, 0, 1, DateTimeKind.Utc));
        BatchStatus s = Assert.Single(ledger.Status(null));
        Assert.Equal(("a.csv", "Accepted", 2, 12.34m), (s.FileName, s.Upload, s.Payments, s.Total));
        Assert.Null(s.Confirmed);
        Assert.Equal(new DateTime(2026, 11, 26, 8, 0, 0, DateTimeKind.Utc), s.Uploaded);
        Assert.Equal(new DateTime(2026, 11, 26, 8, 0, 1, DateTimeKind.Utc), s.LastSeen);
    }

    [Fact]
    public void A_ledger_of_schema_2_gains_the_upload_tables_and_keeps_its_callbacks()
    {
        using (ILedger ledger = Open())
        {
            ledger.Register(new[] { Notification("n1", "a.csv") });
        }
        MakeSchema2();
        using (ILedger ledger = Open())
        {
            ledger.RecordUploadSent(Upload("b.csv"), new[] { "p" });
            Assert.Equal(new[] { "a.csv", "b.csv" }, ledger.Status(null).Select(s => s.FileName).ToArray());
        }
        Assert.Equal(CurrentSchemaVersion, StoredSchemaVersion());
    }
}
