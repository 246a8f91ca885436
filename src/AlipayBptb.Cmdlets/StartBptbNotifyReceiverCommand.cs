using System;
using System.Management.Automation;
using System.Net;
using System.Security;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Receiver;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Commands;

/// <summary>Starts the merchant's callback receiver: every return and notification logged durably, then answered "success".</summary>
[Cmdlet(VerbsLifecycle.Start, "BptbNotifyReceiver", DefaultParameterSetName = NoKeySet)]
[OutputType(typeof(NotifyReceiver))]
public sealed class StartBptbNotifyReceiverCommand : PSCmdlet, IDisposable
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

    /// <summary>With a key: ask notify_verify for each valid notification before answering success.</summary>
    [Parameter(ParameterSetName = KeySet)]
    [Parameter(ParameterSetName = PublicKeySet)]
    [Parameter(ParameterSetName = PublicKeyPathSet)]
    public string? Partner { get; set; }

    [Parameter(ParameterSetName = KeySet)]
    [Parameter(ParameterSetName = PublicKeySet)]
    [Parameter(ParameterSetName = PublicKeyPathSet)]
    public string Gateway { get; set; } = Core.Gateway.GatewayAddress.Default;

    /// <summary>Run in the foreground until Ctrl+C or SIGTERM, then stop gracefully: for a service manager.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    private readonly System.Threading.CancellationTokenSource _stop = new();

    protected override void StopProcessing() => _stop.Cancel();

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
                // With -Partner, a callback for another partner is invalid (and never asked about).
                verifier = new NotificationVerifier(new[] { signer }, null, Partner, charset);
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
        NotifyVerifyClient? notifyVerify = null;
        if (Partner != null)
        {
            try
            {
                Core.Gateway.ConfirmRequestBuilder.CheckPartner(Partner);
                // Short and few: Alipay waits for the answer to its post while we ask.
                notifyVerify = new NotifyVerifyClient(Gateway, TimeSpan.FromSeconds(5), 1, TimeSpan.FromMilliseconds(500));
            }
            catch (RequestValidationException ex)
            {
                verifier?.Dispose();
                ThrowTerminatingError(new ErrorRecord(ex, ex.ErrorId, ErrorCategory.InvalidArgument, Partner));
            }
            catch (ArgumentException ex)
            {
                verifier?.Dispose();
                ThrowTerminatingError(new ErrorRecord(ex, "InvalidGateway", ErrorCategory.InvalidArgument, Gateway));
            }
        }
        NotifyReceiver receiver;
        try
        {
            receiver = NotifyReceiver.Start(Prefix, KeySource.Resolve(this, LogPath), verifier, notifyVerify, Partner);
        }
        catch (Exception ex) when (ex is ArgumentException || ex is System.IO.IOException || ex is UnauthorizedAccessException)
        {
            verifier?.Dispose(); // the receiver never took it: clear the key here
            string id = ex is LogInUseException ? "LogInUse" : "ReceiverStartFailed";
            ThrowTerminatingError(new ErrorRecord(ex, id, ErrorCategory.ResourceUnavailable, Prefix));
            return;
        }
        WriteVerbose($"Receiving callbacks at {receiver.Url}, logging to {receiver.LogPath}"
            + (notifyVerify != null ? $"; asking notify_verify at {notifyVerify.Gateway} before answering success." : "."));
        WriteObject(receiver);
        if (Wait)
        {
            WriteVerbose("Running until Ctrl+C or SIGTERM.");
            receiver.RunUntilStopped(_stop.Token);
            WriteVerbose($"Stopped after {receiver.Received} callbacks.");
            receiver.Dispose();
        }
    }

    public void Dispose() => _stop.Dispose();
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
