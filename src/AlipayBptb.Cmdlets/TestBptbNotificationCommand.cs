using System;
using System.Linq;
using System.Management.Automation;
using System.Security;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Commands;

/// <summary>Verifies returns (spec 5) and notifications (spec 6): one result per input, the pipeline never stops for a bad one.</summary>
[Cmdlet(VerbsDiagnostic.Test, "BptbNotification", DefaultParameterSetName = KeySet)]
[OutputType(typeof(NotificationResult))]
[OutputType(typeof(bool))]
public sealed class TestBptbNotificationCommand : PSCmdlet, IDisposable
{
    private const string KeySet = "Key";
    private const string PublicKeySet = "PublicKey";
    private const string PublicKeyPathSet = "PublicKeyPath";

    private Signer? _signer;
    private NotificationVerifier? _verifier;

    // Not Mandatory: the binder re-checks mandatory parameters for every pipeline object, a measurable
    // share of the per-line cost over a million-line log; ProcessRecord reports a missing input itself.
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [AllowEmptyString]
    [AllowNull]
    public object? InputObject { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = KeySet)]
    public SecureString Key { get; set; } = null!;

    [Parameter(Mandatory = true, ParameterSetName = PublicKeySet)]
    public string PublicKey { get; set; } = null!;

    [Parameter(Mandatory = true, ParameterSetName = PublicKeyPathSet)]
    [Alias("PublicKeyFile")]
    public string PublicKeyPath { get; set; } = null!;

    [Parameter]
    [ValidateSet("MD5", "RSA", "DSA")]
    public string[]? SignType { get; set; }

    [Parameter]
    public string? Partner { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(CharsetCompleter))]
    public string Charset { get; set; } = "utf-8";

    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void BeginProcessing()
    {
        ModuleFormats.EnsureLoaded(this);
        BptbCharset charset;
        try
        {
            charset = BptbCharset.Get(Charset);
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "UnsupportedCharset", ErrorCategory.InvalidArgument, Charset));
            return;
        }
        try
        {
            _signer = ParameterSetName switch
            {
                KeySet => KeySource.Md5(Key),
                PublicKeySet => KeySource.PublicKey(this, PublicKey, null),
                _ => KeySource.PublicKey(this, null, PublicKeyPath),
            };
        }
        catch (KeyFormatException ex)
        {
            ThrowTerminatingError(KeySource.KeyError(ex, ParameterSetName == PublicKeyPathSet ? PublicKeyPath : null));
            return;
        }
        try
        {
            var accepted = SignType?.Select(t => NotificationVerifier.TryParseSignType(t.ToUpperInvariant(), out var st) ? st : throw new ArgumentException(t));
            _verifier = new NotificationVerifier(new[] { _signer }, accepted, Partner, charset);
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "SignTypeMismatch", ErrorCategory.InvalidArgument, SignType));
        }
        WriteVerbose($"Verifying with a {_signer.SignType}{(_signer.KeySize > 0 ? $" ({_signer.KeySize}-bit)" : string.Empty)} key; accepting sign_type {string.Join(", ", _verifier!.Accepted)}; signed bytes and escapes in {charset.Name}.");
    }

    protected override void ProcessRecord()
    {
        if (InputObject == null)
        {
            WriteError(Errors.Unreadable(string.Empty, "there is no input (pipe strings, dictionaries or objects, or give -InputObject)"));
            return;
        }
        ParameterRead read = InputParameters.Read(InputObject, _verifier!.Charset);
        if (read.IsUnreadable)
        {
            WriteError(Errors.Unreadable(InputObject, read.Problem!));
            return;
        }
        NotificationResult result = _verifier.Verify(read.Parameters, read.Problem);
        if (!result.IsValid)
        {
            WriteVerbose($"Invalid {result.Kind} '{result.FileName ?? result.NotifyId}': {result.Reason}. Sign string: {result.SignString}");
        }
        if (Quiet)
        {
            WriteObject(result.IsValid);
        }
        else
        {
            WriteObject(result);
        }
    }

    protected override void EndProcessing() => Dispose();

    public void Dispose()
    {
        _signer?.Dispose();
        _signer = null;
    }
}
