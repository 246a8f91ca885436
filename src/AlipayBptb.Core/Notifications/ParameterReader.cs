using System;
using System.Buffers;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Notifications;

/// <summary>What reading one input gave: parameters, and either nothing wrong, a problem that makes it invalid, or no parameters at all.</summary>
public sealed class ParameterRead
{
    internal ParameterRead(ParameterList parameters, string? problem, bool unreadable, LoggedRecord? record = null)
    {
        Parameters = parameters;
        Problem = problem;
        IsUnreadable = unreadable;
        Record = record;
    }

    /// <summary>The receiver log record the parameters came from (its time and check fields), or null.</summary>
    public LoggedRecord? Record { get; }

    /// <summary>The charset the receiver judged the record in (its check field says so), or null: the reader's own.</summary>
    internal BptbCharset? JudgedCharset { get; set; }

    /// <summary>The text read, or null when the parameters came from a dictionary or object.</summary>
    internal string? Input { get; set; }

    /// <summary>The parameters read, in order (partial when <see cref="Problem"/> is set).</summary>
    public ParameterList Parameters { get; }

    /// <summary>Why the parameters cannot be trusted (a repeated key, a bad escape, bytes not in the charset), or null.</summary>
    public string? Problem { get; }

    /// <summary>True when the input holds no parameters at all (empty, binary, no key=value): an error, not a result.</summary>
    public bool IsUnreadable { get; }
}

/// <summary>The time and check fields of a receiver log record, as written.</summary>
public sealed class LoggedRecord
{
    internal LoggedRecord(string time, string check)
    {
        Time = time;
        Check = check;
    }

    public string Time { get; }

    public string Check { get; }
}

/// <summary>
/// The one parameter reader: a query string, a form body, a URL, or a log line that holds one of them,
/// percent-decoded in the merchant's charset, '+' as a space, '%3a' and '%3A' alike.
/// </summary>
public static class ParameterReader
{
    /// <summary>Longer strings are refused before any work: a notification is a few hundred bytes.</summary>
    public const int MaxInputLength = 64 * 1024;

    public static ParameterRead Read(string input, BptbCharset charset)
    {
        // A receiver's record gives back the bytes it received, read by the receiver's own reading (limits
        // included: the escaped line is longer than what was received).
        if (CallbackLog.TryGetReceived(input, out byte[]? received, out string? problem, out string time, out string check))
        {
            if (check.StartsWith(CallbackLog.MalformedMark, StringComparison.Ordinal))
            {
                // What it holds is the broken request's bytes, not parameters Alipay sent.
                return new ParameterRead(new ParameterList(1), "not a callback but a malformed request: " + check.Substring(CallbackLog.MalformedMark.Length), true,
                    new LoggedRecord(time, check))
                { Input = input };
            }
            BptbCharset? judged = CallbackLog.JudgedCharset(check);
            ParameterRead read = received != null ? ReadReceived(received, 0, received.Length, judged ?? charset) : Unreadable(problem!);
            return new ParameterRead(read.Parameters, read.Problem, read.IsUnreadable, new LoggedRecord(time, check)) { Input = input, JudgedCharset = judged };
        }
        if (input.Length > MaxInputLength)
        {
            return Unreadable($"the input is {input.Length} characters long; a notification or return is at most {MaxInputLength}");
        }
        string? binary = FindBinary(input);
        if (binary != null)
        {
            return Unreadable(binary);
        }
        LoggedRecord? record = null;
        if (CallbackLog.TryGetParameters(input, out string logged, out string legacyTime, out string legacyCheck))
        {
            // A record of an earlier version, which kept '%' as it was: read as it was written.
            record = new LoggedRecord(legacyTime, legacyCheck);
            ParameterRead read = Parse(logged, charset);
            return new ParameterRead(read.Parameters, read.Problem, read.IsUnreadable, record) { Input = input };
        }
        ParameterRead plain = Parse(ExtractQuery(input), charset);
        plain.Input = input;
        return plain;
    }

    /// <summary>
    /// Reads a bare parameter string (a query or form body) as a whole, with no looking for a URL or log
    /// line inside it: what a receiver does with a body, where cutting anything off would let unsigned
    /// parameters ride along with signed ones.
    /// </summary>
    public static ParameterRead ReadQuery(string query, BptbCharset charset)
    {
        if (query.Length > MaxInputLength)
        {
            return Unreadable($"the input is {query.Length} characters long; a notification or return is at most {MaxInputLength}");
        }
        string? binary = FindBinary(query);
        return binary != null ? Unreadable(binary) : Parse(query, charset);
    }

    /// <summary>
    /// The one reading of a callback as it arrived: the bytes of its body, or of its target's query when it
    /// has no body. The receiver judges a callback with it, and the log reader reads the receiver's record
    /// with it (a record percent-decodes back to exactly these bytes), so both read the same parameters.
    /// Escapes and raw bytes alike stand for bytes in the charset, '+' for a space; nothing is repaired: a
    /// callback that is not what Alipay sent is invalid, so that it is refused and Alipay sends it again.
    /// </summary>
    public static ParameterRead ReadReceived(byte[] bytes, int offset, int count, BptbCharset charset)
    {
        if (count > MaxInputLength)
        {
            return Unreadable($"the input is {count} bytes long; a notification or return is at most {MaxInputLength}");
        }
        int end = offset + count;
        bool hasEquals = false;
        bool blank = true;
        for (int i = offset; i < end; i++)
        {
            byte b = bytes[i];
            if ((b < 0x20 && b != '\t' && b != '\r' && b != '\n') || b == 0x7F)
            {
                return Unreadable($"the input holds binary data (byte 0x{b:X2} at position {i - offset + 1}), not a query string");
            }
            hasEquals |= b == '=';
            blank &= b == ' ' || b == '\t' || b == '\r' || b == '\n';
        }
        if (!hasEquals)
        {
            return Unreadable(blank ? "the input is empty" : "the input holds no key=value parameters");
        }
        var list = new ParameterList();
        string? problem = null;
        int pos = offset;
        while (pos <= end)
        {
            int amp = Array.IndexOf(bytes, (byte)'&', pos, end - pos);
            if (amp < 0)
            {
                amp = end;
            }
            if (amp > pos)
            {
                int eq = Array.IndexOf(bytes, (byte)'=', pos, amp - pos);
                int keyEnd = eq < 0 ? amp : eq;
                string? key = DecodeBytes(bytes, pos, keyEnd, charset, out string? keyProblem);
                string? valueProblem = null;
                string? value = eq < 0 ? string.Empty : DecodeBytes(bytes, eq + 1, amp, charset, out valueProblem);
                if (key == null || value == null)
                {
                    problem ??= $"parameter {DescribeBytes(bytes, pos, keyEnd)}: {keyProblem ?? valueProblem}";
                }
                else
                {
                    Add(list, key, value, ref problem);
                }
            }
            pos = amp + 1;
        }
        return new ParameterRead(list, problem, false);
    }

    // Percent-decodes bytes[start, end) and reads the bytes in the charset; null with a problem when it cannot.
    private static string? DecodeBytes(byte[] bytes, int start, int end, BptbCharset charset, out string? problem)
    {
        problem = null;
        bool plain = true;
        for (int i = start; i < end && plain; i++)
        {
            byte b = bytes[i];
            plain = b != '%' && b != '+' && b < 0x80;
        }
        if (plain)
        {
            return KnownName(bytes, start, end) ?? System.Text.Encoding.ASCII.GetString(bytes, start, end - start);
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent(end - start);
        try
        {
            int n = 0;
            for (int i = start; i < end; i++)
            {
                byte b = bytes[i];
                if (b == '+')
                {
                    buffer[n++] = (byte)' ';
                }
                else if (b == '%')
                {
                    int hi = i + 2 < end ? Hex((char)bytes[i + 1]) : -1;
                    int lo = i + 2 < end ? Hex((char)bytes[i + 2]) : -1;
                    if (hi < 0 || lo < 0)
                    {
                        problem = $"bad percent escape {DescribeBytes(bytes, i, Math.Min(i + 3, end))} (a '%' must be followed by two hex digits)";
                        return null;
                    }
                    buffer[n++] = (byte)((hi << 4) | lo);
                    i += 2;
                }
                else
                {
                    buffer[n++] = b; // a raw byte, ASCII or not, is that byte in the charset
                }
            }
            try
            {
                return charset.GetString(buffer, 0, n);
            }
            catch (CharsetException ex)
            {
                problem = ex.Message.Replace("The bytes are", "its bytes are");
                return null;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Printable ASCII as it is, any other byte as %XX: one line, and what was received is plain to see.
    private static string DescribeBytes(byte[] bytes, int start, int end)
    {
        var sb = new System.Text.StringBuilder("'");
        for (int i = start; i < end && i - start < 40; i++)
        {
            byte b = bytes[i];
            sb.Append(b >= 0x20 && b < 0x7F ? ((char)b).ToString() : $"%{b:X2}");
        }
        return sb.Append(end - start > 40 ? "…'" : "'").ToString();
    }

    private static string? KnownName(byte[] bytes, int start, int end)
    {
        int length = end - start;
        foreach (string name in KnownNames)
        {
            if (name.Length != length)
            {
                continue;
            }
            int k = 0;
            while (k < length && bytes[start + k] == name[k])
            {
                k++;
            }
            if (k == length)
            {
                return name;
            }
        }
        return null;
    }

    private static ParameterRead Parse(string query, BptbCharset charset)
    {
        if (query.Length == 0 || query.IndexOf('=') < 0)
        {
            return Unreadable(query.Trim().Length == 0 ? "the input is empty" : "the input holds no key=value parameters");
        }
        // Copying the spec's samples out of HTML turns "&not" into the entity '¬' (U+00AC): "¬ify_id=".
        // Only exactly the spec's own names are read back; the signature still decides whether anything changed.
        // Text a person pasted only: a callback as received (ReadReceived), and the receiver's record of it, are
        // never repaired.
        if (query.IndexOf('\u00AC') >= 0)
        {
            query = query.Replace("\u00ACify_id=", "&notify_id=").Replace("\u00ACify_type=", "&notify_type=").Replace("\u00ACify_time=", "&notify_time=");
        }
        return Split(query, charset);
    }

    /// <summary>
    /// Where the parameters are in a string that is not a receiver log record: the query of a URL or path, the
    /// request line's query of an access-log line; anything else is taken whole, never cut,
    /// so that nothing outside what is checked can be read by the merchant's code.
    /// </summary>
    internal static string ExtractQuery(string input)
    {
        string s = input.Trim();
        if (s.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || s.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || (s.Length > 0 && s[0] == '/'))
        {
            return QueryOf(s, 0);
        }
        // Combined/common access-log format: ... "GET /path?query HTTP/1.1" ... (a quote first: one scan
        // settles the common case, a bare query or body, without looking for each method).
        if (s.IndexOf('"') < 0)
        {
            return s;
        }
        foreach (string method in RequestMethods)
        {
            int at = s.IndexOf(method, StringComparison.Ordinal);
            if (at >= 0)
            {
                return QueryOf(s, at + method.Length);
            }
        }
        return s;
    }

    private static readonly string[] RequestMethods = { "\"GET ", "\"POST ", "\"HEAD " };

    // The query of the URL starting at 'start': after its '?', up to whitespace, a quote or a fragment.
    private static string QueryOf(string s, int start)
    {
        int end = start;
        while (end < s.Length && s[end] != ' ' && s[end] != '\t' && s[end] != '"')
        {
            end++;
        }
        int q = s.IndexOf('?', start, end - start);
        if (q < 0)
        {
            return string.Empty;
        }
        int hash = s.IndexOf('#', q, end - q);
        return s.Substring(q + 1, (hash < 0 ? end : hash) - q - 1);
    }

    private static ParameterRead Split(string query, BptbCharset charset)
    {
        var list = new ParameterList();
        string? problem = null;
        int pos = 0;
        while (pos <= query.Length)
        {
            int amp = query.IndexOf('&', pos);
            if (amp < 0)
            {
                amp = query.Length;
            }
            if (amp > pos)
            {
                int eq = query.IndexOf('=', pos, amp - pos);
                int keyEnd = eq < 0 ? amp : eq;
                string? key = Decode(query, pos, keyEnd, charset, out string? keyProblem);
                string? valueProblem = null;
                string? value = eq < 0 ? string.Empty : Decode(query, eq + 1, amp, charset, out valueProblem);
                if (key == null || value == null)
                {
                    problem ??= $"parameter {Describe(query, pos, keyEnd)}: {keyProblem ?? valueProblem}";
                }
                else
                {
                    Add(list, key, value, ref problem);
                }
            }
            pos = amp + 1;
        }
        return new ParameterRead(list, problem, false);
    }

    // One decoded pair into the list, for both readings (text and bytes received); the first problem of the input is kept.
    private static void Add(ParameterList list, string key, string value, ref string? problem)
    {
        if (key.Length == 0)
        {
            problem ??= "a parameter has an empty name";
        }
        else if (!list.TryAdd(key, value))
        {
            // Never first- or last-wins: whichever copy the merchant's code reads, the other might be the signed one.
            problem ??= $"parameter '{key}' appears more than once, so it is ambiguous which value was signed";
        }
    }

    private static string Describe(string query, int start, int end)
    {
        int length = Math.Min(end - start, 40);
        return "'" + query.Substring(start, length) + (end - start > length ? "…" : string.Empty) + "'";
    }

    /// <summary>Percent-decodes query[start, end) in the charset; null with a problem when it cannot.</summary>
    private static string? Decode(string query, int start, int end, BptbCharset charset, out string? problem)
    {
        problem = null;
#if NET
        // Vectorised: this check runs for every key and value of every line of a log.
        bool plain = query.AsSpan(start, end - start).IndexOfAny(NeedsDecoding) < 0;
#else
        bool plain = true;
        for (int i = start; i < end; i++)
        {
            char c = query[i];
            if (c == '%' || c == '+' || c >= 0x80)
            {
                plain = false;
                break;
            }
        }
#endif
        if (plain)
        {
            return KnownName(query, start, end) ?? query.Substring(start, end - start);
        }
        int maxBytes = end - start + (charset.GetMaxByteCount(1) * (end - start));
        byte[] buffer = ArrayPool<byte>.Shared.Rent(maxBytes);
        try
        {
            int n = 0;
            for (int i = start; i < end; i++)
            {
                char c = query[i];
                if (c == '+')
                {
                    buffer[n++] = (byte)' ';
                }
                else if (c == '%')
                {
                    int hi = i + 2 < end ? Hex(query[i + 1]) : -1;
                    int lo = i + 2 < end ? Hex(query[i + 2]) : -1;
                    if (hi < 0 || lo < 0)
                    {
                        problem = $"bad percent escape '{query.Substring(i, Math.Min(3, end - i))}' (a '%' must be followed by two hex digits)";
                        return null;
                    }
                    buffer[n++] = (byte)((hi << 4) | lo);
                    i += 2;
                }
                else if (c < 0x80)
                {
                    buffer[n++] = (byte)c;
                }
                else
                {
                    // A raw non-ASCII character (a log that stored the decoded text): its bytes in the charset.
                    int charLength = char.IsHighSurrogate(c) && i + 1 < end ? 2 : 1;
                    try
                    {
                        n += charset.Encoding.GetBytes(query.ToCharArray(i, charLength), 0, charLength, buffer, n);
                    }
                    catch (System.Text.EncoderFallbackException)
                    {
                        problem = $"the character U+{(int)c:X4} cannot be written in {charset.Name}";
                        return null;
                    }
                    i += charLength - 1;
                }
            }
            try
            {
                return charset.GetString(buffer, 0, n);
            }
            catch (CharsetException ex)
            {
                problem = ex.Message.Replace("The bytes are", "its bytes are");
                return null;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The parameter names of spec 5 and 6 arrive on every line of a log: reuse one string for each
    // instead of allocating a copy per line.
    private static readonly string[] KnownNames =
    {
        "notify_type", "notify_time", "notify_id", "sign_type", "sign", "pay_date", "flag", "file_name",
        "partner", "is_success", "result_code", "service", "_input_charset", "email", "return_url", "notify_url",
    };

    private static string? KnownName(string query, int start, int end)
    {
        int length = end - start;
        foreach (string name in KnownNames)
        {
            if (name.Length == length && string.CompareOrdinal(query, start, name, 0, length) == 0)
            {
                return name;
            }
        }
        return null;
    }

    private static int Hex(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    // Control characters and the replacement character (what a reader makes of bytes that were not text)
    // mean the line is not a query string; a tab is allowed as a log field separator.
#if NET
    private static readonly System.Buffers.SearchValues<char> NeedsDecoding = System.Buffers.SearchValues.Create(NeedsDecodingChars());
    private static readonly System.Buffers.SearchValues<char> Binary = System.Buffers.SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000B\u000C\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F\uFFFD");

    private static string NeedsDecodingChars()
    {
        var chars = new char[0x10000 - 0x80 + 2];
        chars[0] = '%';
        chars[1] = '+';
        for (int c = 0x80; c <= 0xFFFF; c++)
        {
            chars[c - 0x80 + 2] = (char)c;
        }
        return new string(chars);
    }
#endif

    private static string? FindBinary(string input)
    {
#if NET
        if (input.AsSpan().IndexOfAny(Binary) < 0)
        {
            return null; // the common case, vectorised; the loop below only says where
        }
#endif
        for (int i = 0; i < input.Length; i++)
        {
            char c = input[i];
            if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F || c == '\uFFFD')
            {
                return $"the input holds binary data (U+{(int)c:X4} at position {i + 1}), not a query string";
            }
        }
        return null;
    }

    /// <summary>Wraps parameters that came from a dictionary or object rather than text.</summary>
    public static ParameterRead FromParameters(ParameterList parameters, string? problem = null) =>
        parameters.Count == 0 ? Unreadable("the input has no parameters") : new ParameterRead(parameters, problem, false);

    private static ParameterRead Unreadable(string problem) => new(new ParameterList(1), problem, true);
}
