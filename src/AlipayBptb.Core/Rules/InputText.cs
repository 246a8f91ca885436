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
    /// The index of the first character that has no place in a request value: a control character (C0, DEL, C1),
    /// a format character (Unicode Cf: bidi overrides such as U+202E, zero-width characters, U+FEFF), a line or
    /// paragraph separator, or half a surrogate pair. -1 when there is none. Such characters are invisible or
    /// reorder the text around them, so what a person checks is not what is signed.
    /// </summary>
    public static int FindHidden(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                UnicodeCategory pair = CharUnicodeInfo.GetUnicodeCategory(text, i);
                if (pair == UnicodeCategory.Format)
                {
                    return i;
                }
                i++;
                continue;
            }
            switch (CharUnicodeInfo.GetUnicodeCategory(c))
            {
                case UnicodeCategory.Control:
                case UnicodeCategory.Format:
                case UnicodeCategory.LineSeparator:
                case UnicodeCategory.ParagraphSeparator:
                case UnicodeCategory.Surrogate:
                    return i;
            }
        }
        return -1;
    }

    /// <summary>"U+202E" for the character (or surrogate pair) at <paramref name="index"/>.</summary>
    public static string CodePoint(string text, int index)
    {
        int cp = char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1])
            ? char.ConvertToUtf32(text[index], text[index + 1])
            : text[index];
        return "U+" + cp.ToString("X4", CultureInfo.InvariantCulture);
    }

    /// <summary>What kind of hidden character sits at <paramref name="index"/>, for a message.</summary>
    public static string DescribeHidden(string text, int index)
    {
        char c = text[index];
        string kind = c == '\n' || c == '\r' || c == '\u2028' || c == '\u2029' || c == '\u0085' ? "a line break"
            : CharUnicodeInfo.GetUnicodeCategory(text, index) == UnicodeCategory.Format ? "an invisible format character (such as a bidi override or a zero-width character)"
            : char.IsSurrogate(c) ? "half of a surrogate pair"
            : "a control character";
        return $"{kind} ({CodePoint(text, index)}) at position {index + 1}";
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
            UnicodeCategory category = pair ? CharUnicodeInfo.GetUnicodeCategory(text, i) : CharUnicodeInfo.GetUnicodeCategory(c);
            bool hidden = category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate
                || (char.IsWhiteSpace(c) && c != ' ');
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
