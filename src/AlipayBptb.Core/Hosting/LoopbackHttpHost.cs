using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace AlipayBptb.Core.Hosting;

/// <summary>
/// The small HTTP/1.1 server that the notify receiver and the local gateway share. Its own, on a socket,
/// rather than HttpListener, because what they must promise needs it:
/// <list type="bullet">
/// <item>every request that reaches it is handed on, whatever its Host header (HttpListener answers 404 for a
/// host other than the prefix's, and logs nothing: a reverse proxy that keeps <c>Host: shop.example.com</c>);</item>
/// <item>the request target arrives as the bytes that were sent (HttpListener decodes it to text first);</item>
/// <item>a client that stalls, before or inside its body or in taking its answer, is cut off after a timeout, and
/// many of them never keep a genuine request waiting: each connection costs a task and a small buffer, never a
/// thread, and at the connection limit the one that has waited longest on its client makes room for the new one.</item>
/// </list>
/// A request that cannot be read (a head that is not HTTP, longer than 16 KiB, a broken body) is shown to the
/// optional malformed-request callback before it is answered 400, so that the receiver can log it too.
/// It binds the prefix's address only: 127.0.0.1 or another IP, <c>localhost</c> as loopback, <c>+</c> or
/// <c>*</c> as every interface. Bodies are read whole (Content-Length or chunked) up to a bound.
/// </summary>
internal sealed class LoopbackHttpHost : IDisposable
{
    /// <summary>How long a client has for its request line and headers, and again for its body.</summary>
    internal static TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a client has to take each answer off the connection. Without it, a client that pipelines requests
    /// and never reads the answers held its connection for good, the host's write waiting on a full socket buffer.
    /// </summary>
    internal static TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(10);

    private const int MaxHeaderBytes = 16 * 1024;
    /// <summary>Connections served at once, unless the host is started with another limit.</summary>
    internal const int DefaultMaxConnections = 1024;

    // At the limit, how long the accept loop waits for the connection it closed to let go of its slot before it
    // closes another (the first may have been working on its request, not waiting, by then).
    private static readonly TimeSpan EvictionPause = TimeSpan.FromMilliseconds(250);

    private readonly TcpListener _listener;
    private readonly Func<HttpExchange, Task> _handle;
    private readonly Action<HttpExchange>? _malformed;
    private readonly int _maxBodyBytes;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _connections;
    private readonly object _gate = new();
    private readonly HashSet<ClientConnection> _open = new();
    private readonly Task _loop;
    private int _handling;
    private volatile bool _accepting = true;

    private LoopbackHttpHost(TcpListener listener, string prefix, Func<HttpExchange, Task> handle, int maxBodyBytes, int maxConnections, Action<HttpExchange>? malformed)
    {
        _malformed = malformed;
        _connections = new SemaphoreSlim(maxConnections);
        _listener = listener;
        Prefix = prefix;
        _handle = handle;
        _maxBodyBytes = maxBodyBytes;
        _loop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The prefix listened on, with the port that was chosen.</summary>
    public string Prefix { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public bool IsListening => _accepting && !_stopping.IsCancellationRequested;

    /// <summary>Cancelled when the host stops: handlers waiting on it end.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>
    /// Starts listening on <paramref name="prefix"/> (<c>http://host:port/path/</c>); port 0 picks a free port.
    /// Bodies longer than <paramref name="maxBodyBytes"/> are cut there and marked. At most
    /// <paramref name="maxConnections"/> connections are served at once. <paramref name="malformed"/> sees each request
    /// that cannot be read (its <see cref="HttpExchange.Problem"/> says why) before the host answers it 400.
    /// </summary>
    public static LoopbackHttpHost Start(string prefix, Func<HttpExchange, Task> handle, int maxBodyBytes = 64 * 1024, int maxConnections = DefaultMaxConnections, Action<HttpExchange>? malformed = null)
    {
        int hostStart = prefix.IndexOf("://", StringComparison.Ordinal) + 3;
        int slash = prefix.IndexOf('/', hostStart);
        string authority = prefix.Substring(hostStart, slash - hostStart);
        int colon = authority.LastIndexOf(':');
        bool noPort = colon < 0 || authority[authority.Length - 1] == ']';
        string host = noPort ? authority : authority.Substring(0, colon);
        int port = noPort ? 80 : int.Parse(authority.Substring(colon + 1), CultureInfo.InvariantCulture);
        IPAddress address = host switch
        {
            "+" or "*" => IPAddress.Any,
            "localhost" => IPAddress.Loopback,
            _ => IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? ip)
                ? ip
                : throw new ArgumentException($"The prefix '{prefix}' names the host '{host}': give an IP address to listen on (127.0.0.1), localhost, or + for every interface.", nameof(prefix)),
        };
        var listener = new TcpListener(address, port);
        try
        {
            listener.Start(512);
        }
        catch (SocketException ex)
        {
            throw new IOException($"Cannot listen on {address}:{port}: {ex.Message}", ex);
        }
        int actual = ((IPEndPoint)listener.LocalEndpoint).Port;
        string shown = prefix.Substring(0, hostStart) + host + ":" + actual.ToString(CultureInfo.InvariantCulture) + prefix.Substring(slash);
        return new LoopbackHttpHost(listener, shown, handle, maxBodyBytes, maxConnections, malformed);
    }

    /// <summary>
    /// Stops accepting requests, waits (at most <paramref name="drain"/>) for those in hand to be answered,
    /// then stops: a graceful stop for a service manager's SIGTERM.
    /// </summary>
    public void Stop(TimeSpan drain)
    {
        StopAccepting();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Volatile.Read(ref _handling) > 0 && clock.Elapsed < drain)
        {
            Thread.Sleep(10);
        }
        Stop();
    }

    public void Stop()
    {
        StopAccepting();
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        _stopping.Cancel();
        lock (_gate)
        {
            foreach (ClientConnection c in _open)
            {
                c.Close();
            }
            _open.Clear();
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

    private void StopAccepting()
    {
        if (!_accepting)
        {
            return;
        }
        _accepting = false;
        try
        {
            _listener.Stop();
        }
        catch (SocketException)
        {
        }
        lock (_gate)
        {
            // Connections waiting for their next request are closed; those in the middle of one finish.
            foreach (ClientConnection c in _open)
            {
                if (!c.Busy)
                {
                    c.Close();
                }
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (_accepting)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException || ex is ObjectDisposedException || ex is InvalidOperationException)
            {
                if (!_accepting)
                {
                    return;
                }
                continue;
            }
            // Accepted first, a slot found after: waiting for a slot before accepting left a genuine request in
            // the listen queue until a stalled client's read timeout (10 s) freed one.
            try
            {
                if (!_connections.Wait(0))
                {
                    do
                    {
                        EvictLongestWaiting();
                    }
                    while (!await _connections.WaitAsync(EvictionPause, _stopping.Token).ConfigureAwait(false));
                }
            }
            catch (OperationCanceledException)
            {
                Close(socket);
                return;
            }
            ClientConnection connection;
            try
            {
                socket.NoDelay = true;
                connection = new ClientConnection(socket);
            }
            catch (Exception ex) when (ex is SocketException || ex is ObjectDisposedException)
            {
                // A client that reset before it was set up (macOS refuses options on such a socket): it alone is
                // lost, never the accept loop.
                Close(socket);
                _connections.Release();
                continue;
            }
            lock (_gate)
            {
                if (!_accepting)
                {
                    connection.Close();
                    _connections.Release();
                    return;
                }
                _open.Add(connection);
            }
            _ = Task.Run(() => ServeAsync(connection));
        }
    }

    // The connection that has waited longest on its client (for a request's head or body, or to take an answer)
    // is closed to make room; one the host is working on is left alone. Its ServeAsync gives its slot back.
    private void EvictLongestWaiting()
    {
        lock (_gate)
        {
            ClientConnection? oldest = null;
            long since = long.MaxValue;
            foreach (ClientConnection c in _open)
            {
                long waiting = c.WaitingSince;
                if (waiting > 0 && waiting < since)
                {
                    oldest = c;
                    since = waiting;
                }
            }
            if (oldest != null && oldest.TryEvict(since))
            {
                oldest.Close();
            }
        }
    }

    // One connection: requests one after another (HTTP/1.1 keep-alive) until the client closes, asks to
    // close, stalls, or the host stops.
    private async Task ServeAsync(ClientConnection connection)
    {
        Socket socket = connection.Socket;
        NetworkStream? stream = null;
        try
        {
            // Inside the try: a connection closed to make room before this ran has a disposed socket, and its
            // slot must still be given back.
            stream = new NetworkStream(socket, ownsSocket: false);
            var reader = new RequestReader(stream, connection, _maxBodyBytes);
            while (_accepting && !_stopping.IsCancellationRequested)
            {
                HttpExchange? exchange;
                connection.WaitOnClient();
                using (var deadline = new CancellationTokenSource(ReadTimeout))
                using (deadline.Token.Register(connection.Close))
                {
                    exchange = await reader.ReadHeadAsync().ConfigureAwait(false);
                    if (exchange == null)
                    {
                        return;
                    }
                }
                lock (_gate)
                {
                    connection.Busy = true;
                }
                Interlocked.Increment(ref _handling);
                try
                {
                    if (exchange.Problem == null)
                    {
                        using var deadline = new CancellationTokenSource(ReadTimeout);
                        using CancellationTokenRegistration cut = deadline.Token.Register(connection.Close);
                        await reader.ReadBodyAsync(exchange).ConfigureAwait(false);
                    }
                    connection.Work();
                    if (exchange.Problem != null)
                    {
                        _malformed?.Invoke(exchange);
                        await exchange.AnswerAsync(400, "error: " + exchange.Problem, "text/plain").ConfigureAwait(false);
                        return;
                    }
                    try
                    {
                        await _handle(exchange).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (!(ex is IOException || ex is SocketException || ex is ObjectDisposedException || ex is OperationCanceledException))
                    {
                        // A bug in a handler answers 500 (the sender tries again), never leaves the client hanging.
                        exchange.KeepAlive = false;
                    }
                    if (!exchange.Answered)
                    {
                        await exchange.AnswerAsync(500, "error: no answer", "text/plain").ConfigureAwait(false);
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref _handling);
                    lock (_gate)
                    {
                        connection.Busy = false;
                    }
                }
                if (!exchange.KeepAlive || exchange.BodyTooLarge || exchange.Aborted)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException || ex is SocketException || ex is ObjectDisposedException || ex is OperationCanceledException)
        {
            // The client went away, stalled past its time, was closed to make room, or the host is stopping.
        }
        finally
        {
            lock (_gate)
            {
                _open.Remove(connection);
            }
            connection.Close();
            stream?.Dispose();
            try
            {
                _connections.Release();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private static void Close(Socket socket)
    {
        try
        {
            socket.Dispose();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Reads every request off a stream, as a connection would bring them (the fuzzing harness's way in: what a
    /// client sends is parsed with no socket and no handler).
    /// </summary>
    internal static async Task<List<HttpExchange>> ReadAllAsync(Stream stream, int maxBodyBytes)
    {
        var reader = new RequestReader(stream, null, maxBodyBytes);
        var all = new List<HttpExchange>();
        while (true)
        {
            HttpExchange? exchange = await reader.ReadHeadAsync().ConfigureAwait(false);
            if (exchange == null)
            {
                return all;
            }
            if (exchange.Problem == null)
            {
                await reader.ReadBodyAsync(exchange).ConfigureAwait(false);
            }
            all.Add(exchange);
            if (exchange.Problem != null || exchange.BodyTooLarge || !exchange.KeepAlive)
            {
                return all;
            }
        }
    }

    /// <summary>Reads requests off one connection, with a buffer that carries bytes over between them.</summary>
    private sealed class RequestReader
    {
        private static readonly Encoding Latin1 = Encoding.GetEncoding("ISO-8859-1");
        private readonly Stream _stream;
        private readonly ClientConnection? _connection;
        private readonly int _maxBody;
        private readonly byte[] _buffer = new byte[MaxHeaderBytes];
        private int _start;
        private int _end;

        // Where the search for the head's end goes on after the next read: every position before it was looked at
        // already. A head trickled a byte at a time would otherwise be rescanned whole on each read (quadratic).
        private int _searchFrom;

        public RequestReader(Stream stream, ClientConnection? connection, int maxBody)
        {
            _stream = stream;
            _connection = connection;
            _maxBody = maxBody;
        }

        // The request line and headers, or null when the client closed the connection between requests.
        public async Task<HttpExchange?> ReadHeadAsync()
        {
            ClientConnection? connection = _connection;
            int headEnd;
            while ((headEnd = IndexOfHeadEnd()) < 0)
            {
                if (_end - _start >= _buffer.Length)
                {
                    return HttpExchange.Bad(_stream, connection, "the request line and headers are longer than 16 KiB", Latin1.GetString(_buffer, _start, _end - _start));
                }
                Compact();
                int n = await _stream.ReadAsync(_buffer, _end, _buffer.Length - _end).ConfigureAwait(false);
                if (n == 0)
                {
                    return null;
                }
                _end += n;
            }
            string head = Latin1.GetString(_buffer, _start, headEnd - _start);
            _start = headEnd + 4;
            return HttpExchange.Parse(_stream, connection, head);
        }

        public async Task ReadBodyAsync(HttpExchange exchange)
        {
            if (exchange.Chunked)
            {
                await ReadChunkedAsync(exchange).ConfigureAwait(false);
                return;
            }
            long length = exchange.ContentLength;
            if (length <= 0)
            {
                return;
            }
            if (exchange.ExpectsContinue)
            {
                await exchange.WriteRawAsync("HTTP/1.1 100 Continue\r\n\r\n").ConfigureAwait(false);
                // The write marked the connection as worked on; it waits on its client for the body again, where it
                // may be closed to make room (or a stalled 100-continue client would escape eviction).
                _connection?.WaitOnClient();
            }
            int keep = (int)Math.Min(length, _maxBody);
            byte[] body = new byte[keep];
            int got = 0;
            while (got < keep)
            {
                int n = await ReadSomeAsync(body, got, keep - got).ConfigureAwait(false);
                if (n == 0)
                {
                    exchange.SetBody(body, got, tooLarge: false);
                    exchange.Problem = "the body ended before its Content-Length";
                    return;
                }
                got += n;
            }
            exchange.SetBody(body, got, tooLarge: length > _maxBody);
        }

        private async Task ReadChunkedAsync(HttpExchange exchange)
        {
            var body = new MemoryStream();
            bool tooLarge = false;
            // Chunk extensions and trailers carry nothing the host keeps, so their bytes are bounded like a head's:
            // unbounded, a client could stream them for the whole body timeout, at the host's cost.
            int framing = 0;
            while (true)
            {
                string? sizeLine = await ReadLineAsync().ConfigureAwait(false);
                if (sizeLine == null)
                {
                    Fail(exchange, body, "the chunked body ended early, or a line of it is longer than 1 KiB");
                    return;
                }
                int semicolon = sizeLine.IndexOf(';');
                framing += Math.Max(0, sizeLine.Length - 8); // past the 8 hex digits of the largest size
                if (framing > MaxHeaderBytes)
                {
                    Fail(exchange, body, "the chunk extensions and trailers are longer than 16 KiB");
                    return;
                }
                if (!int.TryParse(semicolon < 0 ? sizeLine.Trim() : sizeLine.Substring(0, semicolon).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int size) || size < 0)
                {
                    Fail(exchange, body, "a chunk size is not hexadecimal");
                    return;
                }
                if (size == 0)
                {
                    while (true)
                    {
                        string? trailer = await ReadLineAsync().ConfigureAwait(false);
                        if (trailer == null)
                        {
                            // A line cut at 1 KiB was taken for the end of the trailers, and its rest for the next request.
                            Fail(exchange, body, "the chunked body ended early, or a line of it is longer than 1 KiB");
                            return;
                        }
                        if (trailer.Length == 0)
                        {
                            break;
                        }
                        framing += trailer.Length + 2;
                        if (framing > MaxHeaderBytes)
                        {
                            Fail(exchange, body, "the chunk extensions and trailers are longer than 16 KiB");
                            return;
                        }
                    }
                    break;
                }
                if (body.Length + size > _maxBody)
                {
                    tooLarge = true;
                    break; // the connection closes after the answer: the rest is never read
                }
                byte[] chunk = new byte[size];
                int got = 0;
                while (got < size)
                {
                    int n = await ReadSomeAsync(chunk, got, size - got).ConfigureAwait(false);
                    if (n == 0)
                    {
                        body.Write(chunk, 0, got);
                        Fail(exchange, body, "the chunked body ended early, or a line of it is longer than 1 KiB");
                        return;
                    }
                    got += n;
                }
                body.Write(chunk, 0, size);
                if (await ReadLineAsync().ConfigureAwait(false) != string.Empty)
                {
                    // Bytes past a chunk's size were skipped, and with them whatever they held.
                    Fail(exchange, body, "a chunk is longer than its size");
                    return;
                }
            }
            exchange.SetBody(body.ToArray(), (int)body.Length, tooLarge);
        }

        private static void Fail(HttpExchange exchange, MemoryStream body, string problem)
        {
            exchange.SetBody(body.ToArray(), (int)body.Length, tooLarge: false);
            exchange.Problem = problem;
        }

        private async Task<string?> ReadLineAsync()
        {
            var line = new StringBuilder();
            byte[] one = new byte[1];
            while (line.Length < 1024)
            {
                if (await ReadSomeAsync(one, 0, 1).ConfigureAwait(false) == 0)
                {
                    return null;
                }
                if (one[0] == '\n')
                {
                    return line.ToString().TrimEnd('\r');
                }
                line.Append((char)one[0]);
            }
            return null;
        }

        private async Task<int> ReadSomeAsync(byte[] target, int offset, int count)
        {
            if (_end == _start && count < _buffer.Length / 4)
            {
                // A small read (a chunk's size line, a byte at a time) fills the buffer first: one read of the
                // stream per buffer, not per byte.
                _start = 0;
                _end = 0;
                _searchFrom = 0;
                int filled = await _stream.ReadAsync(_buffer, 0, _buffer.Length).ConfigureAwait(false);
                if (filled == 0)
                {
                    return 0;
                }
                _end = filled;
            }
            if (_end > _start)
            {
                int n = Math.Min(count, _end - _start);
                Buffer.BlockCopy(_buffer, _start, target, offset, n);
                _start += n;
                return n;
            }
            return await _stream.ReadAsync(target, offset, count).ConfigureAwait(false);
        }

        private int IndexOfHeadEnd()
        {
            int i = Math.Max(_start, _searchFrom);
            for (; i + 3 < _end; i++)
            {
                if (_buffer[i] == '\r' && _buffer[i + 1] == '\n' && _buffer[i + 2] == '\r' && _buffer[i + 3] == '\n')
                {
                    _searchFrom = i + 4;
                    return i;
                }
            }
            // The last three bytes are looked at again: a CRLFCRLF may begin there and end in the next read.
            _searchFrom = i;
            return -1;
        }

        private void Compact()
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _searchFrom = Math.Max(0, _searchFrom - _start);
                _start = 0;
            }
        }
    }
}

/// <summary>One request, as received, and its answer.</summary>
internal sealed class HttpExchange
{
    private static readonly Encoding Latin1 = Encoding.GetEncoding("ISO-8859-1");
    private static readonly string[] LineBreak = { "\r\n" };
    private readonly Stream _stream;
    private readonly ClientConnection? _connection;
    private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase);
    private string _head = string.Empty;
    private bool _headEnded;

    private HttpExchange(Stream stream, ClientConnection? connection)
    {
        _stream = stream;
        _connection = connection;
        Remote = connection?.Remote ?? "-";
    }

    public string Method { get; private set; } = string.Empty;

    /// <summary>The request target exactly as sent, one char per byte (ISO-8859-1): <see cref="TargetBytes"/> gives the bytes back.</summary>
    public string Target { get; private set; } = "/";

    public byte[] TargetBytes => Latin1.GetBytes(Target);

    /// <summary>The target up to '?'.</summary>
    public string Path => Target.IndexOf('?') is int q && q >= 0 ? Target.Substring(0, q) : Target;

    /// <summary>The target after '?', or empty.</summary>
    public string Query => Target.IndexOf('?') is int q && q >= 0 ? Target.Substring(q + 1) : string.Empty;

    public string Remote { get; }

    public byte[] Body { get; private set; } = Array.Empty<byte>();

    public int BodyLength { get; private set; }

    /// <summary>The body was longer than the bound: <see cref="Body"/> holds its start.</summary>
    public bool BodyTooLarge { get; private set; }

    public bool Answered { get; private set; }

    /// <summary>Why the request could not be read, or null.</summary>
    internal string? Problem { get; set; }

    /// <summary>The request line and headers parsed: <see cref="Method"/>, <see cref="Target"/> and the headers are the request's.</summary>
    internal bool HeadParsed { get; private set; }

    /// <summary>The request's head as received (with its blank line when it ended), for a record of a malformed request.</summary>
    internal byte[] ReceivedHead => Latin1.GetBytes(_headEnded ? _head + "\r\n\r\n" : _head);

    internal long ContentLength { get; private set; }

    internal bool Chunked { get; private set; }

    internal bool ExpectsContinue { get; private set; }

    internal bool KeepAlive { get; set; }

    internal bool Aborted { get; private set; }

    public string? Header(string name) => _headers.TryGetValue(name, out string? v) ? v : null;

    internal static HttpExchange Bad(Stream stream, ClientConnection? connection, string problem, string received) =>
        new(stream, connection) { Problem = problem, _head = received };

    internal static HttpExchange Parse(Stream stream, ClientConnection? connection, string head)
    {
        var x = new HttpExchange(stream, connection) { _head = head, _headEnded = true };
        string[] lines = head.Split(LineBreak, StringSplitOptions.None);
        string[] requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || requestLine[0].Length == 0 || requestLine[1].Length == 0)
        {
            x.Problem = "the request line is not METHOD TARGET HTTP/1.x";
            return x;
        }
        x.Method = requestLine[0];
        x.Target = requestLine[1];
        x.KeepAlive = requestLine[2] == "HTTP/1.1";
        for (int i = 1; i < lines.Length; i++)
        {
            int colon = lines[i].IndexOf(':');
            if (colon <= 0)
            {
                x.Problem = "a header line has no name";
                return x;
            }
            string name = lines[i].Substring(0, colon).Trim();
            string value = lines[i].Substring(colon + 1).Trim();
            x._headers[name] = x._headers.TryGetValue(name, out string? earlier) ? earlier + ", " + value : value;
        }
        string? connectionHeader = x.Header("Connection");
        if (connectionHeader != null)
        {
            x.KeepAlive = connectionHeader.IndexOf("close", StringComparison.OrdinalIgnoreCase) < 0
                && (x.KeepAlive || connectionHeader.IndexOf("keep-alive", StringComparison.OrdinalIgnoreCase) >= 0);
        }
        x.Chunked = (x.Header("Transfer-Encoding") ?? string.Empty).IndexOf("chunked", StringComparison.OrdinalIgnoreCase) >= 0;
        string? length = x.Header("Content-Length");
        if (!x.Chunked && length != null)
        {
            if (!long.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            {
                x.Problem = "Content-Length is not a number";
                return x;
            }
            x.ContentLength = n;
        }
        x.ExpectsContinue = string.Equals(x.Header("Expect"), "100-continue", StringComparison.OrdinalIgnoreCase);
        x.HeadParsed = true;
        return x;
    }

    internal void SetBody(byte[] body, int length, bool tooLarge)
    {
        Body = body;
        BodyLength = length;
        BodyTooLarge = tooLarge;
    }

    /// <summary>Answers with a text body.</summary>
    public Task AnswerAsync(int status, string text, string contentType) =>
        WriteResponseAsync(status, Encoding.UTF8.GetBytes(text), contentType, null);

    /// <summary>Answers with a body already encoded (the local gateway's answers in the request's charset).</summary>
    public Task AnswerAsync(int status, byte[] body, string contentType) => WriteResponseAsync(status, body, contentType, null);

    /// <summary>Answers 302 to <paramref name="location"/>.</summary>
    public Task RedirectAsync(string location) => WriteResponseAsync(302, Array.Empty<byte>(), null, location);

    /// <summary>A broken answer: headers promising <paramref name="promised"/> bytes, a few of them, then a reset.</summary>
    public async Task ResetAfterAsync(int promised, byte[] partial)
    {
        Answered = true;
        Aborted = true;
        await WriteRawAsync($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {promised}\r\n\r\n").ConfigureAwait(false);
        await SendAsync(partial).ConfigureAwait(false);
        if (_connection != null)
        {
            _connection.Socket.LingerState = new LingerOption(true, 0); // close with RST, not FIN
            _connection.Close();
        }
    }

    internal Task WriteRawAsync(string text) => SendAsync(Latin1.GetBytes(text));

    // Every write to the client, with the write deadline: past it the connection is closed, which ends the
    // write with an IOException or ObjectDisposedException and the connection with it. While the write waits on
    // the client, the connection may be closed to make room for another.
    private async Task SendAsync(byte[] bytes)
    {
        if (_connection == null)
        {
            await _stream.WriteAsync(bytes, 0, bytes.Length).ConfigureAwait(false);
            return;
        }
        _connection.WaitOnClient();
        try
        {
            using var deadline = new CancellationTokenSource(LoopbackHttpHost.WriteTimeout);
            using CancellationTokenRegistration cut = deadline.Token.Register(_connection.Close);
            await _stream.WriteAsync(bytes, 0, bytes.Length).ConfigureAwait(false);
            await _stream.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _connection.Work();
        }
    }

    private async Task WriteResponseAsync(int status, byte[] body, string? contentType, string? location)
    {
        if (Answered)
        {
            throw new InvalidOperationException("The request was answered already.");
        }
        Answered = true;
        var head = new StringBuilder();
        head.Append("HTTP/1.1 ").Append(status.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Reason(status)).Append("\r\n");
        if (contentType != null)
        {
            head.Append("Content-Type: ").Append(contentType).Append("\r\n");
        }
        if (location != null)
        {
            head.Append("Location: ").Append(location).Append("\r\n");
        }
        head.Append("Content-Length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        bool close = !KeepAlive || BodyTooLarge;
        head.Append(close ? "Connection: close\r\n" : string.Empty).Append("\r\n");
        byte[] headBytes = Latin1.GetBytes(head.ToString());
        byte[] all = new byte[headBytes.Length + body.Length];
        Buffer.BlockCopy(headBytes, 0, all, 0, headBytes.Length);
        Buffer.BlockCopy(body, 0, all, headBytes.Length, body.Length);
        await SendAsync(all).ConfigureAwait(false);
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Payload Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };
}

/// <summary>One client's connection, and whether it is waiting on its client (the one to close to make room).</summary>
internal sealed class ClientConnection
{
    private const long Working = 0;
    private const long Evicted = -1;

    // Since when (a Stopwatch timestamp) it waits on its client: for a request, its body, or to take an answer.
    // Working while the host works on a request; Evicted once closed to make room, for good.
    private long _waitingSince;

    public ClientConnection(Socket socket)
    {
        Socket = socket;
        Remote = socket.RemoteEndPoint?.ToString() ?? "-";
        _waitingSince = Stopwatch.GetTimestamp();
    }

    public Socket Socket { get; }

    public string Remote { get; }

    /// <summary>In the middle of a request: a stop lets it finish. Read and written under the host's lock.</summary>
    public bool Busy { get; set; }

    /// <summary>A timestamp when it waits on its client, else 0 or less.</summary>
    public long WaitingSince => Volatile.Read(ref _waitingSince);

    public void WaitOnClient() => Mark(Stopwatch.GetTimestamp());

    public void Work() => Mark(Working);

    /// <summary>True when it was still waiting since <paramref name="since"/>: then it is marked, and closing it is the caller's.</summary>
    public bool TryEvict(long since) => Interlocked.CompareExchange(ref _waitingSince, Evicted, since) == since;

    public void Close()
    {
        try
        {
            Socket.Dispose();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void Mark(long value)
    {
        long seen = Volatile.Read(ref _waitingSince);
        if (seen != Evicted)
        {
            Interlocked.CompareExchange(ref _waitingSince, value, seen);
        }
    }
}
