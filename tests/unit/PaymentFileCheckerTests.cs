using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using AlipayBptb.Core.PaymentFiles;
using Xunit;
using static AlipayBptb.Tests.PaymentFileTestData;

namespace AlipayBptb.Tests;

public sealed class PaymentFileCheckerTests
{
    private static PaymentFileReport Check(byte[] content, string name = "BPTB_20111123_0001.csv", string? email = null, BusinessType type = BusinessType.T1)
        => PaymentFileChecker.Check(name, content, email, type);

    [Fact]
    public void The_official_sample_passes_and_reads_as_written()
    {
        byte[] sample = System.IO.File.ReadAllBytes(Vectors.Path_("sample-payment-file-gbk.csv"));
        PaymentFileReport r = Check(sample, "sample-payment-file-gbk.csv", "123@abc.com");
        Valid(r);
        Assert.Same(sample, r.Content);
        Assert.Equal(new DateTime(2011, 11, 23), r.Date);
        Assert.Equal(0.02m, r.Total);
        Assert.Equal(2, r.Count);
        Assert.Equal("123@abc.com", r.Email);
        Assert.Equal(2, r.Rows.Count);
        PaymentRow first = r.Rows[0];
        Assert.Equal((4, "1", "王建斌", "6225885719900000", "招商银行", "浙江省", "杭州市", "招商银行浙江支行", 0.01m, AccountFlag.Personal, "测试"),
            (first.Row, first.SerialNumber, first.AccountName, first.AccountNumber, first.Bank, first.Province, first.City, first.Branch, first.Amount, first.Flag, first.Remark));
        Assert.Equal((5, "中国工商银行"), (r.Rows[1].Row, r.Rows[1].Bank));
    }

    [Fact]
    public void The_sample_passes_as_T0_its_banks_take_same_day_payments_to_persons()
        => Valid(Check(System.IO.File.ReadAllBytes(Vectors.Path_("sample-payment-file-gbk.csv")), type: BusinessType.T0));

    [Theory]
    [InlineData("a.txt", "FILE_TYPE_ERROR")]
    [InlineData("a.xlsx", "FILE_TYPE_ERROR")]
    [InlineData("csv", "FILE_TYPE_ERROR")]
    [InlineData("", "FILE_NAME_NULL")]
    [InlineData(" a.csv", "FILE_NAME_C")]
    [InlineData("dir/a.csv", "FILE_NAME_C")]
    public void A_file_name_Alipay_refuses_is_reported(string name, string code)
        => Only(Check(Good(Detail()), name), null, null, code);

    // Found by fuzzing (build.ps1 fuzz -Fuzz paymentfile): the check passed a NUL or a DEL inside a name, which the
    // writer refuses; a name a person reads would not be the name paid.
    [Theory]
    [InlineData("王\u0000斌")]
    [InlineData("王\u007F斌")]
    [InlineData("王\u0004斌")]
    [InlineData("王\u001B斌")]
    public void A_hidden_character_in_a_payment_is_reported(string escaped)
    {
        string name = System.Text.RegularExpressions.Regex.Unescape(escaped);
        Only(Check(Good(Detail(name: name))), 4, "收款银行户名", "HIDDEN_CHARACTER");
    }

    [Fact]
    public void The_file_name_takes_at_most_100_characters()
    {
        Valid(Check(Good(Detail()), new string('a', 96) + ".csv"));
        Only(Check(Good(Detail()), new string('a', 97) + ".CSV"), null, null, "FILE_NAME_TO_LONG");
    }

    [Fact]
    public void An_upper_case_extension_is_accepted() => Valid(Check(Good(Detail()), "A.CSV"));

    [Theory]
    [InlineData("2011-11-23")]
    [InlineData("20111331")]
    [InlineData("2011112")]
    [InlineData("")]
    [InlineData("２０１１１１２３")]
    [InlineData("00111123")] // the year 11: found by the fuzzer, where the writer refused what the check passed
    public void Row_2_date_must_be_yyyyMMdd(string date)
        => Only(Check(File(Summary(date: date), Detail())), 2, "日期", "REQUEST_PARAMS_ERROR");

    [Theory]
    [InlineData("0.001")]
    [InlineData("0")]
    [InlineData("0.00")]
    [InlineData("-0.01")]
    [InlineData("０.01")]
    [InlineData(".01")]
    [InlineData("1.")]
    [InlineData("")]
    [InlineData(" 0.01")]
    [InlineData("¥0.01")]
    public void Row_2_total_must_be_half_width_positive_with_two_decimals_at_most(string total)
        => Only(Check(File(Summary(total: total), Detail())), 2, "总金额", "MONEY_FORMAT_ERROR");

    [Theory]
    [InlineData("0")]
    [InlineData("1.0")]
    [InlineData("-1")]
    [InlineData("")]
    [InlineData("一")]
    public void Row_2_count_must_be_a_positive_integer(string count)
        => Only(Check(File(Summary(count: count), Detail())), 2, "总笔数", "REQUEST_PARAMS_ERROR");

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("a b@c.com")]
    public void Row_2_email_must_be_well_formed(string email)
        => Only(Check(File(Summary(email: email), Detail())), 2, "支付宝账号(Email)", "REQUEST_PARAMS_ERROR");

    [Fact]
    public void Row_2_may_name_the_payer_by_mobile_number() => Valid(Check(File(Summary(email: "13800138000"), Detail())));

    [Fact]
    public void Row_2_email_must_be_the_uploading_account_when_given()
    {
        Valid(Check(Good(Detail()), email: "123@ABC.com"));
        Only(Check(Good(Detail()), email: "other@abc.com"), 2, "支付宝账号(Email)", "REQUEST_PARAMS_ERROR");
    }

    [Fact]
    public void The_total_must_be_the_sum_of_the_amounts()
        => Only(Check(File(Summary(total: "0.03", count: "2"), Detail(), Detail(serial: "2"))), 2, "总金额", "TOTAL_MISMATCH");

    [Fact]
    public void The_count_must_be_the_number_of_payment_rows()
        => Only(Check(File(Summary(total: "0.02", count: "3"), Detail(), Detail(serial: "2"))), 2, "总笔数", "COUNT_MISMATCH");

    [Fact]
    public void A_batch_takes_3000_payments_and_no_more()
    {
        Valid(Check(Rows(3000)));
        Only(Check(Rows(3001)), null, null, "FREEZE_DETAIL_LIMIT");
    }

    [Fact]
    public void Row_1_needs_more_than_3_columns()
        => Only(Check(Gbk.GetBytes("日期,总金额,总笔数" + Crlf + Summary() + Crlf + Header3 + Crlf + Detail() + Crlf)), 1, null, "FILE_INFO_FORMAT_ERROR");

    [Fact]
    public void Row_3_needs_the_spec_columns()
        => Only(Check(Gbk.GetBytes(Header1 + Crlf + Summary() + Crlf + "商户流水号,收款银行户名" + Crlf + Detail() + Crlf)), 3, null, "FILE_INFO_FORMAT_ERROR");

    [Fact]
    public void A_payment_row_needs_9_columns_and_may_leave_out_the_remark()
    {
        Valid(Check(Good(Detail().Substring(0, Detail().LastIndexOf(',')))));
        Only(Check(File(Summary(), "1,王建斌,6225885719900000,招商银行,浙江省,杭州市,招商银行浙江支行,0.01")), 4, null, "FILE_INFO_FORMAT_ERROR");
    }

    [Theory]
    [InlineData("12345678901234567890123", "商户流水号", "SERIAL_TOO_LONG")]
    [InlineData("王 建斌", "收款银行户名", "ACCOUNT_NAME_SPACE")]
    [InlineData("王\u3000建斌", "收款银行户名", "ACCOUNT_NAME_SPACE")]
    [InlineData("王建斌 ", "收款银行户名", "ACCOUNT_NAME_SPACE")]
    [InlineData("", "收款银行户名", "ACCOUNT_NAME_EMPTY")]
    public void A_payment_name_or_serial_Alipay_would_set_to_NA_is_reported(string value, string column, string code)
    {
        string row = column == "商户流水号" ? Detail(serial: value) : Detail(name: value);
        Only(Check(Good(row)), 4, column, code);
    }

    [Fact]
    public void A_serial_of_22_characters_or_none_passes()
    {
        Valid(Check(Good(Detail(serial: new string('9', 22)))));
        Valid(Check(Good(Detail(serial: ""))));
    }

    [Theory]
    [InlineData("1234567890123456789012345678901", "招商银行")]
    [InlineData("6225-8857-1990", "招商银行")]
    [InlineData("6225８85719900000", "招商银行")]
    [InlineData("6225 885719900000", "招商银行")]
    [InlineData("", "招商银行")]
    public void An_account_number_must_be_up_to_30_half_width_digits(string account, string bank)
        => Only(Check(Good(Detail(account: account, bank: bank))), 4, "收款银行账号", "ACCOUNT_NUMBER_FORMAT");

    [Fact]
    public void Hyphens_are_allowed_for_the_Agricultural_Bank_only()
    {
        Valid(Check(Good(Detail(account: "6228-4800-1234-5678", bank: "中国农业银行"))));
        Valid(Check(Good(Detail(account: new string('1', 30)))));
    }

    [Fact]
    public void The_bank_is_required() => Only(Check(Good(Detail(bank: ""))), 4, "收款卡户银行", "BANK_EMPTY");

    [Fact]
    public void Province_city_and_branch_may_be_empty() => Valid(Check(Good(Detail(province: "", city: "", branch: ""))));

    [Theory]
    [InlineData("0.001")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("１.00")]
    [InlineData("abc")]
    [InlineData("")]
    public void A_payment_amount_follows_the_total_rule(string amount)
    {
        PaymentFileReport r = Check(File(Summary(), Detail(amount: amount)));
        Only(r, 4, "金额", "MONEY_FORMAT_ERROR");
        Assert.Empty(r.Rows);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("")]
    [InlineData("对私")]
    [InlineData("02")]
    public void The_flag_must_be_1_or_2(string flag) => Only(Check(Good(Detail(flag: flag))), 4, "对公对私标志", "FLAG_INVALID");

    [Fact]
    public void The_remark_has_no_caret_and_at_most_256_GBK_bytes()
    {
        Only(Check(Good(Detail(remark: "a^b"))), 4, "备注", "REMARK_CHARACTER");
        Valid(Check(Good(Detail(remark: new string('测', 128)))));
        Only(Check(Good(Detail(remark: new string('测', 129)))), 4, "备注", "REMARK_TOO_LONG");
    }

    [Fact]
    public void A_comma_in_a_value_shows_as_an_extra_column()
        => Only(Check(Good(Detail(remark: "保险,代发"))), 4, null, "EXTRA_COLUMN");

    [Fact]
    public void A_quoted_field_is_reported_Alipay_does_not_unquote()
        => Has(Check(Good(Detail(remark: "\"保险\""))), 4, "备注", "CSV_QUOTE");

    [Theory]
    [InlineData("上海浦东发展银行", "2")]
    [InlineData("中国光大银行", "2")]
    [InlineData("中信银行", "2")]
    [InlineData("农信银资金清算中心", "1")]
    [InlineData("浙江泰隆商业银行", "2")]
    [InlineData("浙江泰隆商业银行", "1")]
    public void With_T0_the_bank_must_take_T0_for_the_flag(string bank, string flag)
    {
        byte[] file = Good(Detail(bank: bank, flag: flag));
        Valid(Check(file, type: BusinessType.T1));
        Only(Check(file, type: BusinessType.T0), 4, "收款卡户银行", "T0_BANK_UNSUPPORTED");
    }

    [Theory]
    [InlineData("上海浦东发展银行", "1")]
    [InlineData("农信银资金清算中心", "2")]
    [InlineData("中国银行", "1")]
    [InlineData("中国银行", "2")]
    public void With_T0_a_bank_of_table_8_4_passes_for_its_flags(string bank, string flag)
        => Valid(Check(Good(Detail(bank: bank, flag: flag)), type: BusinessType.T0));

    [Fact]
    public void A_UTF8_file_is_refused_as_Alipay_would()
    {
        string text = Text(Summary(), Detail());
        Only(Check(new UTF8Encoding(false).GetBytes(text)), null, null, "NOT_GBK");
        Only(Check(new UTF8Encoding(true).GetPreamble().Concat(Encoding.UTF8.GetBytes(text)).ToArray()), null, null, "NOT_GBK");
    }

    [Fact]
    public void An_ASCII_only_file_is_GBK_too()
        => Valid(Check(Good(Detail(name: "ZhangSan", bank: "ICBC", province: "", city: "", branch: "", remark: ""))));

    [Fact]
    public void Bytes_that_are_not_GBK_are_reported_with_their_row()
    {
        byte[] file = Good(Detail(), Detail(serial: "2"));
        int at = Array.LastIndexOf(file, (byte)'2'); // the last row's flag
        file[at] = 0x81; // a lead byte followed by a comma, no GBK trail byte
        Has(Check(file), 5, null, "NOT_GBK");
    }

    [Fact]
    public void An_empty_file_or_one_without_payments_is_SHEET1_IS_NULL()
    {
        Only(Check(Array.Empty<byte>()), null, null, "SHEET1_IS_NULL");
        Only(Check(Gbk.GetBytes(",,,\r\n\r\n")), null, null, "SHEET1_IS_NULL");
        Has(Check(File(Summary())), null, null, "SHEET1_IS_NULL");
    }

    [Fact]
    public void Blank_rows_are_no_payments_and_line_ends_may_be_LF()
    {
        Valid(Check(Gbk.GetBytes(Text(Summary(), Detail()) + ",,,,,,,,,\r\n\r\n")));
        Valid(Check(Gbk.GetBytes(Text(Summary(), Detail()).Replace("\r\n", "\n", StringComparison.Ordinal))));
        Valid(Check(Gbk.GetBytes(Text(Summary(), Detail()).TrimEnd())));
    }

    [Fact]
    public void Every_problem_of_a_bad_file_is_reported_in_row_order()
    {
        PaymentFileReport r = Check(File(Summary(date: "x", total: "0.02", count: "2"), Detail(name: "a b"), Detail(serial: "2", flag: "9")));
        Assert.Equal(new int?[] { 2, 4, 5 }, r.Problems.Select(p => p.Row).ToArray());
        Assert.Single(r.Rows); // the row with a bad flag cannot be read
        Assert.Equal(4, r.Rows[0].Row);
    }

    [Fact]
    public void Garbage_gives_problems_never_an_exception()
    {
        var rng = new Random(7);
        foreach (string name in new[] { "a.csv", "a.xls", "a.zip" })
        {
            for (int i = 0; i < 200; i++)
            {
                byte[] junk = new byte[rng.Next(0, 2000)];
                rng.NextBytes(junk);
                Assert.False(PaymentFileChecker.Check(name, junk).IsValid);
            }
        }
        Assert.False(PaymentFileChecker.Check(null!, null!).IsValid);
    }

    [Fact]
    public void A_file_full_of_mistakes_lists_a_bounded_number_of_problems()
    {
        string[] rows = Enumerable.Range(1, 3000).Select(_ => Detail(name: "a b", flag: "x", remark: "^")).ToArray();
        PaymentFileReport r = Check(File(Summary(total: "30.00", count: "3000"), rows));
        Assert.Equal(1001, r.Problems.Count);
        Assert.Contains(r.Problems, p => p.Code == "TOO_MANY_PROBLEMS");
    }
}
