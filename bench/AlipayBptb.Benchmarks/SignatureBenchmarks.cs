using System;
using System.Security.Cryptography;
using System.Text;
using AlipayBptb.Core.Signing;
using BenchmarkDotNet.Attributes;

namespace AlipayBptb.Benchmarks;

/// <summary>
/// RSA-2048 SHA1withRSA verify of a ~250-character sign string. Baseline: the platform's RSA.VerifyData on bytes
/// encoded and a signature decoded beforehand. Ours: Signer.Verify from the wire form (string, base64), as the
/// module calls it per notification, so the ratio shows the module's whole overhead (utf-8, base64, result).
/// </summary>
[Target(MinRateOfBaseline = 0.90)]
public class RsaVerifyBenchmarks
{
    private RSA _platform = null!;
    private Signer _signer = null!;
    private byte[] _data = null!;
    private byte[] _signature = null!;
    private string _signString = null!;
    private string _sign = null!;

    [GlobalSetup]
    public void Setup()
    {
        using RSA key = RSA.Create(2048);
        string pem = key.ExportSubjectPublicKeyInfoPem();
        _signString = SignString.Build(SampleData.LongNotification());
        _data = Encoding.UTF8.GetBytes(_signString);
        _signature = key.SignData(_data, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);
        _sign = Convert.ToBase64String(_signature);
        _platform = RSA.Create();
        _platform.ImportFromPem(pem);
        _signer = KeyLoader.LoadPublicKey(pem, "bench");
        Check.That(_signer is RsaSigner, $"KeyLoader gave a {_signer.GetType().Name} for RSA-2048, not the platform RsaSigner");
        Check.That(_signer.KeySize == 2048, $"key size {_signer.KeySize}");
        Check.That(Platform(), "platform RSA does not verify its own signature");
        Check.That(AlipayBptb(), "Signer.Verify rejects a good RSA signature");
        Check.That(!_signer.Verify(_signString + "x", BptbCharset.Utf8, _sign).IsValid, "Signer.Verify accepts a changed sign string");
        Check.Note($"// RSA-2048: sign string {_signString.Length} chars / {_data.Length} utf-8 bytes, signer {_signer.GetType().Name}");
    }

    [Benchmark(Baseline = true)]
    public bool Platform() => _platform.VerifyData(_data, _signature, HashAlgorithmName.SHA1, RSASignaturePadding.Pkcs1);

    [Benchmark]
    public bool AlipayBptb() => _signer.Verify(_signString, BptbCharset.Utf8, _sign).IsValid;

    [GlobalCleanup]
    public void Cleanup()
    {
        _platform.Dispose();
        _signer.Dispose();
    }
}

/// <summary>
/// DSA-1024 SHA1withDSA verify. Baseline: the platform's DSA.VerifyData (SHA-1, IEEE P1363 r||s) on bytes and
/// signature prepared beforehand. Ours: Signer.Verify from the wire form (Java's DER SEQUENCE {r, s}, base64).
/// </summary>
[Target(MinRateOfBaseline = 0.90)]
public class DsaVerifyBenchmarks
{
    private DSA _platform = null!;
    private Signer _signer = null!;
    private byte[] _data = null!;
    private byte[] _p1363 = null!;
    private string _signString = null!;
    private string _sign = null!;

    [GlobalSetup]
    public void Setup()
    {
        using DSA key = DSA.Create(1024);
        string pem = key.ExportSubjectPublicKeyInfoPem();
        _signString = SignString.Build(SampleData.LongNotification());
        _data = Encoding.UTF8.GetBytes(_signString);
        _p1363 = key.SignData(_data, HashAlgorithmName.SHA1);
        _sign = Convert.ToBase64String(DsaSignatureEncoding.P1363ToDer(_p1363));
        _platform = DSA.Create();
        _platform.ImportFromPem(pem);
        _signer = KeyLoader.LoadPublicKey(pem, "bench");
        Check.That(_signer is DsaSigner, $"KeyLoader gave a {_signer.GetType().Name} for DSA-1024, not the platform DsaSigner");
        Check.That(_signer.KeySize == 1024, $"key size {_signer.KeySize}");
        Check.That(Platform(), "platform DSA does not verify its own signature");
        Check.That(AlipayBptb(), "Signer.Verify rejects a good DSA signature");
        Check.That(!_signer.Verify(_signString + "x", BptbCharset.Utf8, _sign).IsValid, "Signer.Verify accepts a changed sign string");
        Check.Note($"// DSA-1024: sign string {_signString.Length} chars / {_data.Length} utf-8 bytes, DER sign {_sign.Length} base64 chars, signer {_signer.GetType().Name}");
    }

    [Benchmark(Baseline = true)]
    public bool Platform() => _platform.VerifyData(_data, _p1363, HashAlgorithmName.SHA1);

    [Benchmark]
    public bool AlipayBptb() => _signer.Verify(_signString, BptbCharset.Utf8, _sign).IsValid;

    [GlobalCleanup]
    public void Cleanup()
    {
        _platform.Dispose();
        _signer.Dispose();
    }
}
