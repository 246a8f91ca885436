using System;
using System.Globalization;

namespace AlipayBptb.Mock;

/// <summary>What the mock gateway does instead of answering normally, for tests of retries and timeouts.</summary>
public enum NotifyVerifyFaultKind
{
    /// <summary>Answer with an HTTP status (500 by default) and an error page.</summary>
    Status,

    /// <summary>Drop the connection without answering.</summary>
    Reset,

    /// <summary>Wait, then answer normally.</summary>
    Delay,

    /// <summary>Answer 200 with this body instead of the true answer.</summary>
    Body,

    /// <summary>An upload (bptb_pay_file_confirm): store the file, then answer SYSTEM_ERROR's failure.</summary>
    UploadSystemError,

    /// <summary>An upload: store the file, then reset the connection instead of answering.</summary>
    UploadReset,
}

/// <summary>
/// One fault, written as <c>status:500</c>, <c>reset</c>, <c>delay:2.5</c> (seconds) or <c>body:False</c> (served to
/// notify_verify), or <c>upload:system-error</c> or <c>upload:reset</c> (served to the next accepted upload).
/// </summary>
public sealed class NotifyVerifyFault
{
    private NotifyVerifyFault(NotifyVerifyFaultKind kind, int status, TimeSpan delay, string body)
    {
        Kind = kind;
        Status = status;
        Delay = delay;
        Body = body;
    }

    public NotifyVerifyFaultKind Kind { get; }

    public int Status { get; }

    public TimeSpan Delay { get; }

    public string Body { get; }

    /// <summary>True for the faults served to uploads rather than to notify_verify.</summary>
    public bool IsUploadFault => Kind == NotifyVerifyFaultKind.UploadSystemError || Kind == NotifyVerifyFaultKind.UploadReset;

    public static NotifyVerifyFault Parse(string text)
    {
        string t = text.Trim();
        int colon = t.IndexOf(':');
        string name = (colon < 0 ? t : t.Substring(0, colon)).ToLowerInvariant();
        string arg = colon < 0 ? string.Empty : t.Substring(colon + 1);
        switch (name)
        {
            case "status":
                int status = arg.Length == 0 ? 500 : int.Parse(arg, CultureInfo.InvariantCulture);
                if (status < 100 || status > 599)
                {
                    break;
                }
                return new NotifyVerifyFault(NotifyVerifyFaultKind.Status, status, TimeSpan.Zero, string.Empty);
            case "reset":
                return new NotifyVerifyFault(NotifyVerifyFaultKind.Reset, 0, TimeSpan.Zero, string.Empty);
            case "delay":
                double seconds = double.Parse(arg, NumberStyles.Float, CultureInfo.InvariantCulture);
                return new NotifyVerifyFault(NotifyVerifyFaultKind.Delay, 0, TimeSpan.FromSeconds(seconds), string.Empty);
            case "body":
                return new NotifyVerifyFault(NotifyVerifyFaultKind.Body, 200, TimeSpan.Zero, arg.Replace("\\n", "\n"));
            case "upload" when arg.Equals("system-error", StringComparison.OrdinalIgnoreCase):
                return new NotifyVerifyFault(NotifyVerifyFaultKind.UploadSystemError, 200, TimeSpan.Zero, string.Empty);
            case "upload" when arg.Equals("reset", StringComparison.OrdinalIgnoreCase):
                return new NotifyVerifyFault(NotifyVerifyFaultKind.UploadReset, 0, TimeSpan.Zero, string.Empty);
        }
        throw new FormatException($"The fault '{text}' is not one of status:<code>, reset, delay:<seconds>, body:<text>, upload:system-error, upload:reset.");
    }

    public override string ToString() => Kind switch
    {
        NotifyVerifyFaultKind.Status => "status:" + Status.ToString(CultureInfo.InvariantCulture),
        NotifyVerifyFaultKind.Reset => "reset",
        NotifyVerifyFaultKind.Delay => "delay:" + Delay.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        NotifyVerifyFaultKind.UploadSystemError => "upload:system-error",
        NotifyVerifyFaultKind.UploadReset => "upload:reset",
        _ => "body:" + Body,
    };
}
