using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace AlipayBptb.Core.Signing;

/// <summary>
/// The one key loader: every key form of the public contract, parsed with BouncyCastle (which reads PEM,
/// PKCS#1, PKCS#8 and DSA parameters on every runtime, .NET Framework included) and handed to the
/// platform's RSA or DSA for the per-message work. On net8.0 the RSA forms the platform reads itself skip
/// BouncyCastle (PlatformRsaKeys), which a one-shot script would otherwise load for one key.
/// Errors name the source and the rule, never key bytes.
/// </summary>
public static class KeyLoader
{
    private const int MaxKeyFileBytes = 64 * 1024;

    /// <summary>Reads a key file, or explains why it cannot be read.</summary>
    public static string ReadKeyFile(string path)
    {
        if (!File.Exists(path))
        {
            throw Directory.Exists(path)
                ? new KeyFormatException($"The key file '{path}' is a folder, not a file.")
                : new KeyFormatException(KeyProblem.FileNotFound, $"The key file '{path}' does not exist.");
        }
        try
        {
            var info = new FileInfo(path);
            if (info.Length > MaxKeyFileBytes)
            {
                throw new KeyFormatException($"The key file '{path}' is {info.Length} bytes: too large to be a key (PEM keys are a few kilobytes).");
            }
            return File.ReadAllText(path, Encoding.ASCII);
        }
        catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
        {
            throw new KeyFormatException(KeyProblem.FileUnreadable, $"The key file '{path}' cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>Loads the merchant's private key (PKCS#8 PEM, PKCS#1 PEM, DSA PEM, or bare base64 PKCS#8).</summary>
    public static Signer LoadPrivateKey(string text, string source)
    {
        var (label, der) = Unarmor(text, source);
#if NET
        // RSA in a form the platform reads: BouncyCastle is not even loaded (PlatformRsaKeys).
        if (PlatformRsaKeys.TryPrivate(label, der) is { } platform)
        {
            return platform;
        }
#endif
        return LoadPrivateKeyWithBouncyCastle(label, der, source);
    }

    // Apart, so that compiling LoadPrivateKey never loads BouncyCastle: only a key the platform did not take does.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Signer LoadPrivateKeyWithBouncyCastle(string? label, byte[] der, string source) =>
        CreateSigner(ParsePrivateKey(label, der, source), source);

    /// <summary>Parses a private key in any accepted form, without making a signer of it.</summary>
    internal static AsymmetricKeyParameter ParsePrivateKey(string text, string source)
    {
        var (label, der) = Unarmor(text, source);
        return ParsePrivateKey(label, der, source);
    }

    private static AsymmetricKeyParameter ParsePrivateKey(string? label, byte[] der, string source)
    {
        AsymmetricKeyParameter key = label switch
        {
            "PRIVATE KEY" => Pkcs8(der, source),
            "RSA PRIVATE KEY" => Pkcs1Rsa(der, source),
            "DSA PRIVATE KEY" => TraditionalDsa(der, source),
            null => Pkcs8OrNull(der) ?? Pkcs1RsaOrNull(der) ?? TraditionalDsaOrNull(der)
                ?? throw (IsPublicKey(der)
                    ? WrongKind(source, "a public key", "a private key (the merchant's own, to sign requests)")
                    : NotAKey(source)),
            "PUBLIC KEY" or "RSA PUBLIC KEY" => throw WrongKind(source, "a public key", "a private key (the merchant's own, to sign requests)"),
            "ENCRYPTED PRIVATE KEY" => throw Encrypted(source),
            _ => throw new KeyFormatException($"{Capital(source)} is a PEM '{label}', not a private key: expected BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or BEGIN DSA PRIVATE KEY."),
        };
        return key;
    }

    /// <summary>Loads Alipay's public key (SubjectPublicKeyInfo PEM, PKCS#1 RSA public PEM, or bare base64 SPKI).</summary>
    public static Signer LoadPublicKey(string text, string source)
    {
        var (label, der) = Unarmor(text, source);
#if NET
        if (PlatformRsaKeys.TryPublic(label, der) is { } platform)
        {
            return platform;
        }
#endif
        return LoadPublicKeyWithBouncyCastle(label, der, source);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Signer LoadPublicKeyWithBouncyCastle(string? label, byte[] der, string source)
    {
        AsymmetricKeyParameter key = label switch
        {
            "PUBLIC KEY" => Spki(der, source),
            "RSA PUBLIC KEY" => RsaPublicOrNull(der) ?? throw NotAKey(source),
            null => SpkiOrNull(der)
                ?? throw (Pkcs8OrNull(der) != null || Pkcs1RsaOrNull(der) != null
                    ? WrongKind(source, "a private key", "Alipay's public key (to verify what Alipay sends)")
                    : NotAKey(source)),
            "PRIVATE KEY" or "RSA PRIVATE KEY" or "DSA PRIVATE KEY" or "ENCRYPTED PRIVATE KEY" =>
                throw WrongKind(source, "a private key", "Alipay's public key (to verify what Alipay sends)"),
            _ => throw new KeyFormatException($"{Capital(source)} is a PEM '{label}', not a public key: expected BEGIN PUBLIC KEY."),
        };
        return CreateSigner(key, source);
    }

    /// <summary>Makes a platform signer for a parsed key, or the BouncyCastle one when the platform refuses the key.</summary>
    internal static Signer CreateSigner(AsymmetricKeyParameter key, string source, bool platform = true)
    {
        switch (key)
        {
            case RsaKeyParameters rsa:
                int rsaBits = rsa.Modulus.BitLength;
                if (platform && TryPlatformRsa(rsa, out Signer? rsaSigner))
                {
                    return rsaSigner!;
                }
                return new BouncyCastleSigner(SignType.RSA, rsa, rsaBits);
            case DsaKeyParameters dsa:
                if (dsa.Parameters is null)
                {
                    // X.509 lets a DSA public key leave p, q and g to its issuer's certificate; there is none here.
                    throw new KeyFormatException($"{Capital(source)} is a DSA key without its parameters (p, q, g): give the key with them, as openssl writes it.");
                }
                if (!IsInRange(dsa))
                {
                    throw new KeyFormatException($"{Capital(source)} is not a usable DSA key: its numbers are out of range (DSA needs 1 < g < p, 0 < q < p, 0 < x < q, 1 < y < p, and p of at most {MaxDsaBits} bits).");
                }
                int dsaBits = dsa.Parameters.P.BitLength;
                if (platform && TryPlatformDsa(dsa, out Signer? dsaSigner))
                {
                    return dsaSigner!;
                }
                return new BouncyCastleSigner(SignType.DSA, dsa, dsaBits);
            default:
                throw new KeyFormatException($"{Capital(source)} is a {AlgorithmName(key)} key: Alipay signs with RSA or DSA only (spec 8.2).");
        }
    }

    private static bool TryPlatformRsa(RsaKeyParameters key, out Signer? signer)
    {
        signer = null;
        int n = (key.Modulus.BitLength + 7) / 8;
        int half = (n + 1) / 2;
        var p = new RSAParameters
        {
            Modulus = Unsigned(key.Modulus, n),
        };
        if (key is RsaPrivateCrtKeyParameters crt)
        {
            p.Exponent = crt.PublicExponent.ToByteArrayUnsigned();
            p.D = Unsigned(crt.Exponent, n);
            p.P = Unsigned(crt.P, half);
            p.Q = Unsigned(crt.Q, half);
            p.DP = Unsigned(crt.DP, half);
            p.DQ = Unsigned(crt.DQ, half);
            p.InverseQ = Unsigned(crt.QInv, half);
            if (p.D is null || p.P is null || p.Q is null || p.DP is null || p.DQ is null || p.InverseQ is null)
            {
                return false;
            }
        }
        else if (key.IsPrivate)
        {
            return false; // no CRT parameters: the platform needs them
        }
        else
        {
            p.Exponent = key.Exponent.ToByteArrayUnsigned();
        }
        if (p.Modulus is null)
        {
            return false;
        }
        try
        {
            signer = new RsaSigner(p, key.IsPrivate);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    // OpenSSL's own limit (OPENSSL_DSA_MAX_MODULUS_BITS; FIPS 186 stops at 3072): no tool makes a larger DSA key,
    // and y = g^x mod p costs the cube of p's size.
    private const int MaxDsaBits = 10000;

    // BouncyCastle reads a DSA private key's integers without checking them. Out of range, the arithmetic on them
    // throws ArithmeticException (p not positive; x < 0 with no inverse of g mod p: found by 'build.ps1 fuzz'),
    // or gives a signer whose signatures nobody can verify.
    private static bool IsInRange(DsaKeyParameters key)
    {
        DsaParameters dp = key.Parameters;
        BigInteger p = dp.P, q = dp.Q, g = dp.G;
        if (p.SignValue <= 0 || p.BitLength > MaxDsaBits || q.SignValue <= 0 || q.CompareTo(p) >= 0
            || g.CompareTo(BigInteger.One) <= 0 || g.CompareTo(p) >= 0)
        {
            return false;
        }
        return key is DsaPrivateKeyParameters priv
            ? priv.X.SignValue > 0 && priv.X.CompareTo(q) < 0
            : ((DsaPublicKeyParameters)key).Y.CompareTo(BigInteger.One) > 0 && ((DsaPublicKeyParameters)key).Y.CompareTo(p) < 0;
    }

    private static bool TryPlatformDsa(DsaKeyParameters key, out Signer? signer)
    {
        signer = null;
        DsaParameters dp = key.Parameters;
        int pLength = (dp.P.BitLength + 7) / 8;
        int qLength = (dp.Q.BitLength + 7) / 8;
        BigInteger y = key is DsaPrivateKeyParameters priv
            ? dp.G.ModPow(priv.X, dp.P)
            : ((DsaPublicKeyParameters)key).Y;
        var p = new DSAParameters
        {
            P = Unsigned(dp.P, pLength),
            Q = Unsigned(dp.Q, qLength),
            G = Unsigned(dp.G, pLength),
            Y = Unsigned(y, pLength),
            X = key is DsaPrivateKeyParameters x ? Unsigned(x.X, qLength) : null,
        };
        if (p.P is null || p.Q is null || p.G is null || p.Y is null || (key.IsPrivate && p.X is null))
        {
            return false;
        }
        try
        {
            signer = new DsaSigner(p, key.IsPrivate);
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException || ex is PlatformNotSupportedException || ex is ArgumentException)
        {
            return false;
        }
    }

    private static byte[]? Unsigned(BigInteger value, int length)
    {
        byte[] bytes = value.ToByteArrayUnsigned();
        if (bytes.Length == length)
        {
            return bytes;
        }
        if (bytes.Length > length)
        {
            return null;
        }
        byte[] padded = new byte[length];
        Buffer.BlockCopy(bytes, 0, padded, length - bytes.Length, bytes.Length);
        return padded;
    }

    /// <summary>Splits PEM armour off (label and DER), or reads bare base64 (label null).</summary>
    private static (string? Label, byte[] Der) Unarmor(string text, string source)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new KeyFormatException($"{Capital(source)} is empty.");
        }
        int begin = text.IndexOf("-----BEGIN ", StringComparison.Ordinal);
        if (begin < 0)
        {
            return (null, Base64(text, source));
        }
        while (true)
        {
            int labelStart = begin + 11;
            int labelEnd = text.IndexOf("-----", labelStart, StringComparison.Ordinal);
            if (labelEnd < 0)
            {
                throw NotAKey(source);
            }
            string label = text.Substring(labelStart, labelEnd - labelStart).Trim();
            string endMarker = "-----END " + label + "-----";
            int bodyStart = labelEnd + 5;
            int end = text.IndexOf(endMarker, bodyStart, StringComparison.Ordinal);
            if (end < 0)
            {
                throw new KeyFormatException($"{Capital(source)} has '-----BEGIN {label}-----' but no '{endMarker}': the PEM is cut short.");
            }
            // 'openssl dsaparam -genkey' writes the DSA PARAMETERS block first, then the key: the key is
            // self-contained, so parameter blocks before it are passed over.
            int next = text.IndexOf("-----BEGIN ", end, StringComparison.Ordinal);
            if (label.EndsWith(" PARAMETERS", StringComparison.Ordinal) && next >= 0)
            {
                begin = next;
                continue;
            }
            return Body(text, label, bodyStart, end, source);
        }
    }

    private static (string? Label, byte[] Der) Body(string text, string label, int bodyStart, int end, string source)
    {
        string body = text.Substring(bodyStart, end - bodyStart);
        if (body.IndexOf("Proc-Type:", StringComparison.OrdinalIgnoreCase) >= 0 || body.IndexOf("DEK-Info:", StringComparison.OrdinalIgnoreCase) >= 0)
        {
            throw Encrypted(source);
        }
        return (label, Base64(body, source));
    }

    private static byte[] Base64(string text, string source)
    {
        try
        {
            byte[] der = Convert.FromBase64String(text.Trim());
            if (der.Length < 16)
            {
                throw NotAKey(source);
            }
            return der;
        }
        catch (FormatException)
        {
            throw NotAKey(source);
        }
    }

    private static AsymmetricKeyParameter Pkcs8(byte[] der, string source) =>
        Pkcs8OrNull(der) ?? throw new KeyFormatException($"{Capital(source)} says BEGIN PRIVATE KEY but is not a readable PKCS#8 private key.");

    private static AsymmetricKeyParameter? Pkcs8OrNull(byte[] der)
    {
        try
        {
            return PrivateKeyFactory.CreateKey(der);
        }
        catch (Exception ex) when (IsParseFailure(ex))
        {
            return null;
        }
    }

    private static AsymmetricKeyParameter Pkcs1Rsa(byte[] der, string source) =>
        Pkcs1RsaOrNull(der) ?? throw new KeyFormatException($"{Capital(source)} says BEGIN RSA PRIVATE KEY but is not a readable PKCS#1 RSA private key.");

    private static AsymmetricKeyParameter? Pkcs1RsaOrNull(byte[] der)
    {
        try
        {
            var s = RsaPrivateKeyStructure.GetInstance(Asn1Sequence.GetInstance(Asn1Object.FromByteArray(der)));
            return new RsaPrivateCrtKeyParameters(s.Modulus, s.PublicExponent, s.PrivateExponent, s.Prime1, s.Prime2, s.Exponent1, s.Exponent2, s.Coefficient);
        }
        catch (Exception ex) when (IsParseFailure(ex))
        {
            return null;
        }
    }

    private static AsymmetricKeyParameter TraditionalDsa(byte[] der, string source) =>
        TraditionalDsaOrNull(der) ?? throw new KeyFormatException($"{Capital(source)} says BEGIN DSA PRIVATE KEY but is not a readable DSA private key.");

    // OpenSSL's traditional DSA private key: SEQUENCE { version 0, p, q, g, y, x }.
    private static AsymmetricKeyParameter? TraditionalDsaOrNull(byte[] der)
    {
        try
        {
            var seq = Asn1Sequence.GetInstance(Asn1Object.FromByteArray(der));
            if (seq.Count != 6 || DerInteger.GetInstance(seq[0]).Value.SignValue != 0)
            {
                return null;
            }
            BigInteger Int(int i) => DerInteger.GetInstance(seq[i]).Value;
            return new DsaPrivateKeyParameters(Int(5), new DsaParameters(Int(1), Int(2), Int(3)));
        }
        catch (Exception ex) when (IsParseFailure(ex))
        {
            return null;
        }
    }

    private static AsymmetricKeyParameter Spki(byte[] der, string source) =>
        SpkiOrNull(der) ?? throw new KeyFormatException($"{Capital(source)} says BEGIN PUBLIC KEY but is not a readable X.509 SubjectPublicKeyInfo.");

    private static AsymmetricKeyParameter? SpkiOrNull(byte[] der)
    {
        try
        {
            return PublicKeyFactory.CreateKey(der);
        }
        catch (Exception ex) when (IsParseFailure(ex))
        {
            return null;
        }
    }

    private static AsymmetricKeyParameter? RsaPublicOrNull(byte[] der)
    {
        try
        {
            var s = RsaPublicKeyStructure.GetInstance(Asn1Object.FromByteArray(der));
            return new RsaKeyParameters(false, s.Modulus, s.PublicExponent);
        }
        catch (Exception ex) when (IsParseFailure(ex))
        {
            return null;
        }
    }

    private static bool IsPublicKey(byte[] der) => SpkiOrNull(der) != null;

    private static bool IsParseFailure(Exception ex) =>
        ex is ArgumentException || ex is InvalidCastException || ex is IOException || ex is FormatException
        || ex is InvalidOperationException || ex is SecurityUtilityException || ex is IndexOutOfRangeException
        || ex is NullReferenceException;

    private static string AlgorithmName(AsymmetricKeyParameter key) => key switch
    {
        ECKeyParameters => "EC",
        Ed25519PrivateKeyParameters or Ed25519PublicKeyParameters => "Ed25519",
        _ => key.GetType().Name.Replace("KeyParameters", string.Empty).Replace("Private", string.Empty).Replace("Public", string.Empty),
    };

    private static KeyFormatException NotAKey(string source) =>
        new($"{Capital(source)} is not a key: expected PEM (BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY, BEGIN DSA PRIVATE KEY, BEGIN PUBLIC KEY) or the bare base64 body of one.");

    private static KeyFormatException WrongKind(string source, string found, string wanted) =>
        new($"{Capital(source)} is {found}; here it must be {wanted}.");

    private static KeyFormatException Encrypted(string source) =>
        new($"{Capital(source)} is encrypted with a passphrase, which this module does not take: decrypt it once with 'openssl pkcs8 -in key.pem -out plain.pem' and keep the result in a secret store.");

    private static string Capital(string source) =>
        source.Length == 0 ? source : char.ToUpperInvariant(source[0]) + source.Substring(1);
}
