using System;

namespace AlipayBptb.Core.Signing;

/// <summary>The outcome of checking one signature: valid, or the reason it is not.</summary>
public readonly struct SignatureCheck
{
    private SignatureCheck(bool isValid, string? reason)
    {
        IsValid = isValid;
        Reason = reason;
    }

    public bool IsValid { get; }

    public string? Reason { get; }

    public static SignatureCheck Valid => new(true, null);

    public static SignatureCheck Invalid(string reason) => new(false, reason);
}

/// <summary>
/// Signs or verifies sign strings with one key. A signer is made once per pipeline (the key parsed once)
/// and then used for every message; it is not safe to share between threads.
/// </summary>
public abstract class Signer : IDisposable
{
    public abstract SignType SignType { get; }

    /// <summary>True when this signer holds a private (or MD5) key and can sign.</summary>
    public abstract bool CanSign { get; }

    /// <summary>The key size in bits (0 for MD5), for messages and output.</summary>
    public abstract int KeySize { get; }

    /// <summary>Signs the sign string's bytes in <paramref name="charset"/>; the wire form of <c>sign</c>.</summary>
    public abstract string Sign(string signString, BptbCharset charset);

    /// <summary>Checks <paramref name="sign"/> (its wire form) against the sign string's bytes in <paramref name="charset"/>.</summary>
    public abstract SignatureCheck Verify(string signString, BptbCharset charset, string sign);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    protected void EnsureCanSign()
    {
        if (!CanSign)
        {
            throw new InvalidOperationException($"This {SignType} key is a public key: it can verify but not sign.");
        }
    }

    /// <summary>Decodes a base64 <c>sign</c>, or says why it is not base64 in terms a user can act on.</summary>
    protected static bool TryDecodeBase64(string sign, out byte[] bytes, out string? reason)
    {
        bytes = Array.Empty<byte>();
        if (sign.IndexOf(' ') >= 0)
        {
            reason = "sign contains a space where base64 has '+': the value was URL-decoded twice, or a '+' was read as a space";
            return false;
        }
        try
        {
            bytes = Convert.FromBase64String(sign);
            reason = null;
            return true;
        }
        catch (FormatException)
        {
            reason = "sign is not base64";
            return false;
        }
    }
}
