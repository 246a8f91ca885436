using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Mock;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>notify_verify against the loopback mock gateway, started and stopped by each test.</summary>
public sealed class NotifyVerifyClientTests : IDisposable
{
    private const string Partner = "2088002464631181";
    private readonly MockGateway _gateway = MockGateway.Start(Partner);

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
    [InlineData("body:false", "false")]
    [InlineData("body:True", "True")]
    [InlineData("body:true\\nmore", "true\nmore")]
    [InlineData("body:<html><body>502 Bad Gateway</body></html>", "<html><body>502 Bad Gateway</body></html>")]
    [InlineData("body:  true  ", "true")]
    public async Task Only_exactly_true_trimmed_is_verified(string fault, string response)
    {
        _gateway.AddFault(fault);
        NotifyVerifyResponse r = await Client().VerifyAsync(Partner, _gateway.IssueNotifyId(), CancellationToken.None);
        Assert.Equal(response, r.Response);
        Assert.Equal(response == "true", r.Verified);
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
