using System;
using System.Collections.Specialized;
using System.Globalization;

namespace AlipayBptb.Core.Notifications;

/// <summary>One return or notification, checked: whether it is genuine, why not, and its fields typed.</summary>
public sealed class NotificationResult
{
    private OrderedDictionary? _parameters;

    internal NotificationResult(ParameterList parameters, string signString, bool isValid, string? reason, string? readProblem = null)
    {
        RawParameters = parameters;
        ReadProblem = readProblem;
        SignString = signString;
        IsValid = isValid;
        Reason = reason;
    }

    // The typed fields are read from the parameters when asked for, not up front: a million-line log is
    // mostly counted and filtered on IsValid, and parsing two dates per line would cost a third of the work.

    // By non-empty values: an empty parameter is not signed (spec 8.1.2), so it cannot be allowed to decide.
    public NotificationKind Kind => !string.IsNullOrEmpty(RawParameters["notify_id"]) || !string.IsNullOrEmpty(RawParameters["notify_type"]) ? NotificationKind.Notify : NotificationKind.Return;

    public bool IsValid { get; }

    /// <summary>Why the input is not valid; null when it is.</summary>
    public string? Reason { get; }

    public string? NotifyType => RawParameters["notify_type"];

    public string? NotifyId => RawParameters["notify_id"];

    /// <summary><c>notify_time</c> (Alipay's clock, Beijing time), or null when absent or not <c>yyyy-MM-dd HH:mm:ss</c>.</summary>
    public DateTime? NotifyTime => ParseDate(RawParameters["notify_time"], "yyyy-MM-dd HH:mm:ss");

    /// <summary><c>pay_date</c> (<c>yyyyMMdd</c>), or null.</summary>
    public DateTime? PayDate => ParseDate(RawParameters["pay_date"], "yyyyMMdd");

    public string? Flag => RawParameters["flag"];

    public string? FileName => RawParameters["file_name"];

    public string? Partner => RawParameters["partner"];

    public string? ResultCode => RawParameters["result_code"];

    /// <summary>What <see cref="ResultCode"/> means (spec 10), or null when there is no code or it is unknown.</summary>
    public string? ResultDescription => ErrorCode.Find(ResultCode)?.Description;

    /// <summary><c>is_success</c>: true for T, false for F, null when absent or anything else.</summary>
    public bool? IsSuccess => RawParameters["is_success"] switch
    {
        "T" => true,
        "F" => false,
        _ => null,
    };

    /// <summary>The <c>sign_type</c> as received.</summary>
    public string? SignType => RawParameters["sign_type"];

    public string? Sign => RawParameters["sign"];

    /// <summary>Exactly what was (or should have been) signed.</summary>
    public string SignString { get; }

    /// <summary>Every parameter received, decoded, in order.</summary>
    public OrderedDictionary Parameters => _parameters ??= RawParameters.ToOrderedDictionary();

    /// <summary>What was wrong with reading the input (a repeated key, a bad escape), kept so that checking the result again gives the same answer.</summary>
    internal string? ReadProblem { get; }

    /// <summary>The parameters as read, for code that needs them without the dictionary copy.</summary>
    internal ParameterList RawParameters { get; }

    /// <summary>Where the input came from (a file path, when read from a log), or null.</summary>
    public string? Source { get; set; }

    /// <summary>The line number in <see cref="Source"/>, or 0.</summary>
    public long LineNumber { get; set; }

    /// <summary>Set by Register-BptbNotification: true when the ledger had this notification already.</summary>
    public bool? IsDuplicate { get; set; }

    /// <summary>Set by Register-BptbNotification: when the ledger first recorded it (UTC).</summary>
    public DateTime? FirstSeen { get; set; }

    private static DateTime? ParseDate(string? value, string format) =>
        value != null && DateTime.TryParseExact(value, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTime d)
            ? d
            : null;

    public override string ToString() => IsValid ? $"{Kind} {FileName} valid" : $"{Kind} {FileName} invalid: {Reason}";
}
