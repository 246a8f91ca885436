using System;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Security;

namespace AlipayBptb.Tests;

// .NET Framework 4.8 lacks some APIs that tests/unit's files use to *set up* their cases (hex strings, temporary
// folders, socket helpers, key export). These stand-ins, for this net48 test build only, let the very same test files
// compile here. None of them replaces anything of AlipayBptb.Core: the code under test is the core's netstandard2.0
// build as the module ships it. Each stand-in does what the .NET API does for the arguments the tests pass.
internal static class NetFrameworkShims
{
    extension(Convert)
    {
        public static string ToHexString(byte[] bytes) => string.Concat(bytes.Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
    }

    extension(Directory)
    {
        public static DirectoryInfo CreateTempSubdirectory(string prefix) =>
            Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")));
    }

    extension(Array)
    {
        public static void Fill<T>(T[] array, T value)
        {
            for (int i = 0; i < array.Length; i++)
            {
                array[i] = value;
            }
        }
    }

    extension(Encoding)
    {
        /// <summary>ISO-8859-1: every byte is the code point of the same value, as .NET's Encoding.Latin1.</summary>
        public static Encoding Latin1 => Encoding.GetEncoding(28591);
    }

    extension(CompressionLevel)
    {
        /// <summary>.NET Framework's deflate has no level beyond Optimal; the tests need only a compressed member.</summary>
        public static CompressionLevel SmallestSize => CompressionLevel.Optimal;
    }

    extension(Task task)
    {
        public bool IsCompletedSuccessfully => task.Status == TaskStatus.RanToCompletion;
    }

    extension(ProcessStartInfo psi)
    {
        /// <summary>Arguments added one by one, quoted as the Windows command line rules (which Mono follows) read them.</summary>
        public Collection<string> ArgumentList => ArgumentLists.GetValue(psi, p => new ArgumentListStandIn(p));
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ProcessStartInfo, ArgumentListStandIn> ArgumentLists = new();

    public static void Write(this Stream stream, byte[] buffer) => stream.Write(buffer, 0, buffer.Length);

    public static Task WriteAsync(this Stream stream, byte[] buffer) => stream.WriteAsync(buffer, 0, buffer.Length);

    public static Task WriteAsync(this Stream stream, byte[] buffer, CancellationToken cancellationToken) =>
        stream.WriteAsync(buffer, 0, buffer.Length, cancellationToken);

    public static Task<int> ReadAsync(this Stream stream, byte[] buffer) => stream.ReadAsync(buffer, 0, buffer.Length);

    public static Task<int> ReadAsync(this Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (!MemoryMarshal.TryGetArray(buffer, out ArraySegment<byte> segment))
        {
            throw new NotSupportedException("Only array-backed memory in this stand-in.");
        }
        return stream.ReadAsync(segment.Array!, segment.Offset, segment.Count, cancellationToken);
    }

    /// <summary>ValueTask's AsTask: here the stand-ins already return a Task.</summary>
    public static Task<T> AsTask<T>(this Task<T> task) => task;

    /// <summary>Completes as the task does, or throws TimeoutException after <paramref name="timeout"/>, as .NET's WaitAsync.</summary>
    public static async Task<T> WaitAsync<T>(this Task<T> task, TimeSpan timeout)
    {
        if (await Task.WhenAny(task, Task.Delay(timeout)).ConfigureAwait(false) != task)
        {
            throw new TimeoutException();
        }
        return await task.ConfigureAwait(false);
    }

    /// <summary>Cancelling stops the listener, which ends the pending accept with an exception, as .NET's overload does.</summary>
    public static async Task<TcpClient> AcceptTcpClientAsync(this TcpListener listener, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using (cancellationToken.Register(listener.Stop))
        {
            try
            {
                return await listener.AcceptTcpClientAsync().ConfigureAwait(false);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
        }
    }

    public static string Replace(this string text, string oldValue, string newValue, StringComparison comparison)
    {
        if (comparison != StringComparison.Ordinal)
        {
            throw new NotSupportedException("Ordinal only in this stand-in.");
        }
        return text.Replace(oldValue, newValue);
    }

    public static string[] Split(this string text, char separator, StringSplitOptions options) => text.Split(new[] { separator }, options);

    /// <summary>
    /// An encrypted PKCS#8 PEM ("ENCRYPTED PRIVATE KEY"), written by BouncyCastle. .NET writes PBES2 with the given
    /// parameters; this writes PBE-SHA1-3DES, another EncryptedPrivateKeyInfo: the test asks only that the loader
    /// recognises an encrypted key and says so.
    /// </summary>
    public static string ExportEncryptedPkcs8PrivateKeyPem(this System.Security.Cryptography.RSA rsa, string password, System.Security.Cryptography.PbeParameters pbe)
    {
        System.Security.Cryptography.RSAParameters p = rsa.ExportParameters(true);
        var key = new RsaPrivateCrtKeyParameters(
            Positive(p.Modulus), Positive(p.Exponent), Positive(p.D), Positive(p.P), Positive(p.Q), Positive(p.DP), Positive(p.DQ), Positive(p.InverseQ));
        var generator = new Pkcs8Generator(key, Pkcs8Generator.PbeWithShaAnd3KeyTripleDesCbc)
        {
            Password = password.ToCharArray(),
            IterationCount = pbe.IterationCount,
            SecureRandom = new SecureRandom(),
        };
        return Pem(generator.Generate());
    }

    /// <summary>An unencrypted PKCS#8 PEM of an EC private key, written by BouncyCastle.</summary>
    public static string ExportPkcs8PrivateKeyPem(this System.Security.Cryptography.ECDsa ec)
    {
        System.Security.Cryptography.ECParameters p = ec.ExportParameters(true);
        var key = new ECPrivateKeyParameters("EC", Positive(p.D), new Org.BouncyCastle.Asn1.DerObjectIdentifier(p.Curve.Oid.Value));
        return Pem(new Pkcs8Generator(key).Generate());
    }

    private static BigInteger Positive(byte[] bytes) => new(1, bytes);

    private static string Pem(Org.BouncyCastle.Utilities.IO.Pem.PemObject pem)
    {
        using var sw = new StringWriter();
        var writer = new PemWriter(sw);
        writer.WriteObject(pem);
        writer.Writer.Flush();
        return sw.ToString();
    }

    private sealed class ArgumentListStandIn(ProcessStartInfo psi) : Collection<string>
    {
        protected override void InsertItem(int index, string item)
        {
            base.InsertItem(index, item);
            psi.Arguments = string.Join(" ", this.Select(Quote));
        }

        private static string Quote(string arg) =>
            arg.Length > 0 && arg.IndexOfAny(new[] { ' ', '\t', '"' }) < 0 ? arg : "\"" + arg.Replace("\"", "\\\"") + "\"";
    }
}
