using System;
using System.Security.Cryptography;
using System.Text;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;
using BenchmarkDotNet.Attributes;

namespace AlipayBptb.Benchmarks;

/// <summary>
/// MD5 notification verify (spec 6 + 8.2.1) of a realistic bptb_unfreeze_notify: notify_type, notify_time,
/// notify_id, pay_date, flag, file_name (Chinese, percent-encoded on the wire), sign, sign_type.
/// Baseline: MD5.HashData of the very bytes that are hashed (sign string + key), prepared beforehand: the floor.
/// Ours: NotificationVerifier.Verify on parameters already read, and on the raw query string (read + verify).
/// Target: at least 500,000 verifications a second on one thread.
/// </summary>
public class Md5NotificationBenchmarks
{
    private readonly byte[] _digest = new byte[16];
    private Md5Signer _signer = null!;
    private NotificationVerifier _verifier = null!;
    private ParameterList _parameters = null!;
    private string _query = null!;
    private byte[] _hashInput = null!;

    [GlobalSetup]
    public void Setup()
    {
        _signer = new Md5Signer(SampleData.Md5Key.AsSpan());
        _verifier = new NotificationVerifier(new Signer[] { _signer }, null, null, BptbCharset.Utf8);
        string signString = SignString.Build(SampleData.List(SampleData.NotificationFields()));
        Check.That(signString == SampleData.VectorSignString, "SignString.Build differs from the test vector's sign string");
        _hashInput = Encoding.UTF8.GetBytes(signString + SampleData.Md5Key);
        string sign = Convert.ToHexStringLower(MD5.HashData(_hashInput));
        Check.That(sign == SampleData.VectorMd5Utf8, "platform MD5 differs from the test vector");
        Check.That(_signer.Sign(signString, BptbCharset.Utf8) == sign, "Md5Signer.Sign differs from the test vector");
        _parameters = SampleData.List(SampleData.NotificationFields(), sign, "MD5");
        _query = SampleData.Query(_parameters);
        Check.That(VerifyParameterList(), "Verify(ParameterList) rejects a good notification");
        Check.That(VerifyQueryString(), "Verify(string) rejects a good notification");
        ParameterList tampered = SampleData.List(SampleData.NotificationFields(), sign.Replace('f', 'e'), "MD5");
        Check.That(!_verifier.Verify(tampered).IsValid, "Verify accepts a wrong sign");
        Check.Note($"// MD5: query {_query.Length} chars, sign string {signString.Length} chars, hashed {_hashInput.Length} bytes");
        Check.Note($"// MD5: query = {_query}");
    }

    [Benchmark(Baseline = true)]
    public int PlatformMd5() => MD5.HashData(_hashInput, _digest);

    [Benchmark]
    [Target(MinOpsPerSecond = 500_000)]
    public bool VerifyParameterList() => _verifier.Verify(_parameters).IsValid;

    [Benchmark]
    [Target(MinOpsPerSecond = 500_000)]
    public bool VerifyQueryString() => _verifier.Verify(_query, out _)!.IsValid;

    [GlobalCleanup]
    public void Cleanup() => _signer.Dispose();
}
