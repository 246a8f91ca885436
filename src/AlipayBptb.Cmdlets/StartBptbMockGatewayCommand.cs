using System;
using System.Management.Automation;
using AlipayBptb.Core.Mock;

namespace AlipayBptb.Commands;

/// <summary>Starts a stand-in Alipay gateway on 127.0.0.1 for tests and demos (there is no sandbox for this interface).</summary>
[Cmdlet(VerbsLifecycle.Start, "BptbMockGateway")]
[OutputType(typeof(MockGateway))]
public sealed class StartBptbMockGatewayCommand : PSCmdlet
{
    [Parameter(Mandatory = true)]
    public string Partner { get; set; } = null!;

    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    [Parameter]
    public string[]? NotifyId { get; set; }

    [Parameter]
    public string[]? Fault { get; set; }

    protected override void EndProcessing()
    {
        ModuleFormats.EnsureLoaded(this);
        MockFault[] faults;
        try
        {
            Core.Gateway.ConfirmRequestBuilder.CheckPartner(Partner);
            faults = Array.ConvertAll(Fault ?? Array.Empty<string>(), MockFault.Parse);
        }
        catch (Core.Gateway.RequestValidationException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ex.ErrorId, ErrorCategory.InvalidArgument, Partner));
            return;
        }
        catch (FormatException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "InvalidFault", ErrorCategory.InvalidArgument, Fault));
            return;
        }
        MockGateway gateway;
        try
        {
            gateway = MockGateway.Start(Partner, Port);
        }
        catch (System.Net.HttpListenerException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "GatewayStartFailed", ErrorCategory.ResourceUnavailable, Port));
            return;
        }
        foreach (string id in NotifyId ?? Array.Empty<string>())
        {
            gateway.AddNotifyId(id);
        }
        foreach (MockFault f in faults)
        {
            gateway.AddFault(f);
        }
        WriteVerbose($"Mock gateway for partner {Partner} listening at {gateway.Url}.");
        WriteObject(gateway);
    }
}

/// <summary>Stops a gateway started by Start-BptbMockGateway.</summary>
[Cmdlet(VerbsLifecycle.Stop, "BptbMockGateway")]
public sealed class StopBptbMockGatewayCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public MockGateway Gateway { get; set; } = null!;

    protected override void ProcessRecord()
    {
        WriteVerbose($"Stopping the mock gateway at {Gateway.Url}.");
        Gateway.Dispose();
    }
}
