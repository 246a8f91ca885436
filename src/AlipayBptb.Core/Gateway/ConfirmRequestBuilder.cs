using System;
using System.Collections.Specialized;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Gateway;

/// <summary>
/// Builds signed bptb_user_confirm requests (spec 4). Every value is checked against the spec and its rules
/// before anything is signed; a bad value is refused with the parameter and the rule named.
/// </summary>
public sealed class ConfirmRequestBuilder
{
    public const string Service = "bptb_user_confirm";

    // \z, never $: in .NET '$' also matches before a final '\n', so "2088002464631181\n" would pass and be signed.
    private static readonly Regex PartnerPattern = new(@"^2088[0-9]{12}\z", RegexOptions.CultureInvariant);
    private static readonly Regex EmailPattern = new(@"^[^@\s]+@[^@\s]+\.[^@\s.]+\z", RegexOptions.CultureInvariant);
    private static readonly string[] FileExtensions = { ".csv", ".xls", ".zip" };
    private static readonly char[] FolderSeparators = { '/', '\\', ':' };

    private readonly Signer _signer;
    private readonly Uri _gateway;
    private readonly bool _loopbackGateway;

    public ConfirmRequestBuilder(string partner, string email, string returnUrl, string? notifyUrl, BptbCharset charset, Signer signer, string gateway = GatewayAddress.Default)
    {
        if (!signer.CanSign)
        {
            throw new ArgumentException($"The {signer.SignType} key is a public key: a request is signed with the merchant's private key.", nameof(signer));
        }
        _signer = signer;
        _gateway = GatewayAddress.Parse(gateway);
        _loopbackGateway = GatewayAddress.IsLoopbackGateway(_gateway);
        Partner = CheckPartner(partner);
        Email = CheckEmail(email);
        ReturnUrl = CheckUrl(returnUrl, "ReturnUrl", _loopbackGateway);
        NotifyUrl = string.IsNullOrEmpty(notifyUrl) ? null : CheckUrl(notifyUrl!, "NotifyUrl", _loopbackGateway);
        Charset = charset;
    }

    public string Partner { get; }

    public string Email { get; }

    public string ReturnUrl { get; }

    public string? NotifyUrl { get; }

    public BptbCharset Charset { get; }

    public SignType SignType => _signer.SignType;

    /// <summary>Signs the request for one uploaded payment file.</summary>
    public ConfirmRequest Build(string fileName)
    {
        CheckFileName(fileName);
        var parameters = new ParameterList(9);
        parameters.TryAdd("service", Service);
        parameters.TryAdd("partner", Partner);
        parameters.TryAdd("_input_charset", Charset.Name);
        parameters.TryAdd("return_url", ReturnUrl);
        if (NotifyUrl != null)
        {
            parameters.TryAdd("notify_url", NotifyUrl);
        }
        parameters.TryAdd("email", Email);
        parameters.TryAdd("file_name", fileName);

        string signString = SignString.Build(parameters);
        string sign;
        try
        {
            sign = _signer.Sign(signString, Charset);
        }
        catch (CharsetException ex)
        {
            throw CharsetError(parameters, ex);
        }

        // Parameters in sign-string order (ordinal by key), then sign and sign_type: the order a reader compares them in.
        var ordered = new OrderedDictionary(9, StringComparer.Ordinal);
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
        ordered.Add("sign_type", _signer.SignType.ToString());

        var url = new StringBuilder(_gateway.AbsoluteUri.Length + 512);
        url.Append(_gateway.AbsoluteUri).Append('?');
        bool first = true;
        foreach (System.Collections.DictionaryEntry e in ordered)
        {
            if (!first)
            {
                url.Append('&');
            }
            first = false;
            url.Append(PercentEncoding.Encode((string)e.Key, Charset)).Append('=').Append(PercentEncoding.Encode((string)e.Value!, Charset));
        }
        return new ConfirmRequest(fileName, url.ToString(), ordered, signString, sign, _signer.SignType.ToString(), Charset.Name);
    }

    // The signer saw one sign string; the error names the parameter that holds the character the charset cannot
    // write (spec 8.1.2: the signed bytes are in _input_charset), so that what to change is plain.
    private RequestValidationException CharsetError(ParameterList parameters, CharsetException ex)
    {
        for (int i = 0; i < parameters.Count; i++)
        {
            string value = parameters.ValueAt(i);
            try
            {
                Charset.GetBytes(value);
            }
            catch (CharsetException inner)
            {
                string key = parameters.KeyAt(i);
                string parameter = key switch
                {
                    "file_name" => "FileName",
                    "email" => "Email",
                    "return_url" => "ReturnUrl",
                    "notify_url" => "NotifyUrl",
                    _ => "InputCharset",
                };
                return new RequestValidationException("InvalidCharsetText",
                    $"The {key} '{InputText.Show(value)}' cannot be written in {Charset.Name} (_input_charset): {inner.Message} Leave the character out, or choose an -InputCharset that holds it (utf-8 holds every character).", parameter);
            }
        }
        return new RequestValidationException("InvalidCharsetText", $"The request cannot be written in {Charset.Name}: {ex.Message}", "InputCharset");
    }

    public static string CheckPartner(string partner)
    {
        if (partner == null || !PartnerPattern.IsMatch(partner))
        {
            throw new RequestValidationException("InvalidPartner",
                $"The partner '{InputText.Show(partner)}' is not a partner ID: it must be 2088 followed by 12 digits, 16 digits in all and nothing else (spec 4.2).", "Partner");
        }
        return partner;
    }

    private static string CheckEmail(string email)
    {
        // Hidden characters first, named by code point: a NUL, a line break or a bidi override such as U+202E makes
        // the account shown differ from the account signed (rules 3-1: email is the payer account that uploaded).
        int hidden = email == null ? -1 : InputText.FindHidden(email);
        if (hidden >= 0)
        {
            throw new RequestValidationException("InvalidEmail",
                $"The email '{InputText.Show(email)}' holds {InputText.DescribeHidden(email!, hidden)}: give the payer account's email exactly as registered with Alipay (rules 3-1).", "Email");
        }
        if (email == null || email.Length > 100 || !EmailPattern.IsMatch(email))
        {
            throw new RequestValidationException("InvalidEmail",
                $"The email '{InputText.Show(email)}' does not look like an Alipay account email (name@domain, no white space): it must be the payer account that uploaded the file (rules 3-1).", "Email");
        }
        return email;
    }

    public static void CheckFileName(string fileName)
    {
        if (string.IsNullOrWhiteSpace(fileName))
        {
            throw new RequestValidationException("InvalidFileName", "The file name is empty: give the name of the uploaded payment file (spec 4.2).", "FileName");
        }
        int hidden = InputText.FindHidden(fileName);
        if (hidden >= 0)
        {
            throw new RequestValidationException("InvalidFileName",
                $"The file name '{InputText.Show(fileName)}' holds {InputText.DescribeHidden(fileName, hidden)}: give the name exactly as it was uploaded (spec 4.2, file_name).", "FileName");
        }
        // Checked before the extension, so that "a.csv " is refused for what is wrong with it: Alipay looks the file up
        // by the exact name it was uploaded under, and a space copied along finds nothing (FILE_NOT_EXIST).
        if (char.IsWhiteSpace(fileName[0]) || char.IsWhiteSpace(fileName[fileName.Length - 1]))
        {
            bool begins = char.IsWhiteSpace(fileName[0]);
            char c = begins ? fileName[0] : fileName[fileName.Length - 1];
            string what = c == ' ' ? "a space" : $"white space ({InputText.CodePoint(fileName, begins ? 0 : fileName.Length - 1)})";
            throw new RequestValidationException("InvalidFileName",
                $"The file name '{InputText.Show(fileName)}' {(begins ? "begins" : "ends")} with {what}: give the name exactly as it was uploaded, without spaces around it (spec 4.2, file_name).", "FileName");
        }
        if (fileName.IndexOfAny(FolderSeparators) >= 0)
        {
            throw new RequestValidationException("InvalidFileName",
                $"The file name '{InputText.Show(fileName)}' has a folder in it: give the file's name alone, as it was uploaded (spec 4.2, file_name).", "FileName");
        }
        if (fileName.Length > 100)
        {
            throw new RequestValidationException("InvalidFileName",
                $"The file name is {fileName.Length} characters long: Alipay takes at most 100 (FILE_NAME_TO_LONG).", "FileName");
        }
        bool known = false;
        foreach (string ext in FileExtensions)
        {
            known |= fileName.Length > ext.Length && fileName.EndsWith(ext, StringComparison.OrdinalIgnoreCase);
        }
        if (!known)
        {
            throw new RequestValidationException("InvalidFileName",
                $"The file name '{InputText.Show(fileName)}' has no .csv, .xls or .zip extension: payment files are uploaded as one of those (pay_file_confirm rules 4-1).", "FileName");
        }
    }

    // A URL is checked on the text as given, before Uri parses it: Uri trims white space and control characters at
    // either end and escapes them inside, so "http://x/r\n" would parse clean while the raw text, with its line break,
    // is what is signed and sent. Messages quote the URL through InputText.ShowUrl: hidden characters made visible,
    // and a user name or password replaced by *** (credentials given by mistake must not reach error logs).
    private static string CheckUrl(string url, string parameterName, bool loopbackGateway)
    {
        string errorId = "Invalid" + parameterName;
        if (string.IsNullOrEmpty(url))
        {
            throw new RequestValidationException(errorId, $"The {parameterName} is empty: give an absolute http or https URL (spec 4.2).", parameterName);
        }
        int hidden = InputText.FindHidden(url);
        if (hidden >= 0)
        {
            throw new RequestValidationException(errorId,
                $"The {parameterName} '{InputText.ShowUrl(url)}' holds {InputText.DescribeHidden(url, hidden)}: a URL is one line of visible characters; percent-encode what it needs.", parameterName);
        }
        for (int i = 0; i < url.Length; i++)
        {
            if (char.IsWhiteSpace(url[i]))
            {
                string what = url[i] == ' ' ? "a space" : $"white space ({InputText.CodePoint(url, i)})";
                throw new RequestValidationException(errorId,
                    $"The {parameterName} '{InputText.ShowUrl(url)}' holds {what} at position {i + 1}: a URL has none; percent-encode it (%20 for a space) or remove it.", parameterName);
            }
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new RequestValidationException(errorId, $"The {parameterName} '{InputText.ShowUrl(url)}' is not an absolute http or https URL (spec 4.2).", parameterName);
        }
        if (uri.UserInfo.Length > 0 || InputText.RedactUserInfo(url) != url)
        {
            // Not repeated: what stands before '@' is a password as often as not. Alipay calls the page itself, and a
            // password in return_url would be signed into the request and shown in the payer's browser.
            throw new RequestValidationException(errorId,
                $"The {parameterName} '{InputText.ShowUrl(url)}' has a user name or password before '@' (not repeated here): Alipay's callbacks cannot carry credentials, and they would travel in the signed request in clear; give the page alone.", parameterName);
        }
        if (uri.Query.Length > 0 || url.IndexOf('?') >= 0)
        {
            throw new RequestValidationException(errorId,
                $"The {parameterName} '{InputText.ShowUrl(url)}' has a query string: Alipay adds its own parameters, so give the page alone (spec 7.1 (7)).", parameterName);
        }
        if (uri.Fragment.Length > 0)
        {
            throw new RequestValidationException(errorId, $"The {parameterName} '{InputText.ShowUrl(url)}' has a #fragment: give the page alone.", parameterName);
        }
        if (url.IndexOf('!') >= 0)
        {
            throw new RequestValidationException(errorId, $"The {parameterName} '{InputText.ShowUrl(url)}' contains '!', which Alipay refuses (spec 7.1 (8)).", parameterName);
        }
        // Spec 7.1 (8) (return_url: no local address, Alipay checks the domain) and 7.2 (10) (notify_url: reachable from
        // the internet): Alipay's servers and the payer's browser come from the internet, so a page on this machine, a
        // private network or an unspecified address is never reached. Only a local test gateway may call back there.
        string section = parameterName == "NotifyUrl" ? "spec 7.2 (10)" : "spec 7.1 (8)";
        if (!loopbackGateway && GatewayAddress.IsLoopback(uri))
        {
            throw new RequestValidationException(errorId,
                $"The {parameterName} '{InputText.ShowUrl(url)}' points at this machine (localhost), which Alipay cannot reach from the internet and refuses ({section}); only a local test gateway may call back to loopback.", parameterName);
        }
        if (!loopbackGateway && UnreachableAddress(uri) is { } unreachable)
        {
            throw new RequestValidationException(errorId,
                $"The {parameterName} '{InputText.ShowUrl(url)}' is on {unreachable}, which Alipay cannot reach from the internet ({section}); give a public address or host name, or call back there only from a local test gateway.", parameterName);
        }
        if (url.Length > 200)
        {
            throw new RequestValidationException(errorId, $"The {parameterName} is {url.Length} characters long: Alipay takes at most 200.", parameterName);
        }
        return url;
    }

    /// <summary>
    /// For a host that is an IP address (in any form Uri accepts: 10.1, 0x0a.0.0.1, a trailing dot, IPv4 mapped into
    /// IPv6) in a range no one reaches from the internet: the address and its range; otherwise null. Host names are
    /// not resolved (rules 3-1: no DNS pinning, and the name may resolve differently where Alipay looks it up).
    /// </summary>
    private static string? UnreachableAddress(Uri uri)
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
