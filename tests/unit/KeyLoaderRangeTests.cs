using System;
using AlipayBptb.Core.Signing;
using Org.BouncyCastle.Asn1;
using Xunit;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace AlipayBptb.Tests;

/// <summary>DSA keys whose numbers are out of range or missing: what fuzzing the key loader found.</summary>
public class KeyLoaderRangeTests
{
    // What 'build.ps1 fuzz' found (keys target), as afl-tmin minimized it: a traditional DSA private key, SEQUENCE
    // { 0, p, q, g, y, x }, with p = g (so g has no inverse mod p) and x < 0. Loading it threw ArithmeticException
    // ("Numbers not relatively prime.") from BouncyCastle's ModPow, called by KeyLoader, instead of KeyFormatException.
    private const string FuzzedDsaKey =
        "MIIBywIBAAKBgTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw" +
        "MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMAIdMDAw" +
        "MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDACgYEwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw" +
        "MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw" +
        "MDAwMDAwMDAwMDAwMDACgYAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw" +
        "MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw" +
        "MAIc2zAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMA==";

    [Fact]
    public void A_fuzzed_dsa_key_whose_numbers_break_the_arithmetic_is_refused_as_a_key_format_error()
    {
        var ex = Assert.Throws<KeyFormatException>(() => KeyLoader.LoadPrivateKey(FuzzedDsaKey, "the test key"));
        Assert.Contains("not a usable DSA key", ex.Message, StringComparison.Ordinal);
        Assert.Throws<KeyFormatException>(() => KeyLoader.LoadPrivateKey(Pem("DSA PRIVATE KEY", FuzzedDsaKey), "the test key"));
    }

    // The traditional DSA key of tests/vectors, SEQUENCE { 0, p, q, g, y, x }, with one number changed. Before the
    // range check, p <= 0 threw ArithmeticException ("Modulus must be positive"), and the other changes loaded as a
    // signer whose signatures nobody could verify.
    [Theory]
    [InlineData(1, "negate")] // p < 0
    [InlineData(1, "zero")] // p = 0
    [InlineData(2, "zero")] // q = 0
    [InlineData(3, "one")] // g = 1
    [InlineData(3, "p")] // g = p
    [InlineData(5, "negate")] // x < 0
    [InlineData(5, "zero")] // x = 0
    [InlineData(5, "q")] // x = q
    [InlineData(1, "huge")] // p of 10001 bits, past what OpenSSL makes or reads
    public void A_dsa_private_key_with_a_number_out_of_range_is_refused_as_a_key_format_error(int index, string change)
    {
        var seq = (Asn1Sequence)Asn1Object.FromByteArray(Convert.FromBase64String(Vectors.Bare("dsa1024.trad.pem")));
        var numbers = new BigInteger[6];
        for (int i = 0; i < 6; i++)
        {
            numbers[i] = DerInteger.GetInstance(seq[i]).Value;
        }
        numbers[index] = change switch
        {
            "negate" => numbers[index].Negate(),
            "zero" => BigInteger.Zero,
            "one" => BigInteger.One,
            "p" => numbers[1],
            "q" => numbers[2],
            "huge" => BigInteger.One.ShiftLeft(10000).Add(numbers[1]),
            _ => throw new ArgumentOutOfRangeException(nameof(change)),
        };
        var elements = new Asn1EncodableVector();
        foreach (BigInteger n in numbers)
        {
            elements.Add(new DerInteger(n));
        }
        string body = Convert.ToBase64String(new DerSequence(elements).GetEncoded());
        var ex = Assert.Throws<KeyFormatException>(() => KeyLoader.LoadPrivateKey(Pem("DSA PRIVATE KEY", body), "the test key"));
        Assert.Contains("not a usable DSA key", ex.Message, StringComparison.Ordinal);
    }

    // Found while fixing the above, not by the fuzzer: SubjectPublicKeyInfo { { dsa }, BIT STRING { INTEGER y } }, a DSA
    // public key without p, q and g, which X.509 allows and BouncyCastle reads; KeyLoader threw NullReferenceException.
    [Fact]
    public void A_dsa_public_key_without_its_parameters_is_refused_as_a_key_format_error()
    {
        var spki = new DerSequence(
            new DerSequence(new DerObjectIdentifier("1.2.840.10040.4.1")),
            new DerBitString(new DerInteger(BigInteger.ValueOf(0x0101_0101)).GetEncoded()));
        string body = Convert.ToBase64String(spki.GetEncoded());
        var ex = Assert.Throws<KeyFormatException>(() => KeyLoader.LoadPublicKey(Pem("PUBLIC KEY", body), "the test key"));
        Assert.Contains("without its parameters", ex.Message, StringComparison.Ordinal);
        Assert.Throws<KeyFormatException>(() => KeyLoader.LoadPublicKey(body, "the test key"));
    }

    private static string Pem(string label, string base64) => $"-----BEGIN {label}-----\n{base64}\n-----END {label}-----\n";
}
