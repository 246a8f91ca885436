using System;
using System.Management.Automation;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Cmdlets;

/// <summary>Builds the signed bptb_user_confirm request for each uploaded payment file (spec 4).</summary>
[Cmdlet(VerbsCommon.New, "BptbConfirmUrl", DefaultParameterSetName = KeySet)]
[OutputType(typeof(ConfirmRequest))]
public sealed class NewBptbConfirmUrlCommand : SigningKeyCmdlet, IDisposable
{
    private Signer? _signer;
    private ConfirmRequestBuilder? _builder;

    private static readonly string[] ConfirmRequestDisplay = { "FileName", "SignType", "Url" };

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
    public string Gateway { get; set; } = GatewayAddress.Default;

    // The requests carry their own default display (a table of FileName, SignType and Url) instead of a view: the one
    // cmdlet of a scheduled one-shot script that writes objects leaves the session's format table alone.
    protected override bool NeedsFormatViews => false;

    protected override void Begin()
    {
        BptbCharset charset = GetCharset(InputCharset, nameof(InputCharset));
        _signer = LoadSigningKey();
        try
        {
            _builder = new ConfirmRequestBuilder(Partner, Email, ReturnUrl, NotifyUrl, charset, _signer, Gateway);
        }
        catch (FieldRuleException ex)
        {
            ThrowTerminatingError(FieldError(ex, ex.ParamName));
        }
        catch (ArgumentException ex)
        {
            ThrowGatewayError(ex, Gateway);
        }
        WriteVerbose($"Signing bptb_user_confirm requests with {_signer.SignType}{(_signer.KeySize > 0 ? $" ({_signer.KeySize}-bit key)" : string.Empty)} in {charset.Name} for partner {Partner}.");
    }

    protected override void ProcessRecord()
    {
        try
        {
            ConfirmRequest request = _builder!.Build(FileName);
            WriteVerbose($"Sign string for '{FileName}': {request.SignString}");
            WriteObject(ModuleFormats.WithDefaultDisplay(request, ConfirmRequestDisplay));
        }
        catch (FieldRuleException ex)
        {
            WriteError(FieldError(ex, FileName));
        }
    }

    protected override void EndProcessing() => Dispose();

    public void Dispose()
    {
        _signer?.Dispose();
        _signer = null;
    }
}
