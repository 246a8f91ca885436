using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.Mock;

/// <summary>One request the mock gateway received, and what it answered.</summary>
public sealed class MockGatewayRequest
{
    internal MockGatewayRequest(DateTime time, string method, string pathAndQuery, string service, string? notifyId, string answer)
    {
        Time = time;
        Method = method;
        PathAndQuery = pathAndQuery;
        Service = service;
        NotifyId = notifyId;
        Answer = answer;
    }

    public DateTime Time { get; }

    public string Method { get; }

    public string PathAndQuery { get; }

    public string Service { get; }

    public string? NotifyId { get; }

    /// <summary>What was answered: the body, <c>status:NNN</c> or <c>reset</c>.</summary>
    public string Answer { get; }
}

/// <summary>
/// A stand-in for Alipay's gateway on 127.0.0.1, for tests and the demo (there is no sandbox for this
/// interface). It answers <c>service=notify_verify</c> as spec 9 says: <c>true</c> for a notify id it issued
/// for that partner, <c>false</c> otherwise, and can be told to fail on purpose (<see cref="MockFault"/>).
/// </summary>
public sealed class MockGateway : IDisposable
{
    private readonly HttpListener _listener;
    private readonly ConcurrentDictionary<string, string> _notifyIds = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<MockFault> _faults = new();
    private readonly ConcurrentQueue<MockGatewayRequest> _requests = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    private MockGateway(HttpListener listener, int port, string partner)
    {
        _listener = listener;
        Port = port;
        Partner = partner;
        Url = $"http://127.0.0.1:{port}/gateway.do";
        _loop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The partner this gateway knows.</summary>
    public string Partner { get; }

    public int Port { get; }

    /// <summary>The gateway address to give <c>-Gateway</c>.</summary>
    public string Url { get; }

    public bool IsRunning => _listener.IsListening;

    /// <summary>Every request so far, oldest first.</summary>
    public MockGatewayRequest[] Requests => _requests.ToArray();

    /// <summary>Faults still to be served, one per request, before normal answers resume.</summary>
    public MockFault[] PendingFaults => _faults.ToArray();

    /// <summary>Starts on 127.0.0.1, on <paramref name="port"/> or a free port when 0.</summary>
    public static MockGateway Start(string partner, int port = 0)
    {
        for (int attempt = 0; ; attempt++)
        {
            int chosen = port != 0 ? port : FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{chosen}/");
            try
            {
                listener.Start();
                return new MockGateway(listener, chosen, partner);
            }
            catch (HttpListenerException) when (port == 0 && attempt < 5)
            {
                listener.Close(); // the free port was taken meanwhile: pick another
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

    public void Stop()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        _stopping.Cancel();
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (ObjectDisposedException)
        {
        }
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    public void Dispose()
    {
        Stop();
        _stopping.Dispose();
    }

    public override string ToString() => Url;

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                continue;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        HttpListenerRequest request = context.Request;
        string pathAndQuery = request.Url?.PathAndQuery ?? string.Empty;
        ParameterList parameters = ParameterReader.Read(request.Url?.Query ?? string.Empty, BptbCharset.Utf8).Parameters;
        string service = parameters["service"] ?? string.Empty;
        string? notifyId = parameters["notify_id"];
        string answer;
        try
        {
            if (_faults.TryDequeue(out MockFault? fault))
            {
                switch (fault.Kind)
                {
                    case MockFaultKind.Reset:
                        Record(request, pathAndQuery, service, notifyId, "reset");
                        // HttpListener has no way to send a bare RST, and Abort() before writing can still
                        // produce an empty 200: promise a body, send two bytes of it, then drop the connection.
                        context.Response.StatusCode = 200;
                        context.Response.ContentLength64 = 1024;
                        await context.Response.OutputStream.WriteAsync(new byte[] { (byte)'t', (byte)'r' }, 0, 2).ConfigureAwait(false);
                        await context.Response.OutputStream.FlushAsync().ConfigureAwait(false);
                        context.Response.Abort();
                        return;
                    case MockFaultKind.Status:
                        answer = "status:" + fault.Status;
                        Record(request, pathAndQuery, service, notifyId, answer);
                        await WriteAsync(context, fault.Status, "<html><body><h1>" + fault.Status + " Server Error</h1></body></html>", "text/html").ConfigureAwait(false);
                        return;
                    case MockFaultKind.Body:
                        Record(request, pathAndQuery, service, notifyId, fault.Body);
                        await WriteAsync(context, 200, fault.Body, "text/plain").ConfigureAwait(false);
                        return;
                    case MockFaultKind.Delay:
                        await Task.Delay(fault.Delay, _stopping.Token).ConfigureAwait(false);
                        break;
                }
            }
            if (service == "notify_verify")
            {
                bool issued = notifyId != null && _notifyIds.TryGetValue(notifyId, out string? owner)
                    && string.Equals(owner, parameters["partner"], StringComparison.Ordinal);
                answer = issued ? "true" : "false";
                Record(request, pathAndQuery, service, notifyId, answer);
                await WriteAsync(context, 200, answer, "text/plain").ConfigureAwait(false);
                return;
            }
            answer = "ILLEGAL_SERVICE";
            Record(request, pathAndQuery, service, notifyId, answer);
            await WriteAsync(context, 200, answer, "text/plain").ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpListenerException || ex is ObjectDisposedException || ex is OperationCanceledException || ex is InvalidOperationException)
        {
            // the client went away or the gateway is stopping: nothing to answer
        }
    }

    private void Record(HttpListenerRequest request, string pathAndQuery, string service, string? notifyId, string answer) =>
        _requests.Enqueue(new MockGatewayRequest(DateTime.UtcNow, request.HttpMethod, pathAndQuery, service, notifyId, answer));

    private static async Task WriteAsync(HttpListenerContext context, int status, string body, string contentType)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType + "; charset=utf-8";
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes, 0, bytes.Length).ConfigureAwait(false);
        context.Response.Close();
    }

}
