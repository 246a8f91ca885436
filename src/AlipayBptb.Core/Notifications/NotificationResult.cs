using System;
using System.Collections.Specialized;
using System.Globalization;

namespace AlipayBptb.Core.Notifications;

/// <summary>One return or notification, checked: whether it is genuine, why not, and its fields typed.</summary>
public sealed class NotificationResult
{
    private OrderedDictionary? _parameters;

    internal NotificationResult(ParameterList parameters, string signString, bool isValid, string? reason)
    {
        RawParameters = parameters;
        SignString = signString;
        IsValid = isValid;
        Reason = reason;
        string? notifyId = parameters["notify_id"];
        string? notifyType = parameters["notify_type"];
        Kind = notifyId != null || notifyType != null ? NotificationKind.Notify : NotificationKind.Return;
        NotifyId = notifyId;
        NotifyType = notifyType;
        SignType = parameters["sign_type"];
        Sign = parameters["sign"];
        Flag = parameters["flag"];
        FileName = parameters["file_name"];
        Partner = parameters["partner"];
        ResultCode = parameters["result_code"];
        NotifyTime = ParseDate(parameters["notify_time"], "yyyy-MM-dd HH:mm:ss");
        PayDate = ParseDate(parameters["pay_date"], "yyyyMMdd");
        IsSuccess = parameters["is_success"] switch
        {
            "T" => true,
            "F" => false,
            _ => null,
        };
    }

    public NotificationKind Kind { get; }

    public bool IsValid { get; }

    /// <summary>Why the input is not valid; null when it is.</summary>
    public string? Reason { get; }

    public string? NotifyType { get; }

    public string? NotifyId { get; }

    /// <summary><c>notify_time</c> (Alipay's clock, Beijing time), or null when absent or not <c>yyyy-MM-dd HH:mm:ss</c>.</summary>
    public DateTime? NotifyTime { get; }

    /// <summary><c>pay_date</c> (<c>yyyyMMdd</c>), or null.</summary>
    public DateTime? PayDate { get; }

    public string? Flag { get; }

    public string? FileName { get; }

    public string? Partner { get; }

    public string? ResultCode { get; }

    /// <summary>What <see cref="ResultCode"/> means (spec 10), or null when there is no code or it is unknown.</summary>
    public string? ResultDescription => ErrorCode.Find(ResultCode)?.Description;

    /// <summary><c>is_success</c>: true for T, false for F, null when absent or anything else.</summary>
    public bool? IsSuccess { get; }

    /// <summary>The <c>sign_type</c> as received.</summary>
    public string? SignType { get; }

    public string? Sign { get; }

    /// <summary>Exactly what was (or should have been) signed.</summary>
    public string SignString { get; }

    /// <summary>Every parameter received, decoded, in order.</summary>
    public OrderedDictionary Parameters => _parameters ??= RawParameters.ToOrderedDictionary();

    /// <summary>The parameters as read, for code that needs them without the dictionary copy.</summary>
    internal ParameterList RawParameters { get; }

    /// <summary>Where the input came from (a file path, when read from a log), or null.</summary>
    public string? Source { get; set; }

    /// <summary>The line number in <see cref="Source"/>, or 0.</summary>
    public long LineNumber { get; set; }

    private static DateTime? ParseDate(string? value, string format) =>
        value != null && DateTime.TryParseExact(value, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTime d)
            ? d
            : null;

    public override string ToString() => IsValid ? $"{Kind} {FileName} valid" : $"{Kind} {FileName} invalid: {Reason}";
}
