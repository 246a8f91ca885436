using System;
using System.Management.Automation;
using System.Security;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Commands;

/// <summary>Builds the signed bptb_user_confirm request for each uploaded payment file (spec 4).</summary>
[Cmdlet(VerbsCommon.New, "BptbConfirmUrl", DefaultParameterSetName = KeySet)]
[OutputType(typeof(ConfirmRequest))]
public sealed class NewBptbConfirmUrlCommand : PSCmdlet, IDisposable
{
    private const string KeySet = "Key";
    private const string PrivateKeySet = "PrivateKey";
    private const string PrivateKeyPathSet = "PrivateKeyPath";

    private Signer? _signer;
    private ConfirmRequestBuilder? _builder;

    [Parameter(Mandatory = true)]
    public string Partner { get; set; } = null!;

    [Parameter(Mandatory = true)]
    public string Email { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    public string FileName { get; set; } = null!;

    [Parameter(Mandatory = true)]
    public string ReturnUrl { get; set; } = null!;

    [Parameter]
    public string? NotifyUrl { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(CharsetCompleter))]
    public string InputCharset { get; set; } = "utf-8";

    [Parameter]
    [ValidateSet("MD5", "RSA", "DSA")]
    public string? SignType { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = KeySet)]
    public SecureString Key { get; set; } = null!;

    [Parameter(Mandatory = true, ParameterSetName = PrivateKeySet)]
    public string PrivateKey { get; set; } = null!;

    [Parameter(Mandatory = true, ParameterSetName = PrivateKeyPathSet)]
    [Alias("PrivateKeyFile")]
    public string PrivateKeyPath { get; set; } = null!;

    [Parameter]
    public string Gateway { get; set; } = GatewayAddress.Default;

    protected override void BeginProcessing()
    {
        ModuleFormats.EnsureLoaded(this);
        BptbCharset charset;
        try
        {
            charset = BptbCharset.Get(InputCharset, nameof(InputCharset));
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "UnsupportedCharset", ErrorCategory.InvalidArgument, InputCharset));
            return;
        }
        try
        {
            _signer = ParameterSetName switch
            {
                KeySet => KeySource.Md5(Key),
                PrivateKeySet => KeySource.PrivateKey(this, PrivateKey, null),
                _ => KeySource.PrivateKey(this, null, PrivateKeyPath),
            };
        }
        catch (KeyFormatException ex)
        {
            ThrowTerminatingError(KeySource.KeyError(ex, ParameterSetName == PrivateKeyPathSet ? PrivateKeyPath : null));
            return;
        }
        if (SignType != null && !string.Equals(SignType, _signer.SignType.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            var ex = new ArgumentException($"-SignType {SignType} contradicts the key, which is {(_signer.SignType == Core.Signing.SignType.MD5 ? "an MD5 key (-Key)" : "a " + _signer.SignType + " private key")}: leave -SignType out, or give a {SignType} key.", nameof(SignType));
            ThrowTerminatingError(new ErrorRecord(ex, "SignTypeMismatch", ErrorCategory.InvalidArgument, SignType));
        }
        try
        {
            _builder = new ConfirmRequestBuilder(Partner, Email, ReturnUrl, NotifyUrl, charset, _signer, Gateway);
        }
        catch (RequestValidationException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ex.ErrorId, ErrorCategory.InvalidArgument, ex.ParamName));
        }
        catch (ArgumentException ex)
        {
            // The target is shown in error views and logs: never with a user name or password the gateway held.
            ThrowTerminatingError(new ErrorRecord(ex, "InvalidGateway", ErrorCategory.InvalidArgument, InputText.RedactUserInfo(Gateway)));
        }
        WriteVerbose($"Signing bptb_user_confirm requests with {_signer.SignType}{(_signer.KeySize > 0 ? $" ({_signer.KeySize}-bit key)" : string.Empty)} in {charset.Name} for partner {Partner}.");
    }

    protected override void ProcessRecord()
    {
        try
        {
            ConfirmRequest request = _builder!.Build(FileName);
            WriteVerbose($"Sign string for '{FileName}': {request.SignString}");
            WriteObject(request);
        }
        catch (RequestValidationException ex)
        {
            WriteError(new ErrorRecord(ex, ex.ErrorId, ErrorCategory.InvalidArgument, FileName));
        }
    }

    protected override void EndProcessing() => Dispose();

    public void Dispose()
    {
        _signer?.Dispose();
        _signer = null;
    }
}
