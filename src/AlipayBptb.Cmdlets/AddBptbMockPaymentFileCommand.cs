using System;
using System.IO;
using System.Management.Automation;
using AlipayBptb.Mock;

namespace AlipayBptb.Cmdlets;

/// <summary>"Uploads" payment files to a mock gateway, as bptb_pay_file_confirm would have.</summary>
[Cmdlet(VerbsCommon.Add, "BptbMockPaymentFile")]
[OutputType(typeof(UploadedPaymentFile))]
public sealed class AddBptbMockPaymentFileCommand : BptbCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public LocalGateway Gateway { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    public string[] Path { get; set; } = null!;

    [Parameter]
    public string? FileName { get; set; }

    [Parameter]
    public string? Email { get; set; }

    [Parameter]
    public DateTime? UploadedAt { get; set; }

    protected override void ProcessRecord()
    {
        foreach (string p in Path)
        {
            Upload(this, Gateway, ResolvePath(p), FileName, Email, UploadedAt, write: true);
        }
    }

    internal static void Upload(PSCmdlet cmdlet, LocalGateway gateway, string path, string? fileName, string? email, DateTime? uploadedAt, bool write)
    {
        try
        {
            UploadedPaymentFile file = gateway.AddPaymentFile(path, fileName, email, uploadedAt);
            cmdlet.WriteVerbose($"Uploaded '{file.FileName}': {file.Details.Count} payments, {file.TotalAmount} yuan, payer {file.Email}; it can be confirmed from {(file.UploadedAt + gateway.ConfirmDelay).ToLocalTime():T}.");
            if (write)
            {
                cmdlet.WriteObject(file);
            }
        }
        catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is FormatException || ex is InvalidOperationException || ex is ArgumentException)
        {
            cmdlet.WriteError(new ErrorRecord(ex, "PaymentFileRefused", ErrorCategory.InvalidData, path));
        }
    }
}
