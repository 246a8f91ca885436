// .NET Framework 4.8 has no PbeParameters: this stand-in, for this net48 test build only, carries the arguments
// KeyLoaderTests passes to ExportEncryptedPkcs8PrivateKeyPem (see NetFrameworkShims.cs), with .NET's names.
namespace System.Security.Cryptography;

internal enum PbeEncryptionAlgorithm
{
    Unknown = 0,
    Aes128Cbc = 1,
    Aes192Cbc = 2,
    Aes256Cbc = 3,
    TripleDes3KeyPkcs12 = 4,
}

internal sealed class PbeParameters(PbeEncryptionAlgorithm encryptionAlgorithm, HashAlgorithmName hashAlgorithm, int iterationCount)
{
    public PbeEncryptionAlgorithm EncryptionAlgorithm { get; } = encryptionAlgorithm;

    public HashAlgorithmName HashAlgorithm { get; } = hashAlgorithm;

    public int IterationCount { get; } = iterationCount;
}
