using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading.Tasks;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Hosting;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.PaymentFiles;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Mock;

// bptb_pay_file_confirm (upload spec 4, 5.2, 7, 8; upload rules 3-1, 4-1): the multipart upload, checked as Alipay
// checks it, answered in Alipay's words; an accepted file waits to be confirmed (bptb_user_confirm).
public sealed partial class LocalGateway
{
    /// <summary>The largest request body the gateway reads: 3000 payment lines fit many times over.</summary>
    public const int MaxUploadBytes = 16 * 1024 * 1024;

    private readonly ConcurrentQueue<NotifyVerifyFault> _uploadFaults = new();
    private readonly object _uploadGate = new();

    /// <summary>Faults still to be served to accepted uploads (upload:system-error, upload:reset), one each.</summary>
    public NotifyVerifyFault[] PendingUploadFaults => _uploadFaults.ToArray();

    private async Task UploadAsync(HttpExchange context)
    {
        // An accepted file is stored by CheckUpload itself, under the lock that checks the name.
        (string? fileName, string? code, _, BptbCharset charset) = CheckUpload(context);
        if (code != null)
        {
            await UploadAnswerAsync(context, fileName, charset, code).ConfigureAwait(false);
            return;
        }
        if (_uploadFaults.TryDequeue(out NotifyVerifyFault? fault))
        {
            // The file is stored already: what a client cannot tell from the answer is exactly what it must look up.
            if (fault.Kind == NotifyVerifyFaultKind.UploadReset)
            {
                Record(context, PaymentFileUploadBuilder.Service, null, fileName, "reset");
                await context.ResetAfterAsync(1024, Array.Empty<byte>()).ConfigureAwait(false);
                return;
            }
            await UploadAnswerAsync(context, fileName, charset, "SYSTEM_ERROR").ConfigureAwait(false);
            return;
        }
        Record(context, PaymentFileUploadBuilder.Service, null, fileName, UploadAnswer.SuccessText);
        await context.AnswerAsync(200, charset.GetBytes(UploadAnswer.SuccessText), "text/html; charset=" + charset.Name).ConfigureAwait(false);
    }

    private Task UploadAnswerAsync(HttpExchange context, string? fileName, BptbCharset charset, string code)
    {
        Record(context, PaymentFileUploadBuilder.Service, null, fileName, code);
        string message = ErrorCode.Find(code)?.UploadMessage ?? code;
        return context.AnswerAsync(200, charset.GetBytes(UploadAnswer.FailurePrefix + message), "text/html; charset=" + charset.Name);
    }

    // Every check, in the order a request meets them: the form, the signature, the digest, the name, the content.
    // A file that passes is returned (not yet stored); the name check and the claim on the name share one lock.
    private (string? FileName, string? Code, UploadedPaymentFile? File, BptbCharset Charset) CheckUpload(HttpExchange context)
    {
        BptbCharset charset = BptbCharset.Get("gbk"); // spec 4.2: no _input_charset means gbk
        string? contentType = context.Header("Content-Type");
        if (context.Method != "POST" || contentType == null || !contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return (null, "UPLOAD_FILE_NULL", null, charset); // rules 3-1: the file comes in a multipart form only
        }
        if (context.BodyTooLarge)
        {
            return (null, "ILLEGAL_ARGUMENT", null, charset);
        }
        // The action is gateway.do?_input_charset=… and nothing else (rules 3-1: more gets ILLEGAL_SIGN).
        string? queryCharset = null;
        foreach (string pair in context.Query.Split('&'))
        {
            if (pair.StartsWith("_input_charset=", StringComparison.Ordinal))
            {
                queryCharset = Uri.UnescapeDataString(pair.Substring("_input_charset=".Length));
            }
            else if (pair.Length > 0)
            {
                return (null, "ILLEGAL_SIGN", null, charset);
            }
        }
        if (queryCharset == null || !BptbCharset.TryGet(queryCharset, out charset))
        {
            return (null, "ILLEGAL_CHARSET", null, BptbCharset.Get("gbk"));
        }
        List<UploadPart>? parts = UploadPart.ReadAll(contentType, context.Body, context.BodyLength);
        if (parts == null)
        {
            return (null, "ILLEGAL_ARGUMENT", null, charset);
        }
        var p = new ParameterList();
        UploadPart? filePart = null;
        foreach (UploadPart part in parts)
        {
            if (part.Name == PaymentFileUploadBuilder.FileField)
            {
                if (filePart != null)
                {
                    return (null, "ILLEGAL_ARGUMENT", null, charset);
                }
                filePart = part;
                continue;
            }
            string value;
            try
            {
                value = charset.GetString(part.Content, 0, part.Content.Length);
            }
            catch (CharsetException)
            {
                return (null, "ILLEGAL_CHARSET", null, charset);
            }
            if (!p.TryAdd(part.Name, value))
            {
                return (null, "ILLEGAL_ARGUMENT", null, charset);
            }
        }
        string? fileName = null;
        if (filePart?.FileName != null)
        {
            try
            {
                fileName = charset.GetString(filePart.FileName, 0, filePart.FileName.Length).Replace("%22", "\"").Replace("%0D", "\r").Replace("%0A", "\n");
                // A browser may send the whole path (D:\BPTB_20140101_0001.csv, spec 4.2): the name is its last part.
                fileName = fileName.Substring(Math.Max(fileName.LastIndexOf('\\'), fileName.LastIndexOf('/')) + 1);
            }
            catch (CharsetException)
            {
                return (null, "FILE_NAME_C", null, charset);
            }
        }
        if (!string.Equals(p["_input_charset"], queryCharset, StringComparison.OrdinalIgnoreCase))
        {
            return (fileName, "ILLEGAL_ARGUMENT", null, charset); // the form must carry it too, the same (rules 3-1)
        }
        if (!string.Equals(p["partner"], Partner, StringComparison.Ordinal))
        {
            return (fileName, "ILLEGAL_PARTNER", null, charset);
        }
        if (!SignTypes.TryParse(p["sign_type"] ?? string.Empty, out SignType signType))
        {
            return (fileName, "ILLEGAL_SIGN_TYPE", null, charset);
        }
        if (!_requestVerifiers.TryGetValue(signType, out Signer? verifier))
        {
            return (fileName, "ILLEGAL_SECURITY_PROFILE", null, charset);
        }
        bool signed;
        lock (verifier)
        {
            // Spec 7.1.1: every parameter but sign, sign_type and bptb_pay_file (not in p: it is the file part).
            signed = !string.IsNullOrEmpty(p["sign"]) && verifier.Verify(SignString.Build(p), charset, p["sign"]!).IsValid;
        }
        if (!signed)
        {
            return (fileName, "ILLEGAL_SIGN", null, charset);
        }
        if (filePart == null || filePart.Content.Length == 0)
        {
            return (fileName, "UPLOAD_FILE_NULL", null, charset);
        }
        if (string.IsNullOrEmpty(fileName))
        {
            return (null, "FILE_NAME_NULL", null, charset);
        }
        DigestType digestType;
        switch (p["file_digest_type"])
        {
            case "MD5":
                digestType = DigestType.MD5;
                break;
            case "SHA":
                digestType = DigestType.SHA;
                break;
            default:
                return (fileName, "ILLEGAL_DIGEST_TYPE", null, charset);
        }
        string? digest = p["digest_bptb_pay_file"];
        if (digest == null || !string.Equals(digest, PaymentFileUploadBuilder.ComputeDigest(filePart.Content, digestType), StringComparison.OrdinalIgnoreCase))
        {
            return (fileName, "ILLEGAL_DIGEST", null, charset);
        }
        string? businessType = p["bussiness_type"];
        if (businessType != null && !businessType.Equals("T0", StringComparison.OrdinalIgnoreCase) && !businessType.Equals("T1", StringComparison.OrdinalIgnoreCase))
        {
            return (fileName, "ILLEGAL_ARGUMENT", null, charset);
        }
        string name = fileName!;
        if (name.Length > 100)
        {
            return (name, "FILE_NAME_TO_LONG", null, charset);
        }
        string extension = System.IO.Path.GetExtension(name).ToLowerInvariant();
        if (extension != ".csv" && extension != ".xls" && extension != ".zip")
        {
            return (name, "FILE_TYPE_ERROR", null, charset);
        }
        lock (_uploadGate)
        {
            // Upload rules 4-1: one upload per file name, the extension ignored (a.csv and a.xls are one batch).
            string stem = System.IO.Path.GetFileNameWithoutExtension(name);
            foreach (string existing in _files.Keys)
            {
                if (string.Equals(System.IO.Path.GetFileNameWithoutExtension(existing), stem, StringComparison.Ordinal))
                {
                    return (name, "FILE_NAME_REPEAT", null, charset);
                }
            }
            (UploadedPaymentFile? file, string? code) = CheckPaymentFile(name, filePart.Content);
            if (file == null)
            {
                return (name, code, null, charset);
            }
            // Stored under the lock: a second upload of the name, at the same moment, is a repeat.
            _files[name] = new UploadedFile(file);
            return (name, null, file, charset);
        }
    }

    // The file's content, as Alipay checks it on upload (upload spec 4.3, 8.1; upload rules 4-1), read by the core's
    // checker. What fails the file's form or its summary is refused now with the spec's code; what fails single
    // payments is shown on the confirm page, and a batch where every payment fails is refused at confirmation
    // (DETAIL_VALIDATED_FAIL), as Alipay does.
    private (UploadedPaymentFile? File, string? Code) CheckPaymentFile(string fileName, byte[] content)
    {
        PaymentFileReport report = PaymentFileChecker.Check(fileName, content);
        foreach (PaymentFileProblem p in report.Problems)
        {
            if (p.Code == "NOT_GBK")
            {
                return (null, "ILLEGAL_ENCODING"); // upload rules 4-1: GBK only
            }
            if (p.Code != null && UploadRefusals.Contains(p.Code) && (p.Row == null || p.Row <= 3 || p.Code == "FREEZE_DETAIL_LIMIT"))
            {
                return (null, p.Code);
            }
        }
        UploadedPaymentFile parsed = UploadedPaymentFile.From(report);
        if (!IsAccount(parsed.Email))
        {
            return (null, "PAY_USER_INFO_ERROR");
        }
        return (parsed.AsUploaded(parsed.Email, DateTime.UtcNow), null);
    }

    // The codes of upload spec 8.1 that refuse the upload itself.
    private static readonly HashSet<string> UploadRefusals = new(StringComparer.Ordinal)
    {
        "FILE_NAME_NULL", "FILE_NAME_TO_LONG", "FILE_TYPE_ERROR", "FILE_NAME_C", "UPLOAD_FILE_NULL", "ZIP_INFILE_NULL", "FILE_ZIP_LIMIT",
        "SHEET1_IS_NULL", "FILE_INFO_FORMAT_ERROR", "REQUEST_PARAMS_ERROR", "MONEY_FORMAT_ERROR", "FREEZE_DETAIL_LIMIT", "FORMULA_FORMAT_ERROR",
    };

    /// <summary>One part of a multipart/form-data body: its name, its filename's raw bytes (or null), its content.</summary>
    private sealed class UploadPart
    {
        private static readonly string[] HeaderLineBreak = { "\r\n" };

        private UploadPart(string name, byte[]? fileName, byte[] content)
        {
            Name = name;
            FileName = fileName;
            Content = content;
        }

        public string Name { get; }

        public byte[]? FileName { get; }

        public byte[] Content { get; }

        // Null when the body is not a well-formed multipart body.
        public static List<UploadPart>? ReadAll(string contentType, byte[] body, int length)
        {
            string? boundary = null;
            foreach (string piece in contentType.Split(';'))
            {
                string t = piece.Trim();
                if (t.StartsWith("boundary=", StringComparison.OrdinalIgnoreCase))
                {
                    boundary = t.Substring(9).Trim('"');
                }
            }
            if (string.IsNullOrEmpty(boundary))
            {
                return null;
            }
            // Headers are read as Latin-1, one char per byte, so that a filename's bytes come back unchanged.
            Encoding latin1 = Encoding.GetEncoding("ISO-8859-1");
            byte[] delimiter = Encoding.ASCII.GetBytes("\r\n--" + boundary);
            var parts = new List<UploadPart>();
            // The first delimiter has no CRLF before it when it opens the body.
            byte[] first = Encoding.ASCII.GetBytes("--" + boundary);
            int at = MultipartForm.IndexOf(body, length, first, 0);
            if (at < 0)
            {
                return null;
            }
            int start = at + first.Length;
            while (true)
            {
                if (start + 1 < length && body[start] == '-' && body[start + 1] == '-')
                {
                    return parts; // the closing delimiter
                }
                int headEnd = MultipartForm.IndexOf(body, length, Encoding.ASCII.GetBytes("\r\n\r\n"), start);
                int next = MultipartForm.IndexOf(body, length, delimiter, start);
                if (headEnd < 0 || next < 0 || headEnd > next)
                {
                    return null;
                }
                string headers = latin1.GetString(body, start, headEnd - start);
                string? name = null;
                byte[]? fileName = null;
                foreach (string line in headers.Split(HeaderLineBreak, StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!line.StartsWith("Content-Disposition:", StringComparison.OrdinalIgnoreCase))
                    {
                        continue;
                    }
                    name = Attribute(line, "name");
                    string? file = Attribute(line, "filename");
                    fileName = file == null ? null : latin1.GetBytes(file);
                }
                if (name == null)
                {
                    return null;
                }
                int valueStart = headEnd + 4;
                var content = new byte[next - valueStart];
                Buffer.BlockCopy(body, valueStart, content, 0, content.Length);
                parts.Add(new UploadPart(name, fileName, content));
                start = next + delimiter.Length;
            }
        }

        // name="x" (quoted, as browsers write it; the value runs to the next quote) or name=x.
        private static string? Attribute(string line, string attribute)
        {
            string key = attribute + "=";
            int i = 0;
            while ((i = line.IndexOf(key, i, StringComparison.OrdinalIgnoreCase)) >= 0)
            {
                bool atStart = i > 0 && (line[i - 1] == ';' || line[i - 1] == ' ');
                int v = i + key.Length;
                if (!atStart)
                {
                    i = v;
                    continue;
                }
                if (v < line.Length && line[v] == '"')
                {
                    int close = line.IndexOf('"', v + 1);
                    return close < 0 ? null : line.Substring(v + 1, close - v - 1);
                }
                int semi = line.IndexOf(';', v);
                return (semi < 0 ? line.Substring(v) : line.Substring(v, semi - v)).Trim();
            }
            return null;
        }

    }
}
