using System;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace AlipayBptb.Core.Signing;

/// <summary>
/// The managed fallback for keys the platform refuses (an unbalanced RSA key, DSA beyond 1024 bits on
/// .NET Framework): same bytes on the wire, about 15 times slower, so used only when needed.
/// </summary>
public sealed class BouncyCastleSigner : Signer
{
    private readonly ISigner _signer;
    private readonly bool _forSigning;

    internal BouncyCastleSigner(SignType signType, AsymmetricKeyParameter key, int keySize)
    {
        SignType = signType;
        KeySize = keySize;
        _forSigning = key.IsPrivate;
        _signer = SignerUtilities.GetSigner(signType == SignType.RSA ? "SHA-1withRSA" : "SHA-1withDSA");
        _signer.Init(_forSigning, _forSigning ? new ParametersWithRandom(key, new SecureRandom()) : key);
    }

    public override SignType SignType { get; }

    public override bool CanSign => _forSigning;

    public override int KeySize { get; }

    public override string Sign(string signString, BptbCharset charset)
    {
        EnsureCanSign();
        byte[] data = charset.GetBytes(signString);
        _signer.Reset();
        _signer.BlockUpdate(data, 0, data.Length);
        return Convert.ToBase64String(_signer.GenerateSignature());
    }

    public override SignatureCheck Verify(string signString, BptbCharset charset, string sign)
    {
        if (_forSigning)
        {
            throw new InvalidOperationException("A signer made from a private key signs; verify with the public key.");
        }
        if (!TryDecodeBase64(sign, out byte[] signature, out string? reason))
        {
            return SignatureCheck.Invalid(reason!);
        }
        byte[] data = charset.GetBytes(signString);
        _signer.Reset();
        _signer.BlockUpdate(data, 0, data.Length);
        bool ok;
        try
        {
            ok = _signer.VerifySignature(signature);
        }
        catch (Exception ex) when (ex is ArgumentException || ex is InvalidOperationException || ex is FormatException)
        {
            ok = false;
        }
        return ok ? SignatureCheck.Valid : SignatureCheck.Invalid("signature does not verify");
    }
}
