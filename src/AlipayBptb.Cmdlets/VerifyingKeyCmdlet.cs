using System.Management.Automation;
using System.Security;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Cmdlets;

/// <summary>A cmdlet that checks what Alipay signed: the MD5 key, or Alipay's public key as text or file, one per parameter set.</summary>
public abstract class VerifyingKeyCmdlet : BptbCmdlet
{
    protected const string KeySet = "Key";
    protected const string PublicKeySet = "PublicKey";
    protected const string PublicKeyPathSet = "PublicKeyPath";

    [Parameter(Mandatory = true, ParameterSetName = KeySet)]
    public SecureString? Key { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = PublicKeySet)]
    public string? PublicKey { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = PublicKeyPathSet)]
    [Alias("PublicKeyFile")]
    public string? PublicKeyPath { get; set; }

    /// <summary>
    /// The key given, parsed once for the whole pipeline; null when none was (a cmdlet whose key is optional).
    /// A key that cannot be used stops the cmdlet with an error chosen by <see cref="KeyFormatException.Problem"/>.
    /// </summary>
    protected Signer? LoadVerifyingKey()
    {
        try
        {
            return Key != null ? KeySource.Md5(Key)
                : PublicKey != null ? KeyLoader.LoadPublicKey(PublicKey, "the -PublicKey value")
                : PublicKeyPath != null ? KeyLoader.LoadPublicKey(KeyLoader.ReadKeyFile(ResolvePath(PublicKeyPath)), $"the key file '{PublicKeyPath}'")
                : null;
        }
        catch (KeyFormatException ex)
        {
            ThrowKeyError(ex, PublicKeyPath);
            throw; // not reached
        }
    }
}
