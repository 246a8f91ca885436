using System;
using System.IO;
using System.Management.Automation;
using System.Security;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Mock;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Commands;

/// <summary>Starts a stand-in Alipay gateway on 127.0.0.1 for tests and demos (there is no sandbox for this interface).</summary>
[Cmdlet(VerbsLifecycle.Start, "BptbMockGateway")]
[OutputType(typeof(MockGateway))]
public sealed class StartBptbMockGatewayCommand : PSCmdlet
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
    public string[]? PaymentFile { get; set; }

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
        ModuleFormats.EnsureLoaded(this);
        MockGateway gateway;
        try
        {
            MockFault[] faults = Array.ConvertAll(Fault ?? Array.Empty<string>(), MockFault.Parse);
            var options = new MockGatewayOptions
            {
                Partner = ConfirmRequestBuilder.CheckPartner(Partner),
                Md5Key = Key == null ? null : KeySource.Plain(Key),
                MerchantPublicKey = PublicKeyPath != null ? KeyLoader.ReadKeyFile(KeySource.Resolve(this, PublicKeyPath)) : PublicKey,
                AlipayPrivateKey = AlipayPrivateKeyPath == null ? null : KeyLoader.ReadKeyFile(KeySource.Resolve(this, AlipayPrivateKeyPath)),
                PaymentPassword = PaymentPassword == null ? string.Empty : KeySource.Plain(PaymentPassword),
                Balance = Balance,
                TimeFactor = TimeFactor,
                Port = Port,
                Accounts = Account ?? Array.Empty<string>(),
            };
            gateway = MockGateway.Start(options);
            foreach (MockFault f in faults)
            {
                gateway.AddFault(f);
            }
        }
        catch (RequestValidationException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, ex.ErrorId, ErrorCategory.InvalidArgument, Partner));
            return;
        }
        catch (KeyFormatException ex)
        {
            ThrowTerminatingError(KeySource.KeyError(ex, PublicKeyPath ?? AlipayPrivateKeyPath));
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
        foreach (string path in PaymentFile ?? Array.Empty<string>())
        {
            // Uploaded before now by the gateway's own clock, so that they can be confirmed at once; and not
            // written out: the gateway is this cmdlet's one output ($gw = Start-BptbMockGateway ... -PaymentFile ...).
            AddBptbMockPaymentFileCommand.Upload(this, gateway, KeySource.Resolve(this, path), null, null, DateTime.UtcNow - gateway.ConfirmDelay, write: false);
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

/// <summary>"Uploads" payment files to a mock gateway, as bptb_pay_file_confirm would have.</summary>
[Cmdlet(VerbsCommon.Add, "BptbMockPaymentFile")]
[OutputType(typeof(PaymentFile))]
public sealed class AddBptbMockPaymentFileCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    public MockGateway Gateway { get; set; } = null!;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    public string[] Path { get; set; } = null!;

    [Parameter]
    public string? FileName { get; set; }

    [Parameter]
    public string? Email { get; set; }

    [Parameter]
    public DateTime? UploadedAt { get; set; }

    protected override void BeginProcessing() => ModuleFormats.EnsureLoaded(this);

    protected override void ProcessRecord()
    {
        foreach (string p in Path)
        {
            Upload(this, Gateway, KeySource.Resolve(this, p), FileName, Email, UploadedAt, write: true);
        }
    }

    internal static void Upload(PSCmdlet cmdlet, MockGateway gateway, string path, string? fileName, string? email, DateTime? uploadedAt, bool write)
    {
        try
        {
            PaymentFile file = gateway.AddPaymentFile(path, fileName, email, uploadedAt);
            cmdlet.WriteVerbose($"Uploaded '{file.FileName}': {file.Details.Count} payments, {file.TotalAmount} yuan, payer {file.Email}; it can be confirmed from {(file.UploadedAt + gateway.ConfirmDelay).ToLocalTime():T}.");
            if (write)
            {
                cmdlet.WriteObject(file);
            }
        }
        catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is FormatException || ex is InvalidOperationException || ex is ArgumentException)
        {
            cmdlet.WriteError(new ErrorRecord(ex, "PaymentFileRefused", ErrorCategory.InvalidData, path));
        }
    }
}
