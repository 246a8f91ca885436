using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Mock;

/// <summary>
/// A stand-in for Alipay's gateway on 127.0.0.1 (there is no sandbox for bptb_user_confirm). It checks
/// bptb_user_confirm requests as the spec says Alipay does and answers with the spec's codes, renders the
/// confirm page of figure 2-2, takes the payment password, redirects to return_url with a signed return
/// (spec 5), posts the signed notification (spec 6) to notify_url and retries it on the spec's schedule
/// until the merchant answers exactly <c>success</c>, and answers notify_verify (spec 9): true for an id it issued
/// until the merchant answered <c>success</c> for it, false from then on (spec 7.2 (12)).
/// </summary>
public sealed class MockGateway : IDisposable
{
    private static readonly TimeSpan[] RetrySchedule =
    {
        TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1),
        TimeSpan.FromHours(2), TimeSpan.FromHours(6), TimeSpan.FromHours(15),
    };

    /// <summary>Rules 4-1: confirm at least 5 minutes after the upload...</summary>
    public static readonly TimeSpan ConfirmNotBefore = TimeSpan.FromMinutes(5);

    /// <summary>...and within 15 days of it.</summary>
    public static readonly TimeSpan ConfirmNotAfter = TimeSpan.FromDays(15);

    // A connection per notification, as a notification server would open: receivers in tests come and go on
    // ports the system hands out again, where a kept-alive connection would meet a reset.
    private static readonly HttpClient Delivery = new(new HttpClientHandler { AllowAutoRedirect = false, UseProxy = false })
    {
        Timeout = TimeSpan.FromSeconds(15),
        DefaultRequestHeaders = { ConnectionClose = true },
    };

    private readonly LoopbackHttpHost _host;
    private readonly MockGatewayOptions _options;
    private readonly ConcurrentDictionary<string, string> _notifyIds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, UploadedFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PendingConfirm> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<MockFault> _faults = new();
    private readonly ConcurrentQueue<MockGatewayRequest> _requests = new();
    private readonly ConcurrentQueue<MockDelivery> _deliveries = new();
    private readonly Dictionary<SignType, Signer> _requestVerifiers = new();
    private readonly Dictionary<SignType, Lazy<Signer>> _answerSigners = new();
    private readonly AlipayKeys _alipayKeys;
    private readonly List<(PendingConfirm Confirm, decimal Amount)> _waiting = new();
    private decimal? _balance;
    private int _deliveriesInFlight;

    private MockGateway(MockGatewayOptions options)
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
        _alipayKeys = new AlipayKeys(options.AlipayPrivateKey);
        _answerSigners[SignType.RSA] = new Lazy<Signer>(() => KeyLoader.LoadPrivateKey(_alipayKeys.RsaPrivatePem, "Alipay's test key"));
        _answerSigners[SignType.DSA] = new Lazy<Signer>(() => KeyLoader.LoadPrivateKey(_alipayKeys.DsaPrivatePem, "Alipay's test DSA key"));
        _host = LoopbackHttpHost.Start($"http://127.0.0.1:{options.Port}/", HandleAsync);
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
    public MockGatewayRequest[] Requests => _requests.ToArray();

    /// <summary>Every notification delivery attempt so far, oldest first.</summary>
    public MockDelivery[] Deliveries => _deliveries.ToArray();

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
    public MockFault[] PendingFaults => _faults.ToArray();

    public static MockGateway Start(MockGatewayOptions options)
    {
        ConfirmRequestBuilder.CheckPartner(options.Partner);
        if (options.TimeFactor <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "The time factor must be positive.");
        }
        return new MockGateway(options);
    }

    /// <summary>Starts a gateway that knows only a partner: notify_verify answers, no confirmations.</summary>
    public static MockGateway Start(string partner, int port = 0) => Start(new MockGatewayOptions { Partner = partner, Port = port });

    /// <summary>
    /// "Uploads" a payment file (bptb_pay_file_confirm's CSV, GBK) as the payer <paramref name="email"/> (default:
    /// the file's own 支付宝账号), at <paramref name="uploadedAt"/> (default now; earlier for a file uploaded before,
    /// since a confirmation is refused in the first 5 minutes after the upload, rules 4-1).
    /// </summary>
    public PaymentFile AddPaymentFile(string fileName, byte[] content, string? email = null, DateTime? uploadedAt = null)
    {
        ConfirmRequestBuilder.CheckFileName(fileName);
        PaymentFile parsed = PaymentFile.Parse(fileName, content);
        PaymentFile file = parsed.AsUploaded(string.IsNullOrEmpty(email) ? parsed.Email : email!, (uploadedAt ?? DateTime.UtcNow).ToUniversalTime());
        if (!_files.TryAdd(fileName, new UploadedFile(file)))
        {
            throw new InvalidOperationException($"A file named '{fileName}' was uploaded already (FILE_NAME_REPEAT): the file name is the batch's identity.");
        }
        return file;
    }

    public PaymentFile AddPaymentFile(string path, string? fileName = null, string? email = null, DateTime? uploadedAt = null) =>
        AddPaymentFile(fileName ?? Path.GetFileName(path), File.ReadAllBytes(path), email, uploadedAt);

    /// <summary>What is left of the payer's balance (yuan), or null when it is unlimited.</summary>
    public decimal? Balance
    {
        get
        {
            lock (_waiting)
            {
                return _balance;
            }
        }
    }

    /// <summary>
    /// Adds <paramref name="amount"/> yuan to the payer's balance; each batch that waits for money (it got
    /// bptb_unfreeze_notify) and now fits is processed, in the order confirmed, and gets bptb_result_notify.
    /// </summary>
    public void TopUp(decimal amount)
    {
        if (amount <= 0m)
        {
            throw new ArgumentOutOfRangeException(nameof(amount), "A top-up is a positive amount.");
        }
        var ready = new List<PendingConfirm>();
        lock (_waiting)
        {
            _balance = (_balance ?? 0m) + amount;
            while (_waiting.Count > 0 && _waiting[0].Amount <= _balance)
            {
                _balance -= _waiting[0].Amount;
                ready.Add(_waiting[0].Confirm);
                _waiting.RemoveAt(0);
            }
        }
        foreach (PendingConfirm confirm in ready)
        {
            StartDelivery(confirm, balanceShort: false);
        }
    }

    /// <summary>Batches confirmed but waiting for money (bptb_unfreeze_notify sent), oldest first.</summary>
    public string[] WaitingFiles
    {
        get
        {
            lock (_waiting)
            {
                return _waiting.ConvertAll(w => w.Confirm.FileName).ToArray();
            }
        }
    }

    /// <summary>Makes a new notify id as Alipay would (34 hex digits) and remembers it as issued.</summary>
    public string IssueNotifyId()
    {
        string id = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N").Substring(0, 2);
        _notifyIds[id] = Partner;
        return id;
    }

    /// <summary>Remembers a notify id as issued for this gateway's partner.</summary>
    public void AddNotifyId(string notifyId) => _notifyIds[notifyId] = Partner;

    public void AddFault(MockFault fault) => _faults.Enqueue(fault);

    public void AddFault(string fault) => AddFault(MockFault.Parse(fault));

    /// <summary>Waits until every notification is delivered or given up; false on timeout.</summary>
    public bool WaitForDeliveries(TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (PendingDeliveries > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            Thread.Sleep(20);
        }
        return true;
    }

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
            string raw = rawQuery.Length > 0 && body.Length > 0 ? rawQuery + "&" + body : rawQuery + body;
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

    private async Task NotifyVerifyAsync(HttpExchange context, ParameterList parameters)
    {
        string? notifyId = parameters["notify_id"];
        if (_faults.TryDequeue(out MockFault? fault))
        {
            switch (fault.Kind)
            {
                case MockFaultKind.Reset:
                    Record(context, "notify_verify", notifyId, null, "reset");
                    // Promise a body, send two bytes of it, then reset the connection.
                    await context.ResetAfterAsync(1024, new byte[] { (byte)'t', (byte)'r' }).ConfigureAwait(false);
                    return;
                case MockFaultKind.Status:
                    Record(context, "notify_verify", notifyId, null, "status:" + fault.Status);
                    await WriteAsync(context, fault.Status, "<html><body><h1>" + fault.Status + " Server Error</h1></body></html>", "text/html").ConfigureAwait(false);
                    return;
                case MockFaultKind.Body:
                    Record(context, "notify_verify", notifyId, null, fault.Body);
                    await WriteAsync(context, 200, fault.Body, "text/plain").ConfigureAwait(false);
                    return;
                case MockFaultKind.Delay:
                    await Task.Delay(fault.Delay, _host.Stopping).ConfigureAwait(false);
                    break;
            }
        }
        bool issued = notifyId != null && _notifyIds.TryGetValue(notifyId, out string? owner)
            && string.Equals(owner, parameters["partner"], StringComparison.Ordinal);
        string answer = issued ? "true" : "false";
        Record(context, "notify_verify", notifyId, null, answer);
        await WriteAsync(context, 200, answer, "text/plain").ConfigureAwait(false);
    }

    // Spec 4 and 10.1: the checks Alipay makes before it shows the confirm page. Security failures get an
    // error page (Alipay does not call back an unauthenticated return_url); business failures go back to
    // return_url as a signed return with is_success=F and the code.
    private async Task ConfirmRequestAsync(HttpExchange context, ParameterList p, string? readProblem, string? charsetName, BptbCharset charset)
    {
        string? fileName = p["file_name"];
        if (charsetName == null || !BptbCharset.TryGet(charsetName, out _))
        {
            await ErrorPageAsync(context, ConfirmRequestBuilder.Service, fileName, "ILLEGAL_CHARSET").ConfigureAwait(false);
            return;
        }
        if (readProblem != null)
        {
            await ErrorPageAsync(context, ConfirmRequestBuilder.Service, fileName, "ILLEGAL_ARGUMENT").ConfigureAwait(false);
            return;
        }
        if (!string.Equals(p["partner"], Partner, StringComparison.Ordinal))
        {
            await ErrorPageAsync(context, ConfirmRequestBuilder.Service, fileName, "ILLEGAL_PARTNER").ConfigureAwait(false);
            return;
        }
        if (!NotificationVerifier.TryParseSignType(p["sign_type"] ?? string.Empty, out SignType signType))
        {
            await ErrorPageAsync(context, ConfirmRequestBuilder.Service, fileName, "ILLEGAL_SIGN_TYPE").ConfigureAwait(false);
            return;
        }
        if (!_requestVerifiers.TryGetValue(signType, out Signer? verifier))
        {
            await ErrorPageAsync(context, ConfirmRequestBuilder.Service, fileName, "ILLEGAL_SECURITY_PROFILE").ConfigureAwait(false);
            return;
        }
        bool signed;
        lock (verifier)
        {
            signed = !string.IsNullOrEmpty(p["sign"]) && verifier.Verify(SignString.Build(p), charset, p["sign"]!).IsValid;
        }
        if (!signed)
        {
            await ErrorPageAsync(context, ConfirmRequestBuilder.Service, fileName, "ILLEGAL_SIGN").ConfigureAwait(false);
            return;
        }
        string? email = p["email"];
        string? returnUrl = p["return_url"];
        if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(fileName) || string.IsNullOrEmpty(returnUrl))
        {
            await ErrorPageAsync(context, ConfirmRequestBuilder.Service, fileName, "ILLEGAL_ARGUMENT").ConfigureAwait(false);
            return;
        }
        var confirm = new PendingConfirm(fileName!, email!, returnUrl!, p["notify_url"], signType, charset);
        string? failure = !_files.TryGetValue(fileName!, out UploadedFile? file) ? "FILE_NOT_EXIST"
            // Rules 4-1: the file's details are checked for about 5 minutes after the upload, and a file is kept
            // for confirmation 15 days: before and after, Alipay finds no file to confirm.
            : DateTime.UtcNow - file.File.UploadedAt < Scaled(ConfirmNotBefore) ? "FILE_NOT_EXIST"
            : DateTime.UtcNow - file.File.UploadedAt > Scaled(ConfirmNotAfter) ? "FILE_NOT_EXIST"
            : !IsAccount(email!) ? "USER_NOT_EXIST"
            : !string.Equals(file.Email, email, StringComparison.OrdinalIgnoreCase) ? "ACCOUNT_NOT_CONSISTENT"
            : file.Confirmed ? "USER_CONFIRM_SUCC"
            : file.File.AllDetailsFail ? "DETAIL_VALIDATED_FAIL"
            : null;
        if (failure != null)
        {
            Record(context, ConfirmRequestBuilder.Service, null, fileName, failure);
            await Redirect(context, ReturnUrl(confirm, false, failure));
            return;
        }
        string token = Guid.NewGuid().ToString("N");
        _pending[token] = confirm;
        Record(context, ConfirmRequestBuilder.Service, null, fileName, "page");
        await WriteAsync(context, 200, ConfirmPage.Render(file!.File, email!, token, error: null), "text/html").ConfigureAwait(false);
    }

    private async Task ConfirmAsync(HttpExchange context, string body)
    {
        ParameterList form = ParameterReader.Read(body.Length == 0 ? "token=" : body, BptbCharset.Utf8).Parameters;
        string token = form["token"] ?? string.Empty;
        if (!_pending.TryGetValue(token, out PendingConfirm? confirm))
        {
            await ErrorPageAsync(context, "confirm", null, "SESSION_TIMEOUT").ConfigureAwait(false);
            return;
        }
        UploadedFile file = _files[confirm.FileName];
        if (!string.Equals(form["password"], _options.PaymentPassword, StringComparison.Ordinal))
        {
            Record(context, "confirm", null, confirm.FileName, "USER_PASS_ERROR");
            await WriteAsync(context, 200, ConfirmPage.Render(file.File, confirm.Email, token, "USER_PASS_ERROR"), "text/html").ConfigureAwait(false);
            return;
        }
        _pending.TryRemove(token, out _);
        bool first;
        lock (file)
        {
            first = !file.Confirmed;
            file.Confirmed = true;
        }
        if (!first)
        {
            // Two pages for one file, both confirmed: the second is told the batch was confirmed already.
            Record(context, "confirm", null, confirm.FileName, "USER_CONFIRM_SUCC (again)");
            await Redirect(context, ReturnUrl(confirm, false, "USER_CONFIRM_SUCC"));
            return;
        }
        Record(context, "confirm", null, confirm.FileName, "USER_CONFIRM_SUCC");
        // The batch is paid from the balance; short of it, it waits for a top-up (spec 7.3: bptb_unfreeze_notify).
        bool balanceShort;
        lock (_waiting)
        {
            decimal amount = file.File.PayableAmount;
            balanceShort = _balance.HasValue && (amount > _balance.Value || _waiting.Count > 0);
            if (balanceShort)
            {
                _waiting.Add((confirm, amount));
            }
            else if (_balance.HasValue)
            {
                _balance -= amount;
            }
        }
        StartDelivery(confirm, balanceShort);
        await Redirect(context, ReturnUrl(confirm, true, "USER_CONFIRM_SUCC"));
    }

    private string ReturnUrl(PendingConfirm confirm, bool success, string resultCode)
    {
        var p = new ParameterList(6);
        p.TryAdd("file_name", confirm.FileName);
        p.TryAdd("is_success", success ? "T" : "F");
        p.TryAdd("partner", Partner);
        p.TryAdd("result_code", resultCode);
        return confirm.ReturnUrl + "?" + SignedQuery(p, confirm.SignType, confirm.Charset);
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

    private void StartDelivery(PendingConfirm confirm, bool balanceShort)
    {
        if (string.IsNullOrEmpty(confirm.NotifyUrl))
        {
            return; // no notify_url, no notification (spec 3 (4))
        }
        string notifyId = IssueNotifyId();
        string notifyType = balanceShort ? "bptb_unfreeze_notify" : "bptb_result_notify";
        DateTime beijing = DateTime.UtcNow.AddHours(8);
        var p = new ParameterList(9);
        p.TryAdd("notify_type", notifyType);
        p.TryAdd("notify_time", beijing.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
        p.TryAdd("notify_id", notifyId);
        p.TryAdd("pay_date", beijing.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture));
        p.TryAdd("flag", balanceShort ? "bptb_unfreeze_file" : "bptb_result_file");
        p.TryAdd("file_name", confirm.FileName);
        string body = SignedQuery(p, confirm.SignType, confirm.Charset);
        Interlocked.Increment(ref _deliveriesInFlight);
        _ = Task.Run(() => DeliverAsync(confirm.NotifyUrl!, body, notifyId, confirm.FileName, notifyType, confirm.Charset));
    }

    // Spec 7.2 (7): until the answer is exactly "success", resend the same notification (same notify_id)
    // after 2m, 10m, 10m, 1h, 2h, 6h and 15h: 8 deliveries in about 25 hours, scaled by TimeFactor.
    private async Task DeliverAsync(string url, string body, string notifyId, string fileName, string notifyType, BptbCharset charset)
    {
        try
        {
            for (int attempt = 1; attempt <= RetrySchedule.Length + 1; attempt++)
            {
                if (attempt > 1)
                {
                    TimeSpan wait = TimeSpan.FromTicks((long)(RetrySchedule[attempt - 2].Ticks * _options.TimeFactor));
                    await Task.Delay(wait, _host.Stopping).ConfigureAwait(false);
                }
                int status = 0;
                string response;
                try
                {
                    using var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
                    content.Headers.TryAddWithoutValidation("Content-Type", "application/x-www-form-urlencoded; charset=" + charset.Name);
                    using HttpResponseMessage answer = await Delivery.PostAsync(url, content, _host.Stopping).ConfigureAwait(false);
                    status = (int)answer.StatusCode;
                    response = await answer.Content.ReadAsStringAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is HttpRequestException || ex is IOException || (ex is TaskCanceledException && !_host.Stopping.IsCancellationRequested))
                {
                    response = ex.GetType().Name + ": " + ex.Message;
                }
                bool accepted = status == 200 && response == "success";
                _deliveries.Enqueue(new MockDelivery(notifyId, fileName, notifyType, attempt, DateTime.UtcNow, url, status,
                    response.Length > 200 ? response.Substring(0, 200) : response, accepted));
                if (accepted)
                {
                    // Spec 7.2 (12): once the merchant has answered "success", the notify_id is no longer valid,
                    // so notify_verify answers false for it from now on.
                    _notifyIds.TryRemove(notifyId, out _);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the gateway stopped: pending deliveries end with it
        }
        finally
        {
            Interlocked.Decrement(ref _deliveriesInFlight);
        }
    }

    /// <summary>How long after an upload a confirmation is accepted, in this gateway's clock (5 minutes × TimeFactor).</summary>
    public TimeSpan ConfirmDelay => Scaled(ConfirmNotBefore);

    private TimeSpan Scaled(TimeSpan t) => TimeSpan.FromTicks((long)(t.Ticks * _options.TimeFactor));

    // The Alipay accounts this gateway knows: the payers of uploaded files, and those the options name.
    private bool IsAccount(string email)
    {
        foreach (string a in _options.Accounts)
        {
            if (string.Equals(a, email, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        foreach (UploadedFile f in _files.Values)
        {
            if (string.Equals(f.Email, email, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    private async Task ErrorPageAsync(HttpExchange context, string service, string? fileName, string code)
    {
        Record(context, service, null, fileName, code);
        await WriteAsync(context, 200, ConfirmPage.RenderError(code), "text/html").ConfigureAwait(false);
    }

    private void Record(HttpExchange context, string service, string? notifyId, string? fileName, string answer) =>
        _requests.Enqueue(new MockGatewayRequest(DateTime.UtcNow, context.Method, context.Target, service, notifyId, fileName, answer));

    private static Task Redirect(HttpExchange context, string location) => context.RedirectAsync(location);

    private static Task WriteAsync(HttpExchange context, int status, string body, string contentType) =>
        context.AnswerAsync(status, body, contentType + "; charset=utf-8");

    private sealed class UploadedFile
    {
        public UploadedFile(PaymentFile file)
        {
            File = file;
        }

        public PaymentFile File { get; }

        public string Email => File.Email;

        public bool Confirmed { get; set; }
    }

    private sealed class PendingConfirm
    {
        public PendingConfirm(string fileName, string email, string returnUrl, string? notifyUrl, SignType signType, BptbCharset charset)
        {
            FileName = fileName;
            Email = email;
            ReturnUrl = returnUrl;
            NotifyUrl = notifyUrl;
            SignType = signType;
            Charset = charset;
        }

        public string FileName { get; }
        public string Email { get; }
        public string ReturnUrl { get; }
        public string? NotifyUrl { get; }
        public SignType SignType { get; }
        public BptbCharset Charset { get; }
    }
}
