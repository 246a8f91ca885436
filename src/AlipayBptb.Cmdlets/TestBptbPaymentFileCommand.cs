using System;
using System.IO;
using System.Management.Automation;
using AlipayBptb.Core.Batches;
using AlipayBptb.Core.Ledger;
using AlipayBptb.Core.PaymentFiles;

namespace AlipayBptb.Cmdlets;

/// <summary>
/// Checks payment files against every rule of the upload spec and its rules before anything is sent; with -Ledger,
/// also against what was uploaded before (the same name or content, payments that repeat a batch without a result).
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "BptbPaymentFile")]
[OutputType(typeof(PaymentFileReport))]
[OutputType(typeof(bool))]
public sealed class TestBptbPaymentFileCommand : BptbCmdlet, IDisposable
{
    private ILedger? _ledger;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    public string[] Path { get; set; } = null!;

    [Parameter]
    public string? Email { get; set; }

    [Parameter]
    public BusinessType BusinessType
    {
        get => (BusinessType)_businessType;
        set => _businessType = value;
    }

    // Kept as object: see SigningKeyCmdlet (a field of a core enum would load the core with this type).
    private object _businessType = BusinessType.T1;

    [Parameter]
    public string? Ledger { get; set; }

    /// <summary>For a PostgreSQL ledger: the role and its password (Get-Secret works). Never a password in -Ledger.</summary>
    [Parameter]
    [Credential]
    public PSCredential? LedgerCredential { get; set; }

    [Parameter]
    public SwitchParameter Quiet { get; set; }

    // -Quiet writes bools, which need no view.
    protected override bool NeedsFormatViews => !Quiet;

    protected override void Begin()
    {
        if (Ledger == null)
        {
            return;
        }
        // Read-only: a check changes nothing, and needs no write access. A ledger file not made yet knows no upload.
        _ledger = OpenLedger(Ledger, LedgerCredential, readOnly: true, fileMustExist: false, ErrorCategory.OpenError);
    }

    protected override void ProcessRecord()
    {
        foreach (string p in Path)
        {
            string path = ResolvePath(p);
            byte[] content;
            try
            {
                content = File.ReadAllBytes(path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                WriteError(new ErrorRecord(ex, "PaymentFileUnreadable", ErrorCategory.ReadError, path));
                continue;
            }
            PaymentFileReport report = PaymentFileChecker.Check(System.IO.Path.GetFileName(path), content, Email, BusinessType);
            report.Path = path;
            if (_ledger != null)
            {
                WarnAboutEarlierUploads(report);
            }
            WriteVerbose($"{report.FileName}: {(report.IsValid ? "valid" : report.Problems.Count + " problems")}, {report.Rows.Count} payments.");
            if (Quiet)
            {
                WriteObject(report.IsValid);
            }
            else
            {
                WriteObject(report);
            }
        }
    }

    private void WarnAboutEarlierUploads(PaymentFileReport report)
    {
        try
        {
            UploadRecord? earlier = BatchUploads.Blocking(_ledger!, report.FileName, report.Content);
            if (earlier != null)
            {
                report.AddWarning($"The same {earlier.SharedWith(report.FileName)} was uploaded as '{earlier.FileName}' on {earlier.Sent.ToLocalTime():yyyy-MM-dd HH:mm} ({earlier.State}): Alipay would pay it again (pay_file_confirm rules 4-1).");
            }
            foreach (RepeatedPayment r in BatchUploads.Repeats(_ledger!, report))
            {
                string repeat = r.ToString();
                report.AddWarning(char.ToUpperInvariant(repeat[0]) + repeat.Substring(1) + ".");
            }
        }
        catch (LedgerException ex)
        {
            ThrowTerminatingError(LedgerError(ex, ErrorCategory.ReadError));
        }
        foreach (string w in report.Warnings)
        {
            WriteWarning($"{report.FileName}: {w}");
        }
    }

    protected override void EndProcessing() => Dispose();

    public void Dispose()
    {
        _ledger?.Dispose();
        _ledger = null;
    }
}
