using System;
using System.Security.Cryptography;

namespace AlipayBptb.Core.Signing;

/// <summary>
/// RSA of spec 8.2.2 as Java's SHA1withRSA: RSASSA-PKCS1-v1_5 over SHA-1, base64. Runs on the platform's
/// crypto (OpenSSL, CNG), which verifies about 15 times faster than managed BouncyCastle.
/// </summary>
public sealed class RsaSigner : Signer
{
    private readonly RSA _rsa;

    internal RsaSigner(RSAParameters parameters, bool hasPrivateKey)
    {
        _rsa = RSA.Create();
        try
        {
            _rsa.ImportParameters(parameters);
        }
        catch
        {
            _rsa.Dispose();
            throw;
        }
        CanSign = hasPrivateKey;
        KeySize = _rsa.KeySize;
    }

    /// <summary>Takes over <paramref name="rsa"/>, a key the platform has already imported.</summary>
    internal RsaSigner(RSA rsa, bool hasPrivateKey)
    {
        _rsa = rsa;
        CanSign = hasPrivateKey;
        KeySize = rsa.KeySize;
    }

    public override SignType SignType => SignType.RSA;

    public override bool CanSign { get; }

    public override int KeySize { get; }

    public override string Sign(string signString, BptbCharset charset)
    {
        EnsureCanSign();
        byte[] signature = _rsa.SignData(charset.GetBytes(signString), HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);
        return Convert.ToBase64String(signature);
    }

    public override SignatureCheck Verify(string signString, BptbCharset charset, string sign)
    {
        if (!TryDecodeBase64(sign, out byte[] signature, out string? reason))
        {
            return SignatureCheck.Invalid(reason!);
        }
        bool ok = _rsa.VerifyData(charset.GetBytes(signString), signature, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);
        return ok ? SignatureCheck.Valid : SignatureCheck.Invalid("signature does not verify");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _rsa.Dispose();
        }
    }
}
