using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using AlipayBptb.Core.Batches;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Ledger;
using AlipayBptb.Core.PaymentFiles;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Cmdlets;

/// <summary>
/// Uploads payment files with bptb_pay_file_confirm: checked first (nothing that fails a rule is sent), guarded by the
/// ledger (a name or content sent before is refused), recorded before the first byte leaves, answered Accepted,
/// Refused or Unknown. Unknown means stop and query the file's state (rules): it is never sent again by itself.
/// </summary>
[Cmdlet(VerbsCommunications.Send, "BptbPaymentFile", DefaultParameterSetName = KeySet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(PaymentFileUploadResult))]
public sealed class SendBptbPaymentFileCommand : SigningKeyCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private Signer? _signer;
    private PaymentFileUploadBuilder? _builder;
    private PaymentFileUploadClient? _client;
    private ILedger? _ledger;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    public string Path { get; set; } = null!;

    [Parameter(Mandatory = true)]
    public string Partner { get; set; } = null!;

    /// <summary>The payer account the file must name (its summary row's email); checked before sending when given.</summary>
    [Parameter]
    public string? Email { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(CharsetCompleter))]
    public string InputCharset { get; set; } = "utf-8";

    [Parameter]
    public string? NotifyUrl { get; set; }

    [Parameter]
    public DigestType DigestType
    {
        get => (DigestType)_digestType;
        set => _digestType = value;
    }

    // Kept as object: see SigningKeyCmdlet (a field of a core enum would load the core with this type).
    private object _digestType = DigestType.MD5;

    [Parameter]
    public BusinessType BusinessType
    {
        get => (BusinessType)_businessType;
        set => _businessType = value;
    }

    // Kept as object: see SigningKeyCmdlet (a field of a core enum would load the core with this type).
    private object _businessType = BusinessType.T1;

    [Parameter]
    public string? ExtendParam { get; set; }

    [Parameter]
    public string Gateway { get; set; } = GatewayAddress.Default;

    [Parameter]
    public string? Ledger { get; set; }

    /// <summary>For a PostgreSQL ledger: the role and its password (Get-Secret works). Never a password in -Ledger.</summary>
    [Parameter]
    [Credential]
    public PSCredential? LedgerCredential { get; set; }

    [Parameter]
    [ValidateRange(1, 600)]
    public int TimeoutSec { get; set; } = 60;

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void Begin()
    {
        BptbCharset charset = GetCharset(InputCharset, nameof(InputCharset));
        _signer = LoadSigningKey();
        try
        {
            _builder = new PaymentFileUploadBuilder(Partner, _signer, charset, Gateway, NotifyUrl, DigestType, BusinessType.ToString(), ExtendParam);
            _client = new PaymentFileUploadClient(TimeSpan.FromSeconds(TimeoutSec));
        }
        catch (FieldRuleException ex)
        {
            ThrowTerminatingError(FieldError(ex, ex.ParamName));
        }
        catch (ArgumentException ex)
        {
            ThrowGatewayError(ex, Gateway);
        }
        if (Ledger != null)
        {
            _ledger = OpenLedger(Ledger, LedgerCredential, readOnly: false, fileMustExist: false, ErrorCategory.OpenError);
        }
        else
        {
            WriteWarning("No -Ledger: nothing keeps this file from being uploaded again under another name, which Alipay would pay twice. Give -Ledger in scheduled uploads.");
        }
    }

    protected override void ProcessRecord()
    {
        string path = ResolvePath(Path);
        string name = System.IO.Path.GetFileName(path);
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
        {
            WriteError(new ErrorRecord(ex, "PaymentFileUnreadable", ErrorCategory.ReadError, path));
            return;
        }
        PaymentFileReport report = PaymentFileChecker.Check(name, content, Email, BusinessType);
        if (!report.IsValid)
        {
            string problems = string.Join(" ", report.Problems.Take(5).Select(p => p.Message));
            var ex = new InvalidDataException($"'{name}' was not sent: it breaks {report.Problems.Count} rule(s) of the upload spec. {problems}{(report.Problems.Count > 5 ? " …" : string.Empty)} (Test-BptbPaymentFile lists them all.)");
            WriteError(new ErrorRecord(ex, "PaymentFileInvalid", ErrorCategory.InvalidData, path));
            return;
        }
        if (_ledger != null && !Guard(name, path, report))
        {
            return;
        }
        decimal total = report.Total ?? report.Rows.Sum(r => r.Amount);
        if (!ShouldProcess(name, $"Upload {report.Rows.Count} payments, {total:0.00} yuan in all, payer {report.Email}, to {Gateway} as partner {Partner}"))
        {
            return;
        }
        PaymentFileUploadRequest request = _builder!.Build(name, content);
        WriteVerbose($"Sign string for '{name}': {request.SignString}");
        WriteVerbose($"Digest ({request.DigestType}) of {content.Length} bytes: {request.Digest}.");
        try
        {
            if (_ledger != null)
            {
                BatchUploads.RecordSent(_ledger, request, report);
            }
            PaymentFileUploadResult result = _client!.SendAsync(request, _cancel.Token).GetAwaiter().GetResult();
            if (_ledger != null)
            {
                BatchUploads.RecordAnswer(_ledger, result);
            }
            if (result.State == UploadState.Unknown)
            {
                WriteWarning($"'{name}': Alipay's answer is unknown ({result.Code ?? result.Message}). Do not send it again, under this name or another: query the file's state first (rules). The ledger refuses to send it again.");
            }
            WriteObject(result);
        }
        catch (PaymentFileUploadException ex)
        {
            // No connection: nothing left this machine, so the file may go again later.
            if (_ledger != null)
            {
                BatchUploads.RecordNotSent(_ledger, name, ex.Message);
            }
            WriteError(new ErrorRecord(ex, "UploadNotSent", ErrorCategory.ConnectionError, path));
        }
        catch (LedgerException ex)
        {
            ThrowTerminatingError(LedgerError(ex, ErrorCategory.WriteError));
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
    }

    // True when the ledger lets the file go: no earlier upload of its name or content that was accepted or of unknown
    // outcome, or -Force. Repeated payments of batches without a result are warned about.
    private bool Guard(string name, string path, PaymentFileReport report)
    {
        try
        {
            UploadRecord? earlier = BatchUploads.Blocking(_ledger!, name, report.Content);
            if (earlier != null && !Force)
            {
                string state = earlier.State == UploadRecord.Unknown
                    ? "its outcome is unknown: query the file's state with Alipay before anything else"
                    : "Alipay accepted it";
                string id = earlier.State == UploadRecord.Unknown ? "UploadStateUnknown" : "AlreadyUploaded";
                var ex = new InvalidOperationException($"'{name}' was not sent: the same {earlier.SharedWith(name)} was uploaded as '{earlier.FileName}' on {earlier.Sent.ToLocalTime():yyyy-MM-dd HH:mm}, and {state}. A second upload is paid a second time (pay_file_confirm rules 4-1). Give -Force only when you know the first was not taken.");
                WriteError(new ErrorRecord(ex, id, ErrorCategory.ResourceExists, path));
                return false;
            }
            foreach (RepeatedPayment r in BatchUploads.Repeats(_ledger!, report))
            {
                WriteWarning($"'{name}': {r}.");
            }
        }
        catch (LedgerException ex)
        {
            ThrowTerminatingError(LedgerError(ex, ErrorCategory.ReadError));
        }
        return true;
    }

    protected override void StopProcessing() => _cancel.Cancel();

    protected override void EndProcessing() => Release();

    public void Dispose()
    {
        Release();
        _cancel.Dispose();
    }

    private void Release()
    {
        _signer?.Dispose();
        _signer = null;
        _ledger?.Dispose();
        _ledger = null;
    }
}
