using System;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Mock;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>notify_verify against the loopback mock gateway, started and stopped by each test.</summary>
public sealed class NotifyVerifyClientTests : IDisposable
{
    private const string Partner = "2088002464631181";
    private readonly LocalGateway _gateway = LocalGateway.Start(Partner);

    public void Dispose() => _gateway.Dispose();

    private NotifyVerifyClient Client(int retries = 2, double timeoutSec = 5) =>
        new(_gateway.Url, TimeSpan.FromSeconds(timeoutSec), retries, TimeSpan.FromMilliseconds(10));

    [Fact]
    public async Task An_issued_notify_id_is_verified_and_an_unknown_one_is_not()
    {
        string id = _gateway.IssueNotifyId();
        NotifyVerifyResponse yes = await Client().VerifyAsync(Partner, id, CancellationToken.None);
        NotifyVerifyResponse no = await Client().VerifyAsync(Partner, "forged", CancellationToken.None);
        NotifyVerifyResponse otherPartner = await Client().VerifyAsync("2088000000000009", id, CancellationToken.None);
        Assert.True(yes.Verified);
        Assert.Equal("true", yes.Response);
        Assert.False(no.Verified);
        Assert.Equal("false", no.Response);
        Assert.False(otherPartner.Verified);
        Assert.Contains($"service=notify_verify&partner={Partner}&notify_id={id}", _gateway.Requests[0].PathAndQuery, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("body:false", "false", false)]
    [InlineData("body:True", "True", false)]
    [InlineData("body:true\\nmore", "true\nmore", false)]
    [InlineData("body:<html><body>502 Bad Gateway</body></html>", "<html><body>502 Bad Gateway</body></html>", false)]
    [InlineData("body:true  ", "true", true)]
    [InlineData("body:true\\n", "true", true)]
    [InlineData("body:  true", "  true", false)]
    public async Task Only_true_with_nothing_but_trailing_white_space_is_verified(string fault, string response, bool verified)
    {
        _gateway.AddFault(fault);
        NotifyVerifyResponse r = await Client().VerifyAsync(Partner, _gateway.IssueNotifyId(), CancellationToken.None);
        Assert.Equal(response, r.Response);
        Assert.Equal(verified, r.Verified);
    }

    // Spec 9: the answer is true, or it is not. The body used to be cut at 4,096 characters and then trimmed of any
    // Unicode white space (a BOM was dropped by the reader), so these all read as "true".
    public static TheoryData<string, byte[], bool, string> Bodies => new()
    {
        { "true, 4,092 spaces, false", Encoding.ASCII.GetBytes("true" + new string(' ', 4092) + "false"), false, "true…" },
        { "a BOM before true", new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.ASCII.GetBytes("true")).ToArray(), false, "\\u{FEFF}true" },
        { "U+3000 after true", Encoding.UTF8.GetBytes("true\u3000"), false, "true\\u{3000}" },
        { "a zero-width space after true", Encoding.UTF8.GetBytes("true\u200B"), false, "true\\u{200B}" },
        { "NUL after true", Encoding.ASCII.GetBytes("true\0"), false, "true\\u{0000}" },
        { "true and more than the read bound of spaces", Encoding.ASCII.GetBytes("true" + new string(' ', NotifyVerifyClient.MaxBodyBytes)), false, "true…" },
        { "true and spaces up to the read bound", Encoding.ASCII.GetBytes("true" + new string(' ', NotifyVerifyClient.MaxBodyBytes - 4)), true, "true" },
        { "true, CR LF", Encoding.ASCII.GetBytes("true\r\n"), true, "true" },
        { "true, tab, space, LF", Encoding.ASCII.GetBytes("true\t \n"), true, "true" },
        { "true alone", Encoding.ASCII.GetBytes("true"), true, "true" },
        { "true and 4,000 NULs, shown escaped and still bounded", Encoding.ASCII.GetBytes("true" + new string('\0', 4000)), false, ("true" + string.Concat(Enumerable.Repeat("\\u{0000}", 4000)))[..NotifyVerifyClient.MaxBodyBytes] + "…" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Verified_only_for_true_followed_by_nothing_but_ascii_white_space(string what, byte[] body, bool verified, string response)
    {
        using var server = RawHttpServer.Answering(body);
        var client = new NotifyVerifyClient(server.Url, TimeSpan.FromSeconds(10), 0, TimeSpan.Zero);
        NotifyVerifyResponse r = await client.VerifyAsync(Partner, "id", CancellationToken.None);
        Assert.True(verified == r.Verified, what);
        Assert.Equal(response, r.Response);
        Assert.True(r.Response.Length <= NotifyVerifyClient.MaxBodyBytes + 1, what);
    }

    [Fact]
    public async Task A_body_that_stalls_after_the_headers_is_bounded_by_the_timeout_on_every_attempt()
    {
        // Headers and a Content-Length, then silence: the timeout must cover the body, not only the headers.
        using var server = RawHttpServer.Stalling("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\ntr");
        var client = new NotifyVerifyClient(server.Url, TimeSpan.FromSeconds(1), 1, TimeSpan.Zero);
        var watch = Stopwatch.StartNew();
        Task<NotifyVerifyResponse> verify = client.VerifyAsync(Partner, "stalled-id", CancellationToken.None);
        Task first = await Task.WhenAny(verify, Task.Delay(TimeSpan.FromSeconds(20)));
        Assert.True(first == verify, $"still waiting after {watch.Elapsed}");
        var ex = await Assert.ThrowsAsync<NotifyVerifyException>(() => verify);
        watch.Stop();
        Assert.Equal(2, ex.Attempts);
        Assert.True(ex.Retryable);
        Assert.Contains("no answer within 1 s", ex.Message, StringComparison.Ordinal);
        Assert.Contains("stalled-id", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.Connections);
        // TimeoutSec * (retries + 1) and a margin for a busy machine.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1 * 2 + 2), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_body_that_stalls_before_its_first_byte_is_bounded_too()
    {
        using var server = RawHttpServer.Stalling("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n");
        var client = new NotifyVerifyClient(server.Url, TimeSpan.FromSeconds(1), 0, TimeSpan.Zero);
        var watch = Stopwatch.StartNew();
        Task<NotifyVerifyResponse> verify = client.VerifyAsync(Partner, "id", CancellationToken.None);
        Assert.True(await Task.WhenAny(verify, Task.Delay(TimeSpan.FromSeconds(20))) == verify, $"still waiting after {watch.Elapsed}");
        var ex = await Assert.ThrowsAsync<NotifyVerifyException>(() => verify);
        Assert.Equal(1, ex.Attempts);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1 + 2), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Cancelling_during_a_stalled_body_stops_at_once()
    {
        using var server = RawHttpServer.Stalling("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nt");
        var client = new NotifyVerifyClient(server.Url, TimeSpan.FromSeconds(30), 0, TimeSpan.Zero);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();
        Task<NotifyVerifyResponse> verify = client.VerifyAsync(Partner, "id", cts.Token);
        Assert.True(await Task.WhenAny(verify, Task.Delay(TimeSpan.FromSeconds(20))) == verify, $"still waiting after {watch.Elapsed}");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => verify);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Server_errors_are_retried_as_asked()
    {
        _gateway.AddFault("status:500");
        _gateway.AddFault("status:503");
        NotifyVerifyResponse r = await Client(retries: 2).VerifyAsync(Partner, _gateway.IssueNotifyId(), CancellationToken.None);
        Assert.True(r.Verified);
        Assert.Equal(3, r.Attempts);
        Assert.Equal(3, _gateway.Requests.Length);
    }

    [Fact]
    public async Task Errors_that_outlast_the_retries_name_the_notify_id()
    {
        for (int i = 0; i < 3; i++)
        {
            _gateway.AddFault("status:500");
        }
        string id = _gateway.IssueNotifyId();
        var ex = await Assert.ThrowsAsync<NotifyVerifyException>(() => Client(retries: 2).VerifyAsync(Partner, id, CancellationToken.None));
        Assert.Equal(id, ex.NotifyId);
        Assert.Equal(3, ex.Attempts);
        Assert.Contains(id, ex.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 500", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reset_connection_is_retried_then_reported()
    {
        _gateway.AddFault("reset");
        Assert.True((await Client(retries: 1).VerifyAsync(Partner, _gateway.IssueNotifyId(), CancellationToken.None)).Verified);
        _gateway.AddFault("reset");
        _gateway.AddFault("reset");
        var ex = await Assert.ThrowsAsync<NotifyVerifyException>(() => Client(retries: 1).VerifyAsync(Partner, "x1", CancellationToken.None));
        Assert.Equal(2, ex.Attempts);
        Assert.True(ex.Retryable, ex.Message);
    }

    [Fact]
    public async Task A_server_slower_than_the_timeout_is_retried_then_reported()
    {
        _gateway.AddFault("delay:3");
        _gateway.AddFault("delay:3");
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<NotifyVerifyException>(() => Client(retries: 1, timeoutSec: 0.5).VerifyAsync(Partner, "slow-id", CancellationToken.None));
        Assert.Contains("no answer within 0.5 s", ex.Message, StringComparison.Ordinal);
        Assert.Contains("slow-id", ex.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2.5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_not_found_is_not_retried()
    {
        var client = new NotifyVerifyClient($"http://127.0.0.1:{_gateway.Port}/wrong.do", TimeSpan.FromSeconds(5), 3, TimeSpan.Zero);
        _gateway.AddFault("status:404");
        var ex = await Assert.ThrowsAsync<NotifyVerifyException>(() => client.VerifyAsync(Partner, "id", CancellationToken.None));
        Assert.Equal(1, ex.Attempts);
        Assert.False(ex.Retryable);
    }

    [Fact]
    public void Values_are_percent_encoded_once()
    {
        Uri uri = Client().BuildUri(Partner, "RqPnCoPT3K9/vwbh3I+FioE=");
        Assert.EndsWith("notify_id=RqPnCoPT3K9%2Fvwbh3I%2BFioE%3D", uri.AbsoluteUri, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://mapi.alipay.com/gateway.do")]
    [InlineData("http://10.0.0.1/gateway.do")]
    [InlineData("gateway.do")]
    public void Plain_http_is_refused_unless_loopback(string gateway)
    {
        Assert.Throws<ArgumentException>(() => new NotifyVerifyClient(gateway, TimeSpan.FromSeconds(1), 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task Cancellation_stops_in_flight_requests()
    {
        _gateway.AddFault("delay:5");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client(timeoutSec: 30).VerifyAsync(Partner, "id", cts.Token));
    }
}
