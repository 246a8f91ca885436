using System;
using System.Net;
using System.Net.Sockets;

namespace AlipayBptb.Core.Rules;

/// <summary>Where a URL's host is: this machine, or a range no one reaches from the internet (rules 3-1, spec 7).</summary>
public static class HostRules
{
    /// <summary>
    /// True for a gateway a test may use: http or https on 127.0.0.0/8, [::1] or <c>localhost</c>. Stricter than
    /// <see cref="IsLocalHost"/>: no trailing dot, no <c>*.localhost</c> (not every resolver keeps those on this machine).
    /// </summary>
    public static bool IsLoopbackAddress(Uri uri)
    {
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            return false;
        }
        switch (uri.HostNameType)
        {
            case UriHostNameType.IPv4:
                return IPAddress.TryParse(uri.Host, out IPAddress? v4) && v4.AddressFamily == AddressFamily.InterNetwork && v4.GetAddressBytes()[0] == 127;
            case UriHostNameType.IPv6:
                return IPAddress.TryParse(uri.Host.Trim('[', ']'), out IPAddress? v6) && v6.Equals(IPAddress.IPv6Loopback);
            case UriHostNameType.Dns:
                return string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase);
            default:
                return false;
        }
    }

    /// <summary>
    /// True for <c>localhost</c>, <c>*.localhost</c> and loopback IP addresses, a trailing dot allowed: the broad
    /// test, for refusing callback URLs that point at this machine.
    /// </summary>
    public static bool IsLocalHost(Uri uri)
    {
        string host = uri.IdnHost.TrimEnd('.');
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? ip) && IPAddress.IsLoopback(ip);
    }

    /// <summary>
    /// For a host that is an IP address (in any form Uri accepts: 10.1, 0x0a.0.0.1, a trailing dot, IPv4 mapped into
    /// IPv6) in a range no one reaches from the internet: the address and its range; otherwise null. Host names are
    /// not resolved (rules 3-1: no DNS pinning, and the name may resolve differently where Alipay looks it up).
    /// </summary>
    public static string? UnreachableAddress(Uri uri)
    {
        string host;
        switch (uri.HostNameType)
        {
            case UriHostNameType.IPv4:
                host = uri.Host;
                break;
            case UriHostNameType.IPv6:
                host = uri.Host.Trim('[', ']');
                break;
            case UriHostNameType.Dns:
                // "10.0.0.1." is a DNS name to Uri, and an address to resolvers.
                host = uri.Host.TrimEnd('.');
                if (host.Length == 0 || !char.IsDigit(host[host.Length - 1]))
                {
                    return null;
                }
                break;
            default:
                return null;
        }
        int zone = host.IndexOf('%');
        if (zone >= 0)
        {
            host = host.Substring(0, zone);
        }
        if (!IPAddress.TryParse(host, out IPAddress? ip))
        {
            return null;
        }
        if (ip.AddressFamily == AddressFamily.InterNetworkV6 && ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }
        byte[] b = ip.GetAddressBytes();
        string? range = null;
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            range = b[0] switch
            {
                0 => "an unspecified address (0.0.0.0/8)",
                10 => "a private address (10.0.0.0/8)",
                100 when (b[1] & 0xC0) == 64 => "a shared, carrier-grade NAT address (100.64.0.0/10)",
                127 => "a loopback address (127.0.0.0/8)",
                169 when b[1] == 254 => "a link-local address (169.254.0.0/16)",
                172 when (b[1] & 0xF0) == 16 => "a private address (172.16.0.0/12)",
                192 when b[1] == 168 => "a private address (192.168.0.0/16)",
                >= 224 and < 240 => "a multicast address (224.0.0.0/4)",
                >= 240 => "a reserved or broadcast address (240.0.0.0/4)",
                _ => null,
            };
        }
        else if (ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (ip.Equals(IPAddress.IPv6None))
            {
                range = "the unspecified address (::)";
            }
            else if (ip.Equals(IPAddress.IPv6Loopback))
            {
                range = "the loopback address (::1)";
            }
            else if ((b[0] & 0xFE) == 0xFC)
            {
                range = "a unique local, private address (fc00::/7)";
            }
            else if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80)
            {
                range = "a link-local address (fe80::/10)";
            }
            else if (b[0] == 0xFF)
            {
                range = "a multicast address (ff00::/8)";
            }
        }
        return range == null ? null : $"{ip}, {range}";
    }
}
