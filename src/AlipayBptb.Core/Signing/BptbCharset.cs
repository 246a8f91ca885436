using System;
using System.Globalization;
using System.Text;

namespace AlipayBptb.Core.Signing;

/// <summary>
/// One of the charsets spec 8.1.2 lets a merchant sign in (<c>_input_charset</c>): the bytes that are
/// signed, and the bytes that percent escapes stand for, are in this charset.
/// Encoding and decoding are strict: a character the charset cannot hold, or bytes it cannot read,
/// are an error, never a silent '?' that would make a signature fail for no visible reason.
/// </summary>
public sealed class BptbCharset
{
    /// <summary>The charset names Alipay accepts for this interface, as written on the wire.</summary>
    public static readonly string[] SupportedNames = { "utf-8", "gbk", "gb2312" };

    public static readonly BptbCharset Utf8 = new("utf-8", new UTF8Encoding(false, true), false);

    private static readonly Lazy<BptbCharset> GbkInstance = new(() => new BptbCharset("gbk", CodePage936(), false));
    private static readonly Lazy<BptbCharset> Gb2312Instance = new(() => new BptbCharset("gb2312", CodePage936(), true));

    private readonly bool _gb2312Only;

    private BptbCharset(string name, Encoding encoding, bool gb2312Only)
    {
        Name = name;
        Encoding = encoding;
        _gb2312Only = gb2312Only;
    }

    /// <summary>The canonical lower-case name, as sent in <c>_input_charset</c>.</summary>
    public string Name { get; }

    /// <summary>The strict encoding (exception fallbacks).</summary>
    public Encoding Encoding { get; }

    /// <summary>Finds a charset by name, case-insensitively; <c>utf8</c> is accepted for <c>utf-8</c>.</summary>
    public static bool TryGet(string? name, out BptbCharset charset)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "utf-8":
            case "utf8":
                charset = Utf8;
                return true;
            case "gbk":
                charset = GbkInstance.Value;
                return true;
            case "gb2312":
                charset = Gb2312Instance.Value;
                return true;
            default:
                charset = Utf8;
                return false;
        }
    }

    /// <summary>Finds a charset by name or throws an <see cref="ArgumentException"/> that names the rule.</summary>
    public static BptbCharset Get(string? name, string parameterName = "Charset")
    {
        if (TryGet(name, out var charset))
        {
            return charset;
        }
        throw new ArgumentException(
            $"The charset '{name}' is not supported: _input_charset must be one of {string.Join(", ", SupportedNames)} (spec 4.2).",
            parameterName);
    }

    /// <summary>Encodes text; throws <see cref="CharsetException"/> for a character the charset cannot hold.</summary>
    public byte[] GetBytes(string text)
    {
        byte[] bytes;
        try
        {
            bytes = Encoding.GetBytes(text);
        }
        catch (EncoderFallbackException ex)
        {
            throw Unwritable(ex);
        }
        if (_gb2312Only)
        {
            CheckGb2312(bytes, 0, bytes.Length, decoding: false);
        }
        return bytes;
    }

    /// <summary>Encodes text into <paramref name="destination"/>; returns the byte count.</summary>
    public int GetBytes(string text, byte[] destination, int index)
    {
        int count;
        try
        {
            count = Encoding.GetBytes(text, 0, text.Length, destination, index);
        }
        catch (EncoderFallbackException ex)
        {
            throw Unwritable(ex);
        }
        if (_gb2312Only)
        {
            CheckGb2312(destination, index, count, decoding: false);
        }
        return count;
    }

#if NET
    /// <summary>Encodes text into a span; throws <see cref="CharsetException"/> as <see cref="GetBytes(string)"/> does.</summary>
    public int GetBytes(string text, Span<byte> destination)
    {
        int count;
        try
        {
            count = Encoding.GetBytes(text, destination);
        }
        catch (EncoderFallbackException ex)
        {
            throw Unwritable(ex);
        }
        if (_gb2312Only)
        {
            byte[] copy = destination.Slice(0, count).ToArray();
            CheckGb2312(copy, 0, count, decoding: false);
        }
        return count;
    }
#endif

    public int GetMaxByteCount(int charCount) => Encoding.GetMaxByteCount(charCount);

    // A character outside the BMP (an emoji) reaches the fallback as a surrogate pair: the encoder then reports it in
    // CharUnknownHigh and CharUnknownLow and leaves CharUnknown at '\0', which read as "U+0000". Name the real one.
    private CharsetException Unwritable(EncoderFallbackException ex)
    {
        int codePoint = ex.IsUnknownSurrogate() && char.IsSurrogatePair(ex.CharUnknownHigh, ex.CharUnknownLow)
            ? char.ConvertToUtf32(ex.CharUnknownHigh, ex.CharUnknownLow)
            : ex.IsUnknownSurrogate() ? ex.CharUnknownHigh : ex.CharUnknown;
        return new CharsetException($"The character {Describe(codePoint)} cannot be written in {Name}.", ex);
    }

    // "U+9555 '镕'": the code point, and the character itself when it can be shown (not a control, format, blank or
    // other hidden character, which would break or reorder the message around it, or show as nothing).
    private static string Describe(int codePoint)
    {
        if (codePoint >= 0xD800 && codePoint <= 0xDFFF)
        {
            return $"U+{codePoint:X4} (half of a surrogate pair)";
        }
        string text = char.ConvertFromUtf32(codePoint);
        bool visible = CharUnicodeInfo.GetUnicodeCategory(text, 0) switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.SpaceSeparator or UnicodeCategory.PrivateUse
                or UnicodeCategory.OtherNotAssigned or UnicodeCategory.NonSpacingMark
                or UnicodeCategory.EnclosingMark => false,
            _ => true,
        };
        return visible ? $"U+{codePoint:X4} '{text}'" : $"U+{codePoint:X4}";
    }

    /// <summary>Decodes bytes; throws <see cref="CharsetException"/> for bytes the charset cannot read.</summary>
    public string GetString(byte[] bytes, int index, int count)
    {
        if (_gb2312Only)
        {
            CheckGb2312(bytes, index, count, decoding: true);
        }
        try
        {
            return Encoding.GetString(bytes, index, count);
        }
        catch (DecoderFallbackException ex)
        {
            // The decoder's index is into its own buffer, not the input: name the bytes instead.
            string bad = ex.BytesUnknown == null ? "?" : string.Join(" ", Array.ConvertAll(ex.BytesUnknown, b => b.ToString("X2", CultureInfo.InvariantCulture)));
            throw new CharsetException($"The bytes are not valid {Name} (the sequence {bad} is not a {Name} character)", ex);
        }
    }

    public override string ToString() => Name;

    private static Encoding CodePage936()
    {
        // .NET (Core) only knows code pages after the provider is registered; .NET Framework has 936 built in,
        // and registering there is harmless. GBK and GB2312 are both read as code page 936 (Windows does the
        // same); GB2312 is then held to its own smaller table by CheckGb2312.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(936, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
    }

    // GB2312 (EUC-CN) is the part of code page 936 whose two bytes are both 0xA1-0xFE, the lead at most 0xF7.
    // Java's GB2312, which Alipay's side uses, cannot write anything else, so neither may we: a GBK-only
    // character in a gb2312 request would be signed over bytes Alipay never sees. The check runs on the bytes
    // code page 936 wrote, but a person fixes characters: the message names the one those bytes are.
    private void CheckGb2312(byte[] bytes, int index, int count, bool decoding)
    {
        int end = index + count;
        for (int i = index; i < end; i++)
        {
            byte b = bytes[i];
            if (b < 0x80)
            {
                continue;
            }
            bool ok = b >= 0xA1 && b <= 0xF7 && i + 1 < end && bytes[i + 1] >= 0xA1 && bytes[i + 1] <= 0xFE;
            if (!ok)
            {
                throw NotGb2312(bytes, i, end, decoding);
            }
            i++;
        }
    }

    private CharsetException NotGb2312(byte[] bytes, int at, int end, bool decoding)
    {
        // In code page 936, 0x80 is the euro sign and 0xFF nothing; every other byte from 0x81 leads two.
        int length = bytes[at] == 0x80 || bytes[at] == 0xFF || at + 1 == end ? 1 : 2;
        string? character = null;
        try
        {
            string text = Encoding.GetString(bytes, at, length);
            character = Describe(char.ConvertToUtf32(text, 0));
        }
        catch (Exception ex) when (ex is DecoderFallbackException or ArgumentException)
        {
            // Not a character of code page 936 either: only the bytes can be named.
        }
        string sequence = BitConverter.ToString(bytes, at, length).Replace('-', ' ');
        if (decoding)
        {
            return new CharsetException(character == null
                ? $"The bytes are not valid {Name} (the sequence {sequence} is not a {Name} character)"
                : $"The bytes are not valid {Name} (the sequence {sequence} is {character}, a GBK character not in GB2312)");
        }
        return new CharsetException(character == null
            ? $"The text cannot be written in {Name}: code page 936 wrote the bytes {sequence}, which are not a {Name} character."
            : $"The character {character} cannot be written in {Name}: GBK has it, GB2312 does not (gbk would hold it).");
    }
}

/// <summary>Text that a charset cannot write, or bytes it cannot read.</summary>
public sealed class CharsetException : FormatException
{
    public CharsetException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
