using System;
using System.Collections.Generic;
using System.Management.Automation;
using AlipayBptb.Core.Ledger;
using AlipayBptb.Core.Notifications;

namespace AlipayBptb.Cmdlets;

/// <summary>
/// Records checked callbacks in the idempotency ledger and passes them on marked IsDuplicate and IsNewEvent.
/// A result counts as handled only once the rest of the pipeline has got past it: a run that is killed or
/// stopped before that leaves it to the next run, which emits it as new again (at least once).
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "BptbNotification")]
[OutputType(typeof(NotificationResult))]
public sealed class RegisterBptbNotificationCommand : BptbCmdlet, IDisposable
{
    private const int BatchSize = 2000;
    private readonly List<NotificationResult> _batch = new(BatchSize);
    private ILedger? _ledger;

    // Not Mandatory: the binder re-checks mandatory parameters for every pipeline object (see Test-BptbNotification).
    [Parameter(ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true)]
    public string Ledger { get; set; } = null!;

    /// <summary>For a PostgreSQL ledger: the role and its password (Get-Secret works). Never a password in -Ledger.</summary>
    [Parameter]
    [Credential]
    public PSCredential? LedgerCredential { get; set; }

    protected override void Begin()
    {
        _ledger = OpenLedger(Ledger, LedgerCredential, readOnly: false, fileMustExist: false, ErrorCategory.OpenError);
    }

    protected override void ProcessRecord()
    {
        switch (InputObject?.BaseObject)
        {
            case NotificationResult result:
                _batch.Add(result);
                if (_batch.Count >= BatchSize)
                {
                    Flush();
                }
                break;
            case NotifyVerifyResult verify:
                try
                {
                    _ledger!.RecordVerification(verify.NotifyId, verify.Verified, verify.Response);
                }
                catch (LedgerException failed)
                {
                    ThrowTerminatingError(LedgerError(failed, ErrorCategory.WriteError));
                }
                WriteObject(verify);
                break;
            default:
                var ex = new ArgumentException($"Register-BptbNotification takes Test-BptbNotification or Invoke-BptbNotifyVerify results, not {InputObject?.BaseObject?.GetType().Name ?? "nothing"}.");
                WriteError(new ErrorRecord(ex, "NotANotification", ErrorCategory.InvalidType, InputObject));
                break;
        }
    }

    protected override void EndProcessing()
    {
        Flush();
        Dispose();
    }

    // Results go on only after their transaction committed: what a script sees as registered is on disk.
    // WriteObject returns once the downstream commands have processed the object (an action in
    // ForEach-Object has run), so the results it returned for are the ones marked handled; one whose action
    // threw, and every result after it, stay pending for the next run.
    private void Flush()
    {
        if (_batch.Count == 0)
        {
            return;
        }
        try
        {
            _ledger!.Register(_batch);
        }
        catch (LedgerException ex)
        {
            ThrowTerminatingError(LedgerError(ex, ErrorCategory.WriteError));
        }
        int passed = 0;
        try
        {
            foreach (NotificationResult r in _batch)
            {
                WriteObject(r);
                passed++;
            }
        }
        finally
        {
            _batch.Clear();
            try
            {
                _ledger!.MarkPassed(passed);
            }
            catch (LedgerException ex)
            {
                // Not marked: the next run emits these again, which at-least-once allows.
                WriteWarning(ex.Message);
            }
        }
    }

    public void Dispose()
    {
        _ledger?.Dispose();
        _ledger = null;
    }
}
