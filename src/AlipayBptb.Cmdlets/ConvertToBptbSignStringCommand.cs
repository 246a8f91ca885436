using System.Management.Automation;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Cmdlets;

/// <summary>Shows exactly what is signed (spec 8.1): the first thing to look at when a signature fails.</summary>
[Cmdlet(VerbsData.ConvertTo, "BptbSignString")]
[OutputType(typeof(string))]
public sealed class ConvertToBptbSignStringCommand : BptbCmdlet
{
    private BptbCharset _charset = BptbCharset.Utf8;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public object InputObject { get; set; } = null!;

    [Parameter]
    public SwitchParameter IncludeSignType { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(CharsetCompleter))]
    public string Charset { get; set; } = "utf-8";

    // Strings need no view.
    protected override bool NeedsFormatViews => false;

    protected override void Begin() => _charset = GetCharset(Charset, nameof(Charset));

    protected override void ProcessRecord()
    {
        ParameterRead read = InputParameters.Read(InputObject, _charset);
        if (read.IsUnreadable || read.Problem != null)
        {
            WriteError(Errors.Unreadable(InputObject, read.Problem!));
            return;
        }
        try
        {
            WriteObject(SignString.Build(read.Parameters, IncludeSignType));
        }
        catch (CharsetException ex)
        {
            WriteError(Errors.Unreadable(InputObject, ex.Message));
        }
    }
}
