using System;
using System.Collections.Generic;
using System.Globalization;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Mock;

/// <summary>One payment line of an uploaded file, and whether it passes Alipay's checks (upload rules 4-1).</summary>
public sealed class PaymentDetail
{
    internal PaymentDetail(int line, string[] f)
    {
        Line = line;
        Serial = Field(f, 0);
        Name = Field(f, 1);
        Account = Field(f, 2);
        Bank = Field(f, 3);
        Province = Field(f, 4);
        City = Field(f, 5);
        Branch = Field(f, 6);
        AmountText = Field(f, 7);
        Flag = Field(f, 8);
        Remark = Field(f, 9);
        Problem = Check();
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

    private static string Field(string[] f, int i) => i < f.Length ? f[i].Trim() : string.Empty;

    private string? Check()
    {
        if (Serial.Length > 22)
        {
            return "商户流水号 longer than 22 characters";
        }
        if (Name.Length == 0 || Name.IndexOf(' ') >= 0)
        {
            return "收款银行户名 empty or with spaces";
        }
        if (Account.Length == 0 || Account.Length > 30)
        {
            return "收款银行账号 empty or longer than 30";
        }
        foreach (char c in Account)
        {
            if (!(c >= '0' && c <= '9') && c != '-')
            {
                return "收款银行账号 not digits";
            }
        }
        if (Bank.Length == 0)
        {
            return "收款开户银行 empty";
        }
        int dot = AmountText.IndexOf('.');
        if (Amount <= 0m || (dot >= 0 && AmountText.Length - dot - 1 > 2))
        {
            return "金额 not a positive amount in yuan with at most 2 decimals";
        }
        if (Flag != "1" && Flag != "2")
        {
            return "对公对私标志 not 1 or 2";
        }
        if (Remark.IndexOf('^') >= 0)
        {
            return "备注 contains '^'";
        }
        return null;
    }
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

    /// <summary>Reads a payment file's bytes (GBK, as the upload rules require).</summary>
    public static UploadedPaymentFile Parse(string fileName, byte[] content)
    {
        string text;
        try
        {
            text = BptbCharset.Get("gbk").GetString(content, 0, content.Length);
        }
        catch (CharsetException ex)
        {
            throw new FormatException($"The payment file '{fileName}' is not GBK text (upload rules 4-1 require GBK): {ex.Message}");
        }
        string[] lines = text.Replace("\r\n", "\n").Split('\n');
        if (lines.Length < 3)
        {
            throw new FormatException($"The payment file '{fileName}' has no summary and header lines.");
        }
        string[] summary = lines[1].Split(',');
        string date = summary[0].Trim();
        decimal.TryParse(summary.Length > 1 ? summary[1].Trim() : string.Empty, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal total);
        int.TryParse(summary.Length > 2 ? summary[2].Trim() : string.Empty, NumberStyles.None, CultureInfo.InvariantCulture, out int count);
        string email = summary.Length > 3 ? summary[3].Trim() : string.Empty;
        var details = new List<PaymentDetail>();
        for (int i = 3; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length > 0)
            {
                details.Add(new PaymentDetail(i + 1, lines[i].Split(',')));
            }
        }
        string? problem = null;
        decimal sum = 0m;
        foreach (PaymentDetail d in details)
        {
            sum += d.Amount;
        }
        if (!DateTime.TryParseExact(date, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            problem = $"日期 '{date}' is not a yyyyMMdd date";
        }
        else if (count != details.Count)
        {
            problem = $"总笔数 {count} differs from the {details.Count} payment lines";
        }
        else if (total != sum)
        {
            problem = $"总金额 {total} differs from the sum of the payments, {sum}";
        }
        else if (details.Count > 3000)
        {
            problem = "more than 3000 payments in one batch";
        }
        return new UploadedPaymentFile(fileName, date, total, count, email, details, problem);
    }

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
