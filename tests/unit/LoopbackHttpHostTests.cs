using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Hosting;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>
/// The small HTTP server as a hostile client meets it: what one client does must never keep it from
/// answering everyone else. Every server here listens on 127.0.0.1 and stops at the end of its test.
/// </summary>
[Collection(HostTimingCollection.Name)]
public sealed class LoopbackHttpHostTests
{
    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private static Socket Connect(LoopbackHttpHost host)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Connect(IPAddress.Loopback, host.Port);
        return s;
    }

    // Reads a whole answer to a Connection: close request (at most 15 s): the status line, or what went wrong.
    private static async Task<string> AskAsync(LoopbackHttpHost host, byte[] request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, host.Port);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(request);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        string answer = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(15));
        return answer.Split("\r\n")[0];
    }

    [Fact]
    public async Task A_head_trickled_a_byte_at_a_time_costs_time_in_proportion_to_its_length()
    {
        // Heads just under the 16 KiB bound, each byte its own read, CRLFCRLF split across reads every time.
        var stream = new MemoryStream();
        const int requests = 64;
        for (int i = 0; i < requests; i++)
        {
            stream.Write(Ascii("GET /a HTTP/1.1\r\nX-Pad: " + new string('p', 16 * 1024 - 64) + "\r\n\r\n"));
        }
        byte[] all = stream.ToArray();
        await LoopbackHttpHost.ReadAllAsync(new OneByteStream(Ascii("GET / HTTP/1.1\r\n\r\n")), 1024); // JIT first
        var clock = Stopwatch.StartNew();
        List<HttpExchange> read = await LoopbackHttpHost.ReadAllAsync(new OneByteStream(all), 1024);
        clock.Stop();
        Assert.Equal(requests, read.Count);
        Assert.All(read, x => Assert.Null(x.Problem));
        Assert.Equal("/a", read[requests - 1].Target);
        // A linear scan reads these ~1,000,000 bytes in a few tens of milliseconds; rescanning the buffer on each
        // read compares ~8 billion bytes (seconds).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"read in {clock.Elapsed.TotalMilliseconds:N0} ms");
    }

    [Fact]
    public async Task A_head_end_split_across_reads_at_any_place_is_found()
    {
        byte[] two = Ascii("GET /one HTTP/1.1\r\nA: b\r\n\r\nGET /two HTTP/1.1\r\n\r\n");
        for (int piece = 1; piece <= 5; piece++)
        {
            List<HttpExchange> read = await LoopbackHttpHost.ReadAllAsync(new OneByteStream(two, piece), 1024);
            Assert.Equal(new[] { "/one", "/two" }, read.ConvertAll(x => x.Target));
            Assert.Equal("b", read[0].Header("A"));
        }
    }

    [Fact]
    public async Task A_client_that_pipelines_requests_and_never_reads_the_answers_is_cut_off_after_the_write_timeout()
    {
        TimeSpan saved = LoopbackHttpHost.WriteTimeout;
        LoopbackHttpHost.WriteTimeout = TimeSpan.FromSeconds(1);
        try
        {
            byte[] answer = new byte[256 * 1024];
            answer.AsSpan().Fill((byte)'x');
            var cut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var host = LoopbackHttpHost.Start("http://127.0.0.1:0/", async x =>
            {
                try
                {
                    await x.AnswerAsync(200, answer, "text/plain");
                }
                catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
                {
                    cut.TrySetResult();
                    throw;
                }
            });
            using Socket client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.ReceiveBufferSize = 4096; // before connecting: the window it offers stays small
            client.Connect(IPAddress.Loopback, host.Port);
            const int requests = 200; // 50 MiB of answers: far more than the sockets' buffers hold
            var pipelined = new StringBuilder();
            for (int i = 0; i < requests; i++)
            {
                pipelined.Append("GET / HTTP/1.1\r\n\r\n");
            }
            var clock = Stopwatch.StartNew();
            client.Send(Ascii(pipelined.ToString()));
            // Never reading: the host's write waits on us until its deadline closes the connection.
            Task waited = await Task.WhenAny(cut.Task, Task.Delay(TimeSpan.FromSeconds(10)));
            Assert.True(waited == cut.Task, $"after {clock.Elapsed.TotalSeconds:N1} s the host was still waiting to write to a client that does not read");
        }
        finally
        {
            LoopbackHttpHost.WriteTimeout = saved;
        }
    }

    [Fact]
    public async Task A_genuine_post_is_answered_within_a_second_while_more_clients_than_the_limit_stall()
    {
        const int limit = 64;
        using var host = LoopbackHttpHost.Start("http://127.0.0.1:0/", x => x.AnswerAsync(200, "success", "text/plain"), 64 * 1024, limit);
        byte[] genuine = Ascii("POST /notify HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\na=1");
        Assert.Equal("HTTP/1.1 200 OK", await AskAsync(host, genuine)); // warm-up: JIT, not the stall, is timed otherwise
        var stalled = new List<Socket>();
        try
        {
            for (int i = 0; i < limit + 36; i++)
            {
                Socket s = Connect(host);
                s.Send(Ascii(i % 2 == 0
                    ? "POST /notify HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" // stalls inside its body
                    : "POST /notify HTTP/1.1\r\nHost: x\r\n")); // stalls inside its head
                stalled.Add(s);
            }
            await Task.Delay(300);
            var clock = Stopwatch.StartNew();
            Assert.Equal("HTTP/1.1 200 OK", await AskAsync(host, genuine));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"answered after {clock.Elapsed.TotalMilliseconds:N0} ms");
        }
        finally
        {
            stalled.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Chunk_extensions_and_trailers_past_16_KiB_are_refused_not_read_on()
    {
        using var host = LoopbackHttpHost.Start("http://127.0.0.1:0/", x => x.AnswerAsync(200, "success", "text/plain"));
        string head = "POST /notify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        string kilo = new string('e', 1000);
        var extended = new StringBuilder(head);
        for (int i = 0; i < 100; i++)
        {
            extended.Append("1;x=").Append(kilo).Append("\r\na\r\n"); // 100 KB of extensions around 100 bytes of body
        }
        extended.Append("0\r\n\r\n");
        var trailed = new StringBuilder(head).Append("1\r\na\r\n0\r\n");
        for (int i = 0; i < 64; i++)
        {
            trailed.Append("X-T: ").Append(kilo).Append("\r\n");
        }
        trailed.Append("\r\n");
        string longTrailer = head + "1\r\na\r\n0\r\nX-T: " + new string('t', 2000) + "\r\n\r\n";
        string junkAfterChunk = head + "1\r\naGET /smuggled HTTP/1.1\r\n0\r\n\r\n";
        foreach (string request in new[] { extended.ToString(), trailed.ToString(), longTrailer, junkAfterChunk })
        {
            string answer;
            try
            {
                answer = await AskAsync(host, Ascii(request));
            }
            catch (IOException)
            {
                answer = "reset"; // the host closed with bytes of the request unread: its 400 may be lost with them
            }
            Assert.True(answer is "HTTP/1.1 400 Bad Request" or "reset", answer);
        }
        // What a client does send: a short extension, a trailer or two.
        Assert.Equal("HTTP/1.1 200 OK", await AskAsync(host, Ascii(head + "3;name=value\r\na=1\r\n0\r\nX-Checksum: 1\r\n\r\n")));
    }

    [Fact]
    public async Task A_chunked_body_trickled_in_pieces_of_any_size_reads_back_whole()
    {
        byte[] request = Ascii("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext\r\na=1\r\nA\r\n&b=2345678\r\n0\r\nX-T: 1\r\n\r\nGET /next HTTP/1.1\r\n\r\n");
        for (int piece = 1; piece <= 7; piece++)
        {
            List<HttpExchange> read = await LoopbackHttpHost.ReadAllAsync(new OneByteStream(request, piece), 1024);
            Assert.Equal(2, read.Count);
            Assert.Null(read[0].Problem);
            Assert.Equal("a=1&b=2345678", Encoding.ASCII.GetString(read[0].Body, 0, read[0].BodyLength));
            Assert.Equal("/next", read[1].Target);
        }
    }

    /// <summary>Hands out its bytes <c>piece</c> at a time, as a client that trickles them would.</summary>
    private sealed class OneByteStream : Stream
    {
        private readonly byte[] _bytes;
        private readonly int _piece;
        private int _at;

        public OneByteStream(byte[] bytes, int piece = 1)
        {
            _bytes = bytes;
            _piece = piece;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => _bytes.Length;

        public override long Position { get => _at; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, _piece), _bytes.Length - _at);
            Buffer.BlockCopy(_bytes, _at, buffer, offset, n);
            _at += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer, offset, count));

#if NET
        // .NET Framework's Stream has no Memory overload to override (the desktop tests build this file too).
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = Math.Min(Math.Min(buffer.Length, _piece), _bytes.Length - _at);
            _bytes.AsMemory(_at, n).CopyTo(buffer);
            _at += n;
            return new ValueTask<int>(n);
        }
#endif

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
