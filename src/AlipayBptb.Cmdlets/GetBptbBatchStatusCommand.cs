using System;
using System.Collections.Generic;
using System.Management.Automation;
using AlipayBptb.Core.Ledger;

namespace AlipayBptb.Cmdlets;

/// <summary>Each payment file's state from the ledger: confirmed, processed, short of balance, verified, counts.</summary>
[Cmdlet(VerbsCommon.Get, "BptbBatchStatus")]
[OutputType(typeof(BatchStatus))]
public sealed class GetBptbBatchStatusCommand : BptbCmdlet
{
    [Parameter(Mandatory = true)]
    public string Ledger { get; set; } = null!;

    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string[]? FileName { get; set; }

    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    protected override void ProcessRecord()
    {
        foreach (string n in FileName ?? Array.Empty<string>())
        {
            _names.Add(n);
        }
    }

    protected override void EndProcessing()
    {
        string path = ResolvePath(Ledger);
        if (!System.IO.File.Exists(path))
        {
            ThrowTerminatingError(new ErrorRecord(new System.IO.FileNotFoundException($"The ledger '{path}' does not exist: Register-BptbNotification creates it."), "LedgerNotFound", ErrorCategory.ObjectNotFound, path));
        }
        BatchStatus[] status;
        try
        {
            // Read-only: a report needs no write access, and must never change the ledger.
            using var ledger = new NotificationLedger(path, readOnly: true);
            status = System.Linq.Enumerable.ToArray(ledger.Status(_names.Count == 0 ? null : _names));
        }
        catch (LedgerException ex)
        {
            ThrowTerminatingError(LedgerError(ex, ErrorCategory.ReadError));
            return;
        }
        foreach (BatchStatus s in status)
        {
            WriteObject(s);
        }
    }
}
