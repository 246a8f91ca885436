using System;
using System.IO;
using System.Text;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;
using SharpFuzz;

namespace AlipayBptb.Fuzz;

/// <summary>
/// The fuzzing harness that 'build.ps1 fuzz' runs under afl-fuzz, one target per process:
/// <c>dotnet AlipayBptb.Fuzz.dll params|log|keys</c>, the input on standard input.
/// A target swallows only the failures the core documents for bad input; any other exception escapes,
/// and afl-fuzz records the input as a crash. Run outside afl-fuzz, the program reads one input from
/// standard input, runs the target once and lets an unexpected exception print its stack trace:
/// <c>dotnet AlipayBptb.Fuzz.dll params &lt; out/fuzz/params/findings/default/crashes/id:000000...</c>.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Action<Stream>? target = args.Length == 1 ? Targets.Find(args[0]) : null;
        if (target == null)
        {
            Console.Error.WriteLine("usage: dotnet AlipayBptb.Fuzz.dll params|log|keys   (the input on standard input)");
            return 2;
        }
        // Out of process: a stack overflow or a hang ends the child that runs the target, not the fork server
        // afl-fuzz talks to, so the run goes on and records it.
        Fuzzer.OutOfProcess.Run(target);
        return 0;
    }
}

/// <summary>The four targets, each an action over the input bytes.</summary>
public static class Targets
{
    // The test suite's MD5 key (tests/unit): the seeds under fuzz/corpus/params are signed with it, so that
    // mutations of a genuine notification get as far as the signature check.
    private const string Md5Key = "k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";
    private const string Partner = "2088101122136241";

    private static readonly BptbCharset Gbk = BptbCharset.Get("gbk");
    private static readonly NotificationVerifier Utf8Verifier = new(new[] { new Md5Signer(Md5Key) }, null, Partner, BptbCharset.Utf8);
    private static readonly NotificationVerifier GbkVerifier = new(new[] { new Md5Signer(Md5Key) }, null, Partner, Gbk);

    // Reused by the log target: one file per process, rewritten for every input.
    private static string? _logPath;

    public static Action<Stream>? Find(string name) => name switch
    {
        "params" => Parameters,
        "log" => Log,
        "keys" => Keys,
        "http" => Http,
        "paymentfile" => PaymentFile,
        _ => null,
    };

    /// <summary>
    /// The payment-file checker on hostile bytes, read as each kind of file Alipay takes: it never throws, and what it
    /// calls valid adds up (the count of rows, the total of the amounts), and writes back, through the writer, to a
    /// file it calls valid again with the same rows and total.
    /// </summary>
    public static void PaymentFile(Stream input)
    {
        byte[] content = ReadAll(input);
        foreach (string name in new[] { "fuzz.csv", "fuzz.xls", "fuzz.zip" })
        {
            AlipayBptb.Core.PaymentFiles.PaymentFileReport report = AlipayBptb.Core.PaymentFiles.PaymentFileChecker.Check(name, content);
            Trace($"{name}: {report}");
            if (!report.IsValid)
            {
                continue;
            }
            decimal sum = 0m;
            foreach (AlipayBptb.Core.PaymentFiles.PaymentRow row in report.Rows)
            {
                sum += row.Amount;
            }
            if (report.Count != report.Rows.Count || report.Total != sum || report.Date == null || report.Email == null)
            {
                throw new FuzzInvariantException($"A valid file does not add up: count {report.Count} against {report.Rows.Count} rows, total {report.Total} against {sum}.");
            }
            byte[] again = AlipayBptb.Core.PaymentFiles.PaymentFileWriter.Write(report.Date.Value, report.Email, report.Rows);
            AlipayBptb.Core.PaymentFiles.PaymentFileReport reread = AlipayBptb.Core.PaymentFiles.PaymentFileChecker.Check("again.csv", again);
            if (!reread.IsValid || reread.Total != report.Total || reread.Rows.Count != report.Rows.Count)
            {
                throw new FuzzInvariantException($"A valid file written back does not check valid with the same rows: {reread}.");
            }
        }
    }

    /// <summary>
    /// The receiver's request parsing: what a client sends on one connection (request lines, headers,
    /// Content-Length or chunked bodies, keep-alive), each request then written as a log record and read back.
    /// A request that is not HTTP is a Problem, never an exception; a record percent-decodes back to exactly
    /// the target and body that were received.
    /// </summary>
    public static void Http(Stream input)
    {
        var connection = new OneWayConnection(ReadAll(input));
        System.Collections.Generic.List<AlipayBptb.Core.Hosting.HttpExchange> requests =
            AlipayBptb.Core.Hosting.LoopbackHttpHost.ReadAllAsync(connection, 64 * 1024).GetAwaiter().GetResult();
        foreach (AlipayBptb.Core.Hosting.HttpExchange r in requests)
        {
            Trace($"request: {r.Method} {r.Target} body {r.BodyLength}{(r.BodyTooLarge ? " (too large)" : string.Empty)} problem {r.Problem ?? "-"}");
            if (r.Problem != null)
            {
                continue;
            }
            byte[] line = AlipayBptb.Core.Notifications.CallbackLog.FormatLine(DateTime.UtcNow, r.Method, r.Remote, "-", r.TargetBytes, r.Body, r.BodyLength);
            string[] fields = Encoding.UTF8.GetString(line).TrimEnd('\n').Split('\t');
            if (fields.Length != 6)
            {
                throw new FuzzInvariantException($"A log record has {fields.Length} fields, not 6.");
            }
            if (!Same(Unescape(fields[4]), r.TargetBytes.Length == 0 ? new[] { (byte)'-' } : r.TargetBytes))
            {
                throw new FuzzInvariantException("The logged target does not decode back to the target received.");
            }
            byte[] body = new byte[r.BodyLength];
            Array.Copy(r.Body, body, r.BodyLength);
            if (!Same(fields[5] == "-" ? Array.Empty<byte>() : Unescape(fields[5]), body))
            {
                throw new FuzzInvariantException("The logged body does not decode back to the body received.");
            }
            Touch(ParameterReader.Read(Encoding.UTF8.GetString(line), BptbCharset.Utf8));
        }
    }

    private static byte[] Unescape(string field)
    {
        var bytes = new System.Collections.Generic.List<byte>(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '%' && i + 2 < field.Length && Uri.IsHexDigit(field[i + 1]) && Uri.IsHexDigit(field[i + 2]))
            {
                bytes.Add(Convert.ToByte(field.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.Add((byte)field[i]);
            }
        }
        return bytes.ToArray();
    }

    private static bool Same(byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b);

    /// <summary>
    /// The parameter reader (Read and ReadQuery) and an MD5 NotificationVerifier over the same text, in utf-8 and gbk.
    /// An unreadable result and a Problem are answers, not failures: nothing here may throw.
    /// </summary>
    public static void Parameters(Stream input)
    {
        string text = Text(ReadAll(input));
        Read(text, BptbCharset.Utf8, Utf8Verifier);
        Read(text, Gbk, GbkVerifier);
    }

    private static void Read(string text, BptbCharset charset, NotificationVerifier verifier)
    {
        Touch(ParameterReader.Read(text, charset));
        Touch(ParameterReader.ReadQuery(text, charset));
        NotificationResult? result = verifier.Verify(text, out string? unreadable);
        if ((result == null) == (unreadable == null))
        {
            throw new FuzzInvariantException("Verify must give either a result or the reason the input is unreadable, never both or neither.");
        }
        if (result != null)
        {
            Touch(result);
        }
        Trace($"{charset}: {(result == null ? "unreadable: " + unreadable : result.IsValid ? "valid " + result.Event : "invalid: " + result.Reason)}");
    }

    private static void Touch(ParameterRead read)
    {
        if (read.IsUnreadable && read.Problem == null)
        {
            throw new FuzzInvariantException("An unreadable read must say why.");
        }
        ParameterList p = read.Parameters;
        for (int i = 0; i < p.Count; i++)
        {
            if (p.KeyAt(i).Length == 0 && read.Problem == null)
            {
                throw new FuzzInvariantException("An empty parameter name was read without a problem.");
            }
            if (p[p.KeyAt(i)] is null)
            {
                throw new FuzzInvariantException("A parameter read cannot be found by its own name.");
            }
        }
        _ = SignString.Build(p);
        _ = read.Record?.Time;
    }

    // The result's typed fields are computed when asked for: ask for all of them.
    private static void Touch(NotificationResult r)
    {
        if (r.IsValid != (r.Reason == null))
        {
            throw new FuzzInvariantException("A result is valid exactly when it has no reason.");
        }
        _ = r.Kind;
        _ = r.Event;
        _ = r.NotifyType;
        _ = r.NotifyId;
        _ = r.NotifyTime;
        _ = r.PayDate;
        _ = r.Flag;
        _ = r.FileName;
        _ = r.Partner;
        _ = r.ResultCode;
        _ = r.ResultDescription;
        _ = r.IsSuccess;
        _ = r.SignType;
        _ = r.Sign;
        _ = r.SignString;
        _ = r.Parameters.Count;
        _ = r.Received;
        _ = r.NotifyVerified;
        _ = r.ToString();
    }

    /// <summary>
    /// The log reader over the input written to a file as it is (gzip when it starts with gzip's magic bytes),
    /// every line consumed. A corrupt gzip stream may fail with IOException or InvalidDataException, as documented.
    /// </summary>
    public static void Log(Stream input)
    {
        byte[] bytes = ReadAll(input);
        _logPath ??= Path.Combine(
            Environment.GetEnvironmentVariable("ALIPAYBPTB_FUZZ_TMP") is { Length: > 0 } dir ? dir : Path.GetTempPath(),
            $"alipaybptb-fuzz-{Environment.ProcessId}.log");
        File.WriteAllBytes(_logPath, bytes);
        bool gzip = bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B;
        long expected = 0;
        try
        {
            foreach (LogLine line in LogReader.Read(_logPath))
            {
                expected++;
                if (line.Number != expected)
                {
                    throw new FuzzInvariantException($"Line {expected} was numbered {line.Number}.");
                }
                if (line.Text is null)
                {
                    throw new FuzzInvariantException($"Line {expected} has no text.");
                }
                Trace($"line {line.Number}: {line.Text.Length} characters");
            }
        }
        catch (Exception ex) when (gzip && (ex is InvalidDataException || ex is IOException))
        {
            // A corrupt gzip stream: the documented failure.
            Trace($"{ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>
    /// The key loader, public and private, on the input as text; KeyFormatException is the documented failure.
    /// An input that starts as DER does (a SEQUENCE, 0x30) is also given in base64, bare and as an RSA PUBLIC KEY
    /// PEM, so that mutations of the key's bytes reach the ASN.1 and key parsers, not only the base64 decoder.
    /// </summary>
    public static void Keys(Stream input)
    {
        byte[] bytes = ReadAll(input);
        // Latin-1: every byte is one character, so the mutations land in the text one for one.
        string text = Encoding.Latin1.GetString(bytes);
        LoadKeys(text);
        if (bytes.Length > 0 && bytes[0] == 0x30)
        {
            string base64 = Convert.ToBase64String(bytes);
            LoadKeys(base64);
            Load(() => KeyLoader.LoadPublicKey("-----BEGIN RSA PUBLIC KEY-----\n" + base64 + "\n-----END RSA PUBLIC KEY-----\n", "the fuzz input"));
        }
    }

    private static void LoadKeys(string text)
    {
        Load(() => KeyLoader.LoadPublicKey(text, "the fuzz input"));
        Load(() => KeyLoader.LoadPrivateKey(text, "the fuzz input"));
    }

    private static void Load(Func<Signer> load)
    {
        try
        {
            using Signer signer = load();
            if (signer.KeySize <= 0)
            {
                throw new FuzzInvariantException($"A {signer.SignType} key was loaded with a size of {signer.KeySize} bits.");
            }
            Trace($"loaded: {signer.SignType} {signer.KeySize} bits, {(signer.CanSign ? "private" : "public")}");
        }
        catch (KeyFormatException ex)
        {
            Trace($"KeyFormatException: {ex.Message}");
        }
    }

    private static readonly bool Verbose = Environment.GetEnvironmentVariable("ALIPAYBPTB_FUZZ_VERBOSE") == "1";

    // ALIPAYBPTB_FUZZ_VERBOSE=1: what each step gave, for looking at one input outside afl-fuzz.
    private static void Trace(string message)
    {
        if (Verbose)
        {
            Console.Error.WriteLine(message);
        }
    }

    private static byte[] ReadAll(Stream input)
    {
        using var memory = new MemoryStream();
        input.CopyTo(memory);
        return memory.ToArray();
    }

    // Text as a script would hand it over: UTF-8 (bytes that are not UTF-8 become U+FFFD, as LogReader makes them);
    // after a UTF-16LE byte order mark, raw UTF-16 code units, so that lone surrogates can be tried too.
    private static string Text(byte[] bytes)
    {
        if (bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE)
        {
            var chars = new char[(bytes.Length - 2) / 2];
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = (char)(bytes[2 + (2 * i)] | (bytes[3 + (2 * i)] << 8));
            }
            return new string(chars);
        }
        return new UTF8Encoding(false, false).GetString(bytes);
    }
}

/// <summary>A client's side of a connection: the input is what it sends; what the server writes back is dropped.</summary>
internal sealed class OneWayConnection : Stream
{
    private readonly MemoryStream _sent;

    public OneWayConnection(byte[] sent) => _sent = new MemoryStream(sent, writable: false);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => _sent.Read(buffer, offset, count);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) { }
}

/// <summary>A property the core promises did not hold: reported to afl-fuzz as a crash, as any unexpected exception is.</summary>
public sealed class FuzzInvariantException : Exception
{
    public FuzzInvariantException(string message) : base(message)
    {
    }
}
