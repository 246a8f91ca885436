using System.Management.Automation;
using AlipayBptb.Core.Notifications;

namespace AlipayBptb.Commands;

/// <summary>Explains Alipay's result codes (spec 10.1 and 10.2): the Chinese meaning, an English description, and what to do.</summary>
[Cmdlet(VerbsCommon.Get, "BptbErrorCode")]
[OutputType(typeof(ErrorCode))]
public sealed class GetBptbErrorCodeCommand : PSCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("ResultCode")]
    [SupportsWildcards]
    public string[]? Code { get; set; }

    protected override void BeginProcessing() => ModuleFormats.EnsureLoaded(this);

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
                var ex = new ItemNotFoundException($"'{code}' is not a result code of spec 10.1 or 10.2. Run Get-BptbErrorCode to list them all.");
                WriteError(new ErrorRecord(ex, "ErrorCodeNotFound", ErrorCategory.ObjectNotFound, code));
            }
        }
    }
}
