using System;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace AlipayBptb.Core.Gateway;

/// <summary>
/// The HTTP listening that the mock gateway and the notify receiver share: start on a prefix (port 0
/// picks a free port), hand each request to a handler on the thread pool, answer text, stop cleanly.
/// </summary>
internal sealed class LoopbackHttpHost : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<HttpListenerContext, Task> _handle;
    private readonly CancellationTokenSource _stopping = new();
    // At most this many requests in hand at once; more wait in the listener's queue, so a flood cannot
    // take every thread and all memory.
    private const int MaxInFlight = 64;
    private readonly SemaphoreSlim _inFlight = new(MaxInFlight);
    private readonly TaskCompletionSource<bool> _noMoreAccepts = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;

    private LoopbackHttpHost(HttpListener listener, string prefix, Func<HttpListenerContext, Task> handle)
    {
        _listener = listener;
        Prefix = prefix;
        _handle = handle;
        _loop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The prefix listened on, with the port that was chosen.</summary>
    public string Prefix { get; }

    public int Port => new Uri(Prefix.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1")).Port;

    public bool IsListening => _listener.IsListening;

    /// <summary>Cancelled when the host stops: handlers waiting on it end.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Starts listening on <paramref name="prefix"/> (ending in '/'); port 0 picks a free port, retrying if it is taken meanwhile.</summary>
    public static LoopbackHttpHost Start(string prefix, Func<HttpListenerContext, Task> handle)
    {
        bool freePort = PortOf(prefix) == 0;
        for (int attempt = 0; ; attempt++)
        {
            string actual = freePort ? WithPort(prefix, FreePort()) : prefix;
            var listener = new HttpListener();
            listener.Prefixes.Add(actual);
            try
            {
                listener.Start();
                return new LoopbackHttpHost(listener, actual, handle);
            }
            catch (HttpListenerException) when (freePort && attempt < 5)
            {
                listener.Close();
            }
            catch
            {
                listener.Close();
                throw;
            }
        }
    }

    /// <summary>Answers with a text body and closes the response.</summary>
    public static async Task AnswerAsync(HttpListenerContext context, int status, string text, string contentType)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes, 0, bytes.Length).ConfigureAwait(false);
        context.Response.Close();
    }

    /// <summary>
    /// Stops accepting requests, waits (at most <paramref name="drain"/>) for those in hand to be answered,
    /// then stops: a graceful stop for a service manager's SIGTERM.
    /// </summary>
    public void Stop(TimeSpan drain)
    {
        _noMoreAccepts.TrySetResult(true);
        if (drain > TimeSpan.Zero && !_stopping.IsCancellationRequested)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                while (_inFlight.CurrentCount < MaxInFlight && clock.Elapsed < drain)
                {
                    Thread.Sleep(10);
                }
            }
            catch (ObjectDisposedException)
            {
            }
        }
        Stop();
    }

    public void Stop()
    {
        _noMoreAccepts.TrySetResult(true);
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
        _inFlight.Dispose();
    }

    private static int PortOf(string prefix)
    {
        int hostStart = prefix.IndexOf("://", StringComparison.Ordinal) + 3;
        int colon = prefix.IndexOf(':', hostStart);
        int slash = prefix.IndexOf('/', hostStart);
        return colon < 0 || colon > slash ? 80 : int.Parse(prefix.Substring(colon + 1, slash - colon - 1), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string WithPort(string prefix, int port)
    {
        int hostStart = prefix.IndexOf("://", StringComparison.Ordinal) + 3;
        int colon = prefix.IndexOf(':', hostStart);
        int slash = prefix.IndexOf('/', hostStart);
        return prefix.Substring(0, colon + 1) + port.ToString(System.Globalization.CultureInfo.InvariantCulture) + prefix.Substring(slash);
    }

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
                Task<HttpListenerContext> next = _listener.GetContextAsync();
                if (await Task.WhenAny(next, _noMoreAccepts.Task).ConfigureAwait(false) != next)
                {
                    // Stopping: a request accepted from now on is never handled; the listener's close resets
                    // it, and its sender retries.
                    _ = next.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                    return;
                }
                context = await next.ConfigureAwait(false);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                continue;
            }
            try
            {
                await _inFlight.WaitAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                try
                {
                    await _handle(context).ConfigureAwait(false);
                }
                finally
                {
                    try
                    {
                        _inFlight.Release();
                    }
                    catch (ObjectDisposedException)
                    {
                        // the host was disposed while this request finished
                    }
                }
            });
        }
    }
}
