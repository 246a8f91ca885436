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
    // The key is ASCII (letters and digits), so its bytes are the same in every supported charset.
    private readonly byte[] _keyBytes;
    private readonly byte[] _scratchHex = new byte[32];
#if NET
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
#else
    private readonly MD5 _md5 = MD5.Create();
#endif

    /// <summary>Takes a copy of the key characters; the caller may clear its own copy.</summary>
    public Md5Signer(ReadOnlySpan<char> key)
    {
        ValidateKey(key);
        _keyBytes = new byte[key.Length];
        for (int i = 0; i < key.Length; i++)
        {
            _keyBytes[i] = (byte)key[i];
        }
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
        Span<byte> digest = stackalloc byte[16];
#if NET
        // Small sign strings (all real ones) are encoded on the stack and hashed with one reused hash object.
        int max = charset.GetMaxByteCount(signString.Length);
        byte[]? rented = max > 1024 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> buffer = rented ?? stackalloc byte[1024];
        try
        {
            int n = charset.GetBytes(signString, buffer);
            _md5.AppendData(buffer.Slice(0, n));
            _md5.AppendData(_keyBytes);
            _md5.GetHashAndReset(digest);
            buffer.Slice(0, n).Clear();
        }
        finally
        {
            if (rented != null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
#else
        int max = charset.GetMaxByteCount(signString.Length) + _keyBytes.Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            int n = charset.GetBytes(signString, buffer, 0);
            Buffer.BlockCopy(_keyBytes, 0, buffer, n, _keyBytes.Length);
            n += _keyBytes.Length;
            _md5.ComputeHash(buffer, 0, n).CopyTo(digest);
            Array.Clear(buffer, 0, n);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
#endif
        const string hexDigits = "0123456789abcdef";
        for (int i = 0; i < 16; i++)
        {
            hexOut[2 * i] = (byte)hexDigits[digest[i] >> 4];
            hexOut[(2 * i) + 1] = (byte)hexDigits[digest[i] & 0xF];
        }
    }

    protected override void Dispose(bool disposing)
    {
        Array.Clear(_keyBytes, 0, _keyBytes.Length);
        if (disposing)
        {
            _md5.Dispose();
        }
    }
}
