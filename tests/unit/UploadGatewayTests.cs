using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Signing;
using AlipayBptb.Mock;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>Uploads to the local gateway: every answer it gives, and the client's Unknown paths without retries.</summary>
public sealed class UploadGatewayTests : IDisposable
{
    private const string Partner = "2088002464631181";
    private const string Md5Key = "k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";
    private const string Payer = "123@abc.com";
    private static readonly BptbCharset Gbk = BptbCharset.Get("gbk");
    private readonly LocalGateway _gateway;
    private readonly Md5Signer _signer = new(Md5Key);
    private readonly PaymentFileUploadClient _client = new(TimeSpan.FromSeconds(20));

    public UploadGatewayTests()
    {
        _gateway = LocalGateway.Start(new LocalGatewayOptions { Partner = Partner, Md5Key = Md5Key, PaymentPassword = "p", Accounts = new[] { Payer }, TimeFactor = 0.0001 });
    }

    public void Dispose()
    {
        _gateway.Dispose();
        _signer.Dispose();
    }

    private static byte[] PaymentFile(string payer = Payer, int lines = 2, string date = "20261125")
    {
        var sb = new StringBuilder();
        sb.Append("日期,总金额,总笔数,支付宝账号(Email),,,,,,\r\n");
        sb.Append(date).Append(',').Append((0.01m * lines).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)).Append(',').Append(lines).Append(',').Append(payer).Append(",,,,,,\r\n");
        sb.Append("商户流水号,收款银行户名,收款银行账号,收款开户银行,收款银行所在省份,收款银行所在市,收款支行名称,金额,对公对私标志,备注\r\n");
        for (int i = 1; i <= lines; i++)
        {
            sb.Append(i).Append(",王建斌,6225885719900000,招商银行,浙江省,杭州市,招商银行浙江支行,0.01,2,测试\r\n");
        }
        return Gbk.GetBytes(sb.ToString());
    }

    private PaymentFileUploadBuilder Builder(BptbCharset? charset = null, Signer? signer = null, string partner = Partner, DigestType digest = DigestType.MD5) =>
        new(partner, signer ?? _signer, charset ?? Gbk, _gateway.Url, digestType: digest);

    private Task<PaymentFileUploadResult> Send(PaymentFileUploadRequest r) => _client.SendAsync(r, CancellationToken.None);

    [Theory]
    [InlineData("gbk", DigestType.MD5, "付款_批次一.csv")]
    [InlineData("utf-8", DigestType.SHA, "付款_批次二.csv")]
    public async Task An_upload_is_accepted_recorded_and_can_be_confirmed_after_five_minutes(string charset, DigestType digest, string name)
    {
        PaymentFileUploadResult result = await Send(Builder(BptbCharset.Get(charset), digest: digest).Build(name, PaymentFile()));
        Assert.Equal((UploadState.Accepted, (string?)null, 200), (result.State, result.Code, result.HttpStatus));
        Assert.False(_gateway.Files[name]);
        GatewayRequestRecord record = Assert.Single(_gateway.Requests);
        Assert.Equal(("bptb_pay_file_confirm", name, "文件上传成功!"), (record.Service, record.FileName, record.Answer));
        Assert.Equal("/gateway.do?_input_charset=" + charset, record.PathAndQuery);
    }

    [Fact]
    public async Task A_name_seen_before_is_a_repeat_whatever_its_extension()
    {
        Assert.Equal(UploadState.Accepted, (await Send(Builder().Build("batch-1.csv", PaymentFile()))).State);
        PaymentFileUploadResult again = await Send(Builder().Build("batch-1.xls", PaymentFile()));
        Assert.Equal((UploadState.Refused, "FILE_NAME_REPEAT"), (again.State, again.Code));
        Assert.Equal("非常抱歉，您上传的文件名不能相同！", again.Message);
    }

    [Fact]
    public async Task A_wrong_key_is_ILLEGAL_SIGN_and_another_partner_ILLEGAL_PARTNER()
    {
        using var wrong = new Md5Signer("00000000000000000000000000000000");
        Assert.Equal("ILLEGAL_SIGN", (await Send(Builder(signer: wrong).Build("a.csv", PaymentFile()))).Code);
        Assert.Equal("ILLEGAL_PARTNER", (await Send(Builder(partner: "2088000000000000").Build("b.csv", PaymentFile()))).Code);
        Assert.Empty(_gateway.Files);
    }

    [Fact]
    public async Task A_file_changed_after_signing_is_ILLEGAL_DIGEST()
    {
        byte[] file = PaymentFile();
        PaymentFileUploadRequest r = Builder().Build("c.csv", file);
        int at = PaymentFileUploadTests.IndexOf(r.Body, file);
        r.Body[at + file.Length - 3] ^= 0x01; // the last line's remark: signed digest, other bytes
        PaymentFileUploadResult result = await Send(r);
        Assert.Equal((UploadState.Refused, "ILLEGAL_DIGEST"), (result.State, result.Code));
    }

    [Theory]
    [InlineData("SHA1", null, "a.csv", "ILLEGAL_DIGEST_TYPE")]
    [InlineData(null, null, "a.csv", "ILLEGAL_DIGEST_TYPE")]
    [InlineData("MD5", "0000", "a.csv", "ILLEGAL_DIGEST")]
    [InlineData("MD5", null, "a.txt", "FILE_TYPE_ERROR")]
    [InlineData("MD5", null, "", "FILE_NAME_NULL")]
    [InlineData("MD5", null, "D:\\files\\BPTB_20140101_0001.csv", null)]
    public async Task Hand_made_uploads_get_the_spec_s_codes(string? digestType, string? digest, string fileName, string? code)
    {
        byte[] file = PaymentFile();
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["service"] = "bptb_pay_file_confirm",
            ["partner"] = Partner,
            ["_input_charset"] = "gbk",
        };
        if (digestType != null)
        {
            fields["file_digest_type"] = digestType;
            fields["digest_bptb_pay_file"] = digest ?? Md5Hex(file);
        }
        PaymentFileUploadResult result = await SendRaw(fields, fileName, file);
        Assert.Equal(code, result.Code);
        Assert.Equal(code == null ? UploadState.Accepted : UploadState.Refused, result.State);
        if (code == null)
        {
            Assert.True(_gateway.Files.ContainsKey("BPTB_20140101_0001.csv")); // the path's last part is the name
        }
    }

#pragma warning disable CA1850 // the desktop (net48) build of these tests has no MD5.HashData
    private static string Md5Hex(byte[] data)
    {
        using var md5 = MD5.Create();
        return string.Concat(md5.ComputeHash(data).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }
#pragma warning restore CA1850

    // An upload written by hand (a browser's form, as rules 3-1 describe it), signed with python-independent MD5.
    private async Task<PaymentFileUploadResult> SendRaw(SortedDictionary<string, string> fields, string fileName, byte[] file, string query = "?_input_charset=gbk")
    {
        string signString = string.Join("&", fields.Select(f => f.Key + "=" + f.Value));
        fields["sign"] = Md5Hex(Gbk.GetBytes(signString + Md5Key));
        fields["sign_type"] = "MD5";
        var ms = new MemoryStream();
        void W(string s) => ms.Write(Gbk.GetBytes(s));
        foreach (var f in fields)
        {
            W("--XyZ\r\nContent-Disposition: form-data; name=\"" + f.Key + "\"\r\n\r\n" + f.Value + "\r\n");
        }
        W("--XyZ\r\nContent-Disposition: form-data; name=\"bptb_pay_file\"; filename=\"" + fileName + "\"\r\nContent-Type: text/csv\r\n\r\n");
        ms.Write(file);
        W("\r\n--XyZ--\r\n");
        using var http = new HttpClient();
        var content = new ByteArrayContent(ms.ToArray());
        content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=XyZ");
        using HttpResponseMessage response = await http.PostAsync(_gateway.Url + query, content);
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        UploadAnswer a = UploadAnswer.Parse(body, body.Length, response.Content.Headers.ContentType?.CharSet, Gbk);
        PaymentFileUploadRequest stand = Builder().Build("x.csv", file);
        return new PaymentFileUploadResult(stand, a.State, a.Code, a.Message, (int)response.StatusCode, a.Text);
    }

    [Fact]
    public async Task Parameters_in_the_action_are_ILLEGAL_SIGN_and_a_missing_charset_ILLEGAL_CHARSET()
    {
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["service"] = "bptb_pay_file_confirm", ["partner"] = Partner, ["_input_charset"] = "gbk" };
        Assert.Equal("ILLEGAL_SIGN", (await SendRaw(new(fields), "a.csv", PaymentFile(), "?_input_charset=gbk&service=bptb_pay_file_confirm")).Code);
        Assert.Equal("ILLEGAL_CHARSET", (await SendRaw(new(fields), "a.csv", PaymentFile(), string.Empty)).Code);
    }

    [Fact]
    public async Task A_payer_the_gateway_does_not_know_is_PAY_USER_INFO_ERROR_and_a_bad_summary_REQUEST_PARAMS_ERROR()
    {
        Assert.Equal("PAY_USER_INFO_ERROR", (await Send(Builder().Build("d.csv", PaymentFile("nobody@abc.com")))).Code);
        Assert.Equal("REQUEST_PARAMS_ERROR", (await Send(Builder().Build("e.csv", PaymentFile(date: "2026-11-25")))).Code);
        Assert.Equal("FREEZE_DETAIL_LIMIT", (await Send(Builder().Build("f.csv", PaymentFile(lines: 3001)))).Code);
        Assert.Equal("FILE_TYPE_ERROR", (await Send(Builder().Build("g.xls", PaymentFile()))).Code); // CSV text is no Excel 2003 workbook
        Assert.Empty(_gateway.Files);
    }

    [Fact]
    public async Task System_error_is_unknown_the_file_is_stored_and_nothing_is_retried()
    {
        _gateway.AddFault("upload:system-error");
        PaymentFileUploadResult result = await Send(Builder().Build("h.csv", PaymentFile()));
        Assert.Equal((UploadState.Unknown, "SYSTEM_ERROR"), (result.State, result.Code));
        Assert.True(_gateway.Files.ContainsKey("h.csv"));
        Assert.Single(_gateway.Requests);
        // Looking it up is the way on; uploading it again under its name is a repeat, never a second batch.
        Assert.Equal("FILE_NAME_REPEAT", (await Send(Builder().Build("h.csv", PaymentFile()))).Code);
    }

    [Fact]
    public async Task A_reset_after_the_upload_is_unknown_and_not_retried()
    {
        _gateway.AddFault("upload:reset");
        PaymentFileUploadResult result = await Send(Builder().Build("i.csv", PaymentFile()));
        Assert.Equal(UploadState.Unknown, result.State);
        Assert.Null(result.Code);
        Assert.Contains("bptb_file_query", result.Message, StringComparison.Ordinal);
        Assert.True(_gateway.Files.ContainsKey("i.csv"));
        GatewayRequestRecord record = Assert.Single(_gateway.Requests);
        Assert.Equal("reset", record.Answer);
    }

    [Fact]
    public async Task A_timeout_after_sending_is_unknown_and_the_upload_is_sent_once()
    {
        using RawHttpServer server = RawHttpServer.Stalling(string.Empty);
        using var signer = new Md5Signer(Md5Key);
        PaymentFileUploadRequest r = new PaymentFileUploadBuilder(Partner, signer, Gbk, server.Url).Build("j.csv", PaymentFile());
        PaymentFileUploadResult result = await new PaymentFileUploadClient(TimeSpan.FromSeconds(1)).SendAsync(r, CancellationToken.None);
        Assert.Equal((UploadState.Unknown, 0), (result.State, result.HttpStatus));
        Assert.Contains("no answer within 1 s", result.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task A_connection_that_cannot_be_made_is_an_error_saying_nothing_was_sent()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var signer = new Md5Signer(Md5Key);
        PaymentFileUploadRequest r = new PaymentFileUploadBuilder(Partner, signer, Gbk, $"http://127.0.0.1:{port}/gateway.do").Build("k.csv", PaymentFile());
        var ex = await Assert.ThrowsAsync<PaymentFileUploadException>(() => new PaymentFileUploadClient(TimeSpan.FromSeconds(5)).SendAsync(r, CancellationToken.None));
        Assert.Contains("nothing was sent", ex.Message, StringComparison.Ordinal);
        Assert.Equal("k.csv", ex.FileName);
    }

    [Fact]
    public async Task Cancellation_by_the_token_is_cancellation()
    {
        using RawHttpServer server = RawHttpServer.Stalling(string.Empty);
        using var signer = new Md5Signer(Md5Key);
        PaymentFileUploadRequest r = new PaymentFileUploadBuilder(Partner, signer, Gbk, server.Url).Build("l.csv", PaymentFile());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new PaymentFileUploadClient(TimeSpan.FromSeconds(30)).SendAsync(r, cts.Token));
    }

    [Fact]
    public async Task A_gateway_error_page_is_unknown()
    {
        using RawHttpServer server = RawHttpServer.Answering(Encoding.UTF8.GetBytes("<html>Service Unavailable</html>"));
        using var signer = new Md5Signer(Md5Key);
        PaymentFileUploadRequest r = new PaymentFileUploadBuilder(Partner, signer, Gbk, server.Url).Build("m.csv", PaymentFile());
        PaymentFileUploadResult result = await _client.SendAsync(r, CancellationToken.None);
        Assert.Equal(UploadState.Unknown, result.State);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task The_uploaded_file_is_confirmed_and_its_page_shows_the_batch_total_and_count()
    {
        Assert.Equal(UploadState.Accepted, (await Send(Builder().Build("n.csv", PaymentFile(lines: 3)))).State);
        await Task.Delay(100); // 5 minutes × 0.0001
        using var md5 = new Md5Signer(Md5Key);
        ConfirmRequest confirm = new ConfirmRequestBuilder(Partner, Payer, "http://127.0.0.1:9/return", null, BptbCharset.Utf8, md5, _gateway.Url).Build("n.csv");
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        string page = await http.GetStringAsync(confirm.Url);
        Assert.Contains("<span id=\"total-amount\">0.03</span>", page, StringComparison.Ordinal);
        Assert.Contains("<span id=\"total-count\">3</span>", page, StringComparison.Ordinal);
    }
}
