using System;
using System.Collections.Generic;
using System.Management.Automation;
using AlipayBptb.Core.Ledger;
using AlipayBptb.Core.Notifications;

namespace AlipayBptb.Commands;

/// <summary>
/// Records checked callbacks in the idempotency ledger and passes them on marked IsDuplicate and IsNewEvent.
/// A result counts as handled only once the rest of the pipeline has got past it: a run that is killed or
/// stopped before that leaves it to the next run, which emits it as new again (at least once).
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "BptbNotification")]
[OutputType(typeof(NotificationResult))]
public sealed class RegisterBptbNotificationCommand : PSCmdlet, IDisposable
{
    private const int BatchSize = 2000;
    private readonly List<NotificationResult> _batch = new(BatchSize);
    private NotificationLedger? _ledger;

    // Not Mandatory: the binder re-checks mandatory parameters for every pipeline object (see Test-BptbNotification).
    [Parameter(ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true)]
    public string Ledger { get; set; } = null!;

    protected override void BeginProcessing()
    {
        ModuleFormats.EnsureLoaded(this);
        string path = LedgerPath.Resolve(this, Ledger);
        try
        {
            _ledger = new NotificationLedger(path);
        }
        catch (LedgerException ex)
        {
            ThrowTerminatingError(LedgerPath.Error(ex, ErrorCategory.OpenError));
        }
        catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "LedgerUnavailable", ErrorCategory.OpenError, path));
        }
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
                    ThrowTerminatingError(LedgerPath.Error(failed, ErrorCategory.WriteError));
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
            ThrowTerminatingError(LedgerPath.Error(ex, ErrorCategory.WriteError));
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

/// <summary>Each payment file's state from the ledger: confirmed, processed, short of balance, verified, counts.</summary>
[Cmdlet(VerbsCommon.Get, "BptbBatchStatus")]
[OutputType(typeof(BatchStatus))]
public sealed class GetBptbBatchStatusCommand : PSCmdlet
{
    [Parameter(Mandatory = true)]
    public string Ledger { get; set; } = null!;

    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    public string[]? FileName { get; set; }

    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    protected override void BeginProcessing() => ModuleFormats.EnsureLoaded(this);

    protected override void ProcessRecord()
    {
        foreach (string n in FileName ?? Array.Empty<string>())
        {
            _names.Add(n);
        }
    }

    protected override void EndProcessing()
    {
        string path = LedgerPath.Resolve(this, Ledger);
        if (!System.IO.File.Exists(path))
        {
            ThrowTerminatingError(new ErrorRecord(new System.IO.FileNotFoundException($"The ledger '{path}' does not exist: Register-BptbNotification creates it."), "LedgerNotFound", ErrorCategory.ObjectNotFound, path));
        }
        BatchStatus[] status;
        try
        {
            // Read-only: a report needs no write access, and must never change the ledger.
            using var ledger = new NotificationLedger(path, readOnly: true);
            status = System.Linq.Enumerable.ToArray(ledger.Status(_names.Count == 0 ? null : _names));
        }
        catch (LedgerException ex)
        {
            ThrowTerminatingError(LedgerPath.Error(ex, ErrorCategory.ReadError));
            return;
        }
        foreach (BatchStatus s in status)
        {
            WriteObject(s);
        }
    }
}
