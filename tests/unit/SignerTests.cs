using System;
using System.IO;
using System.Text;
using AlipayBptb.Core.Signing;
using Xunit;

namespace AlipayBptb.Tests;

public class Md5SignerTests
{
    private static string Key => Vectors.Md5.GetProperty("key").GetString()!;

    [Fact]
    public void Utf8_signature_matches_python_hashlib()
    {
        using var s = new Md5Signer(Key);
        Assert.Equal(Vectors.Md5.GetProperty("md5_utf8").GetString(), s.Sign(Vectors.MessageUtf8, BptbCharset.Utf8));
    }

    [Fact]
    public void Gbk_signature_matches_hashlib_over_iconv_bytes()
    {
        using var s = new Md5Signer(Key);
        BptbCharset gbk = BptbCharset.Get("GBK");
        Assert.Equal(Vectors.Md5.GetProperty("gbk_bytes_hex").GetString(), Convert.ToHexString(gbk.GetBytes(Vectors.MessageUtf8)).ToLowerInvariant());
        Assert.Equal(Vectors.Md5.GetProperty("md5_gbk").GetString(), s.Sign(Vectors.MessageUtf8, gbk));
        Assert.True(s.Verify(Vectors.MessageUtf8, gbk, Vectors.Md5.GetProperty("md5_gbk").GetString()!).IsValid);
        Assert.False(s.Verify(Vectors.MessageUtf8, BptbCharset.Utf8, Vectors.Md5.GetProperty("md5_gbk").GetString()!).IsValid);
    }

    [Fact]
    public void Spec_8_1_2_string_in_gb2312_matches_hashlib()
    {
        using var s = new Md5Signer(Key);
        string signString = "_input_charset=gb2312&email=gongsil@shoufei.com&file_nam=1069900000120880019120653302010020902.csv&notify_url=http://www.test.com/alipay/notify_url.php&partner=2088002464631181&return_url=http://www.test.com/alipay/return_url.php&service=bptb_user_confirm";
        Assert.Equal(Vectors.Md5.GetProperty("md5_spec_812_gb2312").GetString(), s.Sign(signString, BptbCharset.Get("gb2312")));
    }

    [Fact]
    public void A_changed_byte_fails()
    {
        using var s = new Md5Signer(Key);
        string good = Vectors.Md5.GetProperty("md5_utf8").GetString()!;
        Assert.True(s.Verify(Vectors.MessageUtf8, BptbCharset.Utf8, good).IsValid);
        Assert.False(s.Verify(Vectors.MessageUtf8.Replace("20101130.csv", "20101131.csv"), BptbCharset.Utf8, good).IsValid);
        char last = good[^1] == '0' ? '1' : '0';
        Assert.False(s.Verify(Vectors.MessageUtf8, BptbCharset.Utf8, good[..^1] + last).IsValid);
        Assert.False(s.Verify(Vectors.MessageUtf8, BptbCharset.Utf8, good.ToUpperInvariant()).IsValid);
        Assert.Contains("32 hex digits", s.Verify(Vectors.MessageUtf8, BptbCharset.Utf8, "abc").Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f", "31 characters")]
    [InlineData("k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4\n", "whitespace")]
    [InlineData("k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f-", "not a letter or digit")]
    public void Bad_keys_are_refused_without_showing_the_key(string key, string rule)
    {
        var ex = Assert.Throws<KeyFormatException>(() => new Md5Signer(key));
        Assert.Contains(rule, ex.Message, StringComparison.Ordinal);
        if (key.Length > 4)
        {
            Assert.DoesNotContain(key.Trim()[..8], ex.Message, StringComparison.Ordinal);
        }
    }
}

public class AsymmetricSignerTests
{
    public static TheoryData<string, string> KeysAndCharsets => new()
    {
        { "rsa1024", "utf8" }, { "rsa1024", "gbk" },
        { "rsa2048", "utf8" }, { "rsa2048", "gbk" },
        { "dsa1024", "utf8" }, { "dsa1024", "gbk" },
    };

    private static BptbCharset Charset(string name) => name == "gbk" ? BptbCharset.Get("gbk") : BptbCharset.Utf8;

    [Theory]
    [MemberData(nameof(KeysAndCharsets))]
    public void Openssl_signatures_verify_in_ours_and_a_changed_byte_fails(string key, string charset)
    {
        using Signer verifier = KeyLoader.LoadPublicKey(Vectors.Text($"{key}.pub.pem"), "test");
        string sig = Vectors.Text($"{key}.{charset}.sig.b64").Trim();
        Assert.True(verifier.Verify(Vectors.MessageUtf8, Charset(charset), sig).IsValid);
        Assert.False(verifier.Verify(Vectors.MessageUtf8.Replace("pay_date=20101130", "pay_date=20101131"), Charset(charset), sig).IsValid);
        byte[] raw = Convert.FromBase64String(sig);
        raw[raw.Length / 2] ^= 0x01;
        Assert.False(verifier.Verify(Vectors.MessageUtf8, Charset(charset), Convert.ToBase64String(raw)).IsValid);
    }

    [Theory]
    [InlineData("rsa1024.pk8.pem", "rsa1024.pub.pem")]
    [InlineData("rsa2048.pk8.pem", "rsa2048.pub.pem")]
    [InlineData("rsa2048.pkcs1.pem", "rsa2048.pub.pem")]
    [InlineData("dsa1024.pk8.pem", "dsa1024.pub.pem")]
    [InlineData("dsa1024.trad.pem", "dsa1024.pub.pem")]
    public void Our_signatures_verify_with_openssl_dgst(string privateKey, string publicKey)
    {
        using Signer signer = KeyLoader.LoadPrivateKey(Vectors.Text(privateKey), "test");
        foreach (string charset in new[] { "utf8", "gbk" })
        {
            string sig = signer.Sign(Vectors.MessageUtf8, Charset(charset));
            string sigFile = Path.GetTempFileName();
            try
            {
                File.WriteAllBytes(sigFile, Convert.FromBase64String(sig));
                string message = Vectors.Path_(charset == "gbk" ? "message.gbk.bin" : "message.utf8.txt");
                var (code, output) = Vectors.OpenSsl("dgst", "-sha1", "-verify", Vectors.Path_(publicKey), "-signature", sigFile, message);
                Assert.True(code == 0, $"openssl says: {output}");
                Assert.Contains("Verified OK", output, StringComparison.Ordinal);
            }
            finally
            {
                File.Delete(sigFile);
            }
        }
    }

    [Theory]
    [InlineData("rsa1024")]
    [InlineData("rsa2048")]
    public void Rsa_signatures_are_byte_identical_to_openssl(string key)
    {
        // PKCS#1 v1.5 is deterministic: the same key and bytes give the same signature in every implementation.
        using Signer signer = KeyLoader.LoadPrivateKey(Vectors.Text($"{key}.pk8.pem"), "test");
        Assert.Equal(Vectors.Text($"{key}.utf8.sig.b64").Trim(), signer.Sign(Vectors.MessageUtf8, BptbCharset.Utf8));
        Assert.Equal(Vectors.Text($"{key}.gbk.sig.b64").Trim(), signer.Sign(Vectors.MessageUtf8, BptbCharset.Get("gbk")));
    }

    [Fact]
    public void Bare_base64_keys_load_as_alipay_tools_write_them()
    {
        using Signer signer = KeyLoader.LoadPrivateKey(Vectors.Bare("rsa2048.pk8.pem"), "test");
        using Signer verifier = KeyLoader.LoadPublicKey(Vectors.Bare("rsa2048.pub.pem"), "test");
        Assert.Equal(SignType.RSA, signer.SignType);
        Assert.Equal(2048, verifier.KeySize);
        Assert.True(verifier.Verify("a=1", BptbCharset.Utf8, signer.Sign("a=1", BptbCharset.Utf8)).IsValid);
        using Signer dsa = KeyLoader.LoadPrivateKey(Vectors.Bare("dsa1024.pk8.pem"), "test");
        Assert.Equal(SignType.DSA, dsa.SignType);
    }

    [Theory]
    [InlineData("rsa2048", SignType.RSA)]
    [InlineData("dsa1024", SignType.DSA)]
    public void The_bouncycastle_fallback_writes_the_same_wire_format(string key, SignType type)
    {
        var parsed = Org.BouncyCastle.Security.PrivateKeyFactory.CreateKey(Convert.FromBase64String(Vectors.Bare($"{key}.pk8.pem")));
        using Signer fallback = KeyLoader.CreateSigner(parsed, "test", platform: false);
        Assert.IsType<BouncyCastleSigner>(fallback);
        Assert.Equal(type, fallback.SignType);
        string sig = fallback.Sign(Vectors.MessageUtf8, BptbCharset.Utf8);
        using Signer platform = KeyLoader.LoadPublicKey(Vectors.Text($"{key}.pub.pem"), "test");
        Assert.True(platform.Verify(Vectors.MessageUtf8, BptbCharset.Utf8, sig).IsValid);
        var pub = Org.BouncyCastle.Security.PublicKeyFactory.CreateKey(Convert.FromBase64String(Vectors.Bare($"{key}.pub.pem")));
        using Signer fallbackVerifier = KeyLoader.CreateSigner(pub, "test", platform: false);
        Assert.True(fallbackVerifier.Verify(Vectors.MessageUtf8, BptbCharset.Utf8, Vectors.Text($"{key}.utf8.sig.b64").Trim()).IsValid);
        Assert.False(fallbackVerifier.Verify("tampered", BptbCharset.Utf8, Vectors.Text($"{key}.utf8.sig.b64").Trim()).IsValid);
    }

    [Fact]
    public void A_sign_that_is_not_base64_or_had_its_plus_turned_into_a_space_says_so()
    {
        using Signer verifier = KeyLoader.LoadPublicKey(Vectors.Text("rsa1024.pub.pem"), "test");
        Assert.Equal("sign is not base64", verifier.Verify("a=1", BptbCharset.Utf8, "!!!!").Reason);
        string sig = Vectors.Text("rsa1024.utf8.sig.b64").Trim();
        Assert.Contains("+", sig, StringComparison.Ordinal); // the vector was chosen to have one
        Assert.Contains("'+' was read as a space", verifier.Verify(Vectors.MessageUtf8, BptbCharset.Utf8, sig.Replace('+', ' ')).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Dsa_der_signatures_are_read_strictly()
    {
        byte[] p1363 = new byte[40];
        p1363[0] = 0x80; // r needs a leading zero in DER
        p1363[39] = 0x01;
        byte[] der = DsaSignatureEncoding.P1363ToDer(p1363);
        Assert.True(DsaSignatureEncoding.TryDerToP1363(der, 20, out byte[] back));
        Assert.Equal(p1363, back);
        byte[] trailing = new byte[der.Length + 1];
        der.CopyTo(trailing, 0);
        Assert.False(DsaSignatureEncoding.TryDerToP1363(trailing, 20, out _));
        Assert.False(DsaSignatureEncoding.TryDerToP1363(new byte[] { 0x30, 0x00 }, 20, out _));
        Assert.False(DsaSignatureEncoding.TryDerToP1363(Encoding.ASCII.GetBytes("not der at all"), 20, out _));
    }
}
