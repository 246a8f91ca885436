using System;
using System.Globalization;
using System.Text;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Notifications;

/// <summary>
/// The notify receiver's log format: one line per callback received, six fields separated by tabs:
/// <c>time method remote check target body</c>. <c>time</c> is UTC, ISO 8601 with seven decimals (records of
/// earlier versions have three);
/// <c>check</c> is <c>-</c> (no key given), <c>valid</c>, <c>invalid:reason</c> or <c>unreadable:reason</c>, and for a
/// valid notification checked with notify_verify, Alipay's answer after a ';': <c>valid;notify_verify=true</c>,
/// <c>valid;notify_verify=false:answer</c> or <c>valid;notify_verify=error:problem</c>, and with a key its last mark
/// <c>;charset=name</c> (<see cref="CharsetMark"/>); a request the receiver could not
/// read (and answered 400) is <c>malformed:problem (answered 400)</c>, its method <c>-</c>, its target <c>-</c> and its
/// body field the head as received (at most 16 KiB) when the head itself was broken, and otherwise its method, target
/// and the body as far as it was read;
/// <c>target</c> is the path and query as requested; <c>body</c> is the request body, or <c>-</c> when empty
/// (a body that is itself "-" is written <c>%2D</c>).
/// Target and body are written as received, except that '%' and every byte outside printable ASCII (control
/// characters, spaces, tabs, line breaks, raw GBK or UTF-8) are percent-escaped: the line stays one line, and
/// percent-decoding a field gives back exactly the bytes that were sent. Records of earlier versions (three
/// decimals in the time) kept a literal '%' as it was; they are still read, as they were written.
/// </summary>
public static class CallbackLog
{
    /// <summary>One record, as the bytes to append (UTF-8, ending in '\n'). <paramref name="target"/> is the request target's bytes as sent.</summary>
    public static byte[] FormatLine(DateTime utc, string method, string remote, string check, byte[] target, byte[] body, int bodyLength)
    {
        var sb = new StringBuilder(64 + (target.Length * 3 / 2) + (bodyLength * 3 / 2));
        sb.Append(utc.ToString(TimeFormat, CultureInfo.InvariantCulture)).Append('\t')
          .Append(Safe(method)).Append('\t')
          .Append(Safe(remote)).Append('\t')
          .Append(Safe(check)).Append('\t');
        if (target.Length == 0)
        {
            sb.Append('-');
        }
        else
        {
            AppendEscaped(sb, target, target.Length);
        }
        sb.Append('\t');
        if (bodyLength == 0)
        {
            sb.Append('-');
        }
        else if (bodyLength == 1 && body[0] == (byte)'-')
        {
            sb.Append("%2D"); // never read back as "no body"
        }
        else
        {
            AppendEscaped(sb, body, bodyLength);
        }
        sb.Append('\n');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    // Seven decimals mark a record that escapes '%' itself; the three of earlier records, one that did not.
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";
    private const string LegacyTimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
    private const int TimeLength = 28; // 2026-11-26T14:00:00.1234567Z
    private static readonly string[] TimeFormats = { TimeFormat, LegacyTimeFormat };

    /// <summary>The check field's mark for what notify_verify answered.</summary>
    public const string VerifiedMark = ";notify_verify=";

    /// <summary>The check field's start for a request the receiver could not read: not a callback.</summary>
    public const string MalformedMark = "malformed:";

    /// <summary>
    /// The check field's last mark, on every record judged with a key: the charset the receiver read and checked the
    /// callback in. The log reader reads the record in it, whatever its own -Charset says, so that what the
    /// receiver answered <c>success</c> for reads back as the receiver judged it.
    /// </summary>
    public const string CharsetMark = ";charset=";

    /// <summary>The check field with the receiver's charset added as its last mark.</summary>
    public static string WithCharset(string check, BptbCharset charset) => check + CharsetMark + charset.Name;

    /// <summary>The charset a check field says the receiver judged in (its last mark), or null: not judged, or an earlier version.</summary>
    public static BptbCharset? JudgedCharset(string check)
    {
        int at = check.LastIndexOf(CharsetMark, StringComparison.Ordinal);
        return at >= 0 && BptbCharset.TryGet(check.Substring(at + CharsetMark.Length), out BptbCharset charset) ? charset : null;
    }

    // The check field without its charset mark.
    private static string WithoutCharset(string check)
    {
        int at = check.LastIndexOf(CharsetMark, StringComparison.Ordinal);
        return at >= 0 && JudgedCharset(check) != null ? check.Substring(0, at) : check;
    }

    /// <summary>
    /// Finds the parameters in a receiver log record of an earlier version (three decimals in its time, a literal '%'
    /// kept as it was): the body when there is one, else the target's query, with the record's time and check fields.
    /// False when the line is not in this format. Records of this version are read by <see cref="TryGetReceived"/>.
    /// </summary>
    public static bool TryGetParameters(string line, out string parameters, out string time, out string check)
    {
        parameters = string.Empty;
        if (!TrySplit(line, out string[] fields))
        {
            time = string.Empty;
            check = string.Empty;
            return false;
        }
        time = fields[0];
        check = fields[3];
        parameters = fields[5] != "-" ? fields[5] : QueryOf(fields[4]);
        return true;
    }

    // A record's six tab-separated fields (time method remote check target body), its line end left out; false when
    // the line is not a record (the cheap test first: 2026-11-25T... then exactly five tabs).
    private static bool TrySplit(string line, out string[] fields)
    {
        fields = Array.Empty<string>();
        if (line.Length < 25 || line[4] != '-' || line[10] != 'T' || !char.IsDigit(line[0]))
        {
            return false;
        }
        string[] split = line.TrimEnd('\r', '\n').Split('\t');
        if (split.Length != 6)
        {
            return false;
        }
        fields = split;
        return true;
    }

    // The query of a target field: after its first '?' ('?' is never escaped, and no escape holds one).
    private static string QueryOf(string target)
    {
        int q = target.IndexOf('?');
        return q < 0 ? string.Empty : target.Substring(q + 1);
    }

    /// <summary>
    /// For a record of this version (seven decimals in its time): the bytes the receiver received and read the
    /// parameters from, the body when there was one, else the target's query, recovered by percent-decoding the
    /// field, with the record's time and check fields. <paramref name="received"/> is null, with a
    /// <paramref name="problem"/>, when the field holds what the receiver never writes (a damaged record).
    /// False when the line is not such a record (a record of an earlier version is read by
    /// <see cref="TryGetParameters"/>).
    /// </summary>
    public static bool TryGetReceived(string line, out byte[]? received, out string? problem, out string time, out string check)
    {
        received = null;
        problem = null;
        time = string.Empty;
        check = string.Empty;
        if (line.Length <= TimeLength || line[TimeLength] != '\t' || !TrySplit(line, out string[] fields))
        {
            return false;
        }
        time = fields[0];
        check = fields[3];
        string field = fields[5] != "-" ? fields[5] : QueryOf(fields[4]);
        var bytes = new byte[field.Length];
        int n = 0;
        for (int i = 0; i < field.Length; i++)
        {
            char c = field[i];
            if (c == '%' && i + 2 < field.Length && IsHex(field[i + 1]) && IsHex(field[i + 2]))
            {
                bytes[n++] = (byte)((HexValue(field[i + 1]) << 4) | HexValue(field[i + 2]));
                i += 2;
            }
            else if (c > 0x20 && c < 0x7F && c != '%')
            {
                bytes[n++] = (byte)c;
            }
            else
            {
                problem = $"the record is damaged: its {(fields[5] != "-" ? "body" : "target")} holds {(c == '%' ? "a '%' that is not an escape" : $"U+{(int)c:X4}")} at position {i + 1}, which the receiver never writes";
                return true;
            }
        }
        Array.Resize(ref bytes, n);
        received = bytes;
        return true;
    }

    private static bool IsHex(char c) => (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>What notify_verify answered, as a check field records it: true, false, or null when not asked or not reached.</summary>
    public static bool? NotifyVerified(string check)
    {
        check = WithoutCharset(check);
        int at = check.IndexOf(VerifiedMark, StringComparison.Ordinal);
        if (at < 0 || !check.StartsWith("valid;", StringComparison.Ordinal))
        {
            return null;
        }
        string answer = check.Substring(at + VerifiedMark.Length);
        return answer == "true" ? true : answer.StartsWith("false", StringComparison.Ordinal) ? false : null;
    }

    /// <summary>The record's time field (UTC), or null when it is not one.</summary>
    public static DateTime? ParseTime(string time) =>
        DateTime.TryParseExact(time, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out DateTime t)
            ? t
            : null;

    private static void AppendEscaped(StringBuilder sb, byte[] bytes, int count)
    {
        const string hex = "0123456789ABCDEF";
        for (int i = 0; i < count; i++)
        {
            byte b = bytes[i];
            if (b > 0x20 && b < 0x7F && b != '%')
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append('%').Append(hex[b >> 4]).Append(hex[b & 0xF]);
            }
        }
    }

    private static string Safe(string field)
    {
        var sb = new StringBuilder(field.Length);
        foreach (char c in field)
        {
            sb.Append(c < 0x20 || c == 0x7F ? ' ' : c);
        }
        return sb.Length == 0 ? "-" : sb.ToString();
    }
}
