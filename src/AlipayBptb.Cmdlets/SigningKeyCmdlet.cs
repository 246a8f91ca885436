using System;
using System.Management.Automation;
using System.Security;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Cmdlets;

/// <summary>
/// A cmdlet that signs requests as the merchant: the MD5 key, or the merchant's private key as text or file, one per
/// parameter set; <c>-SignType</c>, when given, must agree with the key.
/// </summary>
public abstract class SigningKeyCmdlet : BptbCmdlet
{
    protected const string KeySet = "Key";
    protected const string PrivateKeySet = "PrivateKey";
    protected const string PrivateKeyPathSet = "PrivateKeyPath";

    [Parameter(Mandatory = true, ParameterSetName = KeySet)]
    public SecureString? Key { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = PrivateKeySet)]
    public string? PrivateKey { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = PrivateKeyPathSet)]
    [Alias("PrivateKeyFile")]
    public string? PrivateKeyPath { get; set; }

    // Kept as object: a SignType? field would make loading this type load the core (for the field's layout), and
    // PowerShell loads the cmdlet types to list them before the module's initializer has pointed it at the core.
    private object? _signType;

    /// <summary>The signature method; it follows the key when left out, and a value that contradicts the key is refused.</summary>
    [Parameter]
    public SignType? SignType
    {
        get => (SignType?)_signType;
        set => _signType = value;
    }

    /// <summary>The key given, parsed once for the whole pipeline; a key that cannot be used, or contradicts -SignType, stops the cmdlet.</summary>
    protected Signer LoadSigningKey()
    {
        Signer signer;
        try
        {
            signer = Key != null ? KeySource.Md5(Key)
                : PrivateKey != null ? KeyLoader.LoadPrivateKey(PrivateKey, "the -PrivateKey value")
                : KeyLoader.LoadPrivateKey(KeyLoader.ReadKeyFile(ResolvePath(PrivateKeyPath!)), $"the key file '{PrivateKeyPath}'");
        }
        catch (KeyFormatException ex)
        {
            ThrowKeyError(ex, PrivateKeyPath);
            throw; // not reached
        }
        if (SignType is { } wanted && wanted != signer.SignType)
        {
            string key = signer.SignType == Core.Signing.SignType.MD5 ? "an MD5 key (-Key)" : "a " + signer.SignType + " private key";
            signer.Dispose();
            var ex = new ArgumentException($"-SignType {wanted} contradicts the key, which is {key}: leave -SignType out, or give a {wanted} key.", nameof(SignType));
            ThrowTerminatingError(new ErrorRecord(ex, "SignTypeMismatch", ErrorCategory.InvalidArgument, wanted));
        }
        return signer;
    }
}
