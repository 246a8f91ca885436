using System;
using System.Collections.Generic;
using System.Linq;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Notifications;

/// <summary>
/// Checks returns and notifications with the keys of one pipeline. A notification is valid only when its
/// <c>sign_type</c> is one the caller accepts and holds a key for: an MD5 notification checked against an
/// RSA key is a downgrade (anyone who learns the MD5 key, or no key at all, could forge it) and fails.
/// </summary>
public sealed class NotificationVerifier : IDisposable
{
    private readonly Dictionary<SignType, Signer> _verifiers = new();
    private readonly string? _partner;

    /// <param name="verifiers">One signer per sign type (MD5 key, Alipay's RSA or DSA public key).</param>
    /// <param name="accepted">The sign types to accept; null for every type a key is given for.</param>
    /// <param name="partner">When set, a <c>partner</c> parameter must equal it.</param>
    /// <param name="charset">The merchant's <c>_input_charset</c>: the signed bytes and the percent escapes are in it.</param>
    public NotificationVerifier(IEnumerable<Signer> verifiers, IEnumerable<SignType>? accepted, string? partner, BptbCharset charset)
    {
        foreach (Signer v in verifiers)
        {
            if (_verifiers.ContainsKey(v.SignType))
            {
                throw new ArgumentException($"Two {v.SignType} keys were given: give one key per sign type.", nameof(verifiers));
            }
            _verifiers.Add(v.SignType, v);
        }
        if (_verifiers.Count == 0)
        {
            throw new ArgumentException("No key was given: a notification cannot be verified without the MD5 key or Alipay's public key.", nameof(verifiers));
        }
        Accepted = accepted?.Distinct().ToArray() ?? _verifiers.Keys.ToArray();
        foreach (SignType t in Accepted)
        {
            if (!_verifiers.ContainsKey(t))
            {
                throw new ArgumentException(
                    $"-SignType {t} is accepted but no {t} key was given ({(t == SignType.MD5 ? "-Key" : "-PublicKey or -PublicKeyPath")}): such notifications could never verify.",
                    nameof(accepted));
            }
        }
        _partner = partner;
        Charset = charset;
    }

    public IReadOnlyList<SignType> Accepted { get; }

    public BptbCharset Charset { get; }

    /// <summary>Reads and checks one string (query, body, URL, log line).</summary>
    public NotificationResult? Verify(string input, out string? unreadable)
    {
        ParameterRead read = ParameterReader.Read(input, Charset);
        if (read.IsUnreadable)
        {
            unreadable = read.Problem;
            return null;
        }
        unreadable = null;
        return Verify(read);
    }

    /// <summary>Checks what a reader read; a receiver log record's time and notify_verify answer are kept on the result.</summary>
    public NotificationResult Verify(ParameterRead read)
    {
        NotificationResult result = Verify(read.Parameters, read.Problem, read.JudgedCharset ?? Charset);
        result.RememberInput(read.Input);
        if (read.Record != null)
        {
            result.Received = CallbackLog.ParseTime(read.Record.Time);
            result.NotifyVerified = result.IsValid ? CallbackLog.NotifyVerified(read.Record.Check) : null;
        }
        return result;
    }

    /// <summary>Checks parameters already read; <paramref name="readProblem"/> makes the result invalid.</summary>
    public NotificationResult Verify(ParameterList parameters, string? readProblem = null) => Verify(parameters, readProblem, Charset);

    // In the charset given: the verifier's, or the one a receiver's record says the receiver judged in.
    private NotificationResult Verify(ParameterList parameters, string? readProblem, BptbCharset charset)
    {
        string signString;
        try
        {
            signString = SignString.Build(parameters);
        }
        catch (CharsetException ex)
        {
            return new NotificationResult(parameters, CallbackShape.KindOf(parameters), string.Empty, false, ex.Message);
        }
        if (readProblem != null)
        {
            return new NotificationResult(parameters, CallbackShape.KindOf(parameters), signString, false, readProblem, readProblem);
        }
        // The shape first: a restructured copy of a genuine callback verifies (the sign string is the same),
        // so only its fields can show it is not what Alipay sent.
        string? shapeProblem = CallbackShape.Check(parameters, out NotificationKind kind);
        if (shapeProblem != null)
        {
            return new NotificationResult(parameters, kind, signString, false, shapeProblem);
        }
        string? sign = parameters["sign"];
        if (string.IsNullOrEmpty(sign))
        {
            return new NotificationResult(parameters, kind, signString, false, "missing sign");
        }
        string? signTypeText = parameters["sign_type"];
        if (string.IsNullOrEmpty(signTypeText))
        {
            return new NotificationResult(parameters, kind, signString, false, "missing sign_type");
        }
        if (!SignTypes.TryParse(signTypeText!, out SignType signType))
        {
            return new NotificationResult(parameters, kind, signString, false, $"sign_type '{signTypeText}' is not MD5, RSA or DSA (upper case, spec 6.2)");
        }
        if (Array.IndexOf((SignType[])Accepted, signType) < 0)
        {
            return new NotificationResult(parameters, kind, signString, false,
                $"sign_type {signType} is not accepted (accepted: {string.Join(", ", Accepted)}): a downgrade");
        }
        if (_partner != null)
        {
            string? partner = parameters["partner"];
            if (partner != null && !string.Equals(partner, _partner, StringComparison.Ordinal))
            {
                return new NotificationResult(parameters, kind, signString, false, $"partner '{partner}' is not the expected partner '{_partner}'");
            }
        }
        SignatureCheck check;
        try
        {
            check = _verifiers[signType].Verify(signString, charset, sign!);
        }
        catch (CharsetException ex)
        {
            return new NotificationResult(parameters, kind, signString, false, ex.Message);
        }
        return new NotificationResult(parameters, kind, check.IsValid ? null : signString, check.IsValid, check.Reason);
    }

    /// <summary>Disposes the signers (and so clears an MD5 key from memory).</summary>
    public void Dispose()
    {
        foreach (Signer s in _verifiers.Values)
        {
            s.Dispose();
        }
    }
}
