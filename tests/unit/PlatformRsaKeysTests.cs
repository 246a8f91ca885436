using System;
using System.Security.Cryptography;
using AlipayBptb.Core.Signing;
using Org.BouncyCastle.Asn1;
using Xunit;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace AlipayBptb.Tests;

/// <summary>
/// The RSA forms .NET reads itself skip BouncyCastle (issue 13: a one-shot script paid for loading it); whatever the
/// platform reader does not take exactly goes to BouncyCastle as before, with the same result or error.
/// </summary>
public class PlatformRsaKeysTests
{
    [Theory]
    [InlineData("rsa1024.pk8.pem", "PRIVATE KEY", true)]
    [InlineData("rsa2048.pk8.pem", "PRIVATE KEY", true)]
    [InlineData("rsa2048.pkcs1.pem", "RSA PRIVATE KEY", true)]
    [InlineData("rsa2048.pk8.pem", null, true)]
    [InlineData("rsa2048.pkcs1.pem", null, true)]
    [InlineData("rsa2048.pub.pem", "PUBLIC KEY", false)]
    [InlineData("rsa2048.pub.pem", null, false)]
    public void The_openssl_rsa_vectors_are_read_by_the_platform(string file, string? label, bool isPrivate)
    {
        byte[] der = Convert.FromBase64String(Vectors.Bare(file));
        using Signer? signer = isPrivate ? PlatformRsaKeys.TryPrivate(label, der) : PlatformRsaKeys.TryPublic(label, der);
        Assert.IsType<RsaSigner>(signer);
        Assert.Equal(isPrivate, signer!.CanSign);
    }

    [Fact]
    public void A_pkcs1_rsa_public_key_is_read_by_the_platform_and_verifies_openssl_signatures()
    {
        using RSA rsa = RSA.Create();
        rsa.ImportFromPem(Vectors.Text("rsa2048.pub.pem"));
        string pem = PemEncoding.WriteString("RSA PUBLIC KEY", rsa.ExportRSAPublicKey());
        using Signer? platform = PlatformRsaKeys.TryPublic("RSA PUBLIC KEY", rsa.ExportRSAPublicKey());
        Assert.NotNull(platform);
        using Signer loaded = KeyLoader.LoadPublicKey(pem, "test");
        Assert.True(loaded.Verify(Vectors.MessageUtf8, BptbCharset.Utf8, Vectors.Text("rsa2048.utf8.sig.b64").Trim()).IsValid);
    }

    [Theory]
    [InlineData("dsa1024.pk8.pem", "PRIVATE KEY", true)]
    [InlineData("dsa1024.trad.pem", "DSA PRIVATE KEY", true)]
    [InlineData("dsa1024.pub.pem", "PUBLIC KEY", false)]
    [InlineData("rsa2048.pub.pem", "PRIVATE KEY", true)]
    [InlineData("rsa2048.pk8.pem", "PUBLIC KEY", false)]
    [InlineData("rsa2048.pk8.pem", "ENCRYPTED PRIVATE KEY", true)]
    public void Other_algorithms_and_mislabelled_keys_are_left_to_bouncycastle(string file, string? label, bool isPrivate)
    {
        byte[] der = Convert.FromBase64String(Vectors.Bare(file));
        Assert.Null(isPrivate ? PlatformRsaKeys.TryPrivate(label, der) : PlatformRsaKeys.TryPublic(label, der));
    }

    [Fact]
    public void Trailing_bytes_are_left_to_bouncycastle()
    {
        byte[] der = Convert.FromBase64String(Vectors.Bare("rsa2048.pub.pem"));
        byte[] longer = new byte[der.Length + 2];
        der.CopyTo(longer, 0);
        Assert.Null(PlatformRsaKeys.TryPublic("PUBLIC KEY", longer));
    }

    // RSAPublicKey { n, e } with one number changed: the platform reader leaves it to BouncyCastle, so that what
    // BouncyCastle refuses is still refused, in its words, and what it takes (a small factor: BouncyCastle 2 does not
    // look for one) still loads.
    [Theory]
    [InlineData("negative modulus", true)]
    [InlineData("even modulus", true)]
    [InlineData("even exponent", true)]
    [InlineData("modulus with a small factor", false)]
    public void A_doubtful_public_key_is_left_to_bouncycastle(string change, bool refused)
    {
        using RSA rsa = RSA.Create();
        rsa.ImportFromPem(Vectors.Text("rsa2048.pub.pem"));
        RSAParameters p = rsa.ExportParameters(false);
        var n = new BigInteger(1, p.Modulus);
        var e = new BigInteger(1, p.Exponent);
        (n, e) = change switch
        {
            "negative modulus" => (n.Negate(), e),
            "even modulus" => (n.Add(BigInteger.One), e),
            "modulus with a small factor" => (n.Multiply(BigInteger.ValueOf(751)), e),
            "even exponent" => (n, e.Add(BigInteger.One)),
            _ => throw new ArgumentOutOfRangeException(nameof(change)),
        };
        byte[] der = new DerSequence(new DerInteger(n), new DerInteger(e)).GetEncoded();
        Assert.Null(PlatformRsaKeys.TryPublic("RSA PUBLIC KEY", der));
        string pem = $"-----BEGIN RSA PUBLIC KEY-----\n{Convert.ToBase64String(der)}\n-----END RSA PUBLIC KEY-----\n";
        if (refused)
        {
            Assert.Throws<KeyFormatException>(() => KeyLoader.LoadPublicKey(pem, "the test key"));
        }
        else
        {
            KeyLoader.LoadPublicKey(pem, "the test key").Dispose();
        }
    }
}
