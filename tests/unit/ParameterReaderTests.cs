using System;
using System.Linq;
using System.Text;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;
using Xunit;

namespace AlipayBptb.Tests;

public class ParameterReaderTests
{
    private static readonly BptbCharset Gbk = BptbCharset.Get("gbk");

    private static NotificationResult Parse(string input)
    {
        ParameterRead read = ParameterReader.Read(input, BptbCharset.Utf8);
        Assert.False(read.IsUnreadable, read.Problem);
        Assert.Null(read.Problem);
        var verifier = new NotificationVerifier(new[] { new Md5Signer("0123456789abcdef0123456789abcdef") }, null, null, BptbCharset.Utf8);
        return verifier.Verify(read.Parameters);
    }

    private static string Show(ParameterRead r) =>
        (r.IsUnreadable ? "unreadable " : string.Empty) + (r.Problem ?? string.Empty) + " | " + string.Join("&", r.Parameters.Select(kv => kv.Key + "=" + kv.Value));

    // What the receiver reads from the bytes it received, and what the log reader reads from its record of them.
    [Theory]
    [InlineData("utf-8", "a=1\u00ACify_id=2")] // a raw '¬': never repaired, on either side
    [InlineData("utf-8", "file_name=\u6279\u91CF.csv&b=1")] // raw UTF-8
    [InlineData("gbk", "file_name=\u6279\u91CF.csv&b=1")] // raw GBK
    [InlineData("utf-8", "file_name=\u6279\u91CF.csv&b=1", "gbk")] // raw UTF-8 read as GBK
    [InlineData("utf-8", "sign=ab+c%2Bd&t=2010-11-30+14%3a29%3a00")] // '+' and its escape
    [InlineData("utf-8", "a=1&b=2\r\n")] // a line break after the body
    [InlineData("utf-8", "a=%25&b=%")] // an escaped '%', and a bare one
    [InlineData("utf-8", "a=1&a=2")]
    [InlineData("utf-8", "-")]
    [InlineData("utf-8", "a=\t1")]
    public void A_record_reads_back_exactly_as_the_receiver_read_what_it_received(string sentIn, string body, string readIn = "")
    {
        BptbCharset charset = BptbCharset.Get(readIn.Length == 0 ? sentIn : readIn);
        byte[] bytes = (sentIn == "gbk" ? Gbk.Encoding : Encoding.UTF8).GetBytes(body);
        ParameterRead received = ParameterReader.ReadReceived(bytes, 0, bytes.Length, charset);
        foreach (bool inQuery in new[] { false, true })
        {
            byte[] target = Encoding.ASCII.GetBytes("/alipay/notify" + (inQuery ? "?" : string.Empty)).Concat(inQuery ? bytes : Array.Empty<byte>()).ToArray();
            byte[] recordBody = inQuery ? Array.Empty<byte>() : bytes;
            string line = Encoding.UTF8.GetString(CallbackLog.FormatLine(DateTime.UtcNow, inQuery ? "GET" : "POST", "127.0.0.1:1", "-", target, recordBody, recordBody.Length)).TrimEnd('\n');
            ParameterRead logged = ParameterReader.Read(line, charset);
            Assert.Equal(Show(received), Show(logged));
            Assert.NotNull(logged.Record);
        }
    }

    [Fact]
    public void Spec_6_3_sample_parses_into_typed_fields_even_as_copied_from_html()
    {
        // As printed in the spec: "&not" became the entity '¬'.
        var r = Parse("http://商户自定义地址/alipay/notify_url.php?pay_date=20101130&flag=bptb_user_confirm&file_name=201011301610151821.csv¬ify_type=bptb_unfreeze_notify¬ify_time=2009-08-12+11%3A08%3A32¬ify_id=dfbd26e612bddb4ad707efec0f0d8f3700&sign_type=MD5&sign=1baaa2c2742eafa39d8b9d8a50fa9db6");
        Assert.Equal(NotificationKind.Notify, r.Kind);
        Assert.Equal("bptb_unfreeze_notify", r.NotifyType);
        Assert.Equal("dfbd26e612bddb4ad707efec0f0d8f3700", r.NotifyId);
        Assert.Equal(new DateTime(2009, 8, 12, 11, 8, 32), r.NotifyTime);
        Assert.Equal(new DateTime(2010, 11, 30), r.PayDate);
        Assert.Equal("bptb_user_confirm", r.Flag);
        Assert.Equal("201011301610151821.csv", r.FileName);
        Assert.Equal("MD5", r.SignType);
        Assert.Equal("1baaa2c2742eafa39d8b9d8a50fa9db6", r.Sign);
        Assert.Equal(8, r.Parameters.Count);
    }

    [Fact]
    public void Companion_spec_6_1_1_result_notify_with_plus_and_lowercase_escape()
    {
        var r = Parse("http://商户自定义地址/alipay/notify_url.aspx?pay_date=20101130&flag=bptb_result_file&file_name=201011301340151767.csv&notify_type=bptb_result_notify&notify_time=2010-11-30+14%3a29%3a00&notify_id=c035d396d398450076ac684ca790c77208&sign_type=MD5&sign=1baaa2c2742eafa39d8b9d8a50fa9db6");
        Assert.Equal("bptb_result_notify", r.NotifyType);
        Assert.Equal(new DateTime(2010, 11, 30, 14, 29, 0), r.NotifyTime);
        Assert.Equal("bptb_result_file", r.Flag);
        Assert.Equal("201011301340151767.csv", r.FileName);
        Assert.Equal("c035d396d398450076ac684ca790c77208", r.NotifyId);
        Assert.Equal("file_name=201011301340151767.csv&flag=bptb_result_file&notify_id=c035d396d398450076ac684ca790c77208&notify_time=2010-11-30 14:29:00&notify_type=bptb_result_notify&pay_date=20101130", r.SignString);
    }

    [Fact]
    public void Companion_spec_6_1_2_unfreeze_notify()
    {
        var r = Parse("pay_date=20101130&flag=bptb_unfreeze_file&file_name=201011301610151821.csv&notify_type=bptb_unfreeze_notify&notify_time=2010-11-30+16%3a24%3a01&notify_id=dfbd26e612bddb4ad707efec0f0d8f3700&sign_type=MD5&sign=1baaa2c2742eafa39d8b9d8a50fa9db6");
        Assert.Equal("bptb_unfreeze_notify", r.NotifyType);
        Assert.Equal("bptb_unfreeze_file", r.Flag);
        Assert.Equal(new DateTime(2010, 11, 30, 16, 24, 1), r.NotifyTime);
    }

    [Fact]
    public void Spec_5_3_return_sample_is_a_return_with_success()
    {
        var r = Parse("http://商户自定义地址/alipay/return_url.php?file_name=I069900000120880019120653302010020902.csv&is_success=T&partner=2088002464631181&result_code=USER_CONFIRM_SUCC&sign=_p_w_l_h_j0b_gd_aejia7n_ko4_m%252Fu_w_jd3_nx_s_k_mxus9_hoxg_y_r_lunli_pmma29_t_q%3D%3D&sign_type=DSA");
        Assert.Equal(NotificationKind.Return, r.Kind);
        Assert.True(r.IsSuccess);
        Assert.Equal("USER_CONFIRM_SUCC", r.ResultCode);
        Assert.Equal("2088002464631181", r.Partner);
        Assert.Equal("_p_w_l_h_j0b_gd_aejia7n_ko4_m%2Fu_w_jd3_nx_s_k_mxus9_hoxg_y_r_lunli_pmma29_t_q==", r.Sign);
    }

    [Fact]
    public void Access_log_request_line_yields_its_query()
    {
        var read = ParameterReader.Read("127.0.0.1 - - [25/Nov/2026:10:00:00 +0800] \"GET /alipay/return_url.php?file_name=a.csv&is_success=T HTTP/1.1\" 200 12 \"-\" \"Mozilla/5.0\"", BptbCharset.Utf8);
        Assert.Equal("a.csv", read.Parameters["file_name"]);
        Assert.Equal("T", read.Parameters["is_success"]);
        Assert.Equal(2, read.Parameters.Count);
    }

    [Fact]
    public void Gbk_escapes_decode_in_gbk()
    {
        var read = ParameterReader.Read("file_name=%C5%FA%C1%BF1.csv", Gbk);
        Assert.Equal("批量1.csv", read.Parameters["file_name"]);
    }

    [Theory]
    [InlineData("a=1&a=2", "appears more than once")]
    [InlineData("a=1&b=%4", "bad percent escape")]
    [InlineData("a=1&b=%G1", "bad percent escape")]
    [InlineData("a=1&b=100%", "bad percent escape")]
    [InlineData("a=%FF%FE", "not valid utf-8")]
    [InlineData("a=x%C3%28", "the sequence C3 is not a utf-8 character")]
    [InlineData("=1&b=2", "empty name")]
    public void Ambiguous_or_broken_parameters_are_a_problem_not_a_guess(string input, string problem)
    {
        ParameterRead read = ParameterReader.Read(input, BptbCharset.Utf8);
        Assert.False(read.IsUnreadable);
        Assert.Contains(problem, read.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain("..", read.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Gbk_only_bytes_are_refused_in_gb2312()
    {
        // 镕 is in GBK (0xE946) but not in GB2312.
        ParameterRead read = ParameterReader.Read("a=%E9%46", BptbCharset.Get("gb2312"));
        Assert.Contains("not in GB2312", read.Problem, StringComparison.Ordinal);
        Assert.Equal("镕", ParameterReader.Read("a=%E9%46", Gbk).Parameters["a"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("hello world")]
    [InlineData("\u0001\u0002binary=\u0000")]
    [InlineData("a=\uFFFD")]
    public void Input_without_parameters_is_unreadable(string input)
    {
        Assert.True(ParameterReader.Read(input, BptbCharset.Utf8).IsUnreadable);
    }

    [Fact]
    public void A_one_megabyte_line_is_refused_without_parsing()
    {
        string big = "a=" + new string('x', 1024 * 1024);
        ParameterRead read = ParameterReader.Read(big, BptbCharset.Utf8);
        Assert.True(read.IsUnreadable);
        Assert.Contains("at most", read.Problem, StringComparison.Ordinal);
    }
}
