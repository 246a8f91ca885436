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

    /// <summary>For a PostgreSQL ledger: the role and its password (Get-Secret works). Never a password in -Ledger.</summary>
    [Parameter]
    [Credential]
    public PSCredential? LedgerCredential { get; set; }

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
        BatchStatus[] status;
        // Read-only: a report needs no write access, and must never change the ledger.
        using ILedger ledger = OpenLedger(Ledger, LedgerCredential, readOnly: true, fileMustExist: true, ErrorCategory.ReadError)!;
        try
        {
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
