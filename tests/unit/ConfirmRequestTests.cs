using System;
using System.Collections;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;
using Xunit;

namespace AlipayBptb.Tests;

public class ConfirmRequestTests
{
    private const string Partner = "2088002464631181";
    private const string Md5Key = "k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";

    private static ConfirmRequestBuilder Builder(Signer signer, string charset = "utf-8", string returnUrl = "http://www.test.com/alipay/return_url.php", string? notifyUrl = "http://www.test.com/alipay/notify_url.php", string gateway = GatewayAddress.Default) =>
        new(Partner, "gongsi1@shoufei.com", returnUrl, notifyUrl, BptbCharset.Get(charset), signer, gateway);

    public static TheoryData<string, string> SignersAndCharsets => new()
    {
        { "md5", "utf-8" }, { "md5", "gbk" }, { "md5", "gb2312" },
        { "rsa2048", "utf-8" }, { "rsa2048", "gbk" },
        { "dsa1024", "utf-8" }, { "dsa1024", "gb2312" },
    };

    [Theory]
    [MemberData(nameof(SignersAndCharsets))]
    public void The_url_round_trips_and_its_signature_verifies(string key, string charset)
    {
        using Signer signer = key == "md5" ? new Md5Signer(Md5Key) : KeyLoader.LoadPrivateKey(Vectors.Text($"{key}.pk8.pem"), "test");
        using Signer verifier = key == "md5" ? new Md5Signer(Md5Key) : KeyLoader.LoadPublicKey(Vectors.Text($"{key}.pub.pem"), "test");
        ConfirmRequest request = Builder(signer, charset).Build("批量付款 2026+1.csv");

        Assert.StartsWith(GatewayAddress.Default + "?", request.Url, StringComparison.Ordinal);
        ParameterRead read = ParameterReader.Read(request.Url, BptbCharset.Get(charset));
        Assert.Null(read.Problem);
        Assert.Equal(request.Parameters.Count, read.Parameters.Count);
        foreach (DictionaryEntry e in request.Parameters)
        {
            Assert.Equal((string)e.Value!, read.Parameters[(string)e.Key]);
        }
        Assert.Equal("bptb_user_confirm", read.Parameters["service"]);
        Assert.Equal(charset, read.Parameters["_input_charset"]);
        Assert.Equal(key == "md5" ? "MD5" : key[..3].ToUpperInvariant(), read.Parameters["sign_type"]);
        Assert.Equal(request.SignString, SignString.Build(read.Parameters));
        Assert.True(verifier.Verify(SignString.Build(read.Parameters), BptbCharset.Get(charset), read.Parameters["sign"]!).IsValid);
        Assert.DoesNotContain(Md5Key, request.Url, StringComparison.Ordinal);
    }

    [Fact]
    public void Ampersands_and_equals_signs_in_values_survive_the_url()
    {
        using var signer = new Md5Signer(Md5Key);
        ConfirmRequest r = new ConfirmRequestBuilder(Partner, "x&email=y@z.com", "http://www.test.com/r", null, BptbCharset.Utf8, signer).Build("a&b=c.csv");
        ParameterRead read = ParameterReader.Read(r.Url, BptbCharset.Utf8);
        Assert.Equal("a&b=c.csv", read.Parameters["file_name"]);
        Assert.Equal("x&email=y@z.com", read.Parameters["email"]);
        Assert.Equal(r.Sign, signer.Sign(SignString.Build(read.Parameters), BptbCharset.Utf8));
    }

    [Fact]
    public void Base64_signature_characters_survive_the_url()
    {
        using Signer signer = KeyLoader.LoadPrivateKey(Vectors.Text("rsa2048.pk8.pem"), "test");
        for (int i = 0; i < 20; i++)
        {
            ConfirmRequest r = Builder(signer).Build($"f{i}.csv");
            Assert.Equal(r.Sign, ParameterReader.Read(r.Url, BptbCharset.Utf8).Parameters["sign"]);
            Assert.DoesNotContain("+", r.Url[r.Url.IndexOf("sign=", StringComparison.Ordinal)..], StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("208800246463118", "Partner")]
    [InlineData("1088002464631181", "Partner")]
    [InlineData("2088a02464631181", "Partner")]
    public void A_bad_partner_is_refused_by_name(string partner, string parameter)
    {
        using var signer = new Md5Signer(Md5Key);
        var ex = Assert.Throws<FieldRuleException>(() => new ConfirmRequestBuilder(partner, "a@b.com", "http://x.com/r", null, BptbCharset.Utf8, signer));
        Assert.Equal(parameter, ex.ParamName);
        Assert.Equal("InvalidPartner", ex.ErrorId);
        Assert.Contains("2088 followed by 12 digits", ex.Message, StringComparison.Ordinal);
    }

    // .NET's '$' matches before a final '\n', so "2088002464631181\n" passed "^2088[0-9]{12}$" and was signed.
    [Theory]
    [InlineData("2088002464631181\n")]
    [InlineData("2088002464631181\r\n")]
    [InlineData("2088002464631181 ")]
    [InlineData(" 2088002464631181")]
    [InlineData("２０８８002464631181")]
    public void A_partner_with_anything_around_or_in_its_digits_is_refused(string partner)
    {
        using var signer = new Md5Signer(Md5Key);
        var ex = Assert.Throws<FieldRuleException>(() => new ConfirmRequestBuilder(partner, "a@b.com", "http://x.com/r", null, BptbCharset.Utf8, signer));
        Assert.Equal("Partner", ex.ParamName);
        Assert.DoesNotContain("\n", ex.Message, StringComparison.Ordinal);
        Assert.Throws<FieldRuleException>(() => FieldRules.Partner(partner));
    }

    // Every pattern a rule is written in, found by reflection so that a new one is checked too: anchored with \z,
    // never '$' (which also matches before a final '\n').
    [Fact]
    public void No_rule_pattern_lets_a_trailing_newline_through()
    {
        var patterns = new System.Collections.Generic.List<(string Name, System.Text.RegularExpressions.Regex Regex)>();
        foreach (Type type in typeof(FieldRules).Assembly.GetTypes())
        {
            foreach (System.Reflection.FieldInfo f in type.GetFields(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public))
            {
                if (f.FieldType == typeof(System.Text.RegularExpressions.Regex) && f.GetValue(null) is System.Text.RegularExpressions.Regex regex)
                {
                    patterns.Add((type.Name + "." + f.Name, regex));
                }
            }
        }
        Assert.Contains(patterns, p => p.Name == "FieldRules.PartnerPattern");
        Assert.Contains(patterns, p => p.Name == "FieldRules.EmailPattern");
        foreach ((string name, System.Text.RegularExpressions.Regex regex) in patterns)
        {
            string pattern = regex.ToString();
            Assert.True(!(pattern.Length > 0 && pattern[pattern.Length - 1] == '$') || pattern.EndsWith("\\$", StringComparison.Ordinal), $"{name} ends with '$': {pattern}");
            Assert.True(pattern.EndsWith("\\z", StringComparison.Ordinal), $"{name} is not anchored with \\z: {pattern}");
            Assert.Equal(System.Text.RegularExpressions.RegexOptions.None, regex.Options & System.Text.RegularExpressions.RegexOptions.Multiline);
        }
        Assert.False(FieldRules.IsPartner("2088002464631181\n"));
        Assert.Throws<FieldRuleException>(() => FieldRules.Email("a@b.com\n"));
        Assert.Throws<FieldRuleException>(() => FieldRules.FileName("a.csv\n"));
        Assert.Throws<FieldRuleException>(() => FieldRules.CallbackUrl("http://www.test.com/r\n", "ReturnUrl", false));
    }

    [Theory]
    [InlineData("a@b.com\n", "U+000A")]
    [InlineData("a@b.com\r\n", "U+000D")]
    [InlineData("a\0@b.com", "U+0000")]
    [InlineData("a@b.com\u202E", "U+202E")]
    [InlineData("\u202Emoc.b@a", "U+202E")]
    [InlineData("a\u200B@b.com", "U+200B")]
    [InlineData("a@b.com\u2028", "U+2028")]
    [InlineData("\uFEFFa@b.com", "U+FEFF")]
    [InlineData("a@b.com ", "name@domain")]
    [InlineData("a@b.com\u3000", "name@domain")]
    public void An_email_with_hidden_characters_is_refused_naming_the_character(string email, string named)
    {
        using var signer = new Md5Signer(Md5Key);
        var ex = Assert.Throws<FieldRuleException>(() => new ConfirmRequestBuilder(Partner, email, "http://x.com/r", null, BptbCharset.Utf8, signer));
        Assert.Equal("Email", ex.ParamName);
        Assert.Equal("InvalidEmail", ex.ErrorId);
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.Equal(-1, InputText.FindHidden(ex.Message));
    }

    [Theory]
    [InlineData("a.csv\n", "U+000A")]
    [InlineData("a\u202Evsc.exe.csv", "U+202E")]
    [InlineData("\u200Ba.csv", "U+200B")]
    [InlineData("a.csv ", "ends with a space")]
    [InlineData("a.csv\u3000", "ends with white space")]
    [InlineData(" a.csv", "begins with a space")]
    public void A_file_name_with_hidden_characters_or_outer_spaces_is_refused_for_that_reason(string fileName, string rule)
    {
        using var signer = new Md5Signer(Md5Key);
        var ex = Assert.Throws<FieldRuleException>(() => Builder(signer).Build(fileName));
        Assert.Equal("FileName", ex.ParamName);
        Assert.Contains(rule, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("extension", ex.Message, StringComparison.Ordinal);
        Assert.Equal(-1, InputText.FindHidden(ex.Message));
    }

    // Characters outside Unicode category Cf that show nothing, or change the character before them: a person
    // reading the value cannot see them. Code points, not strings, in the data: xunit's serialization of theory
    // data turns a lone surrogate or a noncharacter into U+FFFD.
    public static TheoryData<int, int> HiddenOutsideCf => new()
    {
        { 0x3164, 1 }, { 0x115F, 1 }, { 0x1160, 1 }, { 0xFFA0, 1 }, // Hangul fillers
        { 0x2800, 1 }, // Braille pattern blank
        { 0xFE00, 1 }, { 0xFE0F, 1 }, { 0xE0100, 1 }, { 0xE01EF, 1 }, // variation selectors
        { 0x034F, 1 }, // combining grapheme joiner
        { 0x17B4, 1 }, { 0x180B, 1 }, // Khmer inherent vowel, Mongolian free variation selector: default ignorable
        { 0x0301, 0 }, { 0x20DD, 0 }, { 0x0903, 0 }, // a combining mark with nothing before it
        { 0xE000, 1 }, { 0xF8FF, 1 }, { 0xF0000, 1 }, { 0x10FFFD, 1 }, // private use
        { 0xFFFF, 1 }, { 0xFFFE, 1 }, { 0xFDD0, 1 }, { 0x1FFFF, 1 }, { 0xFFF0, 1 }, { 0xE0080, 1 }, // noncharacters and unassigned
        { 0xD800, 1 }, { 0xDFFF, 1 }, // lone surrogates
    };

    private static string WithCodePoint(string text, int at, int codePoint) =>
        text.Insert(at, codePoint is >= 0xD800 and <= 0xDFFF ? ((char)codePoint).ToString() : char.ConvertFromUtf32(codePoint));

    [Theory]
    [MemberData(nameof(HiddenOutsideCf))]
    public void A_file_name_with_an_invisible_character_outside_cf_is_refused_naming_it(int codePoint, int at)
    {
        using var signer = new Md5Signer(Md5Key);
        string fileName = WithCodePoint("ab.csv", at, codePoint);
        var ex = Assert.Throws<FieldRuleException>(() => Builder(signer).Build(fileName));
        Assert.Equal("FileName", ex.ParamName);
        Assert.Equal("InvalidFileName", ex.ErrorId);
        Assert.Contains($"U+{codePoint:X4}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("file name", ex.Message, StringComparison.Ordinal);
        Assert.Equal(-1, InputText.FindHidden(ex.Message));
    }

    [Theory]
    [MemberData(nameof(HiddenOutsideCf))]
    public void An_email_with_an_invisible_character_outside_cf_is_refused_naming_it(int codePoint, int at)
    {
        using var signer = new Md5Signer(Md5Key);
        string email = WithCodePoint("ab@shoufei.com", at, codePoint);
        var ex = Assert.Throws<FieldRuleException>(() => new ConfirmRequestBuilder(Partner, email, "http://x.com/r", null, BptbCharset.Utf8, signer));
        Assert.Equal("Email", ex.ParamName);
        Assert.Equal("InvalidEmail", ex.ErrorId);
        Assert.Contains($"U+{codePoint:X4}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("email", ex.Message, StringComparison.Ordinal);
        Assert.Equal(-1, InputText.FindHidden(ex.Message));
    }

    // The spec puts no rule on the characters of a file name (upload spec 4.2: "无命名规范限制"): anything visible
    // passes, a combining mark after its base letter included.
    [Theory]
    [InlineData("批量付款.csv")]
    [InlineData("批量付款 2026+1.csv")]
    [InlineData("I06990000012088001 912065330201002090 2.csv")]
    [InlineData("A&B.csv")]
    [InlineData("付款文件（一）.xls")]
    [InlineData("café.zip")]
    [InlineData("cafe\u0301.zip")]
    [InlineData("급여.csv")]
    [InlineData("ｐａｙ１.csv")]
    [InlineData("pay😀.csv")]
    public void Visible_file_names_in_any_script_still_pass(string fileName)
    {
        using var signer = new Md5Signer(Md5Key);
        Assert.Equal(fileName, Builder(signer).Build(fileName).FileName);
    }

    [Theory]
    [InlineData("gongsi1@shoufei.com")]
    [InlineData("biz_932@alipay.net")]
    [InlineData("付款@公司.中国")]
    public void Visible_emails_still_pass(string email)
    {
        using var signer = new Md5Signer(Md5Key);
        Assert.Equal(email, new ConfirmRequestBuilder(Partner, email, "http://x.com/r", null, BptbCharset.Utf8, signer).Email);
    }

    [Theory]
    [InlineData("http://www.test.com/alipay/return_url.php\n", "line break")]
    [InlineData("http://www.test.com/alipay/\nreturn_url.php", "line break")]
    [InlineData("http://www.test.com/alipay/return_url.php\r", "line break")]
    [InlineData("\nhttp://www.test.com/alipay/return_url.php", "line break")]
    [InlineData("http://www.test.com/alipay/return_url.php\t", "control character")]
    [InlineData("http://www.test.com/alipay/return\u202E.php", "format character")]
    [InlineData("http://www.test.com/alipay/return url.php", "space")]
    [InlineData(" http://www.test.com/alipay/return_url.php", "space")]
    public void A_url_with_a_line_break_or_hidden_character_anywhere_is_refused(string url, string rule)
    {
        using var signer = new Md5Signer(Md5Key);
        var r = Assert.Throws<FieldRuleException>(() => Builder(signer, returnUrl: url));
        Assert.Equal("ReturnUrl", r.ParamName);
        Assert.Contains(rule, r.Message, StringComparison.Ordinal);
        Assert.Equal(-1, InputText.FindHidden(r.Message));
        var n = Assert.Throws<FieldRuleException>(() => Builder(signer, notifyUrl: url));
        Assert.Equal("NotifyUrl", n.ParamName);
    }

    [Theory]
    [InlineData("https://user:secret@www.test.com/alipay/return_url.php")]
    [InlineData("https://secret@www.test.com/alipay/return_url.php")]
    [InlineData("http://user:secret@www.test.com/alipay/return_url.php?x=1")]
    [InlineData("user:secret@www.test.com/alipay/return_url.php")]
    [InlineData("https://user:secret@www.test.com")]
    public void Credentials_in_a_callback_url_are_refused_without_repeating_them(string url)
    {
        using var signer = new Md5Signer(Md5Key);
        var r = Assert.Throws<FieldRuleException>(() => Builder(signer, returnUrl: url));
        Assert.Equal("ReturnUrl", r.ParamName);
        Assert.DoesNotContain("secret", r.Message, StringComparison.Ordinal);
        var n = Assert.Throws<FieldRuleException>(() => Builder(signer, notifyUrl: url));
        Assert.Equal("NotifyUrl", n.ParamName);
        Assert.DoesNotContain("secret", n.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", n.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Clean_values_still_pass()
    {
        using var signer = new Md5Signer(Md5Key);
        ConfirmRequest r = Builder(signer, returnUrl: "https://shop.example.com/alipay/return").Build("批量付款 2026+1.csv");
        Assert.Equal("批量付款 2026+1.csv", r.FileName);
    }

    [Theory]
    [InlineData("/alipay/return.php", "not an absolute")]
    [InlineData("ftp://www.test.com/return.php", "not an absolute")]
    [InlineData("http://www.test.com/return.php?xx=11", "query string")]
    [InlineData("http://localhost/alipay/return_url.php", "localhost")]
    [InlineData("http://localhost:80/alipay/return_url.php", "localhost")]
    [InlineData("http://127.0.0.1/alipay/return_url.php", "localhost")]
    [InlineData("http://www.test.com/alipay/return!url.do", "'!'")]
    public void Bad_return_and_notify_urls_are_refused_before_signing(string url, string rule)
    {
        using var signer = new Md5Signer(Md5Key);
        var r = Assert.Throws<FieldRuleException>(() => Builder(signer, returnUrl: url));
        Assert.Equal("ReturnUrl", r.ParamName);
        Assert.Contains(rule, r.Message, StringComparison.Ordinal);
        var n = Assert.Throws<FieldRuleException>(() => Builder(signer, notifyUrl: url));
        Assert.Equal("NotifyUrl", n.ParamName);
    }

    // Spec 7.1 (8) and 7.2 (10): Alipay must reach the pages from the internet, so private and unspecified addresses
    // are refused as localhost is.
    [Theory]
    [InlineData("http://0.0.0.0/alipay/return_url.php")]
    [InlineData("http://0/alipay/return_url.php")]
    [InlineData("http://10.0.0.1/alipay/return_url.php")]
    [InlineData("http://10.1/alipay/return_url.php")]
    [InlineData("http://0x0a.0.0.1/alipay/return_url.php")]
    [InlineData("http://172.16.0.1/alipay/return_url.php")]
    [InlineData("http://172.31.255.254:8080/alipay/return_url.php")]
    [InlineData("http://192.168.1.10/alipay/return_url.php")]
    [InlineData("http://192.168.1.10./alipay/return_url.php")]
    [InlineData("http://169.254.169.254/alipay/return_url.php")]
    [InlineData("http://100.64.0.1/alipay/return_url.php")]
    [InlineData("http://[::]/alipay/return_url.php")]
    [InlineData("http://[fc00::1]/alipay/return_url.php")]
    [InlineData("http://[fd12:3456::1]/alipay/return_url.php")]
    [InlineData("http://[fe80::1]/alipay/return_url.php")]
    [InlineData("http://[fe80::1%25eth0]/alipay/return_url.php")]
    [InlineData("http://[::ffff:10.0.0.1]/alipay/return_url.php")]
    [InlineData("http://[::ffff:127.0.0.1]/alipay/return_url.php")]
    [InlineData("http://224.0.0.1/alipay/return_url.php")]
    [InlineData("http://255.255.255.255/alipay/return_url.php")]
    // What a browser makes of the host (UTS #46 mapping, then the IPv4 parser): full-width digits and full stops,
    // the ideographic full stop, a trailing one, a full-width "0x".
    [InlineData("http://１０.0.0.1/alipay/return_url.php")]
    [InlineData("http://10。0。0。1/alipay/return_url.php")]
    [InlineData("http://10．0．0．1/alipay/return_url.php")]
    [InlineData("http://192.168.1.10。/alipay/return_url.php")]
    [InlineData("http://0ｘa.0.0.1/alipay/return_url.php")]
    [InlineData("http://１２７.0.0.1/alipay/return_url.php")]
    [InlineData("http://ｌｏｃａｌｈｏｓｔ/alipay/return_url.php")]
    [InlineData("http://localhost。/alipay/return_url.php")]
    // IPv4 special-purpose ranges that are not globally reachable (IANA IPv4 special-purpose registry).
    [InlineData("http://0.1.2.3/alipay/return_url.php")]
    [InlineData("http://127.1.2.3/alipay/return_url.php")]
    [InlineData("http://100.127.255.254/alipay/return_url.php")]
    [InlineData("http://192.0.0.1/alipay/return_url.php")]
    [InlineData("http://192.0.2.1/alipay/return_url.php")]
    [InlineData("http://198.18.0.1/alipay/return_url.php")]
    [InlineData("http://198.19.255.254/alipay/return_url.php")]
    [InlineData("http://198.51.100.7/alipay/return_url.php")]
    [InlineData("http://203.0.113.9/alipay/return_url.php")]
    [InlineData("http://239.255.255.250/alipay/return_url.php")]
    [InlineData("http://240.0.0.1/alipay/return_url.php")]
    // IPv6: outside global unicast, special-purpose, or a form that carries a private IPv4 address.
    [InlineData("http://[::1]/alipay/return_url.php")]
    [InlineData("http://[::10.0.0.1]/alipay/return_url.php")]
    [InlineData("http://[::127.0.0.1]/alipay/return_url.php")]
    [InlineData("http://[::8.8.8.8]/alipay/return_url.php")]
    [InlineData("http://[64:ff9b::a00:1]/alipay/return_url.php")]
    [InlineData("http://[64:ff9b::7f00:1]/alipay/return_url.php")]
    [InlineData("http://[64:ff9b:1::808:808]/alipay/return_url.php")]
    [InlineData("http://[2002:a00:1::1]/alipay/return_url.php")]
    [InlineData("http://[2002:c0a8:10a::1]/alipay/return_url.php")]
    [InlineData("http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/alipay/return_url.php")]
    [InlineData("http://[2001:2::1]/alipay/return_url.php")]
    [InlineData("http://[2001:db8::1]/alipay/return_url.php")]
    [InlineData("http://[3fff::1]/alipay/return_url.php")]
    [InlineData("http://[fec0::1]/alipay/return_url.php")]
    [InlineData("http://[feff::1]/alipay/return_url.php")]
    [InlineData("http://[ff02::1]/alipay/return_url.php")]
    [InlineData("http://[ff0e::1]/alipay/return_url.php")]
    [InlineData("http://[100::1]/alipay/return_url.php")]
    [InlineData("http://[5f00::1]/alipay/return_url.php")]
    [InlineData("http://[4000::1]/alipay/return_url.php")]
    public void Callbacks_on_private_or_unspecified_addresses_are_refused_unless_the_gateway_is_a_loopback_test_gateway(string url)
    {
        using var signer = new Md5Signer(Md5Key);
        var r = Assert.Throws<FieldRuleException>(() => Builder(signer, returnUrl: url));
        Assert.Equal("ReturnUrl", r.ParamName);
        Assert.Contains("internet", r.Message, StringComparison.Ordinal);
        Assert.Contains("7.1 (8)", r.Message, StringComparison.Ordinal);
        var n = Assert.Throws<FieldRuleException>(() => Builder(signer, notifyUrl: url));
        Assert.Equal("NotifyUrl", n.ParamName);
        Assert.Contains("7.2 (10)", n.Message, StringComparison.Ordinal);

        ConfirmRequest local = Builder(signer, returnUrl: url, notifyUrl: url, gateway: "http://127.0.0.1:9000/gateway.do").Build("a.csv");
        Assert.Equal(url, local.Parameters["return_url"]);
    }

    [Theory]
    [InlineData("http://121.1.1.255/alipay/return_url.php")]
    [InlineData("http://172.15.0.1/alipay/return_url.php")]
    [InlineData("http://172.32.0.1/alipay/return_url.php")]
    [InlineData("http://192.169.0.1/alipay/return_url.php")]
    [InlineData("http://[2001:4860:4860::8888]/alipay/return_url.php")]
    [InlineData("http://[2400:cb00:2048:1::c629:d7a2]/alipay/return_url.php")]
    [InlineData("http://[3ff0::1]/alipay/return_url.php")] // beside 3fff::/20, not in it
    [InlineData("http://[3ffe:1::1]/alipay/return_url.php")]
    [InlineData("http://[64:ff9b::808:808]/alipay/return_url.php")]
    [InlineData("http://[2002:808:808::1]/alipay/return_url.php")]
    [InlineData("http://[2001:4:112::1]/alipay/return_url.php")]
    [InlineData("http://192.0.0.9/alipay/return_url.php")]
    [InlineData("http://198.20.0.1/alipay/return_url.php")]
    [InlineData("http://100.128.0.1/alipay/return_url.php")]
    [InlineData("http://223.255.255.254/alipay/return_url.php")]
    [InlineData("http://10.example.com/alipay/return_url.php")]
    [InlineData("http://１０.example.com/alipay/return_url.php")]
    [InlineData("http://例子.测试/alipay/return_url.php")]
    [InlineData("http://ｅｘａｍｐｌｅ.com/alipay/return_url.php")]
    [InlineData("http://127.0.0.1.example.com/alipay/return_url.php")]
    public void Public_addresses_and_names_are_accepted(string url)
    {
        using var signer = new Md5Signer(Md5Key);
        Assert.Equal(url, Builder(signer, returnUrl: url, notifyUrl: url).Build("a.csv").Parameters["notify_url"]);
    }

    [Theory]
    [InlineData("http://１０.0.0.1/r", "10.0.0.1", "10.0.0.0/8")]
    [InlineData("http://10。0。0。1/r", "10.0.0.1", "10.0.0.0/8")]
    [InlineData("http://[::10.0.0.1]/r", "::/96", "10.0.0.1")]
    [InlineData("http://[64:ff9b::a00:1]/r", "64:ff9b::/96", "10.0.0.0/8")]
    [InlineData("http://[2002:a00:1::1]/r", "2002::/16", "10.0.0.0/8")]
    [InlineData("http://[fec0::1]/r", "fec0::1", "fec0::/10")]
    [InlineData("http://[2001:db8::1]/r", "2001:db8::1", "2001:db8::/32")]
    [InlineData("http://192.0.2.1/r", "192.0.2.1", "192.0.2.0/24")]
    [InlineData("http://198.51.100.7/r", "198.51.100.7", "198.51.100.0/24")]
    [InlineData("http://203.0.113.9/r", "203.0.113.9", "203.0.113.0/24")]
    [InlineData("http://198.18.0.1/r", "198.18.0.1", "198.18.0.0/15")]
    [InlineData("http://100.64.0.1/r", "100.64.0.1", "100.64.0.0/10")]
    public void An_unreachable_callback_address_is_named_with_its_range(string url, string address, string range)
    {
        using var signer = new Md5Signer(Md5Key);
        var ex = Assert.Throws<FieldRuleException>(() => Builder(signer, notifyUrl: url));
        Assert.Contains(address, ex.Message, StringComparison.Ordinal);
        Assert.Contains(range, ex.Message, StringComparison.Ordinal);
        Assert.Equal(-1, InputText.FindHidden(ex.Message));
    }

    [Fact]
    public void Loopback_callbacks_are_allowed_only_with_a_loopback_test_gateway()
    {
        using var signer = new Md5Signer(Md5Key);
        ConfirmRequest r = Builder(signer, returnUrl: "http://127.0.0.1:8080/return", notifyUrl: "http://127.0.0.1:8080/notify", gateway: "http://127.0.0.1:9000/gateway.do").Build("a.csv");
        Assert.StartsWith("http://127.0.0.1:9000/gateway.do?", r.Url, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Builder(signer, gateway: "http://mapi.example.com/gateway.do"));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("C:\\pay\\a.csv", "folder")]
    [InlineData("pay/a.csv", "folder")]
    [InlineData("payment", "extension")]
    [InlineData("payment.txt", "extension")]
    [InlineData(".csv", "extension")]
    public void Bad_file_names_are_refused(string fileName, string rule)
    {
        using var signer = new Md5Signer(Md5Key);
        var ex = Assert.Throws<FieldRuleException>(() => Builder(signer).Build(fileName));
        Assert.Equal("FileName", ex.ParamName);
        Assert.Contains(rule, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_that_gb2312_cannot_hold_is_refused_not_signed_as_question_marks()
    {
        using var signer = new Md5Signer(Md5Key);
        var ex = Assert.Throws<FieldRuleException>(() => Builder(signer, "gb2312").Build("朱镕基.csv"));
        Assert.Contains("gb2312", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(Builder(signer, "gbk").Build("朱镕基.csv"));
    }

    // GB2312 is checked on the bytes code page 936 wrote: the message used to say "The bytes are not valid gb2312
    // (at byte 1) ... use gbk Leave the character out", naming neither the character nor where it came from.
    [Theory]
    [InlineData("x镕.csv", "U+9555 '镕'")]
    [InlineData("x€.csv", "U+20AC '€'")]
    public void A_character_gb2312_cannot_hold_is_named_with_its_parameter(string fileName, string named)
    {
        using var signer = new Md5Signer(Md5Key);
        var ex = Assert.Throws<FieldRuleException>(() => Builder(signer, "gb2312").Build(fileName));
        Assert.Equal("InvalidCharsetText", ex.ErrorId);
        Assert.Equal("FileName", ex.ParamName);
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.Contains("file_name", ex.Message, StringComparison.Ordinal);
        Assert.Contains("gb2312", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("byte", ex.Message, StringComparison.Ordinal);
        Assert.Matches(@"[.:;] Leave the character out", ex.Message);
    }

    [Fact]
    public void Bytes_gb2312_cannot_read_name_the_character_they_are_in_gbk()
    {
        byte[] gbk = BptbCharset.Get("gbk").GetBytes("a镕");
        var ex = Assert.Throws<CharsetException>(() => BptbCharset.Get("gb2312").GetString(gbk, 0, gbk.Length));
        Assert.Contains("U+9555", ex.Message, StringComparison.Ordinal);
        Assert.Contains("gb2312", ex.Message, StringComparison.Ordinal);
    }

    // An emoji is a surrogate pair: the encoder reports it in CharUnknownHigh/Low and leaves CharUnknown at '\0',
    // which the message used to show as "U+0000".
    [Theory]
    [InlineData("md5", "gbk")]
    [InlineData("md5", "gb2312")]
    [InlineData("rsa2048", "gbk")]
    [InlineData("dsa1024", "gb2312")]
    public void An_emoji_that_gbk_cannot_hold_is_named_by_its_code_point_and_parameter(string key, string charset)
    {
        using Signer signer = key == "md5" ? new Md5Signer(Md5Key) : KeyLoader.LoadPrivateKey(Vectors.Text($"{key}.pk8.pem"), "test");
        var ex = Assert.Throws<FieldRuleException>(() => Builder(signer, charset).Build("pay😀.csv"));
        Assert.Equal("InvalidCharsetText", ex.ErrorId);
        Assert.Contains("U+1F600", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("U+0000", ex.Message, StringComparison.Ordinal);
        Assert.Contains("file_name", ex.Message, StringComparison.Ordinal);
        Assert.Contains(charset, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_emoji_in_the_email_is_named_with_the_email()
    {
        using var signer = new Md5Signer(Md5Key);
        var ex = Assert.Throws<FieldRuleException>(() =>
            new ConfirmRequestBuilder(Partner, "pay😀@shoufei.com", "http://www.test.com/r", null, BptbCharset.Get("gbk"), signer).Build("a.csv"));
        Assert.Contains("U+1F600", ex.Message, StringComparison.Ordinal);
        Assert.Contains("email", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gbk", "a😀b", "U+1F600")]
    [InlineData("gb2312", "a😀b", "U+1F600")]
    [InlineData("gbk", "a\u20AC\U0001F600", "U+1F600")]
    [InlineData("gb2312", "a镕b", "U+9555")]
    [InlineData("gb2312", "a\u20ACb", "U+20AC")]
    [InlineData("gb2312", "a\u00B7\u20AC", "U+20AC")]
    public void Every_encoding_path_names_the_real_character(string charset, string text, string named)
    {
        BptbCharset c = BptbCharset.Get(charset);
        Assert.Contains(named, Assert.Throws<CharsetException>(() => c.GetBytes(text)).Message, StringComparison.Ordinal);
        Assert.Contains(named, Assert.Throws<CharsetException>(() => c.GetBytes(text, new byte[64], 0)).Message, StringComparison.Ordinal);
#if NET // the span overload is the net8.0 build's only (tests/desktop builds these tests for .NET Framework)
        Assert.Contains(named, Assert.Throws<CharsetException>(() => c.GetBytes(text, new byte[64].AsSpan())).Message, StringComparison.Ordinal);
#endif
    }

    [Theory]
    [InlineData("gbk")]
    [InlineData("utf-8")]
    public void Half_a_surrogate_pair_is_named_as_itself(string charset)
    {
        // Built here, not in InlineData: xunit's serialization of theory data turns a lone surrogate into U+FFFD.
        string text = "a" + (char)0xD83D + "b";
        var ex = Assert.Throws<CharsetException>(() => BptbCharset.Get(charset).GetBytes(text));
        Assert.Contains("U+D83D", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("latin1")]
    [InlineData("")]
    public void Unknown_charsets_are_refused(string charset)
    {
        var ex = Assert.Throws<ArgumentException>(() => BptbCharset.Get(charset));
        Assert.Contains("utf-8, gbk, gb2312", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_public_key_cannot_sign_a_request()
    {
        using Signer pub = KeyLoader.LoadPublicKey(Vectors.Text("rsa1024.pub.pem"), "test");
        Assert.Throws<ArgumentException>(() => Builder(pub));
    }
}
