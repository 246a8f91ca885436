using System;
using System.Globalization;
using System.Text;

namespace AlipayBptb.Core.Rules;

/// <summary>
/// Helpers for checking request values and for quoting them in error messages: a message shows what was given,
/// with invisible characters made visible and a URL's user name and password never repeated.
/// </summary>
internal static class InputText
{
    private static readonly char[] AuthorityEnd = { '/', '?', '#', '\\' };

    /// <summary>
    /// The index of the first character that has no place in a request value, -1 when there is none: a character a
    /// person reading the value cannot see, or that changes what the characters around it look like, so that what
    /// a person checks is not what is signed. These are
    /// <list type="bullet">
    /// <item>control characters (C0, DEL, C1), line and paragraph separators;</item>
    /// <item>format characters (Unicode Cf: bidi overrides such as U+202E, zero-width characters, U+FEFF);</item>
    /// <item>the other default-ignorable code points of Unicode (DerivedCoreProperties.txt, Default_Ignorable_Code_Point),
    /// which render as nothing: Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), variation selectors (U+FE00-U+FE0F,
    /// U+E0100-U+E01EF), the combining grapheme joiner U+034F, and their kin; and U+2800, the blank Braille pattern;</item>
    /// <item>a combining mark (Mn, Mc, Me) with no character before it to combine with;</item>
    /// <item>private-use characters (Co), whose look depends on the font, and unassigned code points and
    /// noncharacters (Cn, such as U+FFFF), which have none;</item>
    /// <item>half a surrogate pair.</item>
    /// </list>
    /// Visible text in any script passes: Chinese, Korean syllables, accented letters, full-width forms.
    /// </summary>
    public static int FindHidden(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (IsHiddenAt(text, i))
            {
                return i;
            }
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
        }
        return -1;
    }

    /// <summary>True when the character (or surrogate pair) at <paramref name="index"/> is one <see cref="FindHidden"/> refuses.</summary>
    private static bool IsHiddenAt(string text, int index)
    {
        char c = text[index];
        bool pair = char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]);
        int cp = pair ? char.ConvertToUtf32(c, text[index + 1]) : c;
        // Fast path for the text nearly every value is: printable ASCII.
        if (cp >= 0x20 && cp < 0x7F)
        {
            return false;
        }
        switch (pair ? CharUnicodeInfo.GetUnicodeCategory(text, index) : CharUnicodeInfo.GetUnicodeCategory(c))
        {
            case UnicodeCategory.Control:
            case UnicodeCategory.Format:
            case UnicodeCategory.LineSeparator:
            case UnicodeCategory.ParagraphSeparator:
            case UnicodeCategory.Surrogate:
            case UnicodeCategory.PrivateUse:
            case UnicodeCategory.OtherNotAssigned:
                return true;
            case UnicodeCategory.NonSpacingMark:
            case UnicodeCategory.SpacingCombiningMark:
            case UnicodeCategory.EnclosingMark:
                if (index == 0)
                {
                    return true;
                }
                break;
        }
        return IsDefaultIgnorable(cp) || cp == 0x2800;
    }

    // Default_Ignorable_Code_Point (Unicode 15.1, DerivedCoreProperties.txt) outside Cf and Cn, which the categories
    // above catch: what is left are letters and marks that render as nothing. Listed, not looked up: .NET has no
    // such property, and netstandard2.0 on .NET Framework knows an older Unicode than net8.0.
    private static bool IsDefaultIgnorable(int cp) =>
        cp == 0x034F // combining grapheme joiner
        || cp is 0x115F or 0x1160 or 0x3164 or 0xFFA0 // Hangul fillers
        || cp is 0x17B4 or 0x17B5 // Khmer inherent vowels
        || cp is >= 0x180B and <= 0x180F // Mongolian free variation selectors and vowel separator
        || cp is >= 0xFE00 and <= 0xFE0F // variation selectors
        || cp is >= 0xE0000 and <= 0xE0FFF; // tags and variation selectors supplement

    /// <summary>What kind of hidden character sits at <paramref name="index"/>, for a message.</summary>
    public static string DescribeHidden(string text, int index)
    {
        char c = text[index];
        bool pair = char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]);
        int cp = pair ? char.ConvertToUtf32(c, text[index + 1]) : c;
        UnicodeCategory category = pair ? CharUnicodeInfo.GetUnicodeCategory(text, index) : CharUnicodeInfo.GetUnicodeCategory(c);
        string kind = c == '\n' || c == '\r' || c == '\u2028' || c == '\u2029' || c == '\u0085' ? "a line break"
            : category == UnicodeCategory.Format ? "an invisible format character (such as a bidi override or a zero-width character)"
            : category == UnicodeCategory.Surrogate ? "half of a surrogate pair"
            : category == UnicodeCategory.Control ? "a control character"
            : category == UnicodeCategory.PrivateUse ? "a private-use character, which looks like whatever a font makes of it"
            : category == UnicodeCategory.OtherNotAssigned ? "a code point that is not a character (unassigned, or a noncharacter)"
            : cp is (>= 0xFE00 and <= 0xFE0F) or (>= 0xE0100 and <= 0xE01EF) or (>= 0x180B and <= 0x180F) ? "a variation selector, which shows nothing itself"
            : cp is 0x115F or 0x1160 or 0x3164 or 0xFFA0 ? "a Hangul filler, which shows as blank"
            : cp == 0x2800 ? "a blank Braille pattern, which shows as blank"
            : IsDefaultIgnorable(cp) ? "an invisible character (Unicode default-ignorable)"
            : "a combining mark with no character before it to combine with";
        return $"{kind} ({CodePoint(text, index)}) at position {index + 1}";
    }

    /// <summary>"U+202E" for the character (or surrogate pair) at <paramref name="index"/>.</summary>
    public static string CodePoint(string text, int index)
    {
        int cp = char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1])
            ? char.ConvertToUtf32(text[index], text[index + 1])
            : text[index];
        return "U+" + cp.ToString("X4", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The text for a message, quoted: characters <see cref="FindHidden"/> would find, and white space other than
    /// the plain space, are written as <c>\u{XXXX}</c>, so that a message neither breaks lines nor reorders itself.
    /// With <paramref name="keepAsciiWhiteSpace"/>, tab, CR and LF stay as they are (for a body shown as text).
    /// </summary>
    public static string Show(string? text, bool keepAsciiWhiteSpace = false)
    {
        if (text == null)
        {
            return "(null)";
        }
        var sb = new StringBuilder(text.Length + 2);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            bool pair = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            bool hidden = IsHiddenAt(text, i) || (char.IsWhiteSpace(c) && c != ' ');
            if (keepAsciiWhiteSpace && (c == '\t' || c == '\r' || c == '\n'))
            {
                hidden = false;
            }
            if (hidden)
            {
                sb.Append("\\u{").Append(CodePoint(text, i).Substring(2)).Append('}');
            }
            else
            {
                sb.Append(c);
                if (pair)
                {
                    sb.Append(text[i + 1]);
                }
            }
            if (pair)
            {
                i++;
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// A URL for a message, with any user name and password (what stands before '@' in the authority) replaced by
    /// <c>***</c>: credentials given by mistake must not end up in error logs. Works on text that is not a valid URL.
    /// </summary>
    public static string RedactUserInfo(string? url)
    {
        if (url == null)
        {
            return "(null)";
        }
        int start = url.IndexOf("://", StringComparison.Ordinal);
        start = start < 0 ? 0 : start + 3;
        int end = url.IndexOfAny(AuthorityEnd, start);
        if (end < 0)
        {
            end = url.Length;
        }
        if (end <= start)
        {
            return url;
        }
        int at = url.LastIndexOf('@', end - 1, end - start);
        return at < 0 ? url : url.Substring(0, start) + "***" + url.Substring(at);
    }

    /// <summary>A URL for a message: redacted, then shown.</summary>
    public static string ShowUrl(string? url) => Show(RedactUserInfo(url));
}
