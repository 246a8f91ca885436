using System;
using System.Management.Automation;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Receiver;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Cmdlets;

/// <summary>Starts the merchant's callback receiver: every return and notification logged durably, then answered "success".</summary>
[Cmdlet(VerbsLifecycle.Start, "BptbNotifyReceiver", DefaultParameterSetName = NoKeySet)]
[OutputType(typeof(NotifyReceiver))]
public sealed class StartBptbNotifyReceiverCommand : VerifyingKeyCmdlet, IDisposable
{
    private const string NoKeySet = "NoKey";

    [Parameter(Position = 0)]
    public string Prefix { get; set; } = "http://127.0.0.1:0/alipay/";

    [Parameter(Mandatory = true)]
    public string LogPath { get; set; } = null!;

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
    public string Gateway { get; set; } = GatewayAddress.Default;

    /// <summary>Run in the foreground until Ctrl+C or SIGTERM, then stop gracefully: for a service manager.</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    private readonly System.Threading.CancellationTokenSource _stop = new();

    protected override void StopProcessing() => _stop.Cancel();

    protected override void EndProcessing()
    {
        BptbCharset charset = GetCharset(Charset, nameof(Charset));
        Signer? signer = LoadVerifyingKey();
        // With -Partner, a callback for another partner is invalid (and never asked about).
        NotificationVerifier? verifier = signer == null ? null : new NotificationVerifier(new[] { signer }, null, Partner, charset);
        NotifyVerifyClient? notifyVerify = null;
        if (Partner != null)
        {
            try
            {
                FieldRules.Partner(Partner);
                // Short and few: Alipay waits for the answer to its post while we ask.
                notifyVerify = new NotifyVerifyClient(Gateway, TimeSpan.FromSeconds(5), 1, TimeSpan.FromMilliseconds(500));
            }
            catch (FieldRuleException ex)
            {
                verifier?.Dispose();
                ThrowTerminatingError(FieldError(ex, Partner));
            }
            catch (ArgumentException ex)
            {
                verifier?.Dispose();
                ThrowGatewayError(ex, Gateway);
            }
        }
        NotifyReceiver receiver;
        try
        {
            receiver = NotifyReceiver.Start(Prefix, ResolvePath(LogPath), verifier, notifyVerify, Partner);
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
