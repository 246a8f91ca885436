using System;
using System.Globalization;
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
    /// True for <c>localhost</c>, <c>*.localhost</c> and loopback IP addresses, a trailing dot allowed, the host read
    /// as a browser reads it (<see cref="BrowserHost"/>): the broad test, for refusing callback URLs that point at
    /// this machine.
    /// </summary>
    public static bool IsLocalHost(Uri uri)
    {
        string host = BrowserHost(uri).TrimEnd('.');
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return Address(uri) is { } ip && IPAddress.IsLoopback(ip);
    }

    /// <summary>
    /// The host as a browser connects to it: an IPv6 address without its brackets, and a name mapped as UTS #46 maps
    /// it (the WHATWG URL standard's "domain to ASCII"): full-width letters and digits become ASCII, the ideographic
    /// full stop U+3002 and its kin become '.', the rest becomes punycode. <c>http://１０。0。0。1/</c> is 10.0.0.1
    /// to a browser, whatever Uri calls it. A name the mapping refuses is returned as Uri has it.
    /// </summary>
    public static string BrowserHost(Uri uri)
    {
        string host = uri.Host;
        if (uri.HostNameType == UriHostNameType.IPv6)
        {
            return host.Trim('[', ']');
        }
        if (uri.HostNameType != UriHostNameType.Dns)
        {
            return host;
        }
        // IdnMapping, not Uri.IdnHost: on .NET Framework (the netstandard2.0 build under Windows PowerShell) IdnHost
        // depends on the application's IDN settings; IdnMapping maps the same on both builds.
        try
        {
            return new IdnMapping().GetAscii(host).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return host;
        }
    }

    /// <summary>
    /// The IP address a browser reads in the host, in any form it accepts: dotted, shortened (10.1), hex or octal
    /// parts (0x0a.0.0.1), one number (167772161), a trailing dot, full-width digits and full stops, IPv6 with or
    /// without a zone; null for a host name (names are not resolved: rules 3-1, no DNS pinning, and the name may
    /// resolve differently where Alipay looks it up).
    /// </summary>
    public static IPAddress? Address(Uri uri)
    {
        string host = BrowserHost(uri);
        if (uri.HostNameType == UriHostNameType.Dns)
        {
            // "10.0.0.1." is a DNS name to Uri and an address to a browser; so is any name whose last label is a
            // number (WHATWG URL, "ends in a number": digits, or 0x and hex digits).
            host = host.Length > 0 && host[host.Length - 1] == '.' ? host.Substring(0, host.Length - 1) : host;
            if (!EndsInANumber(host))
            {
                return null;
            }
        }
        int zone = host.IndexOf('%');
        if (zone >= 0)
        {
            host = host.Substring(0, zone);
        }
        return IPAddress.TryParse(host, out IPAddress? ip) ? ip : null;
    }

    private static bool EndsInANumber(string host)
    {
        string last = host.Substring(host.LastIndexOf('.') + 1);
        if (last.Length == 0)
        {
            return false;
        }
        bool hex = last.Length >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X');
        for (int i = hex ? 2 : 0; i < last.Length; i++)
        {
            char c = last[i];
            bool digit = c >= '0' && c <= '9';
            if (!digit && !(hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// For a host that is an IP address (<see cref="Address"/>) no one reaches from the internet: the address and
    /// the range it is in, named as the IANA special-purpose address registries name it; otherwise null. Only
    /// 2000::/3 is global unicast in IPv6; an IPv6 address that carries an IPv4 one (IPv4-mapped, NAT64, 6to4,
    /// Teredo) is judged by the IPv4 address it reaches.
    /// </summary>
    public static string? UnreachableAddress(Uri uri)
    {
        IPAddress? ip = Address(uri);
        if (ip == null)
        {
            return null;
        }
        string? range = ip.AddressFamily == AddressFamily.InterNetwork ? UnreachableV4(ip.GetAddressBytes(), 0)
            : ip.AddressFamily == AddressFamily.InterNetworkV6 ? UnreachableV6(ip.GetAddressBytes())
            : null;
        return range == null ? null : $"{ip}, {range}";
    }

    // IANA IPv4 Special-Purpose Address Registry, the blocks whose "Globally Reachable" is False, with multicast
    // (224.0.0.0/4, not a host) and the limited broadcast address, which the reserved block holds.
    private static string? UnreachableV4(byte[] b, int at)
    {
        byte b0 = b[at], b1 = b[at + 1], b2 = b[at + 2], b3 = b[at + 3];
        return b0 switch
        {
            0 => "an unspecified address (\"this network\", 0.0.0.0/8, RFC 791)",
            10 => "a private address (10.0.0.0/8, RFC 1918)",
            100 when (b1 & 0xC0) == 64 => "a shared, carrier-grade NAT address (100.64.0.0/10, RFC 6598)",
            127 => "a loopback address (127.0.0.0/8, RFC 1122)",
            169 when b1 == 254 => "a link-local address (169.254.0.0/16, RFC 3927)",
            172 when (b1 & 0xF0) == 16 => "a private address (172.16.0.0/12, RFC 1918)",
            // 192.0.0.9 and 192.0.0.10 (PCP and TURN anycast) are the block's globally reachable exceptions.
            192 when b1 == 0 && b2 == 0 && !(b3 is 9 or 10) => "an IETF protocol assignment (192.0.0.0/24, RFC 6890)",
            192 when b1 == 0 && b2 == 2 => "a documentation address (TEST-NET-1, 192.0.2.0/24, RFC 5737)",
            192 when b1 == 168 => "a private address (192.168.0.0/16, RFC 1918)",
            198 when (b1 & 0xFE) == 18 => "a benchmarking address (198.18.0.0/15, RFC 2544)",
            198 when b1 == 51 && b2 == 100 => "a documentation address (TEST-NET-2, 198.51.100.0/24, RFC 5737)",
            203 when b1 == 0 && b2 == 113 => "a documentation address (TEST-NET-3, 203.0.113.0/24, RFC 5737)",
            >= 224 and < 240 => "a multicast address (224.0.0.0/4, RFC 5771)",
            255 when b1 == 255 && b2 == 255 && b3 == 255 => "the limited broadcast address (255.255.255.255/32, RFC 919)",
            >= 240 => "a reserved address (240.0.0.0/4, RFC 1112)",
            _ => null,
        };
    }

    // IANA IPv6 Special-Purpose Address Registry and IPv6 Address Space: anything outside 2000::/3 is not global
    // unicast; inside it, the special-purpose blocks that are not globally reachable.
    private static string? UnreachableV6(byte[] b)
    {
        if (Zero(b, 0, 10) && b[10] == 0xFF && b[11] == 0xFF)
        {
            return Carried("an IPv4-mapped address (::ffff:0:0/96, RFC 4291)", b, 12);
        }
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && Zero(b, 4, 8))
        {
            // The well-known NAT64 prefix is globally reachable itself; the IPv4 address it translates to may not be.
            return Carried("a NAT64 address (64:ff9b::/96, RFC 6052)", b, 12);
        }
        if (Zero(b, 0, 12))
        {
            return Zero(b, 12, 3) && b[15] == 0 ? "the unspecified address (::/128, RFC 4291)"
                : Zero(b, 12, 3) && b[15] == 1 ? "the loopback address (::1/128, RFC 4291)"
                : $"an IPv4-compatible address (::/96, deprecated by RFC 4291 and not routed) of {b[12]}.{b[13]}.{b[14]}.{b[15]}";
        }
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return Carried("a 6to4 address (2002::/16, RFC 3056)", b, 2);
        }
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00)
        {
            // Teredo carries the client's IPv4 address with every bit inverted in its last 32 bits.
            byte[] client = { (byte)~b[12], (byte)~b[13], (byte)~b[14], (byte)~b[15] };
            string? clientRange = UnreachableV4(client, 0);
            return clientRange == null ? null
                : $"a Teredo address (2001::/32, RFC 4380) of {client[0]}.{client[1]}.{client[2]}.{client[3]}, {clientRange}";
        }
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8)
        {
            return "a documentation address (2001:db8::/32, RFC 3849)";
        }
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02 && !IetfGlobal(b))
        {
            return "an IETF protocol assignment (2001::/23, RFC 2928), not globally reachable";
        }
        if (b[0] == 0x3F && b[1] == 0xFF && (b[2] & 0xF0) == 0)
        {
            return "a documentation address (3fff::/20, RFC 9637)";
        }
        if ((b[0] & 0xE0) == 0x20)
        {
            return null;
        }
        return (b[0] & 0xFE) == 0xFC ? "a unique local, private address (fc00::/7, RFC 4193)"
            : b[0] == 0xFE && (b[1] & 0xC0) == 0x80 ? "a link-local address (fe80::/10, RFC 4291)"
            : b[0] == 0xFE && (b[1] & 0xC0) == 0xC0 ? "a site-local address (fec0::/10, deprecated by RFC 3879)"
            : b[0] == 0xFF ? "a multicast address (ff00::/8, RFC 4291)"
            : b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4] == 0x00 && b[5] == 0x01 ? "a local-use NAT64 address (64:ff9b:1::/48, RFC 8215)"
            : b[0] == 0x01 && b[1] == 0x00 && Zero(b, 2, 6) ? "a discard-only address (100::/64, RFC 6666)"
            : b[0] == 0x5F && b[1] == 0x00 ? "an SRv6 segment identifier (5f00::/16, RFC 9602)"
            : "an address outside global unicast (2000::/3), reserved by the IETF";
    }

    // The blocks of 2001::/23 that the registry marks globally reachable: 2001:1::1/128 to 2001:1::3/128 (anycast),
    // 2001:3::/32 (AMT), 2001:4:112::/48 (AS112-v6), 2001:20::/28 (ORCHIDv2), 2001:30::/28 (DRIP).
    private static bool IetfGlobal(byte[] b) =>
        (b[2] == 0x00 && b[3] == 0x01 && Zero(b, 4, 11) && b[15] is >= 1 and <= 3)
        || (b[2] == 0x00 && b[3] == 0x03)
        || (b[2] == 0x00 && b[3] == 0x04 && b[4] == 0x01 && b[5] == 0x12)
        || (b[2] == 0x00 && (b[3] & 0xF0) is 0x20 or 0x30);

    private static string? Carried(string form, byte[] b, int at)
    {
        string? range = UnreachableV4(b, at);
        return range == null ? null : $"{form} of {b[at]}.{b[at + 1]}.{b[at + 2]}.{b[at + 3]}, {range}";
    }

    private static bool Zero(byte[] b, int start, int count)
    {
        for (int i = start; i < start + count; i++)
        {
            if (b[i] != 0)
            {
                return false;
            }
        }
        return true;
    }
}
