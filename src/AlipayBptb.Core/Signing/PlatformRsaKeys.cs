#if NET
using System;
using System.Security.Cryptography;
using NumericBigInteger = System.Numerics.BigInteger;

namespace AlipayBptb.Core.Signing;

/// <summary>
/// The RSA key forms .NET reads itself (PKCS#8, PKCS#1 and SubjectPublicKeyInfo DER), read without BouncyCastle:
/// loading, initialising and compiling BouncyCastle's parser cost a one-shot script (import, sign one request, check
/// one callback) about a tenth of a second per key. Anything this reader does not take exactly as BouncyCastle
/// would (other algorithms, DER that does not re-encode byte for byte, numbers BouncyCastle refuses, keys the platform
/// refuses) gives null, and <see cref="KeyLoader"/> parses the key as before, errors and fallbacks included.
/// net8.0 only: .NET Framework has no such import, so the netstandard2.0 build always parses with BouncyCastle.
/// </summary>
internal static class PlatformRsaKeys
{
    private enum Form
    {
        Pkcs8,
        Pkcs1Private,
        Spki,
        Pkcs1Public,
    }

    /// <summary>A signer for an RSA private key in a form the platform reads, or null.</summary>
    public static Signer? TryPrivate(string? label, byte[] der) => label switch
    {
        "PRIVATE KEY" => Import(der, Form.Pkcs8),
        "RSA PRIVATE KEY" => Import(der, Form.Pkcs1Private),
        null => Import(der, Form.Pkcs8) ?? Import(der, Form.Pkcs1Private), // KeyLoader's order for bare base64
        _ => null,
    };

    /// <summary>A signer for an RSA public key in a form the platform reads, or null.</summary>
    public static Signer? TryPublic(string? label, byte[] der) => label switch
    {
        "PUBLIC KEY" => Import(der, Form.Spki),
        "RSA PUBLIC KEY" => Import(der, Form.Pkcs1Public),
        null => Import(der, Form.Spki), // bare base64 is SubjectPublicKeyInfo only, as in KeyLoader
        _ => null,
    };

    private static Signer? Import(byte[] der, Form form)
    {
        RSA rsa = RSA.Create();
        try
        {
            int read;
            byte[] again;
            switch (form)
            {
                case Form.Pkcs8:
                    rsa.ImportPkcs8PrivateKey(der, out read);
                    again = rsa.ExportPkcs8PrivateKey();
                    break;
                case Form.Pkcs1Private:
                    rsa.ImportRSAPrivateKey(der, out read);
                    again = rsa.ExportRSAPrivateKey();
                    break;
                case Form.Spki:
                    rsa.ImportSubjectPublicKeyInfo(der, out read);
                    again = rsa.ExportSubjectPublicKeyInfo();
                    break;
                default:
                    rsa.ImportRSAPublicKey(der, out read);
                    again = rsa.ExportRSAPublicKey();
                    break;
            }
            // Byte for byte what was read: no trailing data, no negative or padded numbers read as unsigned, no
            // attributes or parameters dropped on the way in. Otherwise BouncyCastle decides, as it always did.
            if (read != der.Length || !again.AsSpan().SequenceEqual(der) || !IsPlausible(rsa.ExportParameters(false)))
            {
                rsa.Dispose();
                return null;
            }
            return new RsaSigner(rsa, hasPrivateKey: form is Form.Pkcs8 or Form.Pkcs1Private);
        }
        catch (Exception ex) when (ex is CryptographicException || ex is ArgumentException || ex is OverflowException
            || ex is FormatException || ex is InvalidOperationException || ex is NotSupportedException)
        {
            rsa.Dispose();
            return null;
        }
    }

    // The cheap part of BouncyCastle's RsaKeyParameters checks (an odd modulus, an odd public exponent) and a small
    // prime factor, a broken modulus. A key that fails them goes to BouncyCastle, which decides as it always did.
    private static bool IsPlausible(RSAParameters p)
    {
        if (p.Modulus is not { Length: > 0 } n || p.Exponent is not { Length: > 0 } e || (n[^1] & 1) == 0 || (e[^1] & 1) == 0)
        {
            return false;
        }
        var modulus = new NumericBigInteger(n, isUnsigned: true, isBigEndian: true);
        return NumericBigInteger.GreatestCommonDivisor(modulus, SmallPrimes.Value).IsOne;
    }

    // The product of the odd primes below 752: no sound modulus has one of them as a factor.
    private static readonly Lazy<NumericBigInteger> SmallPrimes = new(() =>
    {
        NumericBigInteger product = NumericBigInteger.One;
        for (int candidate = 3; candidate < 752; candidate += 2)
        {
            bool prime = true;
            for (int d = 3; d * d <= candidate; d += 2)
            {
                if (candidate % d == 0)
                {
                    prime = false;
                    break;
                }
            }
            if (prime)
            {
                product *= candidate;
            }
        }
        return product;
    });
}
#endif
