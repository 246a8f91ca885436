using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Receiver;
using AlipayBptb.Core.Signing;
using AlipayBptb.Mock;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>The whole confirm loop on loopback: the mock gateway, the payer's browser, the merchant's receiver.</summary>
public sealed class LocalGatewayTests : IDisposable
{
    private const string Partner = "2088002464631181";
    private const string Md5Key = "k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";
    private const string Password = "pay-123456";
    private const string Payer = "123@abc.com";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bptb-gw-" + Guid.NewGuid().ToString("N"));
    private readonly LocalGateway _gateway;
    private readonly List<NotifyReceiver> _receivers = new();

    public LocalGatewayTests()
    {
        Directory.CreateDirectory(_dir);
        // 2 minutes become 60 ms, 10 minutes 300 ms: the schedule's shape, in test time.
        _gateway = LocalGateway.Start(new LocalGatewayOptions { Partner = Partner, Md5Key = Md5Key, PaymentPassword = Password, TimeFactor = 0.0005, Balance = 1000m });
    }

    public void Dispose()
    {
        _gateway.Dispose();
        foreach (NotifyReceiver r in _receivers)
        {
            r.Dispose();
        }
        Directory.Delete(_dir, true);
    }

    private string LogPath => Path.Combine(_dir, "callbacks.log");

    private NotifyReceiver StartReceiver(string prefix = "http://127.0.0.1:0/alipay/", NotificationVerifier? verifier = null)
    {
        verifier ??= new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        NotifyReceiver r = NotifyReceiver.Start(prefix, LogPath, verifier);
        _receivers.Add(r);
        return r;
    }

    private static byte[] UploadedPaymentFile(int lines, decimal amount = 0.01m, string account = "6225885719900000")
    {
        var sb = new StringBuilder();
        sb.Append("日期,总金额,总笔数,支付宝账号(Email),,,,,,\r\n");
        sb.Append("20261125,").Append((amount * lines).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)).Append(',').Append(lines).Append(',').Append(Payer).Append(",,,,,,\r\n");
        sb.Append("商户流水号,收款银行户名,收款银行账号,收款卡户银行,收款银行所在省份,收款银行所在市,收款支行名称,金额,对公对私标志,备注\r\n");
        for (int i = 1; i <= lines; i++)
        {
            sb.Append(i).Append(",王建斌,").Append(account).Append(",招商银行,浙江省,杭州市,招商银行浙江支行,")
              .Append(amount.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)).Append(",2,测试\r\n");
        }
        return BptbCharset.Get("gbk").GetBytes(sb.ToString());
    }

    private ConfirmRequest Request(NotifyReceiver receiver, string fileName, string email = Payer, string key = Md5Key)
    {
        using var signer = new Md5Signer(key);
        var builder = new ConfirmRequestBuilder(Partner, email, receiver.Url + "return", receiver.Url + "notify", BptbCharset.Utf8, signer, _gateway.Url);
        return builder.Build(fileName);
    }

    private string[] NotifyLines() => File.ReadAllLines(LogPath).Where(l => l.Contains("\tPOST\t", StringComparison.Ordinal)).ToArray();

    [Fact]
    public async Task The_spec_sample_file_is_confirmed_returned_and_notified()
    {
        NotifyReceiver receiver = StartReceiver();
        UploadedPaymentFile file = _gateway.AddPaymentFile(Path.Combine(Vectors.Dir, "sample-payment-file-gbk.csv"), "20111123-001.csv", uploadedAt: DateTime.UtcNow - _gateway.ConfirmDelay);
        Assert.Equal(2, file.Details.Count);
        Assert.Equal("王建斌", file.Details[0].Name);
        Assert.Equal(0.02m, file.TotalAmount);

        MockConfirmation c = await ScriptedPayer.ConfirmAsync(Request(receiver, file.FileName).Url, Password);
        Assert.True(c.IsSuccess);
        Assert.Equal("USER_CONFIRM_SUCC", c.ResultCode);
        Assert.Equal(200, c.ReturnStatus);
        Assert.True(_gateway.WaitForDeliveries(TimeSpan.FromSeconds(10)));

        NotificationDelivery d = Assert.Single(_gateway.Deliveries);
        Assert.True(d.Accepted);
        Assert.Equal("bptb_result_notify", d.NotifyType);
        string[] lines = File.ReadAllLines(LogPath);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Equal("valid;charset=utf-8", l.Split('\t')[3]));
        var verifier = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, Partner, BptbCharset.Utf8);
        NotificationResult notify = verifier.Verify(NotifyLines()[0], out _)!;
        Assert.True(notify.IsValid, notify.Reason);
        Assert.Equal(d.NotifyId, notify.NotifyId);
        Assert.Equal("bptb_result_file", notify.Flag);
    }

    [Fact]
    public async Task Non_success_answers_are_retried_until_success_same_notify_id_all_logged()
    {
        NotifyReceiver receiver = StartReceiver();
        _gateway.AddPaymentFile("f1.csv", UploadedPaymentFile(3), uploadedAt: DateTime.UtcNow - _gateway.ConfirmDelay);
        // Returns come by GET, notifications by POST; fail the two POSTs that follow the confirmation.
        receiver.FailNext(3); // the return (GET) and the first two notifications fail
        MockConfirmation c = await ScriptedPayer.ConfirmAsync(Request(receiver, "f1.csv").Url, Password);
        Assert.True(c.IsSuccess);
        Assert.True(_gateway.WaitForDeliveries(TimeSpan.FromSeconds(10)));

        NotificationDelivery[] deliveries = _gateway.Deliveries;
        Assert.Equal(3, deliveries.Length);
        Assert.Single(deliveries.Select(d => d.NotifyId).Distinct());
        Assert.Equal(new[] { false, false, true }, deliveries.Select(d => d.Accepted).ToArray());
        Assert.Equal(new[] { 500, 500, 200 }, deliveries.Select(d => d.Status).ToArray());
        string[] logged = NotifyLines();
        Assert.Equal(3, logged.Length);
        Assert.All(logged, l => Assert.Contains("notify_id=" + deliveries[0].NotifyId, l, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("EFBBBF73756363657373")] // a byte order mark, then success
    [InlineData("FFFE73007500630063006500730073000000")] // success in UTF-16, with its byte order mark
    [InlineData("737563636573730A")] // success and a newline
    [InlineData("53554343455353")] // SUCCESS
    public async Task Only_exactly_the_seven_bytes_of_success_end_the_deliveries(string answerHex)
    {
        // Spec 7.2 (7): any other answer than the 7 characters "success" and Alipay sends again.
        using RawHttpServer notifyUrl = RawHttpServer.Answering(Enumerable.Range(0, answerHex.Length / 2)
            .Select(i => Convert.ToByte(answerHex.Substring(i * 2, 2), 16)).ToArray());
        NotifyReceiver receiver = StartReceiver();
        _gateway.AddPaymentFile("exact.csv", UploadedPaymentFile(1), uploadedAt: DateTime.UtcNow - _gateway.ConfirmDelay);
        using var signer = new Md5Signer(Md5Key);
        ConfirmRequest request = new ConfirmRequestBuilder(Partner, Payer, receiver.Url + "return", $"http://127.0.0.1:{notifyUrl.Port}/notify",
            BptbCharset.Utf8, signer, _gateway.Url).Build("exact.csv");
        Assert.True((await ScriptedPayer.ConfirmAsync(request.Url, Password)).IsSuccess);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (_gateway.Deliveries.Length < 2 && waited.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(50);
        }
        NotificationDelivery[] deliveries = _gateway.Deliveries;
        Assert.True(deliveries.Length >= 2, $"the notification is sent again: {deliveries.Length} deliveries, {string.Join(" / ", deliveries.Select(d => d.Status + " " + d.Response))}, {notifyUrl.Connections} connections");
        Assert.All(deliveries, d => Assert.False(d.Accepted));
        Assert.Single(deliveries.Select(d => d.NotifyId).Distinct());
    }

    [Fact]
    public async Task A_receiver_stopped_mid_run_loses_nothing_it_answered_success_for()
    {
        NotifyReceiver receiver = StartReceiver();
        string prefix = receiver.Url;
        for (int i = 0; i < 10; i++)
        {
            _gateway.AddPaymentFile($"r{i}.csv", UploadedPaymentFile(1), uploadedAt: DateTime.UtcNow - _gateway.ConfirmDelay);
        }
        for (int i = 0; i < 5; i++)
        {
            Assert.True((await ScriptedPayer.ConfirmAsync(Request(receiver, $"r{i}.csv").Url, Password)).IsSuccess);
        }
        receiver.Stop();
        for (int i = 5; i < 10; i++)
        {
            // The payer gets back to a dead return_url; the notification is refused and retried.
            Assert.True((await ScriptedPayer.ConfirmAsync(Request(receiver, $"r{i}.csv").Url, Password)).IsSuccess);
        }
        await Task.Delay(200);
        StartReceiver(prefix);
        Assert.True(_gateway.WaitForDeliveries(TimeSpan.FromSeconds(15)));

        NotificationDelivery[] deliveries = _gateway.Deliveries;
        string[] accepted = deliveries.Where(d => d.Accepted).Select(d => d.NotifyId).ToArray();
        Assert.Equal(10, accepted.Length);
        Assert.Equal(10, accepted.Distinct().Count());
        Assert.Contains(deliveries, d => !d.Accepted && d.Status == 0); // some were refused while it was down
        string log = File.ReadAllText(LogPath);
        foreach (string id in accepted)
        {
            Assert.Contains("notify_id=" + id, log, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Two_hundred_parallel_confirmations_each_confirm_once_and_notify_once()
    {
        NotifyReceiver receiver = StartReceiver();
        const int count = 200;
        for (int i = 0; i < count; i++)
        {
            _gateway.AddPaymentFile($"p{i:D3}.csv", UploadedPaymentFile(2), uploadedAt: DateTime.UtcNow - _gateway.ConfirmDelay);
        }
        string[] urls = Enumerable.Range(0, count).Select(i => Request(receiver, $"p{i:D3}.csv").Url).ToArray();
        using var gate = new SemaphoreSlim(32);
        MockConfirmation[] results = await Task.WhenAll(urls.Select(async url =>
        {
            await gate.WaitAsync();
            try
            {
                return await ScriptedPayer.ConfirmAsync(url, Password);
            }
            finally
            {
                gate.Release();
            }
        }));
        Assert.All(results, r => Assert.True(r.IsSuccess, r.ResultCode));
        Assert.All(_gateway.Files.Values, Assert.True);
        Assert.True(_gateway.WaitForDeliveries(TimeSpan.FromSeconds(30)));

        NotificationDelivery[] accepted = _gateway.Deliveries.Where(d => d.Accepted).ToArray();
        Assert.Equal(count, accepted.Length);
        Assert.Equal(count, accepted.Select(d => d.NotifyId).Distinct().Count());
        Assert.Equal(count, accepted.Select(d => d.FileName).Distinct().Count());
        string[] notifies = NotifyLines();
        Assert.Equal(_gateway.Deliveries.Length, notifies.Length);
        Assert.Equal(count, notifies.Select(l => l.Split('\t')[5]).Distinct().Count());

        // A second confirmation of any of them is refused: the batch was confirmed already.
        MockConfirmation again = await ScriptedPayer.ConfirmAsync(urls[17], Password);
        Assert.False(again.IsSuccess);
        Assert.Equal("USER_CONFIRM_SUCC", again.ResultCode);
    }

    [Fact]
    public async Task The_gateway_answers_with_the_spec_codes()
    {
        NotifyReceiver receiver = StartReceiver();
        _gateway.AddPaymentFile("ok.csv", UploadedPaymentFile(1), uploadedAt: DateTime.UtcNow - _gateway.ConfirmDelay);
        _gateway.AddPaymentFile("bad.csv", UploadedPaymentFile(2, account: "not-digits!"), uploadedAt: DateTime.UtcNow - _gateway.ConfirmDelay);
        string ok = Request(receiver, "ok.csv").Url;

        Assert.Equal("ILLEGAL_SIGN", (await ScriptedPayer.ConfirmAsync(ok.Replace("file_name=ok.csv", "file_name=ok2.csv"), Password)).ResultCode);
        Assert.Equal("ILLEGAL_SIGN", (await ScriptedPayer.ConfirmAsync(Request(receiver, "ok.csv", key: "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz").Url, Password)).ResultCode);
        Assert.Equal("ILLEGAL_CHARSET", (await ScriptedPayer.ConfirmAsync(ok.Replace("_input_charset=utf-8", "_input_charset=latin1"), Password)).ResultCode);
        Assert.Equal("ILLEGAL_SIGN_TYPE", (await ScriptedPayer.ConfirmAsync(ok.Replace("sign_type=MD5", "sign_type=SHA"), Password)).ResultCode);
        Assert.Equal("ILLEGAL_SECURITY_PROFILE", (await ScriptedPayer.ConfirmAsync(ok.Replace("sign_type=MD5", "sign_type=RSA"), Password)).ResultCode);
        Assert.Equal("ILLEGAL_SERVICE", (await ScriptedPayer.ConfirmAsync(ok.Replace("service=bptb_user_confirm", "service=bptb_nope"), Password)).ResultCode);

        MockConfirmation missing = await ScriptedPayer.ConfirmAsync(Request(receiver, "nope.csv").Url, Password);
        Assert.Equal(("FILE_NOT_EXIST", (bool?)false), (missing.ResultCode, missing.IsSuccess));
        Assert.Equal("USER_NOT_EXIST", (await ScriptedPayer.ConfirmAsync(Request(receiver, "ok.csv", email: "other@abc.com").Url, Password)).ResultCode);
        Assert.Equal("DETAIL_VALIDATED_FAIL", (await ScriptedPayer.ConfirmAsync(Request(receiver, "bad.csv").Url, Password)).ResultCode);
        MockConfirmation wrong = await ScriptedPayer.ConfirmAsync(ok, "wrong password");
        Assert.Equal(("USER_PASS_ERROR", (bool?)null), (wrong.ResultCode, wrong.IsSuccess));
        Assert.False(_gateway.Files["ok.csv"]);
        Assert.True((await ScriptedPayer.ConfirmAsync(ok, Password)).IsSuccess);
        Assert.Equal("USER_CONFIRM_SUCC", (await ScriptedPayer.ConfirmAsync(ok, Password)).ResultCode);
    }

    [Fact]
    public async Task A_short_balance_sends_the_unfreeze_notification()
    {
        NotifyReceiver receiver = StartReceiver();
        _gateway.AddPaymentFile("big.csv", UploadedPaymentFile(2, amount: 600m), uploadedAt: DateTime.UtcNow - _gateway.ConfirmDelay);
        Assert.True((await ScriptedPayer.ConfirmAsync(Request(receiver, "big.csv").Url, Password)).IsSuccess);
        Assert.True(_gateway.WaitForDeliveries(TimeSpan.FromSeconds(10)));
        Assert.Equal("bptb_unfreeze_notify", Assert.Single(_gateway.Deliveries).NotifyType);
        Assert.Contains("flag=bptb_unfreeze_file", NotifyLines()[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rsa_requests_get_answers_signed_with_alipays_key()
    {
        using var gateway = LocalGateway.Start(new LocalGatewayOptions { Partner = Partner, MerchantPublicKey = Vectors.Text("rsa2048.pub.pem"), PaymentPassword = Password, TimeFactor = 0.0005 });
        // The receiver checks with Alipay's key: one with another key would refuse every notification.
        NotifyReceiver receiver = StartReceiver(verifier: new NotificationVerifier(new[] { KeyLoader.LoadPublicKey(gateway.AlipayPublicKey, "alipay") }, null, Partner, BptbCharset.Get("gbk")));
        gateway.AddPaymentFile("rsa.csv", UploadedPaymentFile(1), uploadedAt: DateTime.UtcNow - gateway.ConfirmDelay);
        using Signer merchant = KeyLoader.LoadPrivateKey(Vectors.Text("rsa2048.pk8.pem"), "test");
        string url = new ConfirmRequestBuilder(Partner, Payer, receiver.Url + "return", receiver.Url + "notify", BptbCharset.Get("gbk"), merchant, gateway.Url).Build("rsa.csv").Url;
        MockConfirmation c = await ScriptedPayer.ConfirmAsync(url, Password);
        Assert.True(c.IsSuccess, c.ResultCode);
        Assert.True(gateway.WaitForDeliveries(TimeSpan.FromSeconds(10)));
        var verifier = new NotificationVerifier(new[] { KeyLoader.LoadPublicKey(gateway.AlipayPublicKey, "alipay") }, null, Partner, BptbCharset.Get("gbk"));
        Assert.True(verifier.Verify(c.ReturnUrl!, out _)!.IsValid);
        Assert.True(verifier.Verify(NotifyLines()[0], out _)!.IsValid);
    }

    [Fact]
    public async Task An_oversized_body_is_logged_but_never_answered_success()
    {
        NotifyReceiver receiver = StartReceiver();
        using var http = new HttpClient();
        using HttpResponseMessage answer = await http.PostAsync(receiver.Url + "notify", new StringContent("a=" + new string('x', NotifyReceiver.MaxBodyBytes), Encoding.ASCII, "application/x-www-form-urlencoded"));
        Assert.Equal(413, (int)answer.StatusCode);
        string line = Assert.Single(File.ReadAllLines(LogPath));
        Assert.StartsWith("unreadable:the body is larger", line.Split('\t')[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_receiver_checks_the_whole_body_as_the_merchant_reads_it()
    {
        NotifyReceiver receiver = StartReceiver();
        _gateway.AddPaymentFile("s.csv", UploadedPaymentFile(1), uploadedAt: DateTime.UtcNow - _gateway.ConfirmDelay);
        Assert.True((await ScriptedPayer.ConfirmAsync(Request(receiver, "s.csv").Url, Password)).IsSuccess);
        Assert.True(_gateway.WaitForDeliveries(TimeSpan.FromSeconds(10)));
        string genuine = NotifyLines()[0].Split('\t')[5];
        using var http = new HttpClient();
        using HttpResponseMessage smuggled = await http.PostAsync(receiver.Url + "notify", new StringContent("file_name=evil.csv&x=?" + genuine, Encoding.ASCII, "application/x-www-form-urlencoded"));
        string[] lines = NotifyLines();
        Assert.Equal("valid;charset=utf-8", lines[0].Split('\t')[3]);
        Assert.StartsWith("invalid:", lines[1].Split('\t')[3], StringComparison.Ordinal);
        var verifier = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        Assert.False(verifier.Verify(lines[1], out _)!.IsValid); // reading the log agrees with the live check
    }

    [Fact]
    public async Task The_receiver_logs_forged_and_binary_posts_one_line_each_and_never_answers_them_success()
    {
        NotifyReceiver receiver = StartReceiver();
        using var http = new HttpClient();
        using HttpResponseMessage forged = await http.PostAsync(receiver.Url + "notify", new StringContent("notify_id=x&sign_type=MD5&sign=00000000000000000000000000000000&file_name=a.csv", Encoding.ASCII, "application/x-www-form-urlencoded"));
        using HttpResponseMessage binary = await http.PostAsync(receiver.Url + "notify", new ByteArrayContent(new byte[] { 0, 1, 2, (byte)'\n', (byte)'\t', 0xC8, 0xFF }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.NotEqual("success", await forged.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, binary.StatusCode);
        Assert.NotEqual("success", await binary.Content.ReadAsStringAsync());
        string[] lines = File.ReadAllLines(LogPath);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("invalid:", lines[0].Split('\t')[3], StringComparison.Ordinal);
        Assert.Equal("%00%01%02%0A%09%C8%FF", lines[1].Split('\t')[5]);
        Assert.Equal(6, lines[1].Split('\t').Length);
    }

    [Fact]
    public async Task A_confirmation_too_soon_after_the_upload_or_after_15_days_finds_no_file()
    {
        NotifyReceiver receiver = StartReceiver();
        // TimeFactor 0.0005: 5 minutes are 150 ms, 15 days 648 s.
        _gateway.AddPaymentFile("early.csv", UploadedPaymentFile(1));
        MockConfirmation early = await ScriptedPayer.ConfirmAsync(Request(receiver, "early.csv").Url, Password);
        Assert.Equal("FILE_NOT_EXIST", early.ResultCode);
        Assert.False(early.IsSuccess);
        await Task.Delay(_gateway.ConfirmDelay + TimeSpan.FromMilliseconds(50));
        Assert.Equal("USER_CONFIRM_SUCC", (await ScriptedPayer.ConfirmAsync(Request(receiver, "early.csv").Url, Password)).ResultCode);

        _gateway.AddPaymentFile("old.csv", UploadedPaymentFile(1), uploadedAt: DateTime.UtcNow - TimeSpan.FromSeconds(700));
        Assert.Equal("FILE_NOT_EXIST", (await ScriptedPayer.ConfirmAsync(Request(receiver, "old.csv").Url, Password)).ResultCode);
    }

    [Fact]
    public async Task An_email_that_is_no_alipay_account_is_user_not_exist_and_another_payers_is_account_not_consistent()
    {
        NotifyReceiver receiver = StartReceiver();
        _gateway.AddPaymentFile("mine.csv", UploadedPaymentFile(1), uploadedAt: DateTime.UtcNow - _gateway.ConfirmDelay);
        _gateway.AddPaymentFile("theirs.csv", UploadedPaymentFile(1), email: "other@abc.com", uploadedAt: DateTime.UtcNow - _gateway.ConfirmDelay);
        Assert.Equal("USER_NOT_EXIST", (await ScriptedPayer.ConfirmAsync(Request(receiver, "mine.csv", email: "nobody@abc.com").Url, Password)).ResultCode);
        Assert.Equal("ACCOUNT_NOT_CONSISTENT", (await ScriptedPayer.ConfirmAsync(Request(receiver, "mine.csv", email: "other@abc.com").Url, Password)).ResultCode);
    }

    [Fact]
    public async Task A_batch_short_of_balance_waits_and_is_processed_after_a_top_up()
    {
        NotifyReceiver receiver = StartReceiver();
        _gateway.AddPaymentFile("big.csv", UploadedPaymentFile(2, amount: 600m), uploadedAt: DateTime.UtcNow - _gateway.ConfirmDelay);
        Assert.True((await ScriptedPayer.ConfirmAsync(Request(receiver, "big.csv").Url, Password)).IsSuccess);
        Assert.True(_gateway.WaitForDeliveries(TimeSpan.FromSeconds(10)));
        Assert.Equal("bptb_unfreeze_notify", Assert.Single(_gateway.Deliveries).NotifyType);
        Assert.Equal(new[] { "big.csv" }, _gateway.WaitingFiles);
        _gateway.TopUp(300m);
        Assert.True(_gateway.WaitForDeliveries(TimeSpan.FromSeconds(10)));
        Assert.Equal(new[] { "bptb_unfreeze_notify", "bptb_result_notify" }, _gateway.Deliveries.Select(d => d.NotifyType).ToArray());
        Assert.Empty(_gateway.WaitingFiles);
        Assert.Equal(100m, _gateway.Balance);
    }

    [Fact]
    public async Task A_confirm_request_posted_as_a_multipart_form_to_the_charset_action_is_accepted()
    {
        NotifyReceiver receiver = StartReceiver();
        _gateway.AddPaymentFile("form.csv", UploadedPaymentFile(1), uploadedAt: DateTime.UtcNow - _gateway.ConfirmDelay);
        ConfirmRequest request = Request(receiver, "form.csv");
        using var form = new MultipartFormDataContent();
        foreach (System.Collections.DictionaryEntry e in request.Parameters)
        {
            var field = new StringContent((string)e.Value!, Encoding.UTF8);
            field.Headers.ContentType = null;
            form.Add(field, (string)e.Key);
        }
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using HttpResponseMessage page = await http.PostAsync(_gateway.Url + "?_input_charset=utf-8", form);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Equal(200, (int)page.StatusCode);
        Assert.DoesNotContain("error-code", html, StringComparison.Ordinal);
        Assert.Contains("form.csv", html, StringComparison.Ordinal);
        Assert.Equal("page", _gateway.Requests.Last().Answer);
    }

    [Theory]
    [InlineData("utf-8", true)]
    [InlineData("UTF-8", true)]
    [InlineData("gbk", false)]
    public async Task A_confirm_request_posted_as_a_urlencoded_form_to_the_charset_action_is_accepted_when_both_name_the_same_charset(string inAction, bool accepted)
    {
        // Alipay's SDKs post the form to gateway.do?_input_charset=… with _input_charset in the form too.
        NotifyReceiver receiver = StartReceiver();
        _gateway.AddPaymentFile("urlform.csv", UploadedPaymentFile(1), uploadedAt: DateTime.UtcNow - _gateway.ConfirmDelay);
        ConfirmRequest request = Request(receiver, "urlform.csv");
        var fields = new List<KeyValuePair<string, string>>();
        foreach (System.Collections.DictionaryEntry e in request.Parameters)
        {
            fields.Add(new KeyValuePair<string, string>((string)e.Key, (string)e.Value!));
        }
        Assert.Contains(fields, f => f.Key == "_input_charset" && f.Value == "utf-8");
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        using HttpResponseMessage page = await http.PostAsync(_gateway.Url + "?_input_charset=" + inAction, new FormUrlEncodedContent(fields));
        string html = await page.Content.ReadAsStringAsync();
        if (accepted)
        {
            Assert.DoesNotContain("error-code", html, StringComparison.Ordinal);
            Assert.Contains("urlform.csv", html, StringComparison.Ordinal);
            Assert.Equal("page", _gateway.Requests.Last().Answer);
        }
        else
        {
            Assert.Contains("error-code", html, StringComparison.Ordinal); // two different charsets: ambiguous
        }
    }
}
