using System;
using System.Net;

namespace AlipayBptb.Core.Gateway;

/// <summary>Rules for the gateway address, shared by request building and notify_verify.</summary>
public static class GatewayAddress
{
    /// <summary>Alipay's one gateway (rules 3-1: requests must go to it, never to a copy).</summary>
    public const string Default = "https://mapi.alipay.com/gateway.do";

    /// <summary>
    /// Parses a gateway: absolute, https, without a query; plain http only on a loopback host (a local test
    /// gateway), because a notify_verify answer or a signed request over the network in clear is forgeable.
    /// </summary>
    public static Uri Parse(string gateway, string parameterName = "Gateway")
    {
        if (!Uri.TryCreate(gateway, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException($"The gateway '{gateway}' is not an absolute http(s) URL.", parameterName);
        }
        if (uri.Scheme == Uri.UriSchemeHttp && !IsLoopback(uri))
        {
            throw new ArgumentException(
                $"The gateway '{gateway}' is plain http on a host that is not loopback: use https (only a local test gateway on 127.0.0.1 or ::1 may be http).",
                parameterName);
        }
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw new ArgumentException($"The gateway '{gateway}' has a query or fragment: give the gateway address alone (such as {Default}).", parameterName);
        }
        return uri;
    }

    /// <summary>True for <c>localhost</c>, <c>*.localhost</c> and loopback IP addresses.</summary>
    public static bool IsLoopback(Uri uri)
    {
        string host = uri.IdnHost.TrimEnd('.');
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? ip) && IPAddress.IsLoopback(ip);
    }
}
