using System;
using System.Buffers;
using System.Security.Cryptography;

namespace AlipayBptb.Core.Signing;

/// <summary>
/// MD5 "signatures" of spec 8.2.1: lower-case hex of MD5(bytes(signString + key)). The key is the
/// merchant's 32-character security code; it is appended, never printed.
/// </summary>
public sealed class Md5Signer : Signer
{
    private readonly char[] _key;
    private readonly byte[] _scratchHex = new byte[32];
#if !NET
    private readonly MD5 _md5 = MD5.Create();
#endif

    /// <summary>Takes a copy of the key characters; the caller may clear its own copy.</summary>
    public Md5Signer(ReadOnlySpan<char> key)
    {
        ValidateKey(key);
        _key = key.ToArray();
    }

    public override SignType SignType => SignType.MD5;

    public override bool CanSign => true;

    public override int KeySize => 0;

    /// <summary>Spec 8.2.1: the key is 32 letters and digits. Says what is wrong without showing the key.</summary>
    public static void ValidateKey(ReadOnlySpan<char> key)
    {
        if (key.IsEmpty)
        {
            throw new KeyFormatException("The MD5 key is empty: it must be the 32-character security code (安全校验码) of spec 8.2.1.");
        }
        for (int i = 0; i < key.Length; i++)
        {
            char c = key[i];
            bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            if (!alnum)
            {
                string what = char.IsWhiteSpace(c) ? "whitespace (a copied line break or space?)" : "a character that is not a letter or digit";
                throw new KeyFormatException($"The MD5 key has {what} at position {i + 1}: it must be 32 letters and digits (spec 8.2.1).");
            }
        }
        if (key.Length != 32)
        {
            throw new KeyFormatException($"The MD5 key has {key.Length} characters: it must be 32 letters and digits (spec 8.2.1).");
        }
    }

    public override string Sign(string signString, BptbCharset charset)
    {
        Span<byte> hex = stackalloc byte[32];
        Hash(signString, charset, hex);
        char[] chars = new char[32];
        for (int i = 0; i < 32; i++)
        {
            chars[i] = (char)hex[i];
        }
        return new string(chars);
    }

    public override SignatureCheck Verify(string signString, BptbCharset charset, string sign)
    {
        if (sign.Length != 32)
        {
            return SignatureCheck.Invalid($"sign is not an MD5 signature (32 hex digits; it has {sign.Length} characters)");
        }
        Span<byte> expected = stackalloc byte[32];
        Hash(signString, charset, expected);
        Span<byte> actual = _scratchHex;
        for (int i = 0; i < 32; i++)
        {
            char c = sign[i];
            actual[i] = c < 0x80 ? (byte)c : (byte)0;
        }
        // Constant time: a byte-by-byte early exit would tell a forger how many leading hex digits were right.
        return FixedTime.AreEqual(expected, actual)
            ? SignatureCheck.Valid
            : SignatureCheck.Invalid("signature does not verify");
    }

    private void Hash(string signString, BptbCharset charset, Span<byte> hexOut)
    {
        int max = charset.GetMaxByteCount(signString.Length) + _key.Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            int n = charset.GetBytes(signString, buffer, 0);
            // The key is ASCII, so its bytes are the same in every supported charset.
            for (int i = 0; i < _key.Length; i++)
            {
                buffer[n + i] = (byte)_key[i];
            }
            n += _key.Length;
            Span<byte> digest = stackalloc byte[16];
#if NET
            MD5.HashData(new ReadOnlySpan<byte>(buffer, 0, n), digest);
#else
            _md5.ComputeHash(buffer, 0, n).CopyTo(digest);
#endif
            const string hexDigits = "0123456789abcdef";
            for (int i = 0; i < 16; i++)
            {
                hexOut[2 * i] = (byte)hexDigits[digest[i] >> 4];
                hexOut[(2 * i) + 1] = (byte)hexDigits[digest[i] & 0xF];
            }
            Array.Clear(buffer, 0, n);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override void Dispose(bool disposing)
    {
        Array.Clear(_key, 0, _key.Length);
#if !NET
        if (disposing)
        {
            _md5.Dispose();
        }
#endif
    }
}
