using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Ledger;
using AlipayBptb.Core.PaymentFiles;

namespace AlipayBptb.Core.Batches;

/// <summary>
/// The ledger's guard around an upload (pay_file_confirm rules 4-1): Alipay pays a batch uploaded twice under two names
/// twice, and the merchant bears the loss. So before a file is sent the ledger is asked whether its name (without the
/// extension) or its content went out before, and which of its payments repeat a batch that has no result yet; the
/// upload is recorded as sent before the first byte leaves, and its answer after.
/// </summary>
public static class BatchUploads
{
    /// <summary>What identifies a payment across files: the account, its holder and the amount.</summary>
    public static string PayeeKey(PaymentRow row) =>
        row.AccountNumber + "\u001f" + row.AccountName + "\u001f" + row.Amount.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>SHA-256 of the file's bytes, lowercase hex.</summary>
    public static string ContentSha256(byte[] content)
    {
#if NET
        byte[] hash = SHA256.HashData(content);
#else
        using var sha = SHA256.Create();
        byte[] hash = sha.ComputeHash(content);
#endif
        return string.Concat(hash.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// The earlier upload that stops this one: the same stem or content, accepted or of unknown outcome (a refused
    /// upload, or one that never left, stops nothing: Alipay did not take it). Null when there is none.
    /// </summary>
    public static UploadRecord? Blocking(ILedger ledger, string fileName, byte[] content) =>
        ledger.FindUploads(fileName, ContentSha256(content)).FirstOrDefault(u => u.Blocks);

    /// <summary>The payments of <paramref name="report"/> that a batch without a result yet pays too.</summary>
    public static IReadOnlyList<RepeatedPayment> Repeats(ILedger ledger, PaymentFileReport report) =>
        ledger.FindRepeatedPayments(report.FileName, report.Rows.Select(PayeeKey).ToList());

    /// <summary>Records the upload as sent (state Unknown until <see cref="RecordAnswer"/>), before it is sent.</summary>
    public static void RecordSent(ILedger ledger, PaymentFileUploadRequest request, PaymentFileReport report)
    {
        ledger.RecordUploadSent(new UploadRecord
        {
            FileName = request.FileName,
            ContentSha256 = ContentSha256(report.Content),
            Digest = request.Digest,
            DigestType = request.DigestType.ToString(),
            Rows = report.Rows.Count,
            Total = report.Total ?? report.Rows.Sum(r => r.Amount),
            Email = report.Email,
            Sent = DateTime.UtcNow,
        }, report.Rows.Select(PayeeKey).ToList());
    }

    /// <summary>Records that an upload recorded as sent never left: no connection could be made.</summary>
    public static void RecordNotSent(ILedger ledger, string fileName, string reason) =>
        ledger.RecordUploadAnswer(fileName, UploadRecord.NotSent, null, reason, DateTime.UtcNow);

    /// <summary>Records Alipay's answer (or that it is unknown).</summary>
    public static void RecordAnswer(ILedger ledger, PaymentFileUploadResult result) =>
        ledger.RecordUploadAnswer(result.FileName, result.State.ToString(), result.Code, result.Message, DateTime.UtcNow);
}
