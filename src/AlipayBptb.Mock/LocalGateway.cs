using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Hosting;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Mock;

/// <summary>
/// A stand-in for Alipay's gateway on 127.0.0.1 (there is no sandbox for bptb_user_confirm). It checks
/// bptb_user_confirm requests as the spec says Alipay does and answers with the spec's codes, renders the
/// confirm page of figure 2-2, takes the payment password, redirects to return_url with a signed return
/// (spec 5), posts the signed notification (spec 6) to notify_url and retries it on the spec's schedule
/// until the merchant answers exactly <c>success</c>, and answers notify_verify (spec 9): true for an id it issued
/// until the merchant answered <c>success</c> for it, false from then on (spec 7.2 (12)).
/// </summary>
public sealed partial class LocalGateway : IDisposable
{
    private readonly LoopbackHttpHost _host;
    private readonly LocalGatewayOptions _options;
    private readonly ConcurrentDictionary<string, string> _notifyIds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, UploadedFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PendingConfirm> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<NotifyVerifyFault> _faults = new();
    private readonly ConcurrentQueue<GatewayRequestRecord> _requests = new();
    private readonly ConcurrentQueue<NotificationDelivery> _deliveries = new();
    private readonly Dictionary<SignType, Signer> _requestVerifiers = new();
    private readonly Dictionary<SignType, Lazy<Signer>> _answerSigners = new();
    private readonly LocalGatewayKeys _alipayKeys;
    private readonly List<(PendingConfirm Confirm, decimal Amount)> _waiting = new();
    private decimal? _balance;
    private int _deliveriesInFlight;

    private LocalGateway(LocalGatewayOptions options)
    {
        _options = options;
        _balance = options.Balance;
        if (!string.IsNullOrEmpty(options.Md5Key))
        {
            _requestVerifiers[SignType.MD5] = new Md5Signer(options.Md5Key.AsSpan());
            string md5Key = options.Md5Key!;
            _answerSigners[SignType.MD5] = new Lazy<Signer>(() => new Md5Signer(md5Key.AsSpan()));
        }
        if (!string.IsNullOrEmpty(options.MerchantPublicKey))
        {
            Signer merchant = KeyLoader.LoadPublicKey(options.MerchantPublicKey!, "the merchant's public key");
            _requestVerifiers[merchant.SignType] = merchant;
        }
        _alipayKeys = new LocalGatewayKeys(options.AlipayPrivateKey);
        _answerSigners[SignType.RSA] = new Lazy<Signer>(() => KeyLoader.LoadPrivateKey(_alipayKeys.RsaPrivatePem, "Alipay's test key"));
        _answerSigners[SignType.DSA] = new Lazy<Signer>(() => KeyLoader.LoadPrivateKey(_alipayKeys.DsaPrivatePem, "Alipay's test DSA key"));
        _host = LoopbackHttpHost.Start($"http://127.0.0.1:{options.Port}/", HandleAsync, MaxUploadBytes);
    }

    public string Partner => _options.Partner;

    public int Port => _host.Port;

    /// <summary>The gateway address to give <c>-Gateway</c>.</summary>
    public string Url => $"http://127.0.0.1:{Port}/gateway.do";

    /// <summary>"Alipay's" RSA public key (SPKI PEM): give it to Test-BptbNotification -PublicKey.</summary>
    public string AlipayPublicKey => _alipayKeys.RsaPublicPem;

    /// <summary>"Alipay's" DSA public key (SPKI PEM), for merchants whose requests are DSA-signed.</summary>
    public string AlipayDsaPublicKey => _alipayKeys.DsaPublicPem;

    public double TimeFactor => _options.TimeFactor;

    public bool IsRunning => _host.IsListening;

    /// <summary>Every request so far, oldest first.</summary>
    public GatewayRequestRecord[] Requests => _requests.ToArray();

    /// <summary>Every notification delivery attempt so far, oldest first.</summary>
    public NotificationDelivery[] Deliveries => _deliveries.ToArray();

    /// <summary>Notifications still being delivered (not yet answered <c>success</c>, retries not exhausted).</summary>
    public int PendingDeliveries => Volatile.Read(ref _deliveriesInFlight);

    /// <summary>The names of the uploaded files and whether each is confirmed.</summary>
    public IReadOnlyDictionary<string, bool> Files
    {
        get
        {
            var d = new SortedDictionary<string, bool>(StringComparer.Ordinal);
            foreach (var f in _files)
            {
                d[f.Key] = f.Value.Confirmed;
            }
            return d;
        }
    }

    /// <summary>Faults still to be served to notify_verify requests, one each, before normal answers resume.</summary>
    public NotifyVerifyFault[] PendingFaults => _faults.ToArray();

    public static LocalGateway Start(LocalGatewayOptions options)
    {
        FieldRules.Partner(options.Partner);
        if (options.TimeFactor <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "The time factor must be positive.");
        }
        return new LocalGateway(options);
    }

    /// <summary>Starts a gateway that knows only a partner: notify_verify answers, no confirmations.</summary>
    public static LocalGateway Start(string partner, int port = 0) => Start(new LocalGatewayOptions { Partner = partner, Port = port });

    public void Stop() => _host.Stop();

    public void Dispose()
    {
        _host.Dispose();
        foreach (Signer s in _requestVerifiers.Values)
        {
            s.Dispose();
        }
        foreach (Lazy<Signer> s in _answerSigners.Values)
        {
            if (s.IsValueCreated)
            {
                s.Value.Dispose();
            }
        }
    }

    public override string ToString() => Url;

    private async Task HandleAsync(HttpExchange context)
    {
        try
        {
            string body = Encoding.ASCII.GetString(context.Body, 0, context.BodyLength);
            string rawQuery = context.Query;
            string raw = JoinQueryAndBody(rawQuery, body);
            string path = context.Path;
            if (path.EndsWith("/confirm", StringComparison.Ordinal) && context.Method == "POST")
            {
                await ConfirmAsync(context, body).ConfigureAwait(false);
                return;
            }
            // Parameters are decoded in the charset the request names: find it before decoding anything.
            string? charsetName = FindRawParameter(raw, "_input_charset");
            BptbCharset charset = BptbCharset.TryGet(charsetName, out BptbCharset c) ? c : BptbCharset.Utf8;
            string? contentType = context.Header("Content-Type");
            ParameterRead read = contentType != null && contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase)
                ? MultipartForm.Read(contentType, context.Body, context.BodyLength, rawQuery, ref charsetName, ref charset)
                : ParameterReader.Read(raw.Length == 0 ? "service=" : raw, charset);
            ParameterList parameters = read.Parameters;
            string service = parameters["service"] ?? string.Empty;
            switch (service)
            {
                case "notify_verify":
                    await NotifyVerifyAsync(context, parameters).ConfigureAwait(false);
                    return;
                case ConfirmRequestBuilder.Service:
                    await ConfirmRequestAsync(context, parameters, read.Problem, charsetName, charset).ConfigureAwait(false);
                    return;
                case PaymentFileUploadBuilder.Service:
                    await UploadAsync(context).ConfigureAwait(false);
                    return;
                default:
                    await ErrorPageAsync(context, service, null, "ILLEGAL_SERVICE").ConfigureAwait(false);
                    return;
            }
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException || ex is ObjectDisposedException || ex is OperationCanceledException || ex is InvalidOperationException || ex is IOException)
        {
            // the client went away or the gateway is stopping: nothing to answer
        }
    }

    // A form posted to gateway.do?_input_charset=… (rules 3-1, and how Alipay's own SDKs post it) names the charset
    // in the action and usually in the form as well: one parameter when both say the same, as the multipart reader
    // has it. Anything else stays joined, so a second, different value is the ambiguity the reader refuses.
    private static string JoinQueryAndBody(string query, string body)
    {
        if (query.Length == 0 || body.Length == 0)
        {
            return query + body;
        }
        if (query.IndexOf('&') < 0 && FindRawParameter(query, "_input_charset") is string inAction
            && FindRawParameter(body, "_input_charset") is string inForm
            && string.Equals(inAction, inForm, StringComparison.OrdinalIgnoreCase))
        {
            return body;
        }
        return query + "&" + body;
    }

    private static string? FindRawParameter(string raw, string name)
    {
        foreach (string pair in raw.Split('&'))
        {
            if (pair.StartsWith(name + "=", StringComparison.Ordinal))
            {
                return Uri.UnescapeDataString(pair.Substring(name.Length + 1));
            }
        }
        return null;
    }

    /// <summary>Signs parameters as Alipay does for what it sends back, and writes them as a query or form body.</summary>
    private string SignedQuery(ParameterList p, SignType signType, BptbCharset charset)
    {
        Signer signer = _answerSigners[signType].Value;
        string sign;
        lock (signer)
        {
            sign = signer.Sign(SignString.Build(p), charset);
        }
        p.TryAdd("sign", sign);
        p.TryAdd("sign_type", signType.ToString());
        var sb = new StringBuilder();
        for (int i = 0; i < p.Count; i++)
        {
            if (i > 0)
            {
                sb.Append('&');
            }
            sb.Append(PercentEncoding.Encode(p.KeyAt(i), charset)).Append('=').Append(PercentEncoding.Encode(p.ValueAt(i), charset));
        }
        return sb.ToString();
    }

    private TimeSpan Scaled(TimeSpan t) => TimeSpan.FromTicks((long)(t.Ticks * _options.TimeFactor));

    private void Record(HttpExchange context, string service, string? notifyId, string? fileName, string answer) =>
        _requests.Enqueue(new GatewayRequestRecord(DateTime.UtcNow, context.Method, context.Target, service, notifyId, fileName, answer));

    private static Task Redirect(HttpExchange context, string location) => context.RedirectAsync(location);

    private static Task WriteAsync(HttpExchange context, int status, string body, string contentType) =>
        context.AnswerAsync(status, body, contentType + "; charset=utf-8");
}
