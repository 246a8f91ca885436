using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Gateway;

/// <summary>Alipay's answer to one notify_verify question (spec 9).</summary>
public sealed class NotifyVerifyResponse
{
    internal NotifyVerifyResponse(string notifyId, string response, int attempts)
    {
        NotifyId = notifyId;
        Response = response;
        Attempts = attempts;
    }

    public string NotifyId { get; }

    /// <summary>True only when the body, trimmed, is exactly <c>true</c>: anything else is "not genuine" (spec 9).</summary>
    public bool Verified => string.Equals(Response, "true", StringComparison.Ordinal);

    /// <summary>The body, trimmed (at most <see cref="NotifyVerifyClient.MaxBodyChars"/> characters).</summary>
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
    public const int MaxBodyChars = 4096;

    private static readonly Lazy<HttpClient> SharedClient = new(CreateClient, LazyThreadSafetyMode.ExecutionAndPublication);

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
                        string body = await ReadBodyAsync(response, attemptCts.Token).ConfigureAwait(false);
                        return new NotifyVerifyResponse(notifyId, body, attempt);
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

    // The body is read up to a bound: a gateway that answers with an endless page must not fill memory.
    private static async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
#if NET
        using Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
#else
        using Stream stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
#endif
        using var reader = new StreamReader(stream, Encoding.UTF8);
        char[] buffer = new char[MaxBodyChars];
        int total = 0;
        while (total < buffer.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = await reader.ReadAsync(buffer, total, buffer.Length - total).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            total += n;
        }
        return new string(buffer, 0, total).Trim();
    }

    private static HttpClient CreateClient()
    {
#if NET
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // a redirect could send the question, and trust in the answer, elsewhere
            PooledConnectionLifetime = TimeSpan.FromMinutes(5), // and so follow DNS changes (rules 3-1: no DNS pinning)
            MaxConnectionsPerServer = 256,
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
        };
#else
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
        };
#endif
        return new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }
}
