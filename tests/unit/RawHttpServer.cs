using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace AlipayBptb.Tests;

/// <summary>
/// A bare HTTP server on 127.0.0.1 and a free port, for answers no well-behaved server gives: it reads a request's
/// head, writes exactly the bytes it was given, then either closes or holds the connection open without a word
/// (at most <see cref="MaxHold"/>, and never past Dispose).
/// </summary>
internal sealed class RawHttpServer : IDisposable
{
    private static readonly TimeSpan MaxHold = TimeSpan.FromSeconds(60);

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _answer;
    private readonly bool _stall;
    private readonly ConcurrentBag<TcpClient> _clients = new();
    private readonly Task _accepting;
    private int _connections;

    private RawHttpServer(byte[] answer, bool stall)
    {
        _answer = answer;
        _stall = stall;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/gateway.do";

    /// <summary>How many connections were accepted (one per attempt: a stalled connection is never reused).</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Answers every request with a 200 and exactly <paramref name="body"/> as its body, then closes.</summary>
    public static RawHttpServer Answering(byte[] body)
    {
        byte[] head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        var answer = new byte[head.Length + body.Length];
        head.CopyTo(answer, 0);
        body.CopyTo(answer, head.Length);
        return new RawHttpServer(answer, stall: false);
    }

    /// <summary>Writes <paramref name="answer"/> (headers, perhaps part of a body) and then says nothing more.</summary>
    public static RawHttpServer Stalling(string answer) => new(Encoding.ASCII.GetBytes(answer), stall: true);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (TcpClient c in _clients)
        {
            c.Dispose();
        }
        try
        {
            _accepting.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _connections);
            _clients.Add(client);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            NetworkStream stream = client.GetStream();
            var head = new byte[16384];
            int n = 0;
            using (var readHead = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
            {
                readHead.CancelAfter(TimeSpan.FromSeconds(10));
                // The head, and the body its Content-Length announces (a client still sending gets a reset otherwise).
                while (n < head.Length && !IsComplete(head, n))
                {
                    int read = await stream.ReadAsync(head.AsMemory(n), readHead.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return;
                    }
                    n += read;
                }
            }
            await stream.WriteAsync(_answer, _stop.Token).ConfigureAwait(false);
            await stream.FlushAsync(_stop.Token).ConfigureAwait(false);
            if (_stall)
            {
                await Task.Delay(MaxHold, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.IO.IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    private static bool IsComplete(byte[] b, int n)
    {
        string text = Encoding.ASCII.GetString(b, 0, n);
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }
        var length = System.Text.RegularExpressions.Regex.Match(text.Substring(0, end), @"(?im)^Content-Length:\s*(\d+)\s*$");
        return !length.Success || n >= end + 4 + int.Parse(length.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
