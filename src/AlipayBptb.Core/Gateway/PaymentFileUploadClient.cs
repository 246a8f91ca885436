using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Gateway;

/// <summary>The outcome of one upload: what was sent (name, digest) and what became of it.</summary>
public sealed class PaymentFileUploadResult
{
    internal PaymentFileUploadResult(PaymentFileUploadRequest request, UploadState state, string? code, string? message, int httpStatus, string? answer)
    {
        FileName = request.FileName;
        State = state;
        Code = code;
        Message = message;
        Digest = request.Digest;
        DigestType = request.DigestType;
        HttpStatus = httpStatus;
        Answer = answer;
    }

    public string FileName { get; }

    public UploadState State { get; }

    /// <summary>The code of tables 8.1-8.3 the answer maps to, or null.</summary>
    public string? Code { get; }

    /// <summary>Alipay's message after "文件上传失败!", or what happened instead of an answer.</summary>
    public string? Message { get; }

    public string Digest { get; }

    public DigestType DigestType { get; }

    /// <summary>The HTTP status, or 0 when no answer came (timeout, reset).</summary>
    public int HttpStatus { get; }

    /// <summary>The answer's text as read (invisible characters made visible), or null when none came.</summary>
    public string? Answer { get; }

    public override string ToString() => Code == null ? $"{FileName}: {State}" : $"{FileName}: {State} ({Code})";
}

/// <summary>
/// The upload could not even start: no connection could be made, so nothing of the request was sent, and sending it
/// again is safe.
/// </summary>
public sealed class PaymentFileUploadException : Exception
{
    public PaymentFileUploadException(string fileName, string message, Exception? inner = null)
        : base($"The payment file '{fileName}' was not uploaded (nothing was sent): {message}", inner)
    {
        FileName = fileName;
    }

    public string FileName { get; }
}

/// <summary>
/// Sends bptb_pay_file_confirm uploads. One HttpClient for the whole process; the timeout bounds the whole attempt
/// (connect, send, answer). An upload is never retried here: once any byte of the body may have gone out, a failure
/// or a timeout is <see cref="UploadState.Unknown"/> (upload rules 3-1 and 4-1: stop and look the file up with
/// bptb_file_query), and only a connection that could not be made at all is an error (nothing sent).
/// </summary>
public sealed class PaymentFileUploadClient
{
    /// <summary>How much of an answer is read: Alipay's are a line.</summary>
    public const int MaxAnswerBytes = 16 * 1024;

    private static readonly Lazy<HttpClient> SharedClient = new(() => GatewayHttpClient.Create(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly HttpClient _client;

    public PaymentFileUploadClient(TimeSpan timeout, HttpClient? client = null)
    {
        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive.");
        }
        Timeout = timeout;
        _client = client ?? SharedClient.Value;
    }

    /// <summary>With a timeout of 2 minutes.</summary>
    public PaymentFileUploadClient()
        : this(TimeSpan.FromMinutes(2))
    {
    }

    public TimeSpan Timeout { get; }

    /// <exception cref="PaymentFileUploadException">No connection could be made: nothing was sent.</exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was cancelled. When that happened after the body began to go out, the upload
    /// may have been accepted: look it up with bptb_file_query, or upload it again under the same name (a repeat is
    /// refused with FILE_NAME_REPEAT, never paid twice); never under another name.
    /// </exception>
    public async Task<PaymentFileUploadResult> SendAsync(PaymentFileUploadRequest request, CancellationToken cancellationToken)
    {
        BptbCharset charset = BptbCharset.Get(request.Charset);
        var content = new TrackedBody(request.Body);
        content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
        using var message = new HttpRequestMessage(HttpMethod.Post, request.Url) { Content = content };
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(Timeout);
        int status = 0;
        try
        {
            using HttpResponseMessage response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, attempt.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            (byte[] body, int length) = await HttpAnswer.ReadBoundedAsync(response, MaxAnswerBytes, attempt.Token).ConfigureAwait(false);
            UploadAnswer answer = UploadAnswer.Parse(body, length, response.Content.Headers.ContentType?.CharSet, charset);
            if (status < 200 || status > 299)
            {
                // A gateway error page, a redirect: the request reached something, and what it did is not known.
                return new PaymentFileUploadResult(request, UploadState.Unknown, answer.Code,
                    $"HTTP {status} {response.ReasonPhrase}: not an answer of Alipay's upload; look the file up with bptb_file_query before anything else", status, answer.Text);
            }
            return new PaymentFileUploadResult(request, answer.State, answer.Code, answer.Message, status, answer.Text);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex)
        {
            if (!content.Started)
            {
                throw new PaymentFileUploadException(request.FileName, $"no connection to {Host(request.Url)} within {Timeout.TotalSeconds:0.###} s", ex);
            }
            return new PaymentFileUploadResult(request, UploadState.Unknown, null,
                $"no answer within {Timeout.TotalSeconds:0.###} s after the file was sent: it may have been accepted; look it up with bptb_file_query, do not rename it", status, null);
        }
        catch (Exception ex) when (ex is HttpRequestException || ex is IOException)
        {
            if (!content.Started)
            {
                throw new PaymentFileUploadException(request.FileName, Describe(ex), ex);
            }
            return new PaymentFileUploadResult(request, UploadState.Unknown, null,
                $"the connection failed after the file was sent ({Describe(ex)}): it may have been accepted; look it up with bptb_file_query, do not rename it", status, null);
        }
    }

    private static string Host(string url) => Uri.TryCreate(url, UriKind.Absolute, out Uri? u) ? u.Authority : url;

    private static string Describe(Exception ex)
    {
        var sb = new StringBuilder(ex.Message);
        for (Exception? inner = ex.InnerException; inner != null; inner = inner.InnerException)
        {
            sb.Append(": ").Append(inner.Message);
        }
        return sb.ToString();
    }

    // The body, and whether the handler began to write it: before that, at most the request's headers can have gone
    // out, and Alipay cannot act on an upload without its body.
    private sealed class TrackedBody : HttpContent
    {
        private readonly byte[] _body;
        private int _started;

        public TrackedBody(byte[] body)
        {
            _body = body;
        }

        public bool Started => Volatile.Read(ref _started) != 0;

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            Volatile.Write(ref _started, 1);
            return stream.WriteAsync(_body, 0, _body.Length);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return true;
        }
    }
}
