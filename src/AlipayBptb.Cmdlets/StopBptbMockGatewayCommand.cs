using System.Management.Automation;
using AlipayBptb.Mock;

namespace AlipayBptb.Cmdlets;

/// <summary>Stops a gateway started by Start-BptbMockGateway.</summary>
[Cmdlet(VerbsLifecycle.Stop, "BptbMockGateway")]
public sealed class StopBptbMockGatewayCommand : BptbCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public LocalGateway Gateway { get; set; } = null!;

    protected override void ProcessRecord()
    {
        WriteVerbose($"Stopping the mock gateway at {Gateway.Url}.");
        Gateway.Dispose();
    }
}
