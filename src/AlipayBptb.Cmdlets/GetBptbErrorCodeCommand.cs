using System.Management.Automation;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Rules;

namespace AlipayBptb.Cmdlets;

/// <summary>
/// Explains Alipay's result codes (spec 10.1 and 10.2, the sample of 5.2, the special codes of rules 3-1): the Chinese
/// meaning, an English description, what to do, and whether every further operation must stop (StopAll).
/// </summary>
[Cmdlet(VerbsCommon.Get, "BptbErrorCode")]
[OutputType(typeof(ErrorCode))]
public sealed class GetBptbErrorCodeCommand : BptbCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("ResultCode")]
    [SupportsWildcards]
    public string[]? Code { get; set; }

    protected override void ProcessRecord()
    {
        if (Code == null || Code.Length == 0)
        {
            WriteObject(ErrorCode.All, enumerateCollection: true);
            return;
        }
        foreach (string code in Code)
        {
            if (string.IsNullOrEmpty(code))
            {
                continue;
            }
            var pattern = new WildcardPattern(code, WildcardOptions.IgnoreCase);
            bool found = false;
            foreach (ErrorCode e in ErrorCode.All)
            {
                if (pattern.IsMatch(e.Code))
                {
                    WriteObject(e);
                    found = true;
                }
            }
            if (!found && !WildcardPattern.ContainsWildcardCharacters(code))
            {
                var ex = new ItemNotFoundException($"'{code}' is not a result code of spec 10.1 or 10.2, the sample of spec 5.2 or the special codes of rules 3-1. Run Get-BptbErrorCode to list them all.");
                WriteError(new ErrorRecord(ex, "ErrorCodeNotFound", ErrorCategory.ObjectNotFound, code));
            }
        }
    }
}
