using System;
using System.Security.Cryptography;
using System.Text;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;
using BenchmarkDotNet.Attributes;

namespace AlipayBptb.Benchmarks;

/// <summary>
/// Where the MD5 notification verify spends its time: each step of NotificationVerifier.Verify on the same
/// notification as <see cref="Md5NotificationBenchmarks"/>, alone. No targets; for finding the next thing to speed up.
/// </summary>
public class Md5BreakdownBenchmarks
{
    private Md5Signer _signer = null!;
    private ParameterList _parameters = null!;
    private string _query = null!;
    private string _signString = null!;
    private string _sign = null!;
    private byte[] _hashInput = null!;
    private readonly byte[] _digest = new byte[16];
    private IncrementalHash _incremental = null!;

    [GlobalSetup]
    public void Setup()
    {
        _signer = new Md5Signer(SampleData.Md5Key.AsSpan());
        _sign = SampleData.VectorMd5Utf8;
        _parameters = SampleData.List(SampleData.NotificationFields(), _sign, "MD5");
        _query = SampleData.Query(_parameters);
        _signString = SignString.Build(_parameters);
        Check.That(_signer.Verify(_signString, BptbCharset.Utf8, _sign).IsValid, "Md5Signer.Verify rejects the test vector");
        _hashInput = Encoding.UTF8.GetBytes(_signString + SampleData.Md5Key);
        _incremental = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        Check.That(IncrementalMd5() == 16 && Convert.ToHexStringLower(_digest) == _sign, "IncrementalHash MD5 differs from the test vector");
        Check.That(ParameterReader.Read(_query, BptbCharset.Utf8).Problem == null, "ParameterReader finds a problem in the sample query");
    }

    /// <summary>Step 1 of the query path: ParameterReader.Read (percent-decoding, one string per key and value).</summary>
    [Benchmark]
    public int ReadQuery() => ParameterReader.Read(_query, BptbCharset.Utf8).Parameters.Count;

    /// <summary>Step 2: the sign string (sorted keys, joined).</summary>
    [Benchmark]
    public string BuildSignString() => SignString.Build(_parameters);

    /// <summary>Step 3: Md5Signer.Verify (utf-8 bytes + key, MD5, hex, fixed-time compare).</summary>
    [Benchmark]
    public bool Md5SignerVerify() => _signer.Verify(_signString, BptbCharset.Utf8, _sign).IsValid;

    /// <summary>Step 4: the callback's shape (its fields and their formats, spec 5.2 and 6.2), which tells a restructured copy from the genuine one.</summary>
    [Benchmark]
    public string? CheckShape() => CallbackShape.Check(_parameters, out _);

    /// <summary>Step 5: the result object.</summary>
    [Benchmark]
    public object MakeResult() => new NotificationResult(_parameters, NotificationKind.Notify, _signString, true, null);

    /// <summary>Reference: the same bytes through one reused IncrementalHash (no per-call OpenSSL context), vs MD5.HashData.</summary>
    [Benchmark]
    public int IncrementalMd5()
    {
        _incremental.AppendData(_hashInput);
        return _incremental.GetHashAndReset(_digest);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _signer.Dispose();
        _incremental.Dispose();
    }
}
