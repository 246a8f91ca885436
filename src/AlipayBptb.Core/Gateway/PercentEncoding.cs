using System.Text;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Gateway;

/// <summary>Percent-encoding in the merchant's charset, for URLs that Alipay decodes in <c>_input_charset</c>.</summary>
public static class PercentEncoding
{
    /// <summary>
    /// Encodes every byte outside RFC 3986's unreserved set (letters, digits, '-', '.', '_', '~'), so the
    /// '+', '/' and '=' of a base64 signature survive the trip, and a space is %20, never '+'.
    /// </summary>
    public static string Encode(string value, BptbCharset charset)
    {
        byte[] bytes = charset.GetBytes(value);
        var sb = new StringBuilder(bytes.Length * 3);
        const string hex = "0123456789ABCDEF";
        foreach (byte b in bytes)
        {
            bool unreserved = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
                || b == '-' || b == '.' || b == '_' || b == '~';
            if (unreserved)
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append('%').Append(hex[b >> 4]).Append(hex[b & 0xF]);
            }
        }
        return sb.ToString();
    }
}
