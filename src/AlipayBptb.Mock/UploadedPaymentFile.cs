using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using AlipayBptb.Core.PaymentFiles;

namespace AlipayBptb.Mock;

/// <summary>One payment line of an uploaded file, and whether it passes Alipay's checks (upload rules 4-1).</summary>
public sealed class PaymentDetail
{
    internal PaymentDetail(int line, PaymentRow? row, string? problem)
    {
        Line = line;
        Serial = row?.SerialNumber ?? string.Empty;
        Name = row?.AccountName ?? string.Empty;
        Account = row?.AccountNumber ?? string.Empty;
        Bank = row?.Bank ?? string.Empty;
        Province = row?.Province ?? string.Empty;
        City = row?.City ?? string.Empty;
        Branch = row?.Branch ?? string.Empty;
        AmountText = row == null ? string.Empty : row.Amount.ToString("0.00", CultureInfo.InvariantCulture);
        Flag = row == null ? string.Empty : ((int)row.Flag).ToString(CultureInfo.InvariantCulture);
        Remark = row?.Remark ?? string.Empty;
        Problem = problem;
    }

    public int Line { get; }
    public string Serial { get; }
    public string Name { get; }
    public string Account { get; }
    public string Bank { get; }
    public string Province { get; }
    public string City { get; }
    public string Branch { get; }
    public string AmountText { get; }
    public decimal Amount => decimal.TryParse(AmountText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal a) ? a : 0m;
    public string Flag { get; }
    public string Remark { get; }

    /// <summary>Why Alipay would fail this line, or null when it passes.</summary>
    public string? Problem { get; }

    public bool IsValid => Problem == null;
}

/// <summary>
/// An uploaded payment file in the companion spec's CSV format (GBK): a summary line (date, total amount,
/// total count, payer email), a header, then one line per payment.
/// </summary>
public sealed class UploadedPaymentFile
{
    private UploadedPaymentFile(string fileName, string date, decimal totalAmount, int totalCount, string email, List<PaymentDetail> details, string? problem)
    {
        FileName = fileName;
        Date = date;
        TotalAmount = totalAmount;
        TotalCount = totalCount;
        Email = email;
        Details = details;
        Problem = problem;
    }

    public string FileName { get; }
    public string Date { get; }
    public decimal TotalAmount { get; }
    public int TotalCount { get; }

    /// <summary>The payer account that uploaded the file: the summary line's 支付宝账号, unless it was uploaded as another account.</summary>
    public string Email { get; private set; }

    /// <summary>When it was uploaded (UTC): the confirm rules count from here (rules 4-1: at least 5 minutes, at most 15 days).</summary>
    public DateTime UploadedAt { get; private set; }

    /// <summary>A copy as uploaded: by <paramref name="payer"/>, at <paramref name="uploadedAt"/>.</summary>
    internal UploadedPaymentFile AsUploaded(string payer, DateTime uploadedAt)
    {
        var copy = (UploadedPaymentFile)MemberwiseClone();
        copy.Email = payer;
        copy.UploadedAt = uploadedAt;
        return copy;
    }

    public IReadOnlyList<PaymentDetail> Details { get; }

    /// <summary>A problem that fails the whole file (totals, date), or null.</summary>
    public string? Problem { get; }

    /// <summary>
    /// Reads a payment file (.csv, .xls or .zip) with the core's checker, the one reading of the spec's rules: what
    /// fails the whole file (<see cref="Problem"/>), and each payment line with what fails it (<see cref="PaymentDetail.Problem"/>).
    /// A file that cannot be read as a payment file at all throws <see cref="FormatException"/>.
    /// </summary>
    public static UploadedPaymentFile Parse(string fileName, byte[] content) => From(PaymentFileChecker.Check(fileName, content));

    /// <summary>The uploaded file as the checker read it; see <see cref="Parse"/>.</summary>
    public static UploadedPaymentFile From(PaymentFileReport report)
    {
        PaymentFileProblem? unreadable = report.Problems.FirstOrDefault(p => p.Code is "NOT_GBK" or "SHEET1_IS_NULL" or "FILE_TYPE_ERROR"
            or "ZIP_INFILE_NULL" or "FILE_ZIP_LIMIT" or "UPLOAD_FILE_NULL");
        if (unreadable != null)
        {
            throw new FormatException($"The payment file '{report.FileName}' cannot be read: {unreadable.Message}");
        }
        var details = new List<PaymentDetail>();
        var rows = report.Rows.ToDictionary(r => r.Row);
        IEnumerable<int> lines = report.Rows.Select(r => r.Row)
            .Concat(report.Problems.Where(p => p.Row > SummaryRows).Select(p => p.Row!.Value))
            .Distinct().OrderBy(l => l);
        foreach (int line in lines)
        {
            string? problem = string.Join("; ", report.Problems.Where(p => p.Row == line).Select(p => p.Message));
            details.Add(new PaymentDetail(line, rows.TryGetValue(line, out PaymentRow? row) ? row : null, problem.Length == 0 ? null : problem));
        }
        // What fails the whole file: its summary rows, and totals that do not add up.
        string? fileProblem = report.Problems
            .Where(p => p.Row == null || p.Row <= SummaryRows || p.Code is "TOTAL_MISMATCH" or "COUNT_MISMATCH" or "FREEZE_DETAIL_LIMIT")
            .Select(p => p.Message).FirstOrDefault();
        return new UploadedPaymentFile(report.FileName, report.Date?.ToString("yyyyMMdd", CultureInfo.InvariantCulture) ?? string.Empty,
            report.Total ?? 0m, report.Count ?? 0, report.Email ?? string.Empty, details, fileProblem);
    }

    // Rows 1 to 3: the summary header, the summary, the detail header (spec 4.3).
    private const int SummaryRows = 3;

    /// <summary>True when every payment line (or the file itself) fails: Alipay answers DETAIL_VALIDATED_FAIL.</summary>
    public bool AllDetailsFail => Problem != null || Details.Count == 0 || !HasValidDetail();

    /// <summary>The sum of the payments that pass the checks: what confirming would pay.</summary>
    public decimal PayableAmount
    {
        get
        {
            decimal sum = 0m;
            foreach (PaymentDetail d in Details)
            {
                if (d.IsValid)
                {
                    sum += d.Amount;
                }
            }
            return sum;
        }
    }

    private bool HasValidDetail()
    {
        foreach (PaymentDetail d in Details)
        {
            if (d.IsValid)
            {
                return true;
            }
        }
        return false;
    }

    public override string ToString() => FileName;
}
