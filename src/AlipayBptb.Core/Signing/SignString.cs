using System;
using System.Text;
using AlipayBptb.Core.Notifications;

namespace AlipayBptb.Core.Signing;

/// <summary>The string that is signed (spec 8.1): the one builder every cmdlet uses.</summary>
public static class SignString
{
    /// <summary>
    /// Builds the sign string: <c>sign</c> and <c>sign_type</c> dropped (<c>sign_type</c> kept when
    /// <paramref name="includeSignType"/>), parameters with an empty value dropped, keys in ordinal (byte)
    /// order, <c>key=value</c> joined with <c>&amp;</c>, values raw, never URL-encoded (spec 8.1.2).
    /// </summary>
    public static string Build(ParameterList parameters, bool includeSignType = false)
    {
        int n = parameters.Count;
        // Indices of the parameters that are signed, sorted by key with an insertion sort: a dozen keys at most,
        // and no delegate or array allocation on the path every notification takes.
        Span<int> order = n <= 64 ? stackalloc int[n] : new int[n];
        int count = 0;
        int length = 0;
        for (int i = 0; i < n; i++)
        {
            string key = parameters.KeyAt(i);
            string value = parameters.ValueAt(i);
            if (value.Length == 0 || key == "sign" || (key == "sign_type" && !includeSignType))
            {
                continue;
            }
            int j = count;
            while (j > 0 && string.CompareOrdinal(parameters.KeyAt(order[j - 1]), key) > 0)
            {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = i;
            count++;
            length += key.Length + value.Length + 2;
        }
        if (count == 0)
        {
            return string.Empty;
        }
        length--; // one '&' fewer than pairs
#if NET
        // One allocation, the result itself: this runs for every line of a million-line log.
        return string.Create(length, (parameters, order.Slice(0, count).ToArray()), static (span, state) =>
        {
            int pos = 0;
            for (int k = 0; k < state.Item2.Length; k++)
            {
                if (k > 0)
                {
                    span[pos++] = '&';
                }
                string key = state.parameters.KeyAt(state.Item2[k]);
                string value = state.parameters.ValueAt(state.Item2[k]);
                key.AsSpan().CopyTo(span.Slice(pos));
                pos += key.Length;
                span[pos++] = '=';
                value.AsSpan().CopyTo(span.Slice(pos));
                pos += value.Length;
            }
        });
#else
        var sb = new StringBuilder(length);
        for (int k = 0; k < count; k++)
        {
            if (k > 0)
            {
                sb.Append('&');
            }
            sb.Append(parameters.KeyAt(order[k])).Append('=').Append(parameters.ValueAt(order[k]));
        }
        return sb.ToString();
#endif
    }
}
