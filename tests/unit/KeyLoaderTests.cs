using System;
using System.IO;
using System.Security.Cryptography;
using AlipayBptb.Core.Signing;
using Xunit;

namespace AlipayBptb.Tests;

public class KeyLoaderTests
{
    [Theory]
    [InlineData("rsa1024.pk8.pem", SignType.RSA, 1024)]
    [InlineData("rsa2048.pkcs1.pem", SignType.RSA, 2048)]
    [InlineData("dsa1024.trad.pem", SignType.DSA, 1024)]
    [InlineData("dsa1024.pk8.pem", SignType.DSA, 1024)]
    public void Every_private_key_form_loads_on_the_platform(string file, SignType type, int bits)
    {
        using Signer s = KeyLoader.LoadPrivateKey(Vectors.Text(file), "test");
        Assert.Equal(type, s.SignType);
        Assert.Equal(bits, s.KeySize);
        Assert.True(s.CanSign);
        Assert.IsNotType<BouncyCastleSigner>(s);
    }

    [Fact]
    public void A_missing_key_file_is_named()
    {
        var ex = Assert.Throws<KeyFormatException>(() => KeyLoader.ReadKeyFile("/nonexistent/key.pem"));
        Assert.Contains("'/nonexistent/key.pem' does not exist", ex.Message, StringComparison.Ordinal);
        var folder = Assert.Throws<KeyFormatException>(() => KeyLoader.ReadKeyFile(Path.GetTempPath()));
        Assert.Contains("is a folder", folder.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello, this is not a key")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA")]
    public void Text_that_is_not_a_key_is_refused(string text)
    {
        Assert.Throws<KeyFormatException>(() => KeyLoader.LoadPrivateKey(text, "the test key"));
    }

    [Fact]
    public void A_public_key_where_a_private_one_is_needed_and_back_is_named_as_such()
    {
        var a = Assert.Throws<KeyFormatException>(() => KeyLoader.LoadPrivateKey(Vectors.Text("rsa1024.pub.pem"), "the test key"));
        Assert.Contains("is a public key", a.Message, StringComparison.Ordinal);
        var b = Assert.Throws<KeyFormatException>(() => KeyLoader.LoadPublicKey(Vectors.Text("rsa1024.pk8.pem"), "the test key"));
        Assert.Contains("is a private key", b.Message, StringComparison.Ordinal);
        var c = Assert.Throws<KeyFormatException>(() => KeyLoader.LoadPublicKey(Vectors.Bare("dsa1024.pk8.pem"), "the test key"));
        Assert.Contains("is a private key", c.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_encrypted_key_asks_to_be_decrypted()
    {
        using RSA rsa = RSA.Create(1024);
        string pem = rsa.ExportEncryptedPkcs8PrivateKeyPem("pw", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000));
        var ex = Assert.Throws<KeyFormatException>(() => KeyLoader.LoadPrivateKey(pem, "the test key"));
        Assert.Contains("encrypted", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ec_key_is_refused_as_the_wrong_algorithm()
    {
        using ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ex = Assert.Throws<KeyFormatException>(() => KeyLoader.LoadPrivateKey(ec.ExportPkcs8PrivateKeyPem(), "the test key"));
        Assert.Contains("RSA or DSA only", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_errors_never_carry_key_material()
    {
        string pem = Vectors.Text("rsa1024.pk8.pem");
        string body = Vectors.Bare("rsa1024.pk8.pem");
        var ex = Assert.Throws<KeyFormatException>(() => KeyLoader.LoadPublicKey(pem, "the test key"));
        Assert.DoesNotContain(body[..20], ex.ToString(), StringComparison.Ordinal);
        var cut = Assert.Throws<KeyFormatException>(() => KeyLoader.LoadPrivateKey(pem[..(pem.Length / 2)], "the test key"));
        Assert.DoesNotContain(body[30..50], cut.ToString(), StringComparison.Ordinal);
    }
}
