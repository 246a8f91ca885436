using System;
using System.Text;
using AlipayBptb.Core.Signing;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace AlipayBptb.Mock;

/// <summary>"Alipay's" own keys for the mock gateway: given, or made for the occasion (test keys only).</summary>
internal sealed class LocalGatewayKeys
{
    // Made on first use: a gateway that only answers notify_verify never pays for key generation.
    private readonly Lazy<(string Private, string Public)> _dsa = new(() => Generate(dsa: true));
    private readonly Lazy<(string Private, string Public)> _rsa;

    public LocalGatewayKeys(string? rsaPrivatePem)
    {
        if (string.IsNullOrEmpty(rsaPrivatePem))
        {
            _rsa = new(() => Generate(dsa: false));
            return;
        }
        AsymmetricKeyParameter key = KeyLoader.ParsePrivateKey(rsaPrivatePem!, "Alipay's private key");
        if (key is not RsaPrivateCrtKeyParameters rsa)
        {
            throw new KeyFormatException("Alipay's private key for the mock gateway must be an RSA key.");
        }
        string publicPem = Pem("PUBLIC KEY", SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(new RsaKeyParameters(false, rsa.Modulus, rsa.PublicExponent)).GetEncoded());
        _rsa = new(() => (rsaPrivatePem!, publicPem));
    }

    public string RsaPrivatePem => _rsa.Value.Private;

    public string RsaPublicPem => _rsa.Value.Public;

    public string DsaPrivatePem => _dsa.Value.Private;

    public string DsaPublicPem => _dsa.Value.Public;

    private static (string Private, string Public) Generate(bool dsa)
    {
#if NET
        // The platform makes keys in milliseconds; managed BouncyCastle takes a second or more for RSA-2048.
        using System.Security.Cryptography.AsymmetricAlgorithm key = dsa
            ? System.Security.Cryptography.DSA.Create(1024)
            : System.Security.Cryptography.RSA.Create(2048);
        return (Pem("PRIVATE KEY", key.ExportPkcs8PrivateKey()), Pem("PUBLIC KEY", key.ExportSubjectPublicKeyInfo()));
#else
        var random = new SecureRandom();
        AsymmetricCipherKeyPair pair;
        if (dsa)
        {
            var parameters = new DsaParametersGenerator();
            parameters.Init(1024, 80, random);
            var generator = new DsaKeyPairGenerator();
            generator.Init(new DsaKeyGenerationParameters(random, parameters.GenerateParameters()));
            pair = generator.GenerateKeyPair();
        }
        else
        {
            var generator = new RsaKeyPairGenerator();
            generator.Init(new KeyGenerationParameters(random, 2048));
            pair = generator.GenerateKeyPair();
        }
        return (Pem("PRIVATE KEY", PrivateKeyInfoFactory.CreatePrivateKeyInfo(pair.Private).GetEncoded()),
                Pem("PUBLIC KEY", SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetEncoded()));
#endif
    }

    private static string Pem(string label, byte[] der)
    {
        string b64 = Convert.ToBase64String(der);
        var sb = new StringBuilder();
        sb.Append("-----BEGIN ").Append(label).Append("-----\n");
        for (int i = 0; i < b64.Length; i += 64)
        {
            sb.Append(b64, i, Math.Min(64, b64.Length - i)).Append('\n');
        }
        sb.Append("-----END ").Append(label).Append("-----\n");
        return sb.ToString();
    }
}
