using System.Management.Automation;
using AlipayBptb.Core.Ledger;

namespace AlipayBptb.Commands;

/// <summary>The -Ledger parameter: where the file is, and how a ledger problem becomes an error record.</summary>
internal static class LedgerPath
{
    /// <summary>Resolves -Ledger as PowerShell users expect (relative to $PWD, ~ expanded), without requiring it to exist.</summary>
    public static string Resolve(PSCmdlet cmdlet, string path) =>
        cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>An error whose id names the problem: LedgerNotALedger, LedgerCorrupt, LedgerTooNew, LedgerTooOld, LedgerUnavailable.</summary>
    public static ErrorRecord Error(LedgerException ex, ErrorCategory category)
    {
        ErrorCategory c = ex.Problem switch
        {
            LedgerProblem.NotALedger or LedgerProblem.TooNew or LedgerProblem.TooOld => ErrorCategory.InvalidData,
            LedgerProblem.Corrupt => ErrorCategory.InvalidData,
            _ => category,
        };
        return new ErrorRecord(ex, "Ledger" + ex.Problem, c, ex.Path);
    }
}
