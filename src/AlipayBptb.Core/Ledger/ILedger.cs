using System;
using System.Collections.Generic;
using AlipayBptb.Core.Notifications;

namespace AlipayBptb.Core.Ledger;

/// <summary>
/// The idempotency ledger, whichever store keeps it (an SQLite file, or a PostgreSQL database shared by several
/// hosts): each notification once, each batch event once, a result handled only once the pipeline got past it,
/// and the uploads that guard a batch against being sent twice. Every store keeps every promise; the tests run
/// the same suite on each.
/// </summary>
public interface ILedger : IDisposable
{
    /// <summary>Where the ledger is, for messages: a file path, or a PostgreSQL URL without any password.</summary>
    string Location { get; }

    /// <summary>
    /// Records a batch in one transaction and marks each result: <c>IsDuplicate</c>, <c>IsNewEvent</c>, <c>FirstSeen</c>.
    /// Results marked new are claimed by this run until <see cref="MarkPassed"/> reports them handled. The run numbers
    /// its results 1, 2, 3... in the order registered; returns the number of the batch's last result.
    /// </summary>
    long Register(IReadOnlyList<NotificationResult> batch);

    /// <summary>
    /// Marks this run's results up to number <paramref name="through"/> (see <see cref="Register"/>) as handled: no later
    /// run emits them as new again. A number below one already marked changes nothing.
    /// </summary>
    void MarkPassed(long through);

    /// <summary>
    /// Tells runs on other hosts that this run is still alive. Another host's run counts as dead, and its claims as
    /// abandoned, when it has not written for 10 minutes; a run whose actions take longer than that between two
    /// batches must beat meanwhile, or a second reconciliation elsewhere would act on the same results.
    /// </summary>
    void Heartbeat();

    /// <summary>Keeps notify_verify's answer for a notify id; once Alipay answered true, a later false does not undo it.</summary>
    void RecordVerification(string notifyId, bool verified, string response);

    /// <summary>Each payment file's state, from upload to result (all files when <paramref name="fileNames"/> is null).</summary>
    IEnumerable<BatchStatus> Status(ICollection<string>? fileNames);

    /// <summary>Earlier uploads with the same stem (name without extension) or the same content, newest first.</summary>
    IReadOnlyList<UploadRecord> FindUploads(string fileName, string contentSha256);

    /// <summary>Records an upload as sent, answer unknown, with its payees, before the first byte leaves.</summary>
    void RecordUploadSent(UploadRecord upload, IReadOnlyList<string> payees);

    /// <summary>Records the answer to an upload recorded by <see cref="RecordUploadSent"/>.</summary>
    void RecordUploadAnswer(string fileName, string state, string? code, string? message, DateTime answered);

    /// <summary>The payees that a batch other than <paramref name="fileName"/>, without a result yet, also pays.</summary>
    IReadOnlyList<RepeatedPayment> FindRepeatedPayments(string fileName, IReadOnlyList<string> payees);

    /// <summary>True when nothing was ever recorded in the ledger.</summary>
    bool IsEmpty { get; }

    /// <summary>Every table, in <see cref="LedgerTable.Names"/> order, read as enumerated (for Copy-BptbLedger).</summary>
    IEnumerable<LedgerTable> Export();

    /// <summary>
    /// Writes exported tables into this ledger in one transaction; with <paramref name="replace"/>, what it held is
    /// deleted first. Rows are written as they are read.
    /// </summary>
    void Import(IEnumerable<LedgerTable> tables, bool replace);
}
