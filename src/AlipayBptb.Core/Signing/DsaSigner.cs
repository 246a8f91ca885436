using System;
using System.Security.Cryptography;

namespace AlipayBptb.Core.Signing;

/// <summary>
/// DSA of spec 8.2.2 as Java's SHA1withDSA: SHA-1, the signature as the DER <c>SEQUENCE { r, s }</c>, base64.
/// The platform signs in the IEEE P1363 form (r and s side by side); <see cref="DsaSignatureEncoding"/> converts.
/// </summary>
public sealed class DsaSigner : Signer
{
    private readonly DSA _dsa;
    private readonly int _qLength;
#if !NET
    private readonly SHA1 _sha1 = SHA1.Create();
#endif

    internal DsaSigner(DSAParameters parameters, bool hasPrivateKey)
    {
        _dsa = DSA.Create();
        try
        {
            _dsa.ImportParameters(parameters);
        }
        catch
        {
            _dsa.Dispose();
            throw;
        }
        _qLength = parameters.Q!.Length;
        CanSign = hasPrivateKey;
        KeySize = _dsa.KeySize;
    }

    public override SignType SignType => SignType.DSA;

    public override bool CanSign { get; }

    public override int KeySize { get; }

    public override string Sign(string signString, BptbCharset charset)
    {
        EnsureCanSign();
        byte[] p1363 = _dsa.CreateSignature(Sha1(charset.GetBytes(signString)));
        return Convert.ToBase64String(DsaSignatureEncoding.P1363ToDer(p1363));
    }

    public override SignatureCheck Verify(string signString, BptbCharset charset, string sign)
    {
        if (!TryDecodeBase64(sign, out byte[] der, out string? reason))
        {
            return SignatureCheck.Invalid(reason!);
        }
        if (!DsaSignatureEncoding.TryDerToP1363(der, _qLength, out byte[] p1363))
        {
            return SignatureCheck.Invalid("sign is not a DSA signature (a DER SEQUENCE of r and s)");
        }
        bool ok = _dsa.VerifySignature(Sha1(charset.GetBytes(signString)), p1363);
        return ok ? SignatureCheck.Valid : SignatureCheck.Invalid("signature does not verify");
    }

    // The hash-then-sign calls exist on every target (netstandard2.0 has no DSA.SignData with a hash name).
    private byte[] Sha1(byte[] data)
    {
#if NET
        return SHA1.HashData(data);
#else
        return _sha1.ComputeHash(data);
#endif
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _dsa.Dispose();
#if !NET
            _sha1.Dispose();
#endif
        }
    }
}
