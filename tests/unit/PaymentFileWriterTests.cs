using System;
using System.Collections.Generic;
using System.Linq;
using AlipayBptb.Core.PaymentFiles;
using AlipayBptb.Core.Signing;
using Xunit;
using static AlipayBptb.Tests.PaymentFileTestData;

namespace AlipayBptb.Tests;

public sealed class PaymentFileWriterTests
{
    private static readonly DateTime SampleDate = new(2011, 11, 23);

    [Fact]
    public void The_sample_rows_are_written_byte_for_byte_as_the_official_sample()
    {
        byte[] sample = System.IO.File.ReadAllBytes(Vectors.Path_("sample-payment-file-gbk.csv"));
        Assert.Equal(sample, PaymentFileWriter.Write(SampleDate, "123@abc.com", SampleRows()));
    }

    [Fact]
    public void The_sample_read_and_written_again_is_the_same_bytes()
    {
        byte[] sample = System.IO.File.ReadAllBytes(Vectors.Path_("sample-payment-file-gbk.csv"));
        PaymentFileReport r = PaymentFileChecker.Check("s.csv", sample);
        Assert.Equal(sample, PaymentFileWriter.Write(r.Date!.Value, r.Email!, r.Rows));
    }

    [Fact]
    public void A_GBK_character_outside_GB2312_round_trips()
    {
        var rows = new[] { Row(name: "朱镕基", remark: "镕") };
        byte[] file = PaymentFileWriter.Write(SampleDate, "123@abc.com", rows);
        Assert.Throws<CharsetException>(() => BptbCharset.Get("gb2312").GetBytes("镕")); // the point of the test: GBK, not GB2312
        PaymentFileReport r = PaymentFileChecker.Check("a.csv", file);
        Valid(r);
        Assert.Equal(("朱镕基", "镕"), (r.Rows[0].AccountName, r.Rows[0].Remark));
        Assert.Equal(Gbk.GetBytes("朱镕基"), BptbCharset.Get("gbk").GetBytes(r.Rows[0].AccountName));
    }

    [Fact]
    public void Total_and_count_are_computed_from_the_rows()
    {
        var rows = new[] { Row(amount: 1.5m), Row(amount: 2.25m), Row(amount: 100m) };
        PaymentFileReport r = PaymentFileChecker.Check("a.csv", PaymentFileWriter.Write(SampleDate, "123@abc.com", rows));
        Valid(r);
        Assert.Equal((103.75m, 3), (r.Total, r.Count));
        Assert.Contains("20111123,103.75,3,123@abc.com,,,,,,\r\n", Gbk.GetString(PaymentFileWriter.Write(SampleDate, "123@abc.com", rows)), StringComparison.Ordinal);
    }

    public static IEnumerable<object[]> Unwritable() => new[]
    {
        new object[] { Row(remark: "谢谢😀"), "备注" },
        new object[] { Row(name: "王,建斌"), "收款银行户名" },
        new object[] { Row(branch: "a\"b"), "收款支行名称" },
        new object[] { Row(city: "杭州\r\n市"), "收款银行所在市" },
        new object[] { Row(province: "浙\u202E江"), "收款银行所在省份" },
        new object[] { Row(amount: 0.001m), "金额" },
        new object[] { Row(amount: 0m), "金额" },
        new object[] { Row(amount: -5m), "金额" },
        new object[] { Row(flag: (AccountFlag)3), "对公对私标志" },
        new object[] { Row(serial: new string('1', 23)), "商户流水号" },
        new object[] { Row(name: "王 建斌"), "收款银行户名" },
        new object[] { Row(name: ""), "收款银行户名" },
        new object[] { Row(account: "6225-1234"), "收款银行账号" },
        new object[] { Row(bank: ""), "收款卡户银行" },
        new object[] { Row(remark: "a^b"), "备注" },
    };

    [Theory]
    [MemberData(nameof(Unwritable))]
    public void A_value_that_cannot_be_written_is_refused_naming_input_row_and_field(PaymentRow bad, string field)
    {
        var ex = Assert.Throws<PaymentFileWriteException>(() => PaymentFileWriter.Write(SampleDate, "123@abc.com", new[] { Row(), bad, Row() }));
        Assert.Equal((2, field), (ex.InputRow, ex.Field));
        Assert.Contains("Input row 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains(field, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_emoji_is_named_by_code_point()
    {
        var ex = Assert.Throws<PaymentFileWriteException>(() => PaymentFileWriter.Write(SampleDate, "123@abc.com", new[] { Row(remark: "谢谢😀") }));
        Assert.Contains("U+1F600", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_summary_is_input_row_0()
    {
        Assert.Equal((0, "支付宝账号(Email)"), Fields(() => PaymentFileWriter.Write(SampleDate, "not an email", new[] { Row() })));
        Assert.Equal((0, "总笔数"), Fields(() => PaymentFileWriter.Write(SampleDate, "123@abc.com", Array.Empty<PaymentRow>())));
        Assert.Equal((0, "总笔数"), Fields(() => PaymentFileWriter.Write(SampleDate, "123@abc.com", Enumerable.Range(0, 3001).Select(_ => Row()).ToArray())));
    }

    [Fact]
    public void A_hyphen_is_written_for_the_Agricultural_Bank()
        => Valid(PaymentFileChecker.Check("a.csv", PaymentFileWriter.Write(SampleDate, "13800138000", new[] { Row(account: "6228-4800", bank: "中国农业银行") })));

    [Fact]
    public void Whatever_the_writer_writes_the_checker_passes()
    {
        var rng = new Random(11);
        string[] banks = T0Banks.Names.ToArray();
        PaymentRow[] rows = Enumerable.Range(1, 3000).Select(i => Row(
            serial: i.ToString(System.Globalization.CultureInfo.InvariantCulture),
            bank: banks[rng.Next(banks.Length)],
            amount: rng.Next(1, 10_000_000) / 100m,
            flag: rng.Next(2) == 0 ? AccountFlag.Corporate : AccountFlag.Personal)).ToArray();
        PaymentFileReport r = PaymentFileChecker.Check("big.csv", PaymentFileWriter.Write(SampleDate, "123@abc.com", rows));
        Valid(r);
        Assert.Equal(rows.Select(x => (x.SerialNumber, x.Bank, x.Amount, x.Flag)), r.Rows.Select(x => (x.SerialNumber, x.Bank, x.Amount, x.Flag)));
        Assert.Equal(Enumerable.Range(4, 3000), r.Rows.Select(x => x.Row));
    }

    private static (int, string) Fields(Action write)
    {
        var ex = Assert.Throws<PaymentFileWriteException>(write);
        return (ex.InputRow, ex.Field);
    }

    internal static PaymentRow Row(string serial = "1", string name = "王建斌", string account = "6225885719900000", string bank = "招商银行",
        string province = "浙江省", string city = "杭州市", string branch = "招商银行浙江支行", decimal amount = 0.01m, AccountFlag flag = AccountFlag.Personal, string remark = "测试")
        => new()
        {
            SerialNumber = serial,
            AccountName = name,
            AccountNumber = account,
            Bank = bank,
            Province = province,
            City = city,
            Branch = branch,
            Amount = amount,
            Flag = flag,
            Remark = remark,
        };
}
