using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using AlipayBptb.Core.PaymentFiles;

namespace AlipayBptb.Cmdlets;

/// <summary>
/// Writes the payment file of upload spec 4.3 from objects: GBK, CRLF, laid out as the official sample, total and count
/// computed. Every row is checked first; one bad row, and no file is written.
/// </summary>
[Cmdlet(VerbsCommon.New, "BptbPaymentFile", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class NewBptbPaymentFileCommand : BptbCmdlet
{
    private readonly List<PaymentRow> _rows = new();
    private int _input;
    private int _bad;

    [Parameter(Mandatory = true, Position = 0)]
    public string Path { get; set; } = null!;

    [Parameter(Mandatory = true)]
    public string Email { get; set; } = null!;

    [Parameter]
    public DateTime Date { get; set; } = DateTime.Today;

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias(PaymentFileColumns.SerialNumber)]
    [AllowEmptyString]
    public string? SerialNumber { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias(PaymentFileColumns.AccountName)]
    public string AccountName { get; set; } = null!;

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias(PaymentFileColumns.AccountNumber, PaymentFileColumns.AccountNumberSpec)]
    public string AccountNumber { get; set; } = null!;

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias(PaymentFileColumns.Bank, PaymentFileColumns.BankSpec)]
    public string Bank { get; set; } = null!;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias(PaymentFileColumns.Province)]
    [AllowEmptyString]
    public string? Province { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias(PaymentFileColumns.City)]
    [AllowEmptyString]
    public string? City { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias(PaymentFileColumns.Branch)]
    [AllowEmptyString]
    public string? Branch { get; set; }

    // Text, read here: a binder's conversion would lose the row a bad amount came from, and decimal only, never
    // floating point, with at most two decimals.
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias(PaymentFileColumns.Amount)]
    public string Amount { get; set; } = null!;

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias(PaymentFileColumns.Flag)]
    public string Flag { get; set; } = null!;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias(PaymentFileColumns.Remark)]
    [AllowEmptyString]
    public string? Remark { get; set; }

    // A FileInfo, which PowerShell's own views show.
    protected override bool NeedsFormatViews => false;

    protected override void ProcessRecord()
    {
        _input++;
        string? problem = null;
        string field = string.Empty;
        if (!PaymentAmount.TryParse(Amount, out decimal amount, out string? amountProblem))
        {
            (field, problem) = ("Amount", amountProblem);
        }
        else if (!TryParseFlag(Flag, out AccountFlag flag))
        {
            (field, problem) = ("Flag", $"'{Flag}' is not 1 (corporate, 对公) or 2 (personal, 对私)");
        }
        else
        {
            _rows.Add(new PaymentRow
            {
                SerialNumber = SerialNumber ?? string.Empty,
                AccountName = AccountName,
                AccountNumber = AccountNumber,
                Bank = Bank,
                Province = Province ?? string.Empty,
                City = City ?? string.Empty,
                Branch = Branch ?? string.Empty,
                Amount = amount,
                Flag = flag,
                Remark = Remark ?? string.Empty,
            });
            return;
        }
        _bad++;
        var ex = new FormatException($"Payment {_input}: {field} {problem}.");
        WriteError(new ErrorRecord(ex, "PaymentRowInvalid", ErrorCategory.InvalidData, _input));
    }

    protected override void EndProcessing()
    {
        string path = ResolvePath(Path);
        if (_bad > 0)
        {
            var ex = new InvalidOperationException($"No payment file written to '{path}': {_bad} of {_input} payments could not be read (see the errors above).");
            ThrowTerminatingError(new ErrorRecord(ex, "PaymentFileNotWritten", ErrorCategory.InvalidData, path));
        }
        byte[] content;
        try
        {
            content = PaymentFileWriter.Write(Date, Email, _rows);
        }
        catch (PaymentFileWriteException ex)
        {
            // Named as the user gave it: the parameter (the property piped in), with the spec's column beside it.
            string message = ParameterOf.TryGetValue(ex.Field, out string? parameter)
                ? $"{(ex.InputRow > 0 ? $"Payment {ex.InputRow}" : "The summary")}, {parameter}: {ex.Message} No file was written."
                : $"{ex.Message} No file was written.";
            ThrowTerminatingError(new ErrorRecord(new PaymentFileWriteException(ex.InputRow, ex.Field, message, ex), "PaymentRowInvalid", ErrorCategory.InvalidData, ex.InputRow));
            return;
        }
        if (File.Exists(path) && !Force)
        {
            var ex = new IOException($"The payment file '{path}' exists: a payment file is never overwritten by mistake (an uploaded one is the batch's record). Give another name, or -Force.");
            ThrowTerminatingError(new ErrorRecord(ex, "PaymentFileExists", ErrorCategory.ResourceExists, path));
        }
        decimal total = 0m;
        _rows.ForEach(r => total += r.Amount);
        if (!ShouldProcess(path, $"Write {_rows.Count} payments, {total.ToString("0.00", CultureInfo.InvariantCulture)} yuan in all"))
        {
            return;
        }
        try
        {
            WriteAtomically(path, content);
        }
        catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "PaymentFileNotWritten", ErrorCategory.WriteError, path));
        }
        WriteVerbose($"Wrote {_rows.Count} payments, {total.ToString("0.00", CultureInfo.InvariantCulture)} yuan, payer {Email}, to '{path}' ({content.Length} bytes, GBK).");
        WriteObject(new FileInfo(path));
    }

    // Written beside the target, flushed, then moved over it: a crash or a full disk leaves the old file or none,
    // never half a payment file that could be uploaded.
    private static void WriteAtomically(string path, byte[] content)
    {
        string temp = path + ".partial-" + Guid.NewGuid().ToString("N").Substring(0, 8);
        try
        {
            using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(content, 0, content.Length);
                f.Flush(flushToDisk: true);
            }
            if (File.Exists(path))
            {
                File.Replace(temp, path, null);
            }
            else
            {
                File.Move(temp, path);
            }
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    // The spec's column names (what the writer names) and the parameters that carry them.
    private static readonly Dictionary<string, string> ParameterOf = new(StringComparer.Ordinal)
    {
        [PaymentFileColumns.SerialNumber] = nameof(SerialNumber),
        [PaymentFileColumns.AccountName] = nameof(AccountName),
        [PaymentFileColumns.AccountNumber] = nameof(AccountNumber),
        [PaymentFileColumns.AccountNumberSpec] = nameof(AccountNumber),
        [PaymentFileColumns.Bank] = nameof(Bank),
        [PaymentFileColumns.BankSpec] = nameof(Bank),
        [PaymentFileColumns.Province] = nameof(Province),
        [PaymentFileColumns.City] = nameof(City),
        [PaymentFileColumns.Branch] = nameof(Branch),
        [PaymentFileColumns.Amount] = nameof(Amount),
        [PaymentFileColumns.Flag] = nameof(Flag),
        [PaymentFileColumns.Remark] = nameof(Remark),
        [PaymentFileColumns.Email] = nameof(Email),
        [PaymentFileColumns.Date] = nameof(Date),
        [PaymentFileColumns.Count] = "the number of payments",
    };

    private static bool TryParseFlag(string text, out AccountFlag flag)
    {
        switch (text?.Trim())
        {
            case "1":
            case "对公":
            case "Corporate":
                flag = AccountFlag.Corporate;
                return true;
            case "2":
            case "对私":
            case "Personal":
                flag = AccountFlag.Personal;
                return true;
            default:
                flag = default;
                return false;
        }
    }
}
