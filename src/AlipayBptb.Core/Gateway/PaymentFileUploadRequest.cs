using System.Collections.Specialized;

namespace AlipayBptb.Core.Gateway;

/// <summary>The file digest algorithms of the upload spec (4.2, file_digest_type), named as on the wire.</summary>
public enum DigestType
{
    /// <summary>MD5: 32 lower-case hex digits.</summary>
    MD5,

    /// <summary>
    /// "SHA": SHA-256, 64 lower-case hex digits. The spec says only "MD5 或 SHA"; Alipay's own SDK demo computes "SHA"
    /// with <c>DigestUtils.sha256Hex</c> (AlipayCore.getAbstract), so that is what its gateway compares against.
    /// </summary>
    SHA,
}

/// <summary>
/// A signed bptb_pay_file_confirm upload: the multipart/form-data body to POST to <see cref="Url"/>, and what went
/// into it.
/// </summary>
public sealed class PaymentFileUploadRequest
{
    internal PaymentFileUploadRequest(string fileName, string url, OrderedDictionary parameters, string signString, string sign, string signType,
        string charset, string digest, DigestType digestType, string contentType, byte[] body, int fileLength)
    {
        FileName = fileName;
        Url = url;
        Parameters = parameters;
        SignString = signString;
        Sign = sign;
        SignType = signType;
        Charset = charset;
        Digest = digest;
        DigestType = digestType;
        ContentType = contentType;
        Body = body;
        FileLength = fileLength;
    }

    /// <summary>The file's name, sent as the bptb_pay_file part's filename: Alipay's idempotency key (without extension).</summary>
    public string FileName { get; }

    /// <summary>The form's action: the gateway and <c>?_input_charset=</c>, nothing else (upload rules 3-1, 接口构造).</summary>
    public string Url { get; }

    /// <summary>Every form field, in sign-string order, then <c>sign</c> and <c>sign_type</c>; values raw. The file is not among them.</summary>
    public OrderedDictionary Parameters { get; }

    /// <summary>What was signed: every parameter but sign, sign_type and bptb_pay_file (spec 7.1.1).</summary>
    public string SignString { get; }

    public string Sign { get; }

    public string SignType { get; }

    public string Charset { get; }

    /// <summary>digest_bptb_pay_file: lower-case hex of the file's exact bytes.</summary>
    public string Digest { get; }

    public DigestType DigestType { get; }

    /// <summary><c>multipart/form-data; boundary=…</c>, to send with <see cref="Body"/>.</summary>
    public string ContentType { get; }

    /// <summary>The whole multipart body: one part per parameter, then the file.</summary>
    public byte[] Body { get; }

    /// <summary>The payment file's length in bytes.</summary>
    public int FileLength { get; }

    public override string ToString() => FileName;
}
