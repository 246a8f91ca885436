using System;
using System.Globalization;
using System.Linq;

namespace AlipayBptb.Core.Ledger;

/// <summary>One payment file's state, as the ledger knows it (spec 5, 6 and 7.4).</summary>
public sealed class BatchStatus
{
    public string FileName { get; internal set; } = string.Empty;

    /// <summary>How the upload ended (Accepted, Refused, Unknown: sent and not answered, query it); null when it was not sent through this ledger.</summary>
    public string? Upload { get; internal set; }

    /// <summary>The upload's error code when it was refused or its state is unknown.</summary>
    public string? UploadCode { get; internal set; }

    /// <summary>When the file was sent (UTC), or null.</summary>
    public DateTime? Uploaded { get; internal set; }

    /// <summary>The number of payments in the uploaded file, or null.</summary>
    public int? Payments { get; internal set; }

    /// <summary>The uploaded file's total (yuan), or null.</summary>
    public decimal? Total { get; internal set; }

    /// <summary>
    /// True once anything says the batch was confirmed (a T return, USER_CONFIRM_SUCC, or any notification,
    /// which comes only after confirmation); false when only failed returns came; null when nothing came.
    /// A success is never undone by an earlier or a replayed failure.
    /// </summary>
    public bool? Confirmed { get; internal set; }

    /// <summary>result_code of the return that decided <see cref="Confirmed"/>: the success, else the latest failure (null when only a notification confirmed).</summary>
    public string? ResultCode { get; internal set; }

    /// <summary>
    /// A stop-everything code of rules 3-1 (UNKNOWN_EXCEPTION, GENERIC_FAILURE, SYSTEM_ERROR) that the batch's upload
    /// or any of its returns ever got, whatever came after it: a later success does not make it safe to go on
    /// without the checks the rules ask for. Null when none came.
    /// </summary>
    public string? StopCode { get; internal set; }

    /// <summary>
    /// The SQL list of the stop-everything codes, for the stores' status queries: <c>'GENERIC_FAILURE', …</c>. From
    /// the one table of codes, so a code added there is found here.
    /// </summary>
    internal static readonly string StopCodesSql = string.Join(", ",
        Rules.ErrorCode.All.Where(e => e.StopAll).Select(e => "'" + e.Code + "'").OrderBy(c => c, StringComparer.Ordinal));

    /// <summary>True when a bptb_result_notify came: the batch was processed.</summary>
    public bool ResultNotified { get; internal set; }

    /// <summary>pay_date of the result notification.</summary>
    public DateTime? PayDate { get; internal set; }

    /// <summary>True when a bptb_unfreeze_notify came: the balance was short.</summary>
    public bool BalanceShort { get; internal set; }

    /// <summary>Balance short and no result notification since: the batch waits for money.</summary>
    public bool Waiting => BalanceShort && !ResultNotified;

    /// <summary>True when notify_verify answered true for one of its notifications, false when only otherwise, null when never asked.</summary>
    public bool? NotifyVerified { get; internal set; }

    public int Notifications { get; internal set; }

    public int Duplicates { get; internal set; }

    public int Invalid { get; internal set; }

    public DateTime FirstSeen { get; internal set; }

    public DateTime LastSeen { get; internal set; }

    /// <summary>
    /// A batch's state from what a ledger holds about it, by the same rules on every store: whether any return said
    /// confirmed (<paramref name="returnConfirmed"/>, null when no return came) and the code of the return that decides,
    /// and how many notifications of each kind came.
    /// </summary>
    internal static BatchStatus Decide(string fileName, bool? returnConfirmed, string? returnCode, long notifications,
        long resultNotices, string? payDate, long unfreezeNotices, bool? notifyVerified)
    {
        // A notification comes only for a confirmed batch (spec 7.3): it confirms, whatever a return said.
        bool? confirmed = returnConfirmed == true || notifications > 0 ? true : returnConfirmed;
        return new BatchStatus
        {
            FileName = fileName,
            Confirmed = confirmed,
            // The code of the return that decided, never a failure's next to a confirmation.
            ResultCode = confirmed == true && returnConfirmed != true ? null : returnCode,
            ResultNotified = resultNotices > 0,
            PayDate = payDate != null && DateTime.TryParseExact(payDate, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTime d) ? d : null,
            BalanceShort = unfreezeNotices > 0,
            NotifyVerified = notifyVerified,
            Notifications = (int)notifications,
        };
    }
}
