using System.Management.Automation;
using System.Net.Http;
using System.Security;
using System.Threading;
using AlipayBptb.Core.Rules;
using AlipayBptb.Mock;

namespace AlipayBptb.Cmdlets;

/// <summary>Confirms payment files on a mock gateway as a payer's browser would: opens the confirm URL, types the password, follows the return.</summary>
[Cmdlet(VerbsLifecycle.Confirm, "BptbMockPayment")]
[OutputType(typeof(MockConfirmation))]
public sealed class ConfirmBptbMockPaymentCommand : BptbCmdlet, System.IDisposable
{
    private readonly CancellationTokenSource _cancel = new();

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string Url { get; set; } = null!;

    [Parameter(Mandatory = true)]
    public SecureString PaymentPassword { get; set; } = null!;

    protected override void ProcessRecord()
    {
        if (!System.Uri.TryCreate(Url, System.UriKind.Absolute, out System.Uri? uri) || !HostRules.IsLocalHost(uri))
        {
            var ex = new System.ArgumentException($"'{Url}' is not a confirm URL on a loopback mock gateway: this cmdlet types passwords into test gateways only.");
            WriteError(new ErrorRecord(ex, "NotAMockGateway", ErrorCategory.InvalidArgument, Url));
            return;
        }
        try
        {
            MockConfirmation result = ScriptedPayer.ConfirmAsync(Url, KeySource.Plain(PaymentPassword), _cancel.Token).GetAwaiter().GetResult();
            WriteVerbose($"{result.FileName}: {result.ResultCode}, back at {result.ReturnUrl ?? "(no return)"}");
            WriteObject(result);
        }
        catch (HttpRequestException ex)
        {
            WriteError(new ErrorRecord(ex, "ConfirmFailed", ErrorCategory.ConnectionError, Url));
        }
        catch (System.OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
    }

    protected override void StopProcessing() => _cancel.Cancel();

    public void Dispose() => _cancel.Dispose();
}
