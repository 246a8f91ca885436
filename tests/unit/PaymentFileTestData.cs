using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using AlipayBptb.Core.PaymentFiles;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>Payment files made by the tests, laid out as the official sample (spec 4.3), and assertions over reports.</summary>
internal static class PaymentFileTestData
{
    public const string Crlf = "\r\n";
    public const string Header1 = "日期,总金额,总笔数,支付宝账号(Email),,,,,,";
    public const string Header3 = "商户流水号,收款银行户名,收款银行账号,收款卡户银行,收款银行所在省份,收款银行所在市,收款支行名称,金额,对公对私标志,备注";

    static PaymentFileTestData() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public static Encoding Gbk => Encoding.GetEncoding(936);

    public static string Detail(string serial = "1", string name = "王建斌", string account = "6225885719900000", string bank = "招商银行",
        string province = "浙江省", string city = "杭州市", string branch = "招商银行浙江支行", string amount = "0.01", string flag = "2", string remark = "测试")
        => string.Join(",", serial, name, account, bank, province, city, branch, amount, flag, remark);

    public static string Summary(string date = "20111123", string total = "0.01", string count = "1", string email = "123@abc.com")
        => $"{date},{total},{count},{email},,,,,,";

    public static string Text(string summary, params string[] details)
        => Header1 + Crlf + summary + Crlf + Header3 + Crlf + string.Concat(details.Select(d => d + Crlf));

    public static byte[] File(string summary, params string[] details) => Gbk.GetBytes(Text(summary, details));

    /// <summary>A file whose summary agrees with its details.</summary>
    public static byte[] Good(params string[] details)
    {
        decimal sum = details.Sum(d => decimal.Parse(d.Split(',')[7], CultureInfo.InvariantCulture));
        return File(Summary(total: sum.ToString("0.00", CultureInfo.InvariantCulture), count: details.Length.ToString(CultureInfo.InvariantCulture)), details);
    }

    public static string Many(int n) => string.Join(Crlf, Enumerable.Range(1, n).Select(i => Detail(serial: i.ToString(CultureInfo.InvariantCulture))));

    public static byte[] Rows(int n)
    {
        string[] details = Enumerable.Range(1, n).Select(i => Detail(serial: i.ToString(CultureInfo.InvariantCulture), amount: "1.25")).ToArray();
        return File(Summary(total: (1.25m * n).ToString("0.00", CultureInfo.InvariantCulture), count: n.ToString(CultureInfo.InvariantCulture)), details);
    }

    public static string Describe(PaymentFileReport report)
        => report.Problems.Count == 0 ? "(no problems)" : string.Join("\n", report.Problems.Select(p => $"[{p.Row}|{p.Column}|{p.Code}] {p.Message}"));

    public static void Valid(PaymentFileReport report) => Assert.True(report.IsValid, Describe(report));

    /// <summary>Exactly one problem, at this row and column, with this code; its message names the row.</summary>
    public static PaymentFileProblem Only(PaymentFileReport report, int? row, string? column, string code)
    {
        Assert.True(report.Problems.Count == 1 && report.Problems[0].Row == row && report.Problems[0].Column == column && report.Problems[0].Code == code,
            $"expected only [{row}|{column}|{code}], got:\n{Describe(report)}");
        PaymentFileProblem p = report.Problems[0];
        Assert.DoesNotContain("\n", p.Message);
        if (row != null)
        {
            Assert.Contains($"Row {row}", p.Message);
        }
        if (column != null)
        {
            Assert.Contains(column, p.Message);
        }
        return p;
    }

    public static void Has(PaymentFileReport report, int? row, string? column, string code)
        => Assert.True(report.Problems.Any(p => p.Row == row && p.Column == column && p.Code == code), $"expected [{row}|{column}|{code}] among:\n{Describe(report)}");

    public static IReadOnlyList<PaymentRow> SampleRows() => new[]
    {
        new PaymentRow { SerialNumber = "1", AccountName = "王建斌", AccountNumber = "6225885719900000", Bank = "招商银行", Province = "浙江省", City = "杭州市", Branch = "招商银行浙江支行", Amount = 0.01m, Flag = AccountFlag.Personal, Remark = "测试" },
        new PaymentRow { SerialNumber = "2", AccountName = "王建斌", AccountNumber = "6225885719900000", Bank = "中国工商银行", Province = "浙江省", City = "杭州市", Branch = "中国工商银行浙江支行", Amount = 0.01m, Flag = AccountFlag.Personal, Remark = "测试" },
    };
}
