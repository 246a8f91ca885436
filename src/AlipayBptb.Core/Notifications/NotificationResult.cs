using System;
using System.Collections.Specialized;
using System.Globalization;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Notifications;

/// <summary>One return or notification, checked: whether it is genuine, why not, and its fields typed.</summary>
public sealed class NotificationResult
{
    private OrderedDictionary? _parameters;
    private string? _signString;
    private long? _inputHash;

    // signString null: built again from the parameters when asked for (it is the same every time). A reconciliation
    // holds results until their batch is in the ledger, and the sign string was a quarter of what each one held.
    internal NotificationResult(ParameterList parameters, NotificationKind kind, string? signString, bool isValid, string? reason, string? readProblem = null)
    {
        RawParameters = parameters;
        Kind = kind;
        ReadProblem = OneLine(readProblem);
        _signString = signString;
        IsValid = isValid;
        Reason = OneLine(reason);
    }

    // Every reason quotes what a callback sent (a value, a parameter name, a sign_type): whichever check wrote it,
    // a control, format or other hidden character in it is shown as \u{XXXX}, so that a reason is one line and a
    // value cannot start a line of its own in a log or turn the text after it around. Checked first: nearly every
    // reason is plain, and a million-line log may be mostly invalid.
    private static string? OneLine(string? text) =>
        text == null || InputText.FindHidden(text) < 0 ? text : InputText.Show(text);

    // The typed fields are read from the parameters when asked for, not up front: a million-line log is
    // mostly counted and filtered on IsValid, and parsing two dates per line would cost a third of the work.

    /// <summary>What the fields say this is: a notification when it has a notification's fields, else a return.</summary>
    public NotificationKind Kind { get; }

    public bool IsValid { get; }

    /// <summary>
    /// What happened to the batch, by what a valid callback says: Confirmed or ConfirmFailed (a return's
    /// is_success), Processed (bptb_result_notify) or BalanceShort (bptb_unfreeze_notify); null when invalid.
    /// One result reaches the merchant through both channels (spec 7.4): the ledger acts on the event once.
    /// Null too when Alipay's notify_verify answered false for it: a signature that verifies on a notification Alipay
    /// says it did not send (a leaked MD5 key) is nothing to act on.
    /// </summary>
    public BatchEvent? Event => !IsValid || NotifyVerified == false ? null
        : Kind == NotificationKind.Return ? (ConfirmsTheBatch ? BatchEvent.Confirmed : BatchEvent.ConfirmFailed)
        : RawParameters["notify_type"] == "bptb_unfreeze_notify" ? BatchEvent.BalanceShort : BatchEvent.Processed;

    // is_success=F with USER_CONFIRM_SUCC says the batch "was confirmed already" (spec 10.1): a script that read it
    // as a failure would upload and pay again.
    private bool ConfirmsTheBatch => RawParameters["is_success"] == "T" || RawParameters["result_code"] == "USER_CONFIRM_SUCC";

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
    public string SignString => _signString ??= Signing.SignString.Build(RawParameters);

    /// <summary>Every parameter received, decoded, in order.</summary>
    public OrderedDictionary Parameters => _parameters ??= RawParameters.ToOrderedDictionary();

    /// <summary>What was wrong with reading the input (a repeated key, a bad escape), kept so that checking the result again gives the same answer.</summary>
    internal string? ReadProblem { get; }

    /// <summary>The parameters as read, for code that needs them without the dictionary copy.</summary>
    internal ParameterList RawParameters { get; }

    /// <summary>
    /// Takes note of the text the result was read from (a log line, a query; null for a dictionary or object). Only
    /// its hash is kept (<see cref="Occurrence"/>): a reconciliation holds each result until its batch is in the
    /// ledger, and the line was a third of what a result held.
    /// </summary>
    internal void RememberInput(string? input) =>
        _inputHash = input == null ? null : (long)Fnv(14695981039346656037UL, input.TrimEnd('\r', '\n'));

    /// <summary>
    /// What tells this sighting from another of the same callback: a hash of the line it was read from (a
    /// receiver record carries its time and sender, so each delivery is its own), else of its parameters.
    /// Reading the same log again gives the same sightings, so reruns count nothing twice.
    /// </summary>
    internal long Occurrence
    {
        get
        {
            if (_inputHash is long line)
            {
                return line;
            }
            ulong h = 14695981039346656037UL;
            for (int i = 0; i < RawParameters.Count; i++)
            {
                h = Fnv(Fnv(h, RawParameters.KeyAt(i)), "\0" + RawParameters.ValueAt(i) + "\0");
            }
            return (long)(h ^ 0x5555555555555555UL); // apart from a line's hash of the same text
        }
    }

    /// <summary>Takes over where <paramref name="earlier"/> came from: a result checked again is the same sighting.</summary>
    public void CopyOrigin(NotificationResult earlier)
    {
        _inputHash = earlier._inputHash;
        Source = earlier.Source;
        LineNumber = earlier.LineNumber;
        Received = earlier.Received;
        NotifyVerified = IsValid ? earlier.NotifyVerified : null;
    }

    // FNV-1a over four characters at a time (the same on every runtime, so a ledger shared by Windows
    // PowerShell and PowerShell 7 counts the same sightings): this runs once per registered line.
    private static ulong Fnv(ulong h, string s)
    {
        ReadOnlySpan<ulong> words = System.Runtime.InteropServices.MemoryMarshal.Cast<char, ulong>(s.AsSpan());
        foreach (ulong w in words)
        {
            h = (h ^ w) * 1099511628211UL;
            h ^= h >> 32;
        }
        for (int i = words.Length * 4; i < s.Length; i++)
        {
            h = (h ^ s[i]) * 1099511628211UL;
        }
        return h;
    }

    /// <summary>Where the input came from (a file path, when read from a log), or null.</summary>
    public string? Source { get; set; }

    /// <summary>The line number in <see cref="Source"/>, or 0.</summary>
    public long LineNumber { get; set; }

    /// <summary>
    /// What Alipay's notify_verify answered when the receiver asked, before it answered <c>success</c> (spec 7.2
    /// (12): the id expires then): true, false, or null when it was not asked (no -Partner, not a receiver log).
    /// </summary>
    public bool? NotifyVerified { get; set; }

    /// <summary>When the callback was received (UTC): the receiver log's time, or null when the input does not say.</summary>
    public DateTime? Received { get; set; }

    /// <summary>Set by Register-BptbNotification: true when the ledger had this exact callback already (a retry, a replay, a rerun).</summary>
    public bool? IsDuplicate { get; set; }

    /// <summary>
    /// Set by Register-BptbNotification: true exactly once per batch and <see cref="Event"/>, whichever channel,
    /// retry or rerun brought it (and again after a run that emitted it was killed before it got past it).
    /// </summary>
    public bool? IsNewEvent { get; set; }

    /// <summary>Set by Register-BptbNotification: when the ledger first recorded it (UTC).</summary>
    public DateTime? FirstSeen { get; set; }

    private static DateTime? ParseDate(string? value, string format) =>
        value != null && DateTime.TryParseExact(value, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTime d)
            ? d
            : null;

    public override string ToString() => IsValid ? $"{Kind} {FileName} valid" : $"{Kind} {FileName} invalid: {Reason}";
}
