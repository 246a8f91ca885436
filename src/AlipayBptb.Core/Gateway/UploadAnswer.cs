using System;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Gateway;

/// <summary>What became of an upload, as far as its answer tells.</summary>
public enum UploadState
{
    /// <summary>"文件上传成功!": the file was accepted (not yet processed: confirm it with bptb_user_confirm).</summary>
    Accepted,

    /// <summary>"文件上传失败!" and a message: refused; <see cref="UploadAnswer.Code"/> names why when the message is known.</summary>
    Refused,

    /// <summary>
    /// No telling: UNKNOWN_EXCEPTION, SYSTEM_ERROR or GENERIC_FAILURE, an answer that is not Alipay's, or none at all
    /// after the request went out. The file may have been accepted: stop, and look it up with bptb_file_query; never
    /// rename it and upload again (upload rules 3-1, 错误码处理; 4-1, 接口异常).
    /// </summary>
    Unknown,
}

/// <summary>Alipay's synchronous answer to bptb_pay_file_confirm (upload spec 5.2), read.</summary>
public sealed class UploadAnswer
{
    /// <summary>The whole answer to an accepted file (spec 5.2).</summary>
    public const string SuccessText = "文件上传成功!";

    /// <summary>The fixed prefix of every failure; the message of tables 8.1-8.3 follows it (rules 3-1, 返回数据处理).</summary>
    public const string FailurePrefix = "文件上传失败!";

    private static readonly string SuccessKey = ErrorCode.MessageKey(SuccessText);
    private static readonly string FailureKey = ErrorCode.MessageKey(FailurePrefix);

    private UploadAnswer(UploadState state, string? code, string? message, string text, string? charset)
    {
        State = state;
        Code = code;
        Message = message;
        Text = text;
        Charset = charset;
    }

    public UploadState State { get; }

    /// <summary>The code the message maps back to (tables 8.1-8.3), or null (accepted, or a message no table has).</summary>
    public string? Code { get; }

    /// <summary>What follows "文件上传失败!", or why the answer could not be read.</summary>
    public string? Message { get; }

    /// <summary>The answer as read, for showing: invisible characters made visible, cut at 2000 characters.</summary>
    public string Text { get; }

    /// <summary>The charset the answer was read in, or null when no reading made sense of it.</summary>
    public string? Charset { get; }

    /// <summary>
    /// Reads an answer body. Alipay's Java gateway writes it in GBK or in the request's _input_charset (the SDK demos
    /// read it with either); both are tried, strictly, after the charset the response's Content-Type names, and the
    /// first reading that is one of Alipay's answers wins. Anything else is <see cref="UploadState.Unknown"/>.
    /// </summary>
    public static UploadAnswer Parse(byte[] body, int length, string? contentTypeCharset, BptbCharset requestCharset)
    {
        string? firstReading = null;
        foreach (string? name in new[] { contentTypeCharset, requestCharset?.Name, "gbk", "utf-8" })
        {
            string? canonical = name != null && string.Equals(name.Trim(), "gb18030", StringComparison.OrdinalIgnoreCase) ? "gbk" : name;
            if (!BptbCharset.TryGet(canonical, out BptbCharset charset))
            {
                continue;
            }
            string text;
            try
            {
                text = charset.GetString(body, 0, length);
            }
            catch (CharsetException)
            {
                continue;
            }
            firstReading ??= text;
            UploadAnswer? answer = Read(text, charset.Name);
            if (answer != null)
            {
                return answer;
            }
        }
        string shown = firstReading ?? new System.Text.UTF8Encoding(false, false).GetString(body, 0, length);
        return new UploadAnswer(UploadState.Unknown, null,
            length == 0 ? "the gateway answered with an empty body" : "the answer is none of Alipay's (neither 文件上传成功! nor 文件上传失败!…)", Show(shown), null);
    }

    /// <summary>Reads an answer already decoded.</summary>
    public static UploadAnswer Parse(string text) =>
        Read(text ?? string.Empty, null) ?? new UploadAnswer(UploadState.Unknown, null, "the answer is none of Alipay's (neither 文件上传成功! nor 文件上传失败!…)", Show(text ?? string.Empty), null);

    private static UploadAnswer? Read(string text, string? charset)
    {
        string trimmed = text.Trim().TrimStart('\uFEFF').Trim();
        string key = ErrorCode.MessageKey(trimmed);
        if (key == SuccessKey)
        {
            return new UploadAnswer(UploadState.Accepted, null, null, Show(trimmed), charset);
        }
        if (!key.StartsWith(FailureKey, StringComparison.Ordinal))
        {
            // A bare special code, as a system error page may carry it, is still a special code.
            ErrorCode? bare = ErrorCode.Find(trimmed);
            return bare != null && bare.StopAll ? new UploadAnswer(UploadState.Unknown, bare.Code, trimmed, Show(trimmed), charset) : null;
        }
        // The message is what follows the prefix, as written (the prefix's '!' may be full-width).
        int cut = trimmed.IndexOf('!');
        int cutWide = trimmed.IndexOf('！');
        int end = cut < 0 ? cutWide : cutWide < 0 ? cut : Math.Min(cut, cutWide);
        string message = trimmed.Substring(end + 1).Trim();
        ErrorCode? code = ErrorCode.FindByUploadMessage(message) ?? ErrorCode.Find(message);
        if (code != null && code.StopAll)
        {
            return new UploadAnswer(UploadState.Unknown, code.Code, message, Show(trimmed), charset);
        }
        return new UploadAnswer(UploadState.Refused, code?.Code, message, Show(trimmed), charset);
    }

    private static string Show(string text)
    {
        string shown = InputText.Show(text, keepAsciiWhiteSpace: true);
        return shown.Length > 2000 ? shown.Substring(0, 2000) + "…" : shown;
    }

    public override string ToString() => Code == null ? $"{State}: {Message}" : $"{State}: {Code} ({Message})";
}
