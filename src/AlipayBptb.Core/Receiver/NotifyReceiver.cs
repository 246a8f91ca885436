using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Hosting;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Receiver;

/// <summary>
/// The merchant's side of the callbacks: an HTTP listener for return_url and notify_url that writes every
/// request to an append-only log (<see cref="CallbackLog"/>) and answers exactly <c>success</c> only once the
/// whole record is on disk at the log's path (an error status otherwise, so that Alipay sends it again).
/// With a key it checks each signature and marks the record; with notify_verify it asks Alipay about each
/// valid notification before answering <c>success</c>, because the notify_id stops being valid once the
/// merchant has answered <c>success</c> (spec 7.2 (12)), and keeps the answer in the record.
/// </summary>
public sealed class NotifyReceiver : IDisposable
{
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>How long a stop waits for requests in hand to be answered.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    private readonly LoopbackHttpHost _host;
    private readonly CallbackLogWriter _log;
    private readonly NotificationVerifier? _verifier;
    private readonly NotifyVerifyClient? _notifyVerify;
    private readonly string? _partner;
    private long _received;
    private int _failNext;

    private NotifyReceiver(string prefix, CallbackLogWriter log, NotificationVerifier? verifier, NotifyVerifyClient? notifyVerify, string? partner)
    {
        _log = log;
        _verifier = verifier;
        _notifyVerify = notifyVerify;
        _partner = partner;
        _host = LoopbackHttpHost.Start(prefix, HandleAsync, MaxBodyBytes, malformed: LogMalformed);
    }

    /// <summary>The address being listened on (the prefix, with the port chosen when it was 0).</summary>
    public string Url => _host.Prefix.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1");

    public string LogPath => _log.Path;

    /// <summary>Callbacks received and logged since start.</summary>
    public long Received => Interlocked.Read(ref _received);

    public bool IsRunning => _host.IsListening;

    /// <summary>True when each valid notification is checked with notify_verify before it is answered.</summary>
    public bool VerifiesWithAlipay => _notifyVerify != null;

    /// <summary>
    /// Starts listening on <paramref name="prefix"/> (such as <c>http://127.0.0.1:8080/alipay/</c>; port 0
    /// picks a free port), appending to <paramref name="logPath"/>. With <paramref name="notifyVerify"/> and
    /// <paramref name="partner"/>, each validly signed notification is checked with notify_verify first.
    /// Refused when another receiver is writing the same log.
    /// </summary>
    public static NotifyReceiver Start(string prefix, string logPath, NotificationVerifier? verifier = null, NotifyVerifyClient? notifyVerify = null, string? partner = null)
    {
        if (prefix.Length == 0 || prefix[prefix.Length - 1] != '/')
        {
            prefix += "/";
        }
        if (!Uri.TryCreate(prefix.Replace("://+", "://plus").Replace("://*", "://star"), UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new ArgumentException($"The prefix '{prefix}' is not an http prefix such as http://127.0.0.1:8080/alipay/.", nameof(prefix));
        }
        if ((notifyVerify == null) != (partner == null))
        {
            throw new ArgumentException("notify_verify needs both the gateway and the partner.", nameof(partner));
        }
        if (notifyVerify != null && verifier == null)
        {
            throw new ArgumentException("notify_verify is asked only for validly signed notifications: give the key to verify them with.", nameof(verifier));
        }
        CallbackLogWriter log = CallbackLogWriter.Open(Path.GetFullPath(logPath));
        try
        {
            return new NotifyReceiver(prefix, log, verifier, notifyVerify, partner);
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>Test knob: log the next <paramref name="count"/> callbacks but answer them with an error, as a failing merchant would.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failNext, count);

    /// <summary>Test knob: the log's writes fail (as on a full disk) after this many more bytes; negative for never.</summary>
    internal void FailWritesAfter(long bytes) => _log.FailAfter = bytes;

    /// <summary>
    /// Stops taking requests, lets those in hand finish (at most <paramref name="drain"/>), then stops; a
    /// request that was not answered <c>success</c> is sent again by Alipay.
    /// </summary>
    public void Stop(TimeSpan drain)
    {
        _host.Stop(drain);
        _log.Dispose();
    }

    public void Stop() => Stop(TimeSpan.Zero);

    public void Dispose()
    {
        Stop();
        _host.Dispose();
        _verifier?.Dispose();
    }

    public override string ToString() => Url;

    /// <summary>
    /// Blocks until <paramref name="cancel"/> is cancelled or the process is asked to stop (SIGTERM, or on
    /// Windows a console close or shutdown), then stops gracefully (finishing requests in hand).
    /// </summary>
    public void RunUntilStopped(CancellationToken cancel)
    {
        using var stop = new ManualResetEventSlim(false);
        using CancellationTokenRegistration onCancel = cancel.Register(stop.Set);
#if NET
        // Cancelling the default action keeps the runtime from exiting at once, so that the requests in hand
        // are answered and written before the process ends.
        using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            stop.Set();
        });
#endif
        stop.Wait();
        Stop(DrainTimeout);
    }

    private async Task HandleAsync(HttpExchange request)
    {
        try
        {
            byte[] body = request.Body;
            int length = request.BodyLength;
            bool oversized = request.BodyTooLarge;
            string check;
            NotificationResult? result = null;
            if (oversized)
            {
                check = $"unreadable:the body is larger than {MaxBodyBytes / 1024} KiB (logged cut short)";
            }
            else
            {
                check = Check(request, body, length, out result);
            }
            bool? verified = null;
            bool asked = result != null && result.IsValid && result.Kind == NotificationKind.Notify && _notifyVerify != null;
            if (asked)
            {
                (verified, string answer) = await AskNotifyVerifyAsync(result!.NotifyId!).ConfigureAwait(false);
                check += CallbackLog.VerifiedMark + answer;
            }
            if (_verifier != null)
            {
                check = CallbackLog.WithCharset(check, _verifier.Charset);
            }
            byte[] line = CallbackLog.FormatLine(DateTime.UtcNow, request.Method, request.Remote, check, request.TargetBytes, body, length);
            if (!_log.TryAppend(line))
            {
                await request.AnswerAsync(503, "error: the callback could not be recorded", "text/plain").ConfigureAwait(false);
                return;
            }
            Interlocked.Increment(ref _received);
            if (oversized)
            {
                // Never "success" for what was not recorded whole: no notification is this large, but if one
                // were, Alipay must keep it, not us lose it.
                await request.AnswerAsync(413, "error: the body is too large", "text/plain").ConfigureAwait(false);
                return;
            }
            if (asked && verified == null)
            {
                // notify_verify could not be reached: after "success" the id could never be checked again.
                await request.AnswerAsync(503, "error: notify_verify could not be asked; send it again", "text/plain").ConfigureAwait(false);
                return;
            }
            if (verified == false)
            {
                // Alipay says it did not send this (a forgery, or a replay of an id already answered).
                await request.AnswerAsync(403, "error: notify_verify did not confirm this notification", "text/plain").ConfigureAwait(false);
                return;
            }
            if (_verifier != null && (result == null || !result.IsValid))
            {
                // Judged and not valid (or not readable, or the check failed): never "success", after which
                // Alipay would not send it again. A damaged genuine callback is sent again; a forged one is not.
                await request.AnswerAsync(result == null && check.StartsWith("error:", StringComparison.Ordinal) ? 500 : 400, "error: the callback is not valid (it was logged)", "text/plain").ConfigureAwait(false);
                return;
            }
            if (Interlocked.Decrement(ref _failNext) >= 0)
            {
                await request.AnswerAsync(500, "fail", "text/plain").ConfigureAwait(false);
                return;
            }
            Interlocked.Exchange(ref _failNext, 0);
            await request.AnswerAsync(200, "success", "text/plain").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException || ex is IOException || ex is InvalidOperationException || ex is System.Net.Sockets.SocketException)
        {
            // the caller went away, or the receiver is stopping: it was not told "success", so it will retry
        }
    }

    // Every request that reaches the port is logged, those the host cannot read too (it answers them 400, never
    // "success"): an operator sees a proxy or client that sends broken requests. What the head could not be
    // parsed into goes whole into the body field, so that the record decodes back to the bytes received.
    private void LogMalformed(HttpExchange request)
    {
        string check = Clean(CallbackLog.MalformedMark + request.Problem + " (answered 400)");
        byte[] line;
        if (request.HeadParsed)
        {
            line = CallbackLog.FormatLine(DateTime.UtcNow, request.Method, request.Remote, check, request.TargetBytes, request.Body, request.BodyLength);
        }
        else
        {
            byte[] head = RedactCredentials(request.ReceivedHead);
            line = CallbackLog.FormatLine(DateTime.UtcNow, "-", request.Remote, check, Array.Empty<byte>(), head, head.Length);
        }
        if (_log.TryAppend(line))
        {
            Interlocked.Increment(ref _received);
        }
    }

    // A head logged as received would carry what a client or proxy sends to prove who it is (Authorization,
    // Cookie, an API key header) into a file that is rotated, compressed and read by scheduled jobs. Such a header's
    // value is replaced by "[redacted]"; the rest stays byte for byte, so the record still shows what was wrong.
    internal static byte[] RedactCredentials(byte[] head)
    {
        System.Text.Encoding latin1 = System.Text.Encoding.GetEncoding("ISO-8859-1"); // one char per byte, reversible
        string text = latin1.GetString(head);
        // A header whose name says it carries a credential: its value goes. (Not a validation rule: no \z anchor.)
        string redacted = System.Text.RegularExpressions.Regex.Replace(text,
            @"(?im)^((?:proxy-)?authorization|cookie|set-cookie|[^:\r\n]*(?:token|secret|password|api-?key|auth)[^:\r\n]*)(\s*:[ \t]*)[^\r\n]*",
            m => m.Groups[1].Value + m.Groups[2].Value + "[redacted]", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        return redacted == text ? head : latin1.GetBytes(redacted);
    }

    private async Task<(bool? Verified, string Answer)> AskNotifyVerifyAsync(string notifyId)
    {
        try
        {
            NotifyVerifyResponse response = await _notifyVerify!.VerifyAsync(_partner!, notifyId, _host.Stopping).ConfigureAwait(false);
            return response.Verified ? (true, "true") : (false, Clean("false:" + Shorten(response.Response)));
        }
        catch (NotifyVerifyException ex)
        {
            return (null, Clean("error:" + Shorten(ex.Message)));
        }
        catch (OperationCanceledException)
        {
            return (null, "error:the receiver is stopping");
        }
    }

    // The parameters are read exactly where the merchant's code reads them, the whole body (or the query
    // of a GET), never a part found inside it: otherwise unsigned parameters could ride along.
    private string Check(HttpExchange request, byte[] body, int length, out NotificationResult? result)
    {
        result = null;
        if (_verifier == null)
        {
            return "-";
        }
        try
        {
            // The one reading of what arrived, which the log reader applies to this record's bytes too.
            ParameterRead read;
            if (length > 0)
            {
                read = ParameterReader.ReadReceived(body, 0, length, _verifier.Charset);
            }
            else
            {
                byte[] target = request.TargetBytes;
                int q = Array.IndexOf(target, (byte)'?');
                read = ParameterReader.ReadReceived(target, q + 1, q < 0 ? 0 : target.Length - q - 1, _verifier.Charset);
            }
            if (read.IsUnreadable)
            {
                return Clean("unreadable:" + read.Problem);
            }
            lock (_verifier)
            {
                // Signers reuse their hash and key objects: one callback at a time.
                result = _verifier.Verify(read.Parameters, read.Problem);
            }
            return result.IsValid ? "valid" : Clean("invalid:" + result.Reason);
        }
        catch (Exception ex)
        {
            // The record is written and answered whatever the check does: a bug here must not lose a callback.
            result = null;
            return Clean("error:" + ex.GetType().Name);
        }
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text.Substring(0, 200) + "…";

    private static string Clean(string check) => check.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');

}
