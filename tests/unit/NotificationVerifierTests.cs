using System;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;
using Xunit;

namespace AlipayBptb.Tests;

public class NotificationVerifierTests
{
    private const string Md5Key = "k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";
    private const string Body = "pay_date=20101130&flag=bptb_result_file&file_name=%E6%89%B9%E9%87%8F.csv&notify_type=bptb_result_notify&notify_time=2010-11-30+14%3a29%3a00&notify_id=c035d396d398450076ac684ca790c77208";

    private static string SignedMd5(string body, string signType = "MD5")
    {
        var read = ParameterReader.Read(body, BptbCharset.Utf8);
        using var s = new Md5Signer(Md5Key);
        return body + "&sign_type=" + signType + "&sign=" + s.Sign(SignString.Build(read.Parameters), BptbCharset.Utf8);
    }

    private static string SignedRsa(string body)
    {
        var read = ParameterReader.Read(body, BptbCharset.Utf8);
        using Signer s = KeyLoader.LoadPrivateKey(Vectors.Text("rsa1024.pk8.pem"), "test");
        return body + "&sign_type=RSA&sign=" + Uri.EscapeDataString(s.Sign(SignString.Build(read.Parameters), BptbCharset.Utf8));
    }

    private static NotificationVerifier Md5Verifier(string? partner = null) =>
        new(new[] { new Md5Signer(Md5Key) }, null, partner, BptbCharset.Utf8);

    private static NotificationVerifier RsaVerifier() =>
        new(new[] { KeyLoader.LoadPublicKey(Vectors.Text("rsa1024.pub.pem"), "test") }, null, null, BptbCharset.Utf8);

    private static NotificationResult Check(NotificationVerifier v, string input)
    {
        NotificationResult? r = v.Verify(input, out string? unreadable);
        Assert.Null(unreadable);
        return r!;
    }

    [Fact]
    public void A_genuine_md5_notification_is_valid_with_typed_fields()
    {
        NotificationResult r = Check(Md5Verifier(), SignedMd5(Body));
        Assert.True(r.IsValid, r.Reason);
        Assert.Null(r.Reason);
        Assert.Equal("批量.csv", r.FileName);
        Assert.Equal(NotificationKind.Notify, r.Kind);
    }

    [Fact]
    public void A_genuine_rsa_notification_is_valid()
    {
        NotificationResult r = Check(RsaVerifier(), SignedRsa(Body));
        Assert.True(r.IsValid, r.Reason);
    }

    [Fact]
    public void A_tampered_parameter_is_invalid()
    {
        NotificationResult r = Check(Md5Verifier(), SignedMd5(Body).Replace("pay_date=20101130", "pay_date=20101201"));
        Assert.False(r.IsValid);
        Assert.Equal("signature does not verify", r.Reason);
    }

    [Fact]
    public void A_missing_sign_is_invalid()
    {
        Assert.Equal("missing sign", Check(Md5Verifier(), Body + "&sign_type=MD5").Reason);
    }

    [Fact]
    public void An_md5_notification_against_an_rsa_key_is_a_downgrade()
    {
        NotificationResult r = Check(RsaVerifier(), SignedMd5(Body));
        Assert.False(r.IsValid);
        Assert.Contains("downgrade", r.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("md5")]
    [InlineData("SHA256")]
    public void A_sign_type_outside_the_spec_is_invalid(string signType)
    {
        Assert.Contains("is not MD5, RSA or DSA", Check(Md5Verifier(), SignedMd5(Body, signType)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_repeated_key_is_invalid_even_when_one_copy_is_signed()
    {
        string signed = SignedMd5(Body);
        NotificationResult r = Check(Md5Verifier(), signed + "&pay_date=20991231");
        Assert.False(r.IsValid);
        Assert.Contains("more than once", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_partner_other_than_expected_is_invalid()
    {
        string body = "file_name=a.csv&is_success=T&partner=2088000000000001&result_code=USER_CONFIRM_SUCC";
        Assert.True(Check(Md5Verifier("2088000000000001"), SignedMd5(body)).IsValid);
        Assert.Contains("not the expected partner", Check(Md5Verifier("2088002464631181"), SignedMd5(body)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sign_that_is_not_base64_is_invalid_with_that_reason()
    {
        Assert.Equal("sign is not base64", Check(RsaVerifier(), Body + "&sign_type=RSA&sign=%21%21%21%21").Reason);
    }

    [Fact]
    public void Bytes_not_valid_in_the_charset_make_it_invalid()
    {
        NotificationResult r = Check(Md5Verifier(), SignedMd5(Body) + "&x=%C3%28");
        Assert.False(r.IsValid);
        Assert.Contains("utf-8", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_is_read_whole_so_unsigned_parameters_cannot_ride_along()
    {
        // A genuine notification appended after a '?' in a smuggled value: the merchant's code would read
        // file_name=evil.csv, so the whole body must be what is verified.
        string smuggled = "file_name=evil.csv&x=?" + SignedMd5(Body);
        NotificationResult r = Check(Md5Verifier(), smuggled);
        Assert.False(r.IsValid);
        Assert.Equal("evil.csv", r.FileName);
        NotificationResult spaced = Check(Md5Verifier(), "file_name=evil.csv&x= " + SignedMd5(Body));
        Assert.False(spaced.IsValid);
    }

    [Fact]
    public void An_empty_unsigned_notify_id_does_not_turn_a_return_into_a_notification()
    {
        string ret = SignedMd5("file_name=a.csv&is_success=T&partner=2088000000000001&result_code=USER_CONFIRM_SUCC");
        NotificationResult r = Check(Md5Verifier(), ret + "&notify_id=");
        Assert.True(r.IsValid, r.Reason);
        Assert.Equal(NotificationKind.Return, r.Kind);
    }

    [Fact]
    public void Accepting_a_type_without_its_key_is_refused_up_front()
    {
        var ex = Assert.Throws<ArgumentException>(() => new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, new[] { SignType.RSA }, null, BptbCharset.Utf8));
        Assert.Contains("no RSA key", ex.Message, StringComparison.Ordinal);
    }

    // A genuine notification, rewritten so that signed pairs change places while the sign string stays the
    // same: each must be invalid, and never a new notify_id.
    [Theory]
    [InlineData("notify_id=c035d396d398450076ac684ca790c77208%26notify_time%3D2010-11-30%2014%3A29%3A00&notify_type=bptb_result_notify&pay_date=20101130&flag=bptb_result_file&file_name=%E6%89%B9%E9%87%8F.csv")]
    [InlineData("flag=bptb_result_file%26notify_id%3Dc035d396d398450076ac684ca790c77208%26notify_time%3D2010-11-30%2014%3A29%3A00%26notify_type%3Dbptb_result_notify&pay_date=20101130&file_name=%E6%89%B9%E9%87%8F.csv")]
    [InlineData("file_name=%E6%89%B9%E9%87%8F.csv%26flag%3Dbptb_result_file&notify_id=c035d396d398450076ac684ca790c77208&notify_time=2010-11-30+14%3A29%3A00&notify_type=bptb_result_notify&pay_date=20101130")]
    [InlineData("file_name%3D%E6%89%B9%E9%87%8F.csv%26flag=bptb_result_file&notify_id=c035d396d398450076ac684ca790c77208&notify_time=2010-11-30+14%3A29%3A00&notify_type=bptb_result_notify&pay_date=20101130")]
    public void A_restructured_copy_of_a_genuine_notification_is_invalid(string restructured)
    {
        string genuine = SignedMd5(Body);
        string sign = genuine.Substring(genuine.IndexOf("&sign=", StringComparison.Ordinal) + 6);
        string copy = restructured + "&sign_type=MD5&sign=" + sign;
        using NotificationVerifier v = Md5Verifier();
        Assert.Equal(Check(v, genuine).SignString, Check(v, copy).SignString); // the attack: the same signed bytes
        NotificationResult r = Check(v, copy);
        Assert.False(r.IsValid, "a restructured callback verified as " + r.Kind);
    }

    [Fact]
    public void A_genuine_file_name_that_holds_an_ampersand_still_verifies()
    {
        string body = Body.Replace("file_name=%E6%89%B9%E9%87%8F.csv", "file_name=A%26B.csv");
        NotificationResult r = Check(Md5Verifier(), SignedMd5(body));
        Assert.True(r.IsValid, r.Reason);
        Assert.Equal("A&B.csv", r.FileName);
    }

    [Theory]
    [InlineData("%E6%89%B9%E9%87%8F.csv")]
    [InlineData("A%26B.csv")]
    [InlineData("%E6%89%B9%E9%87%8F%26%E4%BB%98%E6%AC%BE+2026%2B1.xls")]
    [InlineData("I06990000012088001+912065330201002090+2.csv")]
    [InlineData("cafe%CC%81.zip")]
    public void A_genuine_callback_with_a_name_a_request_could_carry_verifies(string encodedName)
    {
        string notify = Body.Replace("file_name=%E6%89%B9%E9%87%8F.csv", "file_name=" + encodedName, StringComparison.Ordinal);
        Assert.True(Check(Md5Verifier(), SignedMd5(notify)).IsValid, Check(Md5Verifier(), SignedMd5(notify)).Reason);
        string ret = "file_name=" + encodedName + "&is_success=T&partner=2088000000000001&result_code=USER_CONFIRM_SUCC";
        Assert.True(Check(Md5Verifier(), SignedMd5(ret)).IsValid, Check(Md5Verifier(), SignedMd5(ret)).Reason);
    }

    // A file uploaded some other way (Alipay's portal, another system) may carry a name this module's request rules
    // refuse; a signed callback about it is genuine and must verify, or the receiver would refuse it until Alipay gave
    // up and the batch's result were lost. Only a control character is never a file name.
    [Theory]
    [InlineData("a%E2%80%AEvsc.exe.csv", null)]
    [InlineData("a%E3%85%A4.csv", null)]
    [InlineData("a%EF%B8%8F.csv", null)]
    [InlineData("a%EE%80%80.csv", null)]
    [InlineData("%CC%81a.csv", null)]
    [InlineData("dir%2Fa.csv", null)]
    [InlineData("+a.csv", null)]
    [InlineData("a.txt", null)]
    [InlineData("a%0A.csv", "U+000A")]
    [InlineData("a.csv%0D", "U+000D")]
    public void A_signed_callback_is_judged_by_its_signature_whatever_its_file_name_but_a_control_character(string encodedName, string? refused)
    {
        string notify = Body.Replace("file_name=%E6%89%B9%E9%87%8F.csv", "file_name=" + encodedName, StringComparison.Ordinal);
        string ret = "file_name=" + encodedName + "&is_success=T&partner=2088000000000001&result_code=USER_CONFIRM_SUCC";
        foreach (string callback in new[] { notify, ret })
        {
            NotificationResult r = Check(Md5Verifier(), SignedMd5(callback));
            Assert.Equal(refused == null, r.IsValid);
            if (refused != null)
            {
                Assert.Contains("file_name", r.Reason, StringComparison.Ordinal);
                Assert.Contains(refused, r.Reason, StringComparison.Ordinal);
                Assert.Equal(-1, InputText.FindHidden(r.Reason!));
            }
        }
    }

    // A reason is one line of visible text whatever a callback holds: a line break from a value must not start a
    // line of its own in a log or on a console, nor a bidi override turn the rest of the reason around.
    [Theory]
    [InlineData("pay_date=20101130", "pay_date=20101130%0A")]
    [InlineData("pay_date=20101130", "pay_date=20101130%0D%0Avalid")]
    [InlineData("pay_date=20101130", "pay_date=2010%1B%5B2K1130")]
    [InlineData("pay_date=20101130", "pay_date=20101130%E2%80%A8")]
    [InlineData("pay_date=20101130", "pay_date=20101130%C2%85")]
    [InlineData("flag=bptb_result_file", "flag=bptb_result_file%E2%80%AE")]
    [InlineData("notify_type=bptb_result_notify", "notify_type=bptb_result_notify%0A")]
    [InlineData("notify_id=c035d396d398450076ac684ca790c77208", "notify_id=c035%0Ad396")]
    [InlineData("flag=bptb_result_file", "flag=bptb_result_file&x%0Ay=1")]
    [InlineData("flag=bptb_result_file", "flag=bptb_result_file&partner=2088%0A000000000001")]
    public void A_reason_shows_control_and_format_characters_escaped(string from, string to)
    {
        NotificationResult r = Check(Md5Verifier(), SignedMd5(Body.Replace(from, to, StringComparison.Ordinal)));
        Assert.False(r.IsValid);
        Assert.Equal(-1, InputText.FindHidden(r.Reason!));
        Assert.Matches(@"\\u\{[0-9A-F]{4}\}", r.Reason);
        Assert.DoesNotContain(r.ToString(), c => char.IsControl(c) || c == '\u2028' || c == '\u202E');
    }

    [Fact]
    public void A_reason_from_the_verifier_itself_is_escaped_too()
    {
        NotificationResult signType = Check(Md5Verifier(), Body + "&sign_type=MD5%0A&sign=x");
        Assert.Contains("\\u{000A}", signType.Reason, StringComparison.Ordinal);
        string ret = "file_name=a.csv&is_success=T&partner=2088000000000001&result_code=USER_CONFIRM_SUCC";
        NotificationResult partner = Check(Md5Verifier("2088000000000002\n"), SignedMd5(ret));
        Assert.False(partner.IsValid);
        Assert.Contains("\\u{000A}", partner.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_merchants_own_md5_request_is_not_a_valid_return()
    {
        // MD5 is a shared key: the confirm request the merchant signed verifies with it.
        string request = SignedMd5("_input_charset=utf-8&email=pay%40example.com&file_name=a.csv&partner=2088002464631181&return_url=https%3A%2F%2Fshop.example.com%2Freturn&service=bptb_user_confirm");
        NotificationResult r = Check(Md5Verifier(), request);
        Assert.False(r.IsValid);
        Assert.Contains("request", r.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("notify_time=2010-11-30+14%3a29%3a00", "notify_time=2010-13-30+14%3a29%3a00", "notify_time")]
    [InlineData("notify_time=2010-11-30+14%3a29%3a00", "notify_time=2010-11-30T14%3a29%3a00", "notify_time")]
    [InlineData("pay_date=20101130", "pay_date=20100230", "pay_date")]
    [InlineData("notify_type=bptb_result_notify", "notify_type=bptb_other_notify", "notify_type")]
    [InlineData("flag=bptb_result_file", "flag=anything", "flag")]
    [InlineData("notify_id=c035d396d398450076ac684ca790c77208", "notify_id=c035d396%20d398", "notify_id")]
    [InlineData("flag=bptb_result_file", "flag=bptb_result_file&is_success=T", "is_success")]
    [InlineData("flag=bptb_result_file", "flag=bptb_result_file&extra=1", "extra")]
    [InlineData("&notify_id=c035d396d398450076ac684ca790c77208", "", "notify_id")]
    public void A_signed_notification_with_a_field_out_of_its_spec_format_is_invalid(string from, string to, string named)
    {
        NotificationResult r = Check(Md5Verifier(), SignedMd5(Body.Replace(from, to, StringComparison.Ordinal)));
        Assert.False(r.IsValid);
        Assert.Contains(named, r.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("is_success=T", "is_success=Y", "is_success")]
    [InlineData("partner=2088000000000001", "partner=20880000000000012", "partner")]
    [InlineData("result_code=USER_CONFIRM_SUCC", "result_code=user%20confirm", "result_code")]
    [InlineData("&result_code=USER_CONFIRM_SUCC", "", "result_code")]
    public void A_signed_return_with_a_field_out_of_its_spec_format_is_invalid(string from, string to, string named)
    {
        string ret = "file_name=a.csv&is_success=T&partner=2088000000000001&result_code=USER_CONFIRM_SUCC";
        Assert.True(Check(Md5Verifier(), SignedMd5(ret)).IsValid);
        NotificationResult r = Check(Md5Verifier(), SignedMd5(ret.Replace(from, to, StringComparison.Ordinal)));
        Assert.False(r.IsValid);
        Assert.Contains(named, r.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("file_name=a.csv&is_success=T&partner=2088000000000001&result_code=USER_CONFIRM_SUCC", BatchEvent.Confirmed)]
    [InlineData("file_name=a.csv&is_success=F&partner=2088000000000001&result_code=FILE_NOT_EXIST", BatchEvent.ConfirmFailed)]
    [InlineData(Body, BatchEvent.Processed)]
    public void A_valid_callback_names_its_event(string body, BatchEvent expected)
    {
        NotificationResult r = Check(Md5Verifier(), SignedMd5(body));
        Assert.True(r.IsValid, r.Reason);
        Assert.Equal(expected, r.Event);
        Assert.Null(Check(Md5Verifier(), SignedMd5(body).Replace("sign=", "sign=0", StringComparison.Ordinal)).Event);
    }
}
