using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Rules;

namespace AlipayBptb.Cmdlets;

/// <summary>Asks Alipay's notify_verify whether notifications are genuine, several at a time.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "BptbNotifyVerify")]
[OutputType(typeof(NotifyVerifyResult))]
public sealed class InvokeBptbNotifyVerifyCommand : BptbCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly List<Pending> _inFlight = new();
    private NotifyVerifyClient? _client;

    [Parameter(Mandatory = true)]
    public string Partner { get; set; } = null!;

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string? NotifyId { get; set; }

    /// <summary>Carries the piped object into the result's Notification property.</summary>
    [Parameter(ValueFromPipeline = true, DontShow = true)]
    public PSObject? InputObject { get; set; }

    [Parameter]
    public string Gateway { get; set; } = GatewayAddress.Default;

    [Parameter]
    [ValidateRange(1, 600)]
    public int TimeoutSec { get; set; } = 15;

    [Parameter]
    [ValidateRange(0, 10)]
    public int MaximumRetryCount { get; set; } = 2;

    [Parameter]
    [ValidateRange(0, 60)]
    public int RetryIntervalSec { get; set; } = 1;

    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 4;

    protected override void Begin()
    {
        try
        {
            FieldRules.Partner(Partner);
            _client = new NotifyVerifyClient(Gateway, TimeSpan.FromSeconds(TimeoutSec), MaximumRetryCount, TimeSpan.FromSeconds(RetryIntervalSec));
        }
        catch (FieldRuleException ex)
        {
            ThrowTerminatingError(FieldError(ex, Partner));
        }
        catch (ArgumentException ex)
        {
            ThrowGatewayError(ex, Gateway);
        }
    }

    protected override void ProcessRecord()
    {
        string? notifyId = NotifyId;
        object? notification = InputObject?.BaseObject;
        if (notifyId == null && notification is string s)
        {
            notifyId = s; // a bare notify id piped in
            notification = null;
        }
        NotifyId = null; // bound by property name per object: never carry one over to the next
        if (string.IsNullOrWhiteSpace(notifyId))
        {
            var ex = new ArgumentException("The input has no notify id: pipe objects with a NotifyId property (Test-BptbNotification results), or give -NotifyId.");
            WriteError(new ErrorRecord(ex, "MissingNotifyId", ErrorCategory.InvalidArgument, InputObject));
            return;
        }
        while (_inFlight.Count >= ThrottleLimit)
        {
            DrainOne();
        }
        Task<NotifyVerifyResponse> task = _client!.VerifyAsync(Partner, notifyId!, _cancel.Token);
        _inFlight.Add(new Pending(notifyId!, notification, task));
        WriteVerbose($"GET {_client.BuildUri(Partner, notifyId!)}");
    }

    protected override void EndProcessing()
    {
        while (_inFlight.Count > 0)
        {
            DrainOne();
        }
    }

    protected override void StopProcessing() => _cancel.Cancel();

    public void Dispose() => _cancel.Dispose();

    // Waits for the next request to finish and writes its result; writing happens on the pipeline thread only.
    private void DrainOne()
    {
        var tasks = new Task[_inFlight.Count];
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = _inFlight[i].Task;
        }
        int done;
        try
        {
            done = Task.WaitAny(tasks, _cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
        Pending p = _inFlight[done];
        _inFlight.RemoveAt(done);
        try
        {
            NotifyVerifyResponse response = p.Task.GetAwaiter().GetResult();
            WriteVerbose($"notify_id {p.NotifyId}: '{response.Response}' after {response.Attempts} attempt(s).");
            WriteObject(new NotifyVerifyResult(response, p.Notification));
        }
        catch (NotifyVerifyException ex)
        {
            ErrorCategory category = ex.Retryable ? ErrorCategory.ConnectionError : ErrorCategory.InvalidResult;
            WriteError(new ErrorRecord(ex, ex.Retryable ? "NotifyVerifyFailed" : "NotifyVerifyRefused", category, p.NotifyId));
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
    }

    private sealed class Pending
    {
        public Pending(string notifyId, object? notification, Task<NotifyVerifyResponse> task)
        {
            NotifyId = notifyId;
            Notification = notification;
            Task = task;
        }

        public string NotifyId { get; }

        public object? Notification { get; }

        public Task<NotifyVerifyResponse> Task { get; }
    }
}
