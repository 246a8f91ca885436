using System;
using System.IO;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Receiver;

/// <summary>
/// The merchant's side of the callbacks: an HTTP listener for return_url and notify_url that writes every
/// request to an append-only log (<see cref="CallbackLog"/>), flushed to disk before it answers, and
/// answers exactly <c>success</c> only after that write succeeded, an error status otherwise, so that
/// Alipay retries and nothing is lost. With a key it also checks each signature and marks the record;
/// forged posts are logged too.
/// </summary>
public sealed class NotifyReceiver : IDisposable
{
    public const int MaxBodyBytes = 64 * 1024;

    private readonly LoopbackHttpHost _host;
    private readonly FileStream _log;
    private readonly object _writeGate = new();
    private readonly NotificationVerifier? _verifier;
    private long _received;
    private int _failNext;

    private NotifyReceiver(string prefix, string logPath, FileStream log, NotificationVerifier? verifier)
    {
        LogPath = logPath;
        _log = log;
        _verifier = verifier;
        _host = LoopbackHttpHost.Start(prefix, HandleAsync);
    }

    /// <summary>The address being listened on (the prefix, with the port chosen when it was 0).</summary>
    public string Url => _host.Prefix.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1");

    public string LogPath { get; }

    /// <summary>Callbacks received and logged since start.</summary>
    public long Received => Interlocked.Read(ref _received);

    public bool IsRunning => _host.IsListening;

    /// <summary>
    /// Starts listening on <paramref name="prefix"/> (such as <c>http://127.0.0.1:8080/alipay/</c>; port 0
    /// picks a free port), appending to <paramref name="logPath"/>.
    /// </summary>
    public static NotifyReceiver Start(string prefix, string logPath, NotificationVerifier? verifier = null)
    {
        if (prefix.Length == 0 || prefix[prefix.Length - 1] != '/')
        {
            prefix += "/";
        }
        if (!Uri.TryCreate(prefix.Replace("://+", "://plus").Replace("://*", "://star"), UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new ArgumentException($"The prefix '{prefix}' is not an http prefix such as http://127.0.0.1:8080/alipay/.", nameof(prefix));
        }
        string directory = Path.GetDirectoryName(Path.GetFullPath(logPath))!;
        Directory.CreateDirectory(directory);
        // Append-only, and readable by others (a reconciliation task may read while we write).
        var log = new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.None);
        try
        {
            return new NotifyReceiver(prefix, Path.GetFullPath(logPath), log, verifier);
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>Test knob: log the next <paramref name="count"/> callbacks but answer them with an error, as a failing merchant would.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failNext, count);

    public void Stop()
    {
        _host.Stop();
        lock (_writeGate)
        {
            _log.Dispose();
        }
    }

    public void Dispose()
    {
        Stop();
        _host.Dispose();
        _verifier?.Dispose();
    }

    public override string ToString() => Url;

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            HttpListenerRequest request = context.Request;
            byte[] body = new byte[MaxBodyBytes];
            int length = 0;
            bool oversized = false;
            if (request.HasEntityBody)
            {
                int n;
                while (length < body.Length && (n = await request.InputStream.ReadAsync(body, length, body.Length - length).ConfigureAwait(false)) > 0)
                {
                    length += n;
                }
                oversized = length == body.Length && request.InputStream.ReadByte() >= 0;
            }
            string target = request.RawUrl ?? "/";
            string check = oversized ? $"unreadable:the body is larger than {MaxBodyBytes / 1024} KiB (logged cut short)" : Check(target, body, length);
            string line = CallbackLog.FormatLine(DateTime.UtcNow, request.HttpMethod, request.RemoteEndPoint?.ToString() ?? "-", check, target, body, length);
            byte[] bytes = Encoding.UTF8.GetBytes(line);
            try
            {
                lock (_writeGate)
                {
                    _log.Write(bytes, 0, bytes.Length);
                    // On disk before Alipay hears "success": after that it never sends this notification again.
                    _log.Flush(flushToDisk: true);
                }
            }
            catch (Exception ex) when (ex is IOException || ex is ObjectDisposedException || ex is UnauthorizedAccessException)
            {
                await AnswerAsync(context, 503, "error: the callback could not be recorded", "text/plain").ConfigureAwait(false);
                return;
            }
            Interlocked.Increment(ref _received);
            if (oversized)
            {
                // Never "success" for what was not recorded whole: no notification is this large, but if one
                // were, Alipay must keep it, not us lose it.
                await AnswerAsync(context, 413, "error: the body is too large", "text/plain").ConfigureAwait(false);
                return;
            }
            if (Interlocked.Decrement(ref _failNext) >= 0)
            {
                await AnswerAsync(context, 500, "fail", "text/plain").ConfigureAwait(false);
                return;
            }
            Interlocked.Exchange(ref _failNext, 0);
            await AnswerAsync(context, 200, "success", "text/plain").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpListenerException || ex is ObjectDisposedException || ex is IOException || ex is InvalidOperationException)
        {
            // the caller went away, or the receiver is stopping: it was not told "success", so it will retry
        }
    }

    // The parameters are read exactly where the merchant's code reads them, the whole body (or the query
    // of a GET), never a part found inside it: otherwise unsigned parameters could ride along.
    private string Check(string target, byte[] body, int length)
    {
        if (_verifier == null)
        {
            return "-";
        }
        try
        {
            ParameterRead read;
            if (length > 0)
            {
                string text;
                try
                {
                    text = _verifier.Charset.GetString(body, 0, length);
                }
                catch (CharsetException ex)
                {
                    return Clean("unreadable:" + ex.Message);
                }
                read = ParameterReader.ReadQuery(text, _verifier.Charset);
            }
            else
            {
                int q = target.IndexOf('?');
                read = ParameterReader.ReadQuery(q < 0 ? string.Empty : target.Substring(q + 1), _verifier.Charset);
            }
            if (read.IsUnreadable)
            {
                return Clean("unreadable:" + read.Problem);
            }
            NotificationResult result;
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
            return Clean("error:" + ex.GetType().Name);
        }
    }

    private static string Clean(string check) => check.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');

    private static Task AnswerAsync(HttpListenerContext context, int status, string text, string contentType) =>
        LoopbackHttpHost.AnswerAsync(context, status, text, contentType);
}
