using System.Collections.Specialized;

namespace AlipayBptb.Core.Gateway;

/// <summary>A signed bptb_user_confirm request: the URL to send the payer to, and what went into it.</summary>
public sealed class ConfirmRequest
{
    internal ConfirmRequest(string fileName, string url, OrderedDictionary parameters, string signString, string sign, string signType, string charset)
    {
        FileName = fileName;
        Url = url;
        Parameters = parameters;
        SignString = signString;
        Sign = sign;
        SignType = signType;
        Charset = charset;
    }

    public string FileName { get; }

    /// <summary>The gateway, '?', then every parameter percent-encoded in the charset.</summary>
    public string Url { get; }

    /// <summary>Every parameter sent, <c>sign</c> and <c>sign_type</c> included, values raw.</summary>
    public OrderedDictionary Parameters { get; }

    public string SignString { get; }

    public string Sign { get; }

    public string SignType { get; }

    public string Charset { get; }

    public override string ToString() => Url;
}
