using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using AlipayBptb.Core.Ledger;

namespace AlipayBptb.Cmdlets;

/// <summary>What Copy-BptbLedger moved: rows per table.</summary>
public sealed class LedgerCopy
{
    internal LedgerCopy(string from, string to, IReadOnlyDictionary<string, long> rows)
    {
        From = from;
        To = to;
        Rows = rows;
    }

    public string From { get; }

    public string To { get; }

    /// <summary>Rows copied, per table.</summary>
    public IReadOnlyDictionary<string, long> Rows { get; }

    public long Callbacks => Rows.TryGetValue("callback", out long n) ? n : 0;

    public long Uploads => Rows.TryGetValue("upload", out long n) ? n : 0;
}

/// <summary>
/// Copies a ledger from one store to another (an SQLite file to PostgreSQL, or back), every table as it is, in one
/// transaction on the target: outgrowing the file costs one command. A target that holds anything is refused unless
/// -Force, which replaces what it held.
/// </summary>
[Cmdlet(VerbsCommon.Copy, "BptbLedger", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(LedgerCopy))]
public sealed class CopyBptbLedgerCommand : BptbCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public string From { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1)]
    public string To { get; set; } = null!;

    [Parameter]
    [Credential]
    public PSCredential? FromCredential { get; set; }

    [Parameter]
    [Credential]
    public PSCredential? ToCredential { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void EndProcessing()
    {
        using ILedger source = OpenLedger(From, FromCredential, readOnly: true, fileMustExist: true, ErrorCategory.ReadError)!;
        using ILedger target = OpenLedger(To, ToCredential, readOnly: false, fileMustExist: false, ErrorCategory.OpenError)!;
        var counts = new Dictionary<string, long>();
        try
        {
            if (!target.IsEmpty && !Force)
            {
                var ex = new System.InvalidOperationException($"The ledger '{target.Location}' is not empty: a copy into it would mix two ledgers. Give an empty one, or -Force to replace what it holds.");
                ThrowTerminatingError(new ErrorRecord(ex, "LedgerNotEmpty", ErrorCategory.ResourceExists, target.Location));
            }
            if (!ShouldProcess(target.Location, $"Copy the ledger '{source.Location}' into it{(Force ? ", replacing what it holds" : string.Empty)}"))
            {
                return;
            }
            IEnumerable<LedgerTable> tables = source.Export().Select(t => new LedgerTable(t.Name, t.Columns, Counted(t, counts)));
            target.Import(tables, replace: Force);
        }
        catch (LedgerException ex)
        {
            ThrowTerminatingError(LedgerError(ex, ErrorCategory.WriteError));
        }
        WriteVerbose($"Copied {string.Join(", ", counts.Select(c => $"{c.Value} {c.Key}"))} from '{source.Location}' to '{target.Location}'.");
        WriteObject(new LedgerCopy(source.Location, target.Location, counts));
    }

    private IEnumerable<object?[]> Counted(LedgerTable table, Dictionary<string, long> counts)
    {
        long n = 0;
        foreach (object?[] row in table.Rows)
        {
            n++;
            if (n % 10000 == 0)
            {
                WriteProgress(new ProgressRecord(1, "Copying the ledger", $"{table.Name}: {n} rows"));
            }
            yield return row;
        }
        counts[table.Name] = n;
    }
}
