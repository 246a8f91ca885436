using System;
using System.Net;
using AlipayBptb.Core.Rules;

namespace AlipayBptb.Core.Gateway;

/// <summary>Rules for the gateway address, shared by request building and notify_verify.</summary>
public static class GatewayAddress
{
    /// <summary>Alipay's one gateway (rules 3-1: requests must go to it, never to a copy).</summary>
    public const string Default = "https://mapi.alipay.com/gateway.do";

    private const string AlipayHost = "mapi.alipay.com";
    private const string AlipayPath = "/gateway.do";

    private const string Rule = "Rules 3-1 (接口构造) send every request to Alipay's gateway " + Default
        + " and nowhere else; only a local test gateway (http or https on 127.0.0.0/8, ::1 or localhost, such as Start-BptbMockGateway) may stand in for it";

    /// <summary>
    /// Parses a gateway. Rules 3-1 (接口构造) require Alipay's gateway and only it, so a signed request or a
    /// notify_verify question never goes to a look-alike host: accepted are exactly https://mapi.alipay.com/gateway.do
    /// (host case aside, default port), returned in that one form, and a loopback test gateway (http or https on
    /// 127.0.0.0/8, [::1] or localhost, any port and path). No user name or password, query or fragment; only
    /// printable ASCII, because IDN mapping turns look-alikes such as full-width letters into the real host name.
    /// </summary>
    /// <exception cref="ArgumentException">Anything else, naming <paramref name="parameterName"/> and the rule.</exception>
    public static Uri Parse(string gateway, string parameterName = "Gateway")
    {
        string? problem = Check(gateway, out Uri? uri);
        if (problem != null)
        {
            throw new ArgumentException($"The {parameterName} '{InputText.ShowUrl(gateway)}' {problem}. {Rule}.", parameterName);
        }
        return uri!;
    }

    private static string? Check(string gateway, out Uri? result)
    {
        result = null;
        if (string.IsNullOrEmpty(gateway))
        {
            return "is empty";
        }
        foreach (char c in gateway)
        {
            // Uri trims white space and drops or escapes control characters, so they would pass unseen.
            if (c == ' ')
            {
                return "holds a space";
            }
            if (c < 0x20 || c == 0x7F)
            {
                return "holds a line break or other control character";
            }
            if (c > 0x7E)
            {
                return "holds non-ASCII characters (an international host name can look like Alipay's and is not it)";
            }
        }
        if (!Uri.TryCreate(gateway, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return "is not an absolute https URL";
        }
        if (uri.UserInfo.Length > 0)
        {
            // https://mapi.alipay.com@evil.example/ goes to evil.example.
            return "has a user name or password before '@', so it goes to another host than it seems to";
        }
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || gateway.IndexOf('?') >= 0 || gateway.IndexOf('#') >= 0)
        {
            return "has a query or fragment: give the gateway address alone";
        }
        if (HostRules.IsLoopbackAddress(uri))
        {
            result = uri;
            return null;
        }
        if (!string.Equals(uri.Host, AlipayHost, StringComparison.OrdinalIgnoreCase) || uri.HostNameType != UriHostNameType.Dns)
        {
            return "is not Alipay's gateway";
        }
        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            return "is plain http: Alipay's gateway is https only (rules 3-1, 数据传输)";
        }
        if (!uri.IsDefaultPort)
        {
            return $"names port {uri.Port}: Alipay's gateway is on the default https port";
        }
        if (!string.Equals(uri.AbsolutePath, AlipayPath, StringComparison.Ordinal))
        {
            return $"has the path '{uri.AbsolutePath}', not {AlipayPath}";
        }
        result = new Uri(Default);
        return null;
    }
}
