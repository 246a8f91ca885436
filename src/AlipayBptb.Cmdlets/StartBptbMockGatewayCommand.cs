using System;
using System.Management.Automation;
using System.Security;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;
using AlipayBptb.Mock;

namespace AlipayBptb.Cmdlets;

/// <summary>Starts a stand-in Alipay gateway on 127.0.0.1 for tests and demos (there is no sandbox for this interface).</summary>
[Cmdlet(VerbsLifecycle.Start, "BptbMockGateway")]
[OutputType(typeof(LocalGateway))]
public sealed class StartBptbMockGatewayCommand : BptbCmdlet
{
    [Parameter(Mandatory = true)]
    public string Partner { get; set; } = null!;

    [Parameter]
    public SecureString? Key { get; set; }

    [Parameter]
    public string? PublicKey { get; set; }

    [Parameter]
    [Alias("PublicKeyFile")]
    public string? PublicKeyPath { get; set; }

    [Parameter]
    public string? AlipayPrivateKeyPath { get; set; }

    [Parameter]
    public SecureString? PaymentPassword { get; set; }

    [Parameter]
    public string[]? UploadedPaymentFile { get; set; }

    [Parameter]
    [ValidateRange(0, double.MaxValue)]
    public decimal? Balance { get; set; }

    [Parameter]
    [ValidateRange(0.000001, 1000.0)]
    public double TimeFactor { get; set; } = 1.0;

    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    [Parameter]
    public string[]? NotifyId { get; set; }

    [Parameter]
    public string[]? Fault { get; set; }

    [Parameter]
    public string[]? Account { get; set; }

    protected override void EndProcessing()
    {
        LocalGateway gateway;
        try
        {
            NotifyVerifyFault[] faults = Array.ConvertAll(Fault ?? Array.Empty<string>(), NotifyVerifyFault.Parse);
            var options = new LocalGatewayOptions
            {
                Partner = FieldRules.Partner(Partner),
                Md5Key = Key == null ? null : KeySource.Plain(Key),
                MerchantPublicKey = PublicKeyPath != null ? KeyLoader.ReadKeyFile(ResolvePath(PublicKeyPath)) : PublicKey,
                AlipayPrivateKey = AlipayPrivateKeyPath == null ? null : KeyLoader.ReadKeyFile(ResolvePath(AlipayPrivateKeyPath)),
                PaymentPassword = PaymentPassword == null ? string.Empty : KeySource.Plain(PaymentPassword),
                Balance = Balance,
                TimeFactor = TimeFactor,
                Port = Port,
                Accounts = Account ?? Array.Empty<string>(),
            };
            gateway = LocalGateway.Start(options);
            foreach (NotifyVerifyFault f in faults)
            {
                gateway.AddFault(f);
            }
        }
        catch (FieldRuleException ex)
        {
            ThrowTerminatingError(FieldError(ex, Partner));
            return;
        }
        catch (KeyFormatException ex)
        {
            ThrowKeyError(ex, PublicKeyPath ?? AlipayPrivateKeyPath);
            return;
        }
        catch (FormatException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "InvalidFault", ErrorCategory.InvalidArgument, Fault));
            return;
        }
        catch (System.IO.IOException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "GatewayStartFailed", ErrorCategory.ResourceUnavailable, Port));
            return;
        }
        foreach (string id in NotifyId ?? Array.Empty<string>())
        {
            gateway.AddNotifyId(id);
        }
        foreach (string path in UploadedPaymentFile ?? Array.Empty<string>())
        {
            // Uploaded before now by the gateway's own clock, so that they can be confirmed at once; and not
            // written out: the gateway is this cmdlet's one output ($gw = Start-BptbMockGateway ... -UploadedPaymentFile ...).
            AddBptbMockPaymentFileCommand.Upload(this, gateway, ResolvePath(path), null, null, DateTime.UtcNow - gateway.ConfirmDelay, write: false);
        }
        WriteVerbose($"Mock gateway for partner {Partner} listening at {gateway.Url}.");
        WriteObject(gateway);
    }
}
