using System;
using System.Collections.Specialized;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Gateway;

/// <summary>A request's parameters as it is sent and shown.</summary>
internal static class SignedParameters
{
    /// <summary>
    /// The parameters in sign-string order (ordinal by key), then sign and sign_type: the order a reader compares
    /// them in.
    /// </summary>
    public static OrderedDictionary Ordered(ParameterList parameters, string sign, SignType signType)
    {
        var ordered = new OrderedDictionary(parameters.Count + 2, StringComparer.Ordinal);
        var keys = new string[parameters.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = parameters.KeyAt(i);
        }
        Array.Sort(keys, StringComparer.Ordinal);
        foreach (string key in keys)
        {
            ordered.Add(key, parameters[key]);
        }
        ordered.Add("sign", sign);
        ordered.Add("sign_type", signType.ToString());
        return ordered;
    }
}
