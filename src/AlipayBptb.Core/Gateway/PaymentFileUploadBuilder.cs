using System;
using System.Collections.Specialized;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Gateway;

/// <summary>
/// Builds signed bptb_pay_file_confirm uploads (upload spec 4.2, 7; upload rules 3-1). Every value is checked before
/// anything is signed; a bad value is refused with the parameter and the rule named.
/// </summary>
public sealed class PaymentFileUploadBuilder
{
    public const string Service = "bptb_pay_file_confirm";

    /// <summary>The multipart field that carries the file.</summary>
    public const string FileField = "bptb_pay_file";

    // name^value|name^value (spec 4.2, extend_param): no '^' or '|' inside a name or value.
    private static readonly Regex ExtendParamPattern = new(@"^[^\^|]+\^[^\^|]+(\|[^\^|]+\^[^\^|]+)*\z", RegexOptions.CultureInvariant);

    private readonly Signer _signer;
    private readonly Uri _gateway;

    public PaymentFileUploadBuilder(string partner, Signer signer, BptbCharset charset, string gateway = GatewayAddress.Default, string? notifyUrl = null,
        DigestType digestType = DigestType.MD5, string? businessType = null, string? extendParam = null)
    {
        if (!signer.CanSign)
        {
            throw new ArgumentException($"The {signer.SignType} key is a public key: a request is signed with the merchant's private key.", nameof(signer));
        }
        if (digestType != DigestType.MD5 && digestType != DigestType.SHA)
        {
            throw new FieldRuleException("InvalidDigestType", $"The digest type '{digestType}' is not MD5 or SHA (spec 4.2, file_digest_type).", "DigestType");
        }
        _signer = signer;
        _gateway = GatewayAddress.Parse(gateway);
        bool loopback = HostRules.IsLoopbackAddress(_gateway);
        Partner = FieldRules.Partner(partner);
        Charset = charset;
        NotifyUrl = string.IsNullOrEmpty(notifyUrl) ? null : FieldRules.CallbackUrl(notifyUrl!, "NotifyUrl", loopback);
        DigestType = digestType;
        BusinessType = CheckBusinessType(businessType);
        ExtendParam = CheckExtendParam(extendParam);
    }

    public string Partner { get; }

    public BptbCharset Charset { get; }

    public string? NotifyUrl { get; }

    public DigestType DigestType { get; }

    /// <summary>bussiness_type (the spec's spelling): T0 or T1, upper case; null leaves Alipay's default, T1.</summary>
    public string? BusinessType { get; }

    public string? ExtendParam { get; }

    public SignType SignType => _signer.SignType;

    /// <summary>The form's action: the gateway with <c>?_input_charset=</c> and nothing else (upload rules 3-1).</summary>
    public string Url => _gateway.AbsoluteUri + "?_input_charset=" + Charset.Name;

    /// <summary>Lower-case hex of the MD5 or SHA-256 ("SHA") of <paramref name="content"/>.</summary>
    public static string ComputeDigest(byte[] content, DigestType digestType)
    {
        using HashAlgorithm hash = digestType == DigestType.SHA ? SHA256.Create() : MD5.Create();
        byte[] d = hash.ComputeHash(content);
        var sb = new StringBuilder(d.Length * 2);
        const string hex = "0123456789abcdef";
        foreach (byte b in d)
        {
            sb.Append(hex[b >> 4]).Append(hex[b & 0xF]);
        }
        return sb.ToString();
    }

    /// <summary>Signs the upload of one payment file, <paramref name="content"/> being its exact bytes.</summary>
    public PaymentFileUploadRequest Build(string fileName, byte[] content)
    {
        FieldRules.FileName(fileName);
        if (content.Length == 0)
        {
            throw new FieldRuleException("EmptyPaymentFile", $"The payment file '{InputText.Show(fileName)}' is empty: Alipay answers UPLOAD_FILE_NULL.", "Content");
        }
        string digest = ComputeDigest(content, DigestType);
        var parameters = new ParameterList(10);
        parameters.TryAdd("service", Service);
        parameters.TryAdd("partner", Partner);
        parameters.TryAdd("_input_charset", Charset.Name);
        if (NotifyUrl != null)
        {
            parameters.TryAdd("notify_url", NotifyUrl);
        }
        parameters.TryAdd("file_digest_type", DigestType.ToString());
        parameters.TryAdd("digest_bptb_pay_file", digest);
        if (BusinessType != null)
        {
            parameters.TryAdd("bussiness_type", BusinessType);
        }
        if (ExtendParam != null)
        {
            parameters.TryAdd("extend_param", ExtendParam);
        }

        // Spec 7.1.1: every parameter but sign, sign_type and bptb_pay_file is signed; the file is not in the list.
        string signString = SignString.Build(parameters);
        byte[] nameBytes;
        string sign;
        try
        {
            nameBytes = Charset.GetBytes(fileName);
            sign = _signer.Sign(signString, Charset);
        }
        catch (CharsetException ex)
        {
            throw CharsetError(fileName, parameters, ex);
        }

        OrderedDictionary ordered = SignedParameters.Ordered(parameters, sign, _signer.SignType);

        string boundary = NewBoundary(content);
        byte[] body = Multipart(ordered, boundary, nameBytes, content);
        return new PaymentFileUploadRequest(fileName, Url, ordered, signString, sign, _signer.SignType.ToString(), Charset.Name, digest, DigestType,
            "multipart/form-data; boundary=" + boundary, body, content.Length);
    }

    // The body a browser sends for the rules' form (3-1, 接口构造: enctype multipart/form-data, accept-charset = the
    // _input_charset): each field's value raw in the charset, no percent-encoding; the file part's filename as the
    // name's bytes in the same charset between quotes, with '"', CR and LF written %22, %0D, %0A as the HTML form
    // encoding does. Not RFC 2047 and not RFC 5987's filename*=: Java servlet upload parsers (commons-fileupload) read
    // part headers in the request's character encoding and know neither, and browsers send neither.
    private byte[] Multipart(OrderedDictionary fields, string boundary, byte[] nameBytes, byte[] content)
    {
        var ascii = Encoding.ASCII;
        using var ms = new MemoryStream(content.Length + 2048);
        void Write(string s)
        {
            byte[] b = ascii.GetBytes(s);
            ms.Write(b, 0, b.Length);
        }
        foreach (System.Collections.DictionaryEntry e in fields)
        {
            Write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + (string)e.Key + "\"\r\n\r\n");
            byte[] value = Charset.GetBytes((string)e.Value!);
            ms.Write(value, 0, value.Length);
            Write("\r\n");
        }
        Write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + FileField + "\"; filename=\"");
        foreach (byte b in nameBytes)
        {
            switch (b)
            {
                case (byte)'"':
                    Write("%22");
                    break;
                case (byte)'\r':
                    Write("%0D");
                    break;
                case (byte)'\n':
                    Write("%0A");
                    break;
                default:
                    ms.WriteByte(b);
                    break;
            }
        }
        Write("\"\r\nContent-Type: application/octet-stream\r\n\r\n");
        ms.Write(content, 0, content.Length);
        Write("\r\n--" + boundary + "--\r\n");
        return ms.ToArray();
    }

    private static string NewBoundary(byte[] content)
    {
        while (true)
        {
            byte[] random = new byte[16];
            using (var rng = RandomNumberGenerator.Create())
            {
                rng.GetBytes(random);
            }
            var sb = new StringBuilder("----AlipayBptbBoundary", 54);
            foreach (byte b in random)
            {
                sb.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            string boundary = sb.ToString();
            // A boundary must not occur in the file (RFC 2046 5.1.1); 128 random bits make it all but certain.
            if (IndexOf(content, Encoding.ASCII.GetBytes(boundary)) < 0)
            {
                return boundary;
            }
        }
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack[i] != needle[0])
            {
                continue;
            }
            int j = 1;
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

    private static string? CheckBusinessType(string? businessType)
    {
        if (string.IsNullOrEmpty(businessType))
        {
            return null;
        }
        string upper = businessType!.ToUpperInvariant();
        if (upper != "T0" && upper != "T1")
        {
            throw new FieldRuleException("InvalidBusinessType",
                $"The business type '{InputText.Show(businessType)}' is not T0 (same day) or T1 (next day) (spec 4.2, bussiness_type).", "BusinessType");
        }
        return upper;
    }

    private static string? CheckExtendParam(string? extendParam)
    {
        if (string.IsNullOrEmpty(extendParam))
        {
            return null;
        }
        int hidden = InputText.FindHidden(extendParam!);
        if (hidden >= 0)
        {
            throw new FieldRuleException("InvalidExtendParam",
                $"The extend_param '{InputText.Show(extendParam)}' holds {InputText.DescribeHidden(extendParam!, hidden)}: write name^value|name^value in visible characters (spec 4.2).", "ExtendParam");
        }
        if (extendParam!.Length > 200)
        {
            throw new FieldRuleException("InvalidExtendParam", $"The extend_param is {extendParam.Length} characters long: Alipay takes at most 200 (spec 4.2).", "ExtendParam");
        }
        if (!ExtendParamPattern.IsMatch(extendParam))
        {
            throw new FieldRuleException("InvalidExtendParam",
                $"The extend_param '{InputText.Show(extendParam)}' is not name^value, or several joined with '|' (spec 4.2: agent^123456).", "ExtendParam");
        }
        return extendParam;
    }

    private FieldRuleException CharsetError(string fileName, ParameterList parameters, CharsetException ex)
    {
        try
        {
            Charset.GetBytes(fileName);
        }
        catch (CharsetException inner)
        {
            return new FieldRuleException("InvalidCharsetText",
                $"The file name '{InputText.Show(fileName)}' cannot be written in {Charset.Name} (_input_charset): {inner.Message} Rename the file, or choose an -InputCharset that holds it (gbk holds every Chinese name).", "FileName");
        }
        for (int i = 0; i < parameters.Count; i++)
        {
            try
            {
                Charset.GetBytes(parameters.ValueAt(i));
            }
            catch (CharsetException inner)
            {
                string key = parameters.KeyAt(i);
                string parameter = key == "notify_url" ? "NotifyUrl" : key == "extend_param" ? "ExtendParam" : "InputCharset";
                return new FieldRuleException("InvalidCharsetText",
                    $"The {key} '{InputText.Show(parameters.ValueAt(i))}' cannot be written in {Charset.Name} (_input_charset): {inner.Message}", parameter);
            }
        }
        return new FieldRuleException("InvalidCharsetText", $"The request cannot be written in {Charset.Name}: {ex.Message}", "InputCharset");
    }
}
