using System;
using System.IO;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Gateway;

/// <summary>Alipay's answer to one notify_verify question (spec 9).</summary>
public sealed class NotifyVerifyResponse
{
    internal NotifyVerifyResponse(string notifyId, string response, bool verified, int attempts)
    {
        NotifyId = notifyId;
        Response = response;
        Verified = verified;
        Attempts = attempts;
    }

    public string NotifyId { get; }

    /// <summary>
    /// True only when the whole body is the four bytes <c>true</c>, followed by nothing but ASCII white space (space,
    /// tab, CR, LF), within <see cref="NotifyVerifyClient.MaxBodyBytes"/> bytes: anything else is "not genuine" (spec 9).
    /// </summary>
    public bool Verified { get; }

    /// <summary>
    /// The body for reading: decoded as UTF-8, trailing ASCII white space trimmed, invisible characters (a BOM, U+3000,
    /// control and format characters) written as <c>\u{XXXX}</c>, cut at <see cref="NotifyVerifyClient.MaxBodyBytes"/>
    /// bytes and then marked with a final '…'. It explains <see cref="Verified"/>; it does not decide it.
    /// </summary>
    public string Response { get; }

    public int Attempts { get; }
}

/// <summary>notify_verify could not be asked: the gateway kept failing, timing out or resetting.</summary>
public sealed class NotifyVerifyException : Exception
{
    public NotifyVerifyException(string notifyId, int attempts, string problem, bool retryable, Exception? inner = null)
        : base($"notify_verify for notify_id '{notifyId}' failed after {attempts} attempt{(attempts == 1 ? string.Empty : "s")}: {problem}", inner)
    {
        NotifyId = notifyId;
        Attempts = attempts;
        Retryable = retryable;
    }

    public string NotifyId { get; }

    public int Attempts { get; }

    /// <summary>False when retrying could not help (a 404, a redirect): the gateway address is probably wrong.</summary>
    public bool Retryable { get; }
}

/// <summary>
/// Asks the gateway whether a notification is genuine: <c>GET {gateway}?service=notify_verify&amp;partner=..&amp;notify_id=..</c>.
/// One HttpClient for the whole process; per-attempt timeouts; bounded retries with exponential backoff.
/// </summary>
public sealed class NotifyVerifyClient
{
    /// <summary>How much of a body is read: an answer longer than this is never "true".</summary>
    public const int MaxBodyBytes = 4096;

    private static readonly Encoding LenientUtf8 = new UTF8Encoding(false, false);

    private static readonly Lazy<HttpClient> SharedClient = new(() => GatewayHttpClient.Create(maxConnectionsPerServer: 256), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly HttpClient _client;

    public NotifyVerifyClient(string gateway, TimeSpan timeout, int maximumRetryCount, TimeSpan retryInterval, HttpClient? client = null)
    {
        Gateway = GatewayAddress.Parse(gateway);
        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive.");
        }
        if (maximumRetryCount < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maximumRetryCount), "The retry count cannot be negative.");
        }
        Timeout = timeout;
        MaximumRetryCount = maximumRetryCount;
        RetryInterval = retryInterval;
        _client = client ?? SharedClient.Value;
    }

    public Uri Gateway { get; }

    public TimeSpan Timeout { get; }

    public int MaximumRetryCount { get; }

    public TimeSpan RetryInterval { get; }

    /// <summary>The URL asked for one notify id, each value percent-encoded once.</summary>
    public Uri BuildUri(string partner, string notifyId) =>
        new(Gateway.AbsoluteUri + "?service=notify_verify&partner=" + PercentEncoding.Encode(partner, BptbCharset.Utf8)
            + "&notify_id=" + PercentEncoding.Encode(notifyId, BptbCharset.Utf8));

    public async Task<NotifyVerifyResponse> VerifyAsync(string partner, string notifyId, CancellationToken cancellationToken)
    {
        Uri uri = BuildUri(partner, notifyId);
        int attempt = 0;
        while (true)
        {
            attempt++;
            string problem;
            Exception? failure = null;
            bool retryable = true;
            using (var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                attemptCts.CancelAfter(Timeout);
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                    using HttpResponseMessage response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attemptCts.Token).ConfigureAwait(false);
                    int status = (int)response.StatusCode;
                    if (status >= 200 && status < 300)
                    {
                        // The attempt's token reaches the body: the timeout bounds the whole attempt, body included.
                        return await ReadAnswerAsync(notifyId, response, attempt, attemptCts.Token).ConfigureAwait(false);
                    }
                    problem = $"HTTP {status} {response.ReasonPhrase}";
                    retryable = status >= 500 || status == 408 || status == 429;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    problem = $"no answer within {Timeout.TotalSeconds:0.###} s";
                }
                catch (HttpRequestException ex)
                {
                    failure = ex;
                    problem = Describe(ex);
                }
                catch (IOException ex)
                {
                    failure = ex;
                    problem = Describe(ex);
                }
            }
            if (!retryable || attempt > MaximumRetryCount)
            {
                throw new NotifyVerifyException(notifyId, attempt, problem, retryable, failure);
            }
            TimeSpan wait = TimeSpan.FromTicks(Math.Min(RetryInterval.Ticks * (1L << Math.Min(attempt - 1, 6)), TimeSpan.FromMinutes(1).Ticks));
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static string Describe(Exception ex)
    {
        var sb = new StringBuilder(ex.Message);
        for (Exception? inner = ex.InnerException; inner != null; inner = inner.InnerException)
        {
            sb.Append(": ").Append(inner.Message);
        }
        return sb.ToString();
    }

    // The body is read as bytes, up to one byte past the bound: a gateway that answers with an endless page must not
    // fill memory, and a body longer than the bound is known to be longer, so never "true". The verdict is taken on the
    // bytes, before any decoding: a reader that skips a BOM, or a Trim() that drops U+3000, would turn "\uFEFFtrue" or
    // "true\u3000" into "true".
    private static async Task<NotifyVerifyResponse> ReadAnswerAsync(string notifyId, HttpResponseMessage response, int attempt, CancellationToken cancellationToken)
    {
        (byte[] buffer, int total) = await HttpAnswer.ReadBoundedAsync(response, MaxBodyBytes + 1, cancellationToken).ConfigureAwait(false);

        bool truncated = total > MaxBodyBytes;
        int length = truncated ? MaxBodyBytes : total;
        return new NotifyVerifyResponse(notifyId, Show(buffer, length, truncated), !truncated && IsTrue(buffer, length), attempt);
    }

    // Spec 9: "true" is genuine, anything else is not. Trailing ASCII white space (a newline a server adds) is tolerated;
    // nothing before "true", and nothing else after it.
    private static bool IsTrue(byte[] body, int length)
    {
        if (length < 4 || body[0] != (byte)'t' || body[1] != (byte)'r' || body[2] != (byte)'u' || body[3] != (byte)'e')
        {
            return false;
        }
        for (int i = 4; i < length; i++)
        {
            byte b = body[i];
            if (b != (byte)' ' && b != (byte)'\t' && b != (byte)'\r' && b != (byte)'\n')
            {
                return false;
            }
        }
        return true;
    }

    private static string Show(byte[] body, int length, bool truncated)
    {
        string text = LenientUtf8.GetString(body, 0, length).TrimEnd(' ', '\t', '\r', '\n');
        text = InputText.Show(text, keepAsciiWhiteSpace: true);
        if (text.Length > MaxBodyBytes)
        {
            // Escapes make the text longer than the bytes read; the shown answer stays bounded all the same.
            int cut = char.IsHighSurrogate(text[MaxBodyBytes - 1]) ? MaxBodyBytes - 1 : MaxBodyBytes;
            text = text.Substring(0, cut);
            truncated = true;
        }
        return truncated ? text + "…" : text;
    }
}
