using System;
using System.Text;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Mock;

/// <summary>
/// A confirm request posted as the rules (3-1, 接口构造) ask for a form: <c>enctype="multipart/form-data"</c> to
/// <c>gateway.do?_input_charset=…</c>, every parameter a form field (<c>_input_charset</c> among them). The
/// query names the charset; the fields are read in it, raw (a multipart value is not percent-encoded).
/// </summary>
internal static class MultipartForm
{
    private static readonly string[] LineBreak = { "\r\n" };

    public static ParameterRead Read(string contentType, byte[] body, int length, string query, ref string? charsetName, ref BptbCharset charset)
    {
        string? boundary = null;
        foreach (string part in contentType.Split(';'))
        {
            string p = part.Trim();
            if (p.StartsWith("boundary=", StringComparison.OrdinalIgnoreCase))
            {
                boundary = p.Substring(9).Trim('"');
            }
        }
        var list = new ParameterList();
        if (string.IsNullOrEmpty(boundary))
        {
            return ParameterReader.FromParameters(list, "multipart/form-data without a boundary");
        }
        byte[] delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        string? problem = null;
        int at = IndexOf(body, length, delimiter, 0);
        while (at >= 0)
        {
            int start = at + delimiter.Length;
            if (start + 1 < length && body[start] == '-' && body[start + 1] == '-')
            {
                break; // the closing delimiter
            }
            int next = IndexOf(body, length, delimiter, start);
            if (next < 0)
            {
                problem ??= "the multipart body ends without its closing delimiter";
                break;
            }
            // A part: CRLF, headers, CRLF CRLF, the value, CRLF before the next delimiter.
            int headEnd = IndexOf(body, next, Encoding.ASCII.GetBytes("\r\n\r\n"), start);
            if (headEnd < 0)
            {
                problem ??= "a multipart part has no headers";
                break;
            }
            string headers = Encoding.ASCII.GetString(body, start, headEnd - start);
            string? name = FieldName(headers);
            int valueStart = headEnd + 4;
            int valueEnd = next - 2;
            if (name != null && valueEnd >= valueStart)
            {
                string value;
                try
                {
                    value = charset.GetString(body, valueStart, valueEnd - valueStart);
                }
                catch (CharsetException ex)
                {
                    problem ??= $"field '{name}': {ex.Message}";
                    value = string.Empty;
                }
                if (!list.TryAdd(name, value))
                {
                    problem ??= $"parameter '{name}' appears more than once, so it is ambiguous which value was signed";
                }
            }
            at = next;
        }
        // The action's _input_charset must agree with the form's (rules 3-1): one parameter, not two.
        string? formCharset = list["_input_charset"];
        if (formCharset != null && charsetName != null && !string.Equals(formCharset, charsetName, StringComparison.OrdinalIgnoreCase))
        {
            problem ??= $"_input_charset is '{charsetName}' in the action but '{formCharset}' in the form";
        }
        if (formCharset == null && charsetName != null)
        {
            list.TryAdd("_input_charset", charsetName);
        }
        charsetName ??= formCharset;
        if (BptbCharset.TryGet(charsetName, out BptbCharset named))
        {
            charset = named;
        }
        foreach (string pair in query.Split('&'))
        {
            if (pair.Length > 0 && !pair.StartsWith("_input_charset=", StringComparison.Ordinal))
            {
                problem ??= "the form's action holds parameters besides _input_charset (rules 3-1: they go in the form)";
            }
        }
        return ParameterReader.FromParameters(list, problem);
    }

    private static string? FieldName(string headers)
    {
        foreach (string line in headers.Split(LineBreak, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!line.StartsWith("Content-Disposition:", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            // name="x" as browsers write it, or name=x, which HTTP clients write for plain names.
            foreach (string parameter in line.Substring(line.IndexOf(':') + 1).Split(';'))
            {
                string p = parameter.Trim();
                if (p.StartsWith("name=", StringComparison.OrdinalIgnoreCase))
                {
                    return p.Substring(5).Trim('"');
                }
            }
            return null;
        }
        return null;
    }

    /// <summary>Where <paramref name="needle"/> first stands in the first <paramref name="length"/> bytes, from <paramref name="from"/>; -1 if nowhere.</summary>
    internal static int IndexOf(byte[] haystack, int length, byte[] needle, int from)
    {
        for (int i = from; i + needle.Length <= length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j])
            {
                j++;
            }
            if (j == needle.Length)
            {
                return i;
            }
        }
        return -1;
    }
}
