using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Hosting;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Receiver;
using AlipayBptb.Core.Signing;
using AlipayBptb.Mock;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>
/// What the receiver promises, tried as a failing machine and a hostile network would: "success" means the
/// whole record is on disk at the log's path; notify_verify is asked before "success", while the id is valid.
/// </summary>
[Collection(HostTimingCollection.Name)]
public sealed class NotifyReceiverTests : IDisposable
{
    private const string Partner = "2088002464631181";
    private const string Md5Key = "k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bptb-rcv-" + Guid.NewGuid().ToString("N"));
    private readonly List<IDisposable> _owned = new();
    private static readonly HttpClient Http = new();

    public NotifyReceiverTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        foreach (IDisposable d in Enumerable.Reverse(_owned))
        {
            d.Dispose();
        }
        Directory.Delete(_dir, true);
    }

    private string LogPath => Path.Combine(_dir, "callbacks.log");

    // Windows writes a record through a FileStream, without O_APPEND and the re-check after the flush (the help says
    // so): the tests of true appends and rotation races have nothing to try there.
    private static bool WritesThroughFileStream =>
        System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Windows);

    private NotifyReceiver Start(LocalGateway? gateway = null)
    {
        var verifier = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        NotifyVerifyClient? client = gateway == null ? null : new NotifyVerifyClient(gateway.Url, TimeSpan.FromSeconds(2), 0, TimeSpan.Zero);
        NotifyReceiver r = NotifyReceiver.Start("http://127.0.0.1:0/alipay/", LogPath, verifier, client, gateway == null ? null : Partner);
        _owned.Add(r);
        return r;
    }

    private LocalGateway Gateway()
    {
        LocalGateway g = LocalGateway.Start(Partner);
        _owned.Add(g);
        return g;
    }

    private static string Notification(string notifyId, string file = "a.csv") => TestCallbacks.Body(TestCallbacks.Notification(notifyId, file));

    private static async Task<(int Status, string Body)> PostAsync(NotifyReceiver r, string body)
    {
        using HttpResponseMessage m = await Http.PostAsync(r.Url + "notify", new StringContent(body, Encoding.ASCII, "application/x-www-form-urlencoded"));
        return ((int)m.StatusCode, await m.Content.ReadAsStringAsync());
    }

    private string[] Records() => File.ReadAllText(LogPath).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task Asks_notify_verify_before_success_and_keeps_the_answer_in_the_record()
    {
        LocalGateway gateway = Gateway();
        NotifyReceiver r = Start(gateway);
        string id = gateway.IssueNotifyId();
        Assert.Equal((200, "success"), await PostAsync(r, Notification(id)));
        string record = Assert.Single(Records());
        Assert.Equal("valid;notify_verify=true;charset=utf-8", record.Split('\t')[3]);
        using var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        NotificationResult read = v.Verify(record, out _)!;
        Assert.True(read.IsValid, read.Reason);
        Assert.True(read.NotifyVerified);
        Assert.NotNull(read.Received);
    }

    private static async Task<(int Status, string Body)> PostBytesAsync(NotifyReceiver r, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-www-form-urlencoded");
        using HttpResponseMessage m = await Http.PostAsync(r.Url + "notify", content);
        return ((int)m.StatusCode, await m.Content.ReadAsStringAsync());
    }

    private static NotificationResult ReadBack(string record)
    {
        using var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        return v.Verify(record, out string? unreadable) ?? throw new InvalidOperationException("unreadable: " + unreadable);
    }

    [Fact]
    public async Task An_invalid_callback_is_logged_and_never_answered_success()
    {
        NotifyReceiver r = Start();
        string forged = Notification("forged0001").Replace("file_name=a.csv", "file_name=b.csv", StringComparison.Ordinal);
        (int status, string body) = await PostAsync(r, forged);
        Assert.Equal(400, status); // Alipay sends again what it sent
        Assert.NotEqual("success", body);
        Assert.StartsWith("invalid:", Assert.Single(Records()).Split('\t')[3], StringComparison.Ordinal);
        (status, body) = await PostAsync(r, "no parameters at all");
        Assert.Equal(400, status);
        Assert.StartsWith("unreadable:", Records()[1].Split('\t')[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_notification_a_hop_rewrote_into_the_not_sign_is_refused_and_reads_back_as_the_receiver_judged_it()
    {
        // "&notify_id=" turned into "¬ify_id=" (HTML entity damage on the way): not what Alipay sent, so it is not
        // repaired but refused, and Alipay sends it again; the record reads back as what the receiver judged.
        LocalGateway gateway = Gateway();
        NotifyReceiver r = Start(gateway);
        string id = gateway.IssueNotifyId();
        string mangled = Notification(id).Replace("&notify_id=", "\u00ACify_id=", StringComparison.Ordinal);
        (int status, string body) = await PostBytesAsync(r, Encoding.UTF8.GetBytes(mangled));
        Assert.NotEqual("success", body);
        Assert.Equal(400, status);
        string record = Assert.Single(Records());
        Assert.StartsWith("invalid:", record.Split('\t')[3], StringComparison.Ordinal);
        Assert.False(ReadBack(record).IsValid);
        Assert.Equal((200, "success"), await PostAsync(r, Notification(id))); // the resend, undamaged
    }

    [Fact]
    public async Task A_get_with_raw_utf8_in_its_query_is_judged_as_the_reconciliation_reads_it()
    {
        LocalGateway gateway = Gateway();
        NotifyReceiver r = Start(gateway);
        string id = gateway.IssueNotifyId();
        ParameterList p = TestCallbacks.Notification(id, "批量付款.csv");
        // The query as a careless hop sends it: the file name's UTF-8 bytes unescaped.
        string query = string.Join("&", p.Select(kv => kv.Key + "=" + (kv.Key == "file_name" ? kv.Value : Uri.EscapeDataString(kv.Value))));
        byte[] target = Encoding.UTF8.GetBytes("/alipay/notify?" + query);
        byte[] request = Encoding.ASCII.GetBytes("GET ").Concat(target).Concat(Encoding.ASCII.GetBytes(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).ToArray();
        string answer = await RawAsync(r, request);
        string record = Assert.Single(Records());
        Assert.Equal("valid;notify_verify=true;charset=utf-8", record.Split('\t')[3]);
        Assert.StartsWith("HTTP/1.1 200", answer, StringComparison.Ordinal);
        NotificationResult read = ReadBack(record);
        Assert.True(read.IsValid, read.Reason);
        Assert.Equal("批量付款.csv", read.RawParameters["file_name"]);
        Assert.True(read.NotifyVerified);
    }

    [Fact]
    public async Task A_record_reads_back_in_the_charset_the_receiver_judged_it_in_whatever_the_readers_charset()
    {
        // A receiver run with gbk answered success for a GBK-signed notification: read with the default utf-8,
        // its record must still read back valid, with the same file name, and never the other way round.
        var gbk = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Get("gbk"));
        NotifyReceiver r = NotifyReceiver.Start("http://127.0.0.1:0/alipay/", LogPath, gbk);
        _owned.Add(r);
        var p = new ParameterList();
        p.TryAdd("notify_type", "bptb_result_notify");
        p.TryAdd("notify_time", "2026-11-26 10:00:00");
        p.TryAdd("notify_id", "n0000000001");
        p.TryAdd("pay_date", "20261126");
        p.TryAdd("flag", "bptb_result_file");
        p.TryAdd("file_name", "批量付款.csv");
        using (var signer = new Md5Signer(Md5Key))
        {
            p.TryAdd("sign", signer.Sign(SignString.Build(p), BptbCharset.Get("gbk")));
        }
        p.TryAdd("sign_type", "MD5");
        Encoding gbkText = BptbCharset.Get("gbk").Encoding;
        string body = string.Join("&", p.Select(kv => kv.Key + "=" + string.Concat(gbkText.GetBytes(kv.Value).Select(b => "%" + b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)))));
        Assert.Equal(200, (await PostAsync(r, body)).Status);
        string record = Assert.Single(Records());
        Assert.Equal("valid;charset=gbk", record.Split('\t')[3]);
        NotificationResult read = ReadBack(record); // a utf-8 reader
        Assert.True(read.IsValid, read.Reason);
        Assert.Equal("批量付款.csv", read.FileName);
    }

    [Fact]
    public async Task A_notification_notify_verify_denies_is_logged_and_not_answered_success()
    {
        LocalGateway gateway = Gateway();
        NotifyReceiver r = Start(gateway);
        (int status, string body) = await PostAsync(r, Notification("never0issued0by0alipay"));
        Assert.Equal(403, status);
        Assert.NotEqual("success", body);
        Assert.StartsWith("valid;notify_verify=false", Assert.Single(Records()).Split('\t')[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_notify_verify_cannot_be_reached_the_callback_is_logged_and_not_answered_success()
    {
        LocalGateway gateway = Gateway();
        NotifyReceiver r = Start(gateway);
        string id = gateway.IssueNotifyId();
        gateway.AddFault("status:500");
        (int status, _) = await PostAsync(r, Notification(id));
        Assert.Equal(503, status); // Alipay sends it again, with the same id, still valid
        Assert.StartsWith("valid;notify_verify=error:", Assert.Single(Records()).Split('\t')[3], StringComparison.Ordinal);
        Assert.Equal((200, "success"), await PostAsync(r, Notification(id)));
        Assert.Equal("valid;notify_verify=true;charset=utf-8", Records()[1].Split('\t')[3]);
    }

    [Fact]
    public async Task The_local_gateway_expires_a_notify_id_once_it_was_answered_success()
    {
        // Spec 7.2 (12), the whole loop: asking notify_verify after "success" (from the log, later) fails.
        var gateway = LocalGateway.Start(new LocalGatewayOptions { Partner = Partner, Md5Key = Md5Key, PaymentPassword = "pay-123456", TimeFactor = 0.0005 });
        _owned.Add(gateway);
        NotifyReceiver r = Start(gateway);
        gateway.AddPaymentFile(Path.Combine(Vectors.Dir, "sample-payment-file-gbk.csv"), "20111123-001.csv", uploadedAt: DateTime.UtcNow - gateway.ConfirmDelay);
        using var signer = new Md5Signer(Md5Key);
        var builder = new ConfirmRequestBuilder(Partner, "123@abc.com", r.Url + "return", r.Url + "notify", BptbCharset.Utf8, signer, gateway.Url);
        MockConfirmation c = await ScriptedPayer.ConfirmAsync(builder.Build("20111123-001.csv").Url, "pay-123456");
        Assert.True(c.IsSuccess);
        Assert.True(gateway.WaitForDeliveries(TimeSpan.FromSeconds(10)));
        NotificationDelivery d = Assert.Single(gateway.Deliveries);
        Assert.True(d.Accepted);
        Assert.Contains(Records(), l => l.Split('\t')[3] == "valid;notify_verify=true;charset=utf-8");
        var late = new NotifyVerifyClient(gateway.Url, TimeSpan.FromSeconds(2), 0, TimeSpan.Zero);
        Assert.False((await late.VerifyAsync(Partner, d.NotifyId, default)).Verified);
    }

    [Fact]
    public async Task A_failed_write_on_a_full_disk_leaves_no_partial_record_and_the_next_one_reads_back_whole()
    {
        NotifyReceiver r = Start();
        Assert.Equal((200, "success"), await PostAsync(r, Notification("first")));
        long before = new FileInfo(LogPath).Length;
        r.FailWritesAfter(40);
        (int status, string body) = await PostAsync(r, Notification("second"));
        Assert.Equal(503, status);
        Assert.NotEqual("success", body);
        Assert.Equal(before, new FileInfo(LogPath).Length);
        r.FailWritesAfter(-1);
        Assert.Equal((200, "success"), await PostAsync(r, Notification("third")));
        using var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        string[] records = Records();
        Assert.Equal(2, records.Length);
        Assert.All(records, l => Assert.True(v.Verify(l, out _)!.IsValid));
    }

    [Fact]
    public async Task A_record_after_someone_elses_partial_line_starts_a_line_of_its_own()
    {
        NotifyReceiver r = Start();
        File.AppendAllText(LogPath, "partial line without its newline");
        Assert.Equal((200, "success"), await PostAsync(r, Notification("after")));
        using var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        Assert.True(v.Verify(Records()[1], out _)!.IsValid);
    }

    [Fact]
    public void A_second_receiver_on_the_same_log_is_refused()
    {
        Start();
        var verifier = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        Assert.Throws<LogInUseException>(() => NotifyReceiver.Start("http://127.0.0.1:0/alipay/", LogPath, verifier));
    }

#if NET
    // Links are made with .NET's own calls, which .NET Framework does not have.
    [Fact]
    public void A_second_receiver_on_a_symlink_or_a_hardlink_of_the_log_is_refused()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // links need privileges there; the lock is keyed on the resolved path all the same
        }
        Start();
        string symlink = Path.Combine(_dir, "alias.log");
        File.CreateSymbolicLink(symlink, LogPath);
        string linkedDir = Path.Combine(_dir, "linked-dir");
        Directory.CreateSymbolicLink(linkedDir, _dir);
        string hardlink = Path.Combine(_dir, "hard.log");
        using (System.Diagnostics.Process ln = System.Diagnostics.Process.Start("ln", new[] { LogPath, hardlink })!)
        {
            Assert.True(ln.WaitForExit(10_000));
            Assert.Equal(0, ln.ExitCode);
        }
        foreach (string alias in new[] { symlink, Path.Combine(linkedDir, "callbacks.log"), hardlink })
        {
            var verifier = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
            Assert.Throws<LogInUseException>(() =>
            {
                NotifyReceiver second = NotifyReceiver.Start("http://127.0.0.1:0/alipay/", alias, verifier);
                _owned.Add(second);
            });
        }
    }
#endif

    private static byte[] Record(string notifyId) =>
        CallbackLog.FormatLine(DateTime.UtcNow, "POST", "127.0.0.1:1", "-", Encoding.ASCII.GetBytes("/alipay/notify"), Encoding.ASCII.GetBytes("notify_id=" + notifyId), 10 + notifyId.Length);

    [Fact]
    public void Records_are_true_appends_so_what_another_writer_appended_meanwhile_is_kept()
    {
        if (WritesThroughFileStream)
        {
            return;
        }
        // Another writer appends between the record's open and its write (the window in which a writer that
        // writes at the length it found overwrites it: 7 of 600 answered callbacks in the audit).
        using CallbackLogWriter log = CallbackLogWriter.Open(LogPath);
        Assert.True(log.TryAppend(Record("first")));
        log.BeforeWrite = () => File.AppendAllText(LogPath, "appended by another writer\n");
        Assert.True(log.TryAppend(Record("second")));
        log.BeforeWrite = null;
        string[] lines = Records();
        Assert.Equal(3, lines.Length);
        Assert.Contains("notify_id=first", lines[0], StringComparison.Ordinal);
        Assert.Equal("appended by another writer", lines[1]);
        Assert.Contains("notify_id=second", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void A_copy_and_truncate_between_open_and_write_leaves_no_hole_of_nul_bytes()
    {
        if (WritesThroughFileStream)
        {
            return;
        }
        using CallbackLogWriter log = CallbackLogWriter.Open(LogPath);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(log.TryAppend(Record("before" + i)));
        }
        log.BeforeWrite = () =>
        {
            using var f = new FileStream(LogPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            f.SetLength(0); // logrotate copytruncate, just after the record's file was opened
        };
        Assert.True(log.TryAppend(Record("after")));
        Assert.DoesNotContain((byte)0, File.ReadAllBytes(LogPath));
        Assert.Contains("notify_id=after", Assert.Single(Records()), StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_whose_file_is_removed_or_renamed_before_success_is_written_again_at_the_path()
    {
        if (WritesThroughFileStream)
        {
            return;
        }
        using CallbackLogWriter log = CallbackLogWriter.Open(LogPath);
        Assert.True(log.TryAppend(Record("first")));
        // Between the record's fsync and the answer: rotated away, then removed.
        int rotations = 0;
        log.AfterWrite = () =>
        {
            if (rotations++ == 0)
            {
                File.Move(LogPath, LogPath + ".1");
            }
        };
        Assert.True(log.TryAppend(Record("second")));
        Assert.Contains("notify_id=second", Assert.Single(Records()), StringComparison.Ordinal);
        rotations = 0;
        log.AfterWrite = () =>
        {
            if (rotations++ == 0)
            {
                File.Delete(LogPath);
            }
        };
        Assert.True(log.TryAppend(Record("third")));
        Assert.Contains("notify_id=third", Assert.Single(Records()), StringComparison.Ordinal);
        // logrotate's create: renamed, and a new empty file made at the path (the file's identity tells them apart).
        rotations = 0;
        log.AfterWrite = () =>
        {
            if (rotations++ == 0)
            {
                File.Move(LogPath, LogPath + ".2");
                File.WriteAllBytes(LogPath, Array.Empty<byte>());
            }
        };
        Assert.True(log.TryAppend(Record("fourth")));
        Assert.Contains("notify_id=fourth", Assert.Single(Records()), StringComparison.Ordinal);
        log.AfterWrite = () => File.Delete(LogPath); // every time: a bounded number of tries, then an error
        Assert.False(log.TryAppend(Record("fifth")));
    }

    [Fact]
    public async Task Copy_and_truncate_rotation_is_followed_without_a_hole_of_nul_bytes()
    {
        NotifyReceiver r = Start();
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal((200, "success"), await PostAsync(r, Notification("before" + i)));
        }
        File.Copy(LogPath, LogPath + ".1");
        using (var f = new FileStream(LogPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            f.SetLength(0); // logrotate copytruncate
        }
        Assert.Equal((200, "success"), await PostAsync(r, Notification("after")));
        byte[] bytes = File.ReadAllBytes(LogPath);
        Assert.DoesNotContain((byte)0, bytes);
        Assert.Contains("notify_id=after", Assert.Single(Records()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rename_rotation_and_removal_are_followed_so_success_is_always_in_the_file_at_the_path()
    {
        NotifyReceiver r = Start();
        Assert.Equal((200, "success"), await PostAsync(r, Notification("one")));
        File.Move(LogPath, LogPath + ".1"); // logrotate create
        Assert.Equal((200, "success"), await PostAsync(r, Notification("two")));
        Assert.Contains("notify_id=two", Assert.Single(Records()), StringComparison.Ordinal);
        File.Delete(LogPath);
        Assert.Equal((200, "success"), await PostAsync(r, Notification("three")));
        Assert.Contains("notify_id=three", Assert.Single(Records()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_graceful_stop_answers_the_requests_in_hand_and_refuses_new_ones()
    {
        LocalGateway gateway = Gateway();
        // notify_verify answers in 3 s, well inside this client's timeout (Start's 2 s would make it a 503).
        var verifier = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        NotifyReceiver r = NotifyReceiver.Start("http://127.0.0.1:0/alipay/", LogPath, verifier,
            new NotifyVerifyClient(gateway.Url, TimeSpan.FromSeconds(15), 0, TimeSpan.Zero), Partner);
        _owned.Add(r);
        string id = gateway.IssueNotifyId();
        gateway.AddFault("delay:3"); // notify_verify is slow: the request is in hand when the stop comes
        Task<(int, string)> inHand = PostAsync(r, Notification(id));
        await Task.Delay(1000); // long enough for a first, cold request to be in hand on a loaded machine
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.Run(() => r.Stop(TimeSpan.FromSeconds(10)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8));
        Assert.Equal((200, "success"), await inHand);
        Assert.Equal("valid;notify_verify=true;charset=utf-8", Assert.Single(Records()).Split('\t')[3]);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => PostAsync(r, Notification("late")));
    }

    private static async Task<string> RawAsync(NotifyReceiver r, byte[] request)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, new Uri(r.Url).Port);
        using System.Net.Sockets.NetworkStream stream = client.GetStream();
        await stream.WriteAsync(request);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_genuine_post_is_answered_within_a_second_while_a_hundred_clients_stall_their_bodies()
    {
        NotifyReceiver r = Start();
        // A first post before the stall, so that what is timed is the stalled clients' effect, not the first
        // request's JIT compilation on a busy two-core machine (where CI once saw this test fail).
        Assert.Equal((200, "success"), await PostAsync(r, Notification("warm-up")));
        var stalled = new List<System.Net.Sockets.TcpClient>();
        try
        {
            for (int i = 0; i < 100; i++)
            {
                var c = new System.Net.Sockets.TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, new Uri(r.Url).Port);
                await c.GetStream().WriteAsync(Encoding.ASCII.GetBytes("POST /alipay/notify HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"));
                stalled.Add(c);
            }
            await Task.Delay(200);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Assert.Equal((200, "success"), await PostAsync(r, Notification("genuine")));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"answered after {clock.Elapsed.TotalMilliseconds:N0} ms");
        }
        finally
        {
            stalled.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task A_client_that_stalls_its_body_is_cut_off_after_the_read_timeout()
    {
        TimeSpan saved = LoopbackHttpHost.ReadTimeout;
        LoopbackHttpHost.ReadTimeout = TimeSpan.FromMilliseconds(500);
        try
        {
            NotifyReceiver r = Start();
            using var c = new System.Net.Sockets.TcpClient();
            await c.ConnectAsync(IPAddress.Loopback, new Uri(r.Url).Port);
            System.Net.Sockets.NetworkStream s = c.GetStream();
            await s.WriteAsync(Encoding.ASCII.GetBytes("POST /alipay/notify HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nnotify_id=1"));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int n = await s.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : -1);
            Assert.True(n <= 0, "the stalled client was answered instead of cut off");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3));
            Assert.False(File.Exists(LogPath) && File.ReadAllText(LogPath).Length > 0, "nothing that did not arrive whole is logged");
        }
        finally
        {
            LoopbackHttpHost.ReadTimeout = saved;
        }
    }

    [Fact]
    public async Task A_request_with_another_host_header_is_logged_and_answered()
    {
        NotifyReceiver r = Start();
        string body = Notification("proxied");
        string answer = await RawAsync(r, Encoding.ASCII.GetBytes(
            $"POST /alipay/notify HTTP/1.1\r\nHost: shop.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
        Assert.StartsWith("HTTP/1.1 200", answer, StringComparison.Ordinal);
        Assert.EndsWith("success", answer, StringComparison.Ordinal);
        Assert.Contains("notify_id=proxied", Assert.Single(Records()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_record_percent_decodes_back_to_exactly_the_bytes_that_were_sent()
    {
        NotifyReceiver r = Start();
        byte[] request = Encoding.ASCII.GetBytes("POST /alipay/notify?a=\u00ff HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\n-");
        request[Array.IndexOf(request, (byte)'?') + 3] = 0xFF; // a raw 0xFF byte in the target
        await RawAsync(r, request);
        string[] fields = Assert.Single(Records()).Split('\t');
        Assert.Equal("/alipay/notify?a=%FF", fields[4]);
        Assert.Equal("%2D", fields[5]); // a body of "-" is not "no body"
        Assert.Equal(new byte[] { (byte)'/', (byte)'a' }, Decode(fields[4]).Take(2).ToArray());
        Assert.Equal(0xFF, Decode(fields[4]).Last());
        Assert.Equal(new[] { (byte)'-' }, Decode(fields[5]));
    }

    // What a client gets back, or "reset" when the host closed with bytes of it still unread.
    private static async Task<string> RawOrResetAsync(NotifyReceiver r, byte[] request)
    {
        try
        {
            return await RawAsync(r, request);
        }
        catch (IOException)
        {
            return "reset";
        }
    }

    [Fact]
    public async Task A_malformed_request_is_logged_as_received_and_answered_400_never_success()
    {
        NotifyReceiver r = Start();
        byte[] request = Encoding.ASCII.GetBytes("POST /alipay/notify HTTP/1.1\r\nHost x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        string answer = await RawAsync(r, request);
        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("success", answer, StringComparison.Ordinal);
        string record = Assert.Single(Records());
        string[] fields = record.Split('\t');
        Assert.Equal("malformed:a header line has no name (answered 400)", fields[3]);
        Assert.Equal(request, Decode(fields[5])); // the bytes received, exactly
        Assert.Equal(1, r.Received);

        // Test-BptbNotification -Path reads it as what it is: an unreadable line that says why, not a callback.
        using var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        Assert.Null(v.Verify(record, out string? unreadable));
        Assert.Contains("malformed request", unreadable, StringComparison.Ordinal);
        Assert.Contains("a header line has no name", unreadable, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_request_s_credentials_never_reach_the_log()
    {
        NotifyReceiver r = Start();
        byte[] request = Encoding.ASCII.GetBytes("POST /alipay/notify HTTP/1.1\r\nHost x\r\nAuthorization: Basic c2VjcmV0LXBhc3N3b3Jk\r\n"
            + "Cookie: session=s3cr3t-cookie\r\nX-Api-Key:k3y-v4lue\r\nProxy-Authorization: Bearer t0ken\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400", await RawAsync(r, request), StringComparison.Ordinal);
        string logged = Encoding.ASCII.GetString(Decode(Assert.Single(Records()).Split('\t')[5]));
        foreach (string secret in new[] { "c2VjcmV0LXBhc3N3b3Jk", "s3cr3t-cookie", "k3y-v4lue", "t0ken" })
        {
            Assert.DoesNotContain(secret, logged, StringComparison.Ordinal);
        }
        Assert.Contains("Authorization: [redacted]\r\n", logged, StringComparison.Ordinal);
        Assert.Contains("X-Api-Key:[redacted]\r\n", logged, StringComparison.Ordinal);
        Assert.Contains("Host x\r\n", logged, StringComparison.Ordinal); // what was wrong still shows
    }

    [Fact]
    public async Task A_head_over_16_KiB_is_logged_with_the_16_KiB_received()
    {
        NotifyReceiver r = Start();
        byte[] request = Encoding.ASCII.GetBytes("POST /alipay/notify?notify_id=1 HTTP/1.1\r\nX-Long: " + new string('a', 20 * 1024) + "\r\n\r\n");
        string answer = await RawOrResetAsync(r, request);
        Assert.DoesNotContain("success", answer, StringComparison.Ordinal);
        string[] fields = Assert.Single(Records()).Split('\t');
        Assert.StartsWith("malformed:the request line and headers are longer than 16 KiB", fields[3], StringComparison.Ordinal);
        Assert.Equal(request.Take(16 * 1024).ToArray(), Decode(fields[5]));
    }

    [Fact]
    public async Task A_chunked_body_that_breaks_off_is_logged_with_its_head_and_what_came_of_the_body()
    {
        NotifyReceiver r = Start();
        string answer = await RawAsync(r, Encoding.ASCII.GetBytes("POST /alipay/notify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\na=1\r\nzz\r\n"));
        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        string[] fields = Assert.Single(Records()).Split('\t');
        Assert.Equal("POST", fields[1]);
        Assert.Equal("malformed:a chunk size is not hexadecimal (answered 400)", fields[3]);
        Assert.Equal("/alipay/notify", fields[4]);
        Assert.Equal("a=1", fields[5]);
    }

    private static byte[] Decode(string escaped)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] == '%')
            {
                bytes.Add(Convert.ToByte(escaped.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.Add((byte)escaped[i]);
            }
        }
        return bytes.ToArray();
    }

    [Fact]
    public async Task A_literal_percent_is_escaped_so_the_record_tells_a_sent_escape_from_the_character_it_stands_for()
    {
        NotifyReceiver r = Start();
        await RawAsync(r, Encoding.ASCII.GetBytes("POST /alipay/notify?t=%2541 HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\nConnection: close\r\n\r\na=%41&A"));
        string[] fields = Assert.Single(Records()).Split('\t');
        Assert.Equal("/alipay/notify?t=%2541", Encoding.ASCII.GetString(Decode(fields[4])));
        Assert.Equal("a=%41&A", Encoding.ASCII.GetString(Decode(fields[5])));
        Assert.Equal(28, fields[0].Length); // seven decimals: a record that escapes '%'
    }

    [Fact]
    public void A_record_of_an_earlier_version_still_reads_as_it_was_written()
    {
        // Three decimals, and '%' kept as it was: the body is the urlencoded form as received.
        string body = Notification("legacy0001");
        string line = "2026-11-25T10:00:00.123Z\tPOST\t127.0.0.1:40000\tvalid\t/alipay/notify\t" + body;
        string now = Encoding.UTF8.GetString(CallbackLog.FormatLine(DateTime.UtcNow, "POST", "127.0.0.1:40000", "valid", Encoding.ASCII.GetBytes("/alipay/notify"), Encoding.ASCII.GetBytes(body), body.Length));
        using var v = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, BptbCharset.Utf8);
        foreach (string record in new[] { line, now.TrimEnd('\n') })
        {
            NotificationResult r = v.Verify(record, out _)!;
            Assert.True(r.IsValid, r.Reason);
            Assert.Equal("legacy0001", r.NotifyId);
            Assert.Equal("2026-11-26 10:00:00", r.RawParameters["notify_time"]);
            Assert.NotNull(r.Received);
        }
    }
}
