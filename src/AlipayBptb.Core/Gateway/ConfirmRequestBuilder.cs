using System;
using System.Collections.Specialized;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Gateway;

/// <summary>
/// Builds signed bptb_user_confirm requests (spec 4). Every value is checked against the spec and its rules
/// before anything is signed; a bad value is refused with the parameter and the rule named.
/// </summary>
public sealed class ConfirmRequestBuilder
{
    public const string Service = "bptb_user_confirm";


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
        _loopbackGateway = HostRules.IsLoopbackAddress(_gateway);
        Partner = FieldRules.Partner(partner);
        Email = FieldRules.Email(email);
        ReturnUrl = FieldRules.CallbackUrl(returnUrl, "ReturnUrl", _loopbackGateway);
        NotifyUrl = string.IsNullOrEmpty(notifyUrl) ? null : FieldRules.CallbackUrl(notifyUrl!, "NotifyUrl", _loopbackGateway);
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
        FieldRules.FileName(fileName);
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

        OrderedDictionary ordered = SignedParameters.Ordered(parameters, sign, _signer.SignType);

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
    private FieldRuleException CharsetError(ParameterList parameters, CharsetException ex)
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
                return new FieldRuleException("InvalidCharsetText",
                    $"The {key} '{InputText.Show(value)}' cannot be written in {Charset.Name} (_input_charset): {inner.Message} Leave the character out, or choose an -InputCharset that holds it (utf-8 holds every character).", parameter);
            }
        }
        return new FieldRuleException("InvalidCharsetText", $"The request cannot be written in {Charset.Name}: {ex.Message}", "InputCharset");
    }
}
