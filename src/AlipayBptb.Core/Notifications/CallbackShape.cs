using System;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Notifications;

/// <summary>
/// The shape a genuine callback has: exactly the fields of its kind (spec 5.2 for a return, 6.2 for a
/// notification), each in its spec format. The sign string joins <c>key=value</c> with <c>&amp;</c> and
/// escapes nothing (spec 8.1.2), so a signature alone cannot tell <c>notify_id=X&amp;notify_time=T</c> from
/// one parameter <c>notify_id</c> whose value is <c>X&amp;notify_time=T</c>: the shape is what tells them apart.
/// A merge leaves a required field missing or a typed field malformed; a split adds a field the kind does
/// not have; and the merchant's own request (MD5 is a shared key) carries request-only fields.
/// </summary>
public static class CallbackShape
{
    // Fields by role. Empty values are not signed (spec 8.1.2) and so decide nothing: they are skipped.
    private const int NotifyType = 0, NotifyTime = 1, NotifyId = 2, PayDate = 3, Flag = 4, FileName = 5, Partner = 6,
        ResultCode = 7, IsSuccess = 8, SignType = 9, Sign = 10, FieldCount = 11;

    private static readonly string[] FieldNames =
    {
        "notify_type", "notify_time", "notify_id", "pay_date", "flag", "file_name", "partner", "result_code", "is_success", "sign_type", "sign",
    };

    // Every name a callback or a request of this interface has: a value that holds "&name=" for one of them
    // could be two signed pairs folded into one.
    private static readonly string[] SpecNames =
    {
        "notify_type", "notify_time", "notify_id", "pay_date", "flag", "file_name", "partner", "result_code", "is_success", "sign_type", "sign",
        "service", "_input_charset", "return_url", "notify_url", "email",
    };

    /// <summary>
    /// Checks the fields of a callback; returns why it cannot be genuine, or null. <paramref name="kind"/> is
    /// the kind its fields say it is (a notification when it has any notification-only field).
    /// </summary>
    public static string? Check(ParameterList parameters, out NotificationKind kind)
    {
        Span<int> at = stackalloc int[FieldCount];
        at.Fill(-1);
        string? unexpected = null;
        string? request = null;
        for (int i = 0; i < parameters.Count; i++)
        {
            if (parameters.ValueAt(i).Length == 0)
            {
                continue;
            }
            string key = parameters.KeyAt(i);
            int field = Field(key);
            if (field >= 0)
            {
                at[field] = i;
                continue;
            }
            if (IsRequestField(key))
            {
                request ??= key;
            }
            else
            {
                unexpected ??= key;
            }
        }
        bool notify = at[NotifyType] >= 0 || at[NotifyTime] >= 0 || at[NotifyId] >= 0 || at[PayDate] >= 0 || at[Flag] >= 0;
        kind = notify ? NotificationKind.Notify : NotificationKind.Return;
        if (request != null)
        {
            return $"parameter '{request}' belongs to a bptb_user_confirm request, not to a return or notification (spec 4.2): a request is never a callback";
        }
        if (unexpected != null)
        {
            return $"parameter '{Shorten(unexpected)}' is not a field of a {(notify ? "notification (spec 6.2)" : "return (spec 5.2)")}";
        }
        if (notify)
        {
            if (at[ResultCode] >= 0 || at[IsSuccess] >= 0)
            {
                return $"a notification does not carry '{(at[ResultCode] >= 0 ? "result_code" : "is_success")}' (spec 6.2): return and notification fields are mixed";
            }
            return Missing(at, "notification (spec 6.2)", NotifyType, NotifyTime, NotifyId, PayDate, Flag, FileName)
                ?? OneOf(parameters, at[NotifyType], "notify_type", "bptb_result_notify", "bptb_unfreeze_notify")
                ?? Format(parameters, at[NotifyTime], "notify_time", IsDateTime, "yyyy-MM-dd HH:mm:ss")
                ?? Format(parameters, at[NotifyId], "notify_id", IsNotifyId, "letters, digits and + / = _ -, at most 128")
                ?? Format(parameters, at[PayDate], "pay_date", IsDate, "yyyyMMdd")
                // bptb_user_confirm is the spec's own sample value (6.3), beside the two the table lists.
                ?? OneOf(parameters, at[Flag], "flag", "bptb_result_file", "bptb_unfreeze_file", "bptb_user_confirm")
                ?? Format(parameters, at[Partner], "partner", IsPartner, "2088 and 12 digits")
                ?? FileNameField(parameters, at[FileName]);
        }
        return Missing(at, "return (spec 5.2)", Partner, ResultCode, IsSuccess, FileName)
            ?? Format(parameters, at[Partner], "partner", IsPartner, "2088 and 12 digits")
            ?? OneOf(parameters, at[IsSuccess], "is_success", "T", "F")
            ?? Format(parameters, at[ResultCode], "result_code", IsCode, "an upper-case code of spec 10, such as USER_CONFIRM_SUCC")
            ?? FileNameField(parameters, at[FileName]);
    }

    /// <summary>
    /// The kind the fields say, for parameters that are not checked further (unreadable ones): a notification
    /// when any notification-only field has a value, as <see cref="Check"/> decides it.
    /// </summary>
    public static NotificationKind KindOf(ParameterList parameters)
    {
        for (int i = 0; i < parameters.Count; i++)
        {
            if (parameters.ValueAt(i).Length > 0 && Field(parameters.KeyAt(i)) is NotifyType or NotifyTime or NotifyId or PayDate or Flag)
            {
                return NotificationKind.Notify;
            }
        }
        return NotificationKind.Return;
    }

    private static int Field(string key) => key switch
    {
        "notify_type" => NotifyType,
        "notify_time" => NotifyTime,
        "notify_id" => NotifyId,
        "pay_date" => PayDate,
        "flag" => Flag,
        "file_name" => FileName,
        "partner" => Partner,
        "result_code" => ResultCode,
        "is_success" => IsSuccess,
        "sign_type" => SignType,
        "sign" => Sign,
        _ => -1,
    };

    private static bool IsRequestField(string key) =>
        key is "service" or "_input_charset" or "return_url" or "notify_url" or "email";

    private static string? Missing(ReadOnlySpan<int> at, string kind, params int[] required)
    {
        foreach (int field in required)
        {
            if (at[field] < 0)
            {
                return $"'{FieldNames[field]}' is missing or empty, and every {kind} has it";
            }
        }
        return null;
    }

    private static string? OneOf(ParameterList parameters, int index, string name, params string[] allowed)
    {
        if (index < 0)
        {
            return null;
        }
        string value = parameters.ValueAt(index);
        foreach (string a in allowed)
        {
            if (string.Equals(value, a, StringComparison.Ordinal))
            {
                return null;
            }
        }
        return $"{name} '{Shorten(value)}' is not one of {string.Join(", ", allowed)}";
    }

    private static string? Format(ParameterList parameters, int index, string name, Func<string, bool> isValid, string format)
    {
        if (index < 0)
        {
            return null;
        }
        string value = parameters.ValueAt(index);
        return isValid(value) ? null : $"{name} '{Shorten(value)}' is not in its spec format ({format})";
    }

    // A callback's file_name is free text as far as a signature goes: a file uploaded some other way (Alipay's
    // portal, another system) may carry a name this module's request rules would refuse, and a signed callback about
    // it is genuine. Refusing it would have the receiver answer 400 until Alipay gives up, and the batch's result
    // would be lost; so only what is never a file name is refused, a control character (a line break). The name may
    // hold '&' (a file named A&B.csv), but not "&name=" for a name of this interface: that is what two signed pairs
    // folded into one value look like. Reasons and views show the name escaped (InputText.Show).
    private static string? FileNameField(ParameterList parameters, int index)
    {
        if (index < 0)
        {
            return null;
        }
        string value = parameters.ValueAt(index);
        foreach (char c in value)
        {
            if (char.IsControl(c))
            {
                return $"file_name '{Shorten(value)}' holds a control character (U+{(int)c:X4})";
            }
        }
        for (int amp = value.IndexOf('&'); amp >= 0; amp = value.IndexOf('&', amp + 1))
        {
            foreach (string spec in SpecNames)
            {
                if (string.CompareOrdinal(value, amp + 1, spec, 0, spec.Length) == 0 && amp + 1 + spec.Length < value.Length && value[amp + 1 + spec.Length] == '=')
                {
                    return $"file_name '{Shorten(value)}' holds '&{spec}=': the sign string cannot tell it from two parameters, so it is refused as ambiguous";
                }
            }
        }
        return null;
    }

    private static bool IsPartner(string v)
    {
        if (v.Length != 16 || !v.StartsWith("2088", StringComparison.Ordinal))
        {
            return false;
        }
        foreach (char c in v)
        {
            if (c < '0' || c > '9')
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsNotifyId(string v)
    {
        if (v.Length > 128)
        {
            return false;
        }
        foreach (char c in v)
        {
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' || c == '_' || c == '-';
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsCode(string v)
    {
        if (v.Length > 64 || v[0] < 'A' || v[0] > 'Z')
        {
            return false;
        }
        foreach (char c in v)
        {
            if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary><c>yyyyMMdd</c>, a real calendar day.</summary>
    public static bool IsDate(string v) => v.Length == 8 && IsDate(v, 0, 4, 6, 8);

    /// <summary><c>yyyy-MM-dd HH:mm:ss</c>, a real calendar day and time (spec 6.2).</summary>
    public static bool IsDateTime(string v) =>
        v.Length == 19 && v[4] == '-' && v[7] == '-' && v[10] == ' ' && v[13] == ':' && v[16] == ':'
        && IsDate(v, 0, 5, 8, 10)
        && Number(v, 11, 2) is >= 0 and < 24 && Number(v, 14, 2) is >= 0 and < 60 && Number(v, 17, 2) is >= 0 and < 60;

    // Hand-written rather than DateTime.TryParseExact: this runs on every line of a million-line log.
    private static bool IsDate(string v, int year, int month, int day, int end)
    {
        int y = Number(v, year, 4);
        int m = Number(v, month, 2);
        int d = Number(v, day, 2);
        return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= DateTime.DaysInMonth(y, m) && day + 2 == end;
    }

    private static int Number(string v, int start, int length)
    {
        int n = 0;
        for (int i = start; i < start + length; i++)
        {
            char c = v[i];
            if (c < '0' || c > '9')
            {
                return -1;
            }
            n = (n * 10) + (c - '0');
        }
        return n;
    }

    // A value for a reason: at most 60 characters (never half a surrogate pair), and control, format and other
    // hidden characters written as \u{XXXX}, so that a reason is one line of what the value really holds.
    private static string Shorten(string value)
    {
        int length = value.Length <= 60 ? value.Length : char.IsHighSurrogate(value[59]) ? 59 : 60;
        return InputText.Show(value.Substring(0, length)) + (length < value.Length ? "…" : string.Empty);
    }
}
