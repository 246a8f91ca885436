using System.Management.Automation;
using AlipayBptb.Core.Receiver;

namespace AlipayBptb.Cmdlets;

/// <summary>Stops a receiver started by Start-BptbNotifyReceiver; its log stays.</summary>
[Cmdlet(VerbsLifecycle.Stop, "BptbNotifyReceiver")]
public sealed class StopBptbNotifyReceiverCommand : BptbCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public NotifyReceiver Receiver { get; set; } = null!;

    protected override void ProcessRecord()
    {
        WriteVerbose($"Stopping the receiver at {Receiver.Url} ({Receiver.Received} callbacks received).");
        Receiver.Dispose();
    }
}
