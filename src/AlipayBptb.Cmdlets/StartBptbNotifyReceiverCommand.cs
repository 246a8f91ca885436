using System;
using System.Management.Automation;
using System.Net;
using System.Security;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Receiver;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Commands;

/// <summary>Starts the merchant's callback receiver: every return and notification logged durably, then answered "success".</summary>
[Cmdlet(VerbsLifecycle.Start, "BptbNotifyReceiver", DefaultParameterSetName = NoKeySet)]
[OutputType(typeof(NotifyReceiver))]
public sealed class StartBptbNotifyReceiverCommand : PSCmdlet
{
    private const string NoKeySet = "NoKey";
    private const string KeySet = "Key";
    private const string PublicKeySet = "PublicKey";
    private const string PublicKeyPathSet = "PublicKeyPath";

    [Parameter(Position = 0)]
    public string Prefix { get; set; } = "http://127.0.0.1:0/alipay/";

    [Parameter(Mandatory = true)]
    public string LogPath { get; set; } = null!;

    [Parameter(Mandatory = true, ParameterSetName = KeySet)]
    public SecureString Key { get; set; } = null!;

    [Parameter(Mandatory = true, ParameterSetName = PublicKeySet)]
    public string PublicKey { get; set; } = null!;

    [Parameter(Mandatory = true, ParameterSetName = PublicKeyPathSet)]
    [Alias("PublicKeyFile")]
    public string PublicKeyPath { get; set; } = null!;

    [Parameter]
    [ArgumentCompleter(typeof(CharsetCompleter))]
    public string Charset { get; set; } = "utf-8";

    protected override void EndProcessing()
    {
        ModuleFormats.EnsureLoaded(this);
        NotificationVerifier? verifier = null;
        try
        {
            BptbCharset charset = BptbCharset.Get(Charset);
            Signer? signer = KeySource.Verifier(this, Key, PublicKey, PublicKeyPath);
            if (signer != null)
            {
                verifier = new NotificationVerifier(new[] { signer }, null, null, charset);
            }
        }
        catch (KeyFormatException ex)
        {
            ThrowTerminatingError(KeySource.KeyError(ex, PublicKeyPath));
            return;
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "UnsupportedCharset", ErrorCategory.InvalidArgument, Charset));
            return;
        }
        try
        {
            NotifyReceiver receiver = NotifyReceiver.Start(Prefix, KeySource.Resolve(this, LogPath), verifier);
            WriteVerbose($"Receiving callbacks at {receiver.Url}, logging to {receiver.LogPath}.");
            WriteObject(receiver);
        }
        catch (Exception ex) when (ex is HttpListenerException || ex is ArgumentException || ex is System.IO.IOException || ex is UnauthorizedAccessException)
        {
            verifier?.Dispose(); // the receiver never took it: clear the key here
            ThrowTerminatingError(new ErrorRecord(ex, "ReceiverStartFailed", ErrorCategory.ResourceUnavailable, Prefix));
        }
    }
}

/// <summary>Stops a receiver started by Start-BptbNotifyReceiver; its log stays.</summary>
[Cmdlet(VerbsLifecycle.Stop, "BptbNotifyReceiver")]
public sealed class StopBptbNotifyReceiverCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public NotifyReceiver Receiver { get; set; } = null!;

    protected override void ProcessRecord()
    {
        WriteVerbose($"Stopping the receiver at {Receiver.Url} ({Receiver.Received} callbacks received).");
        Receiver.Dispose();
    }
}
