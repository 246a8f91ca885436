using System;
using System.Collections.Generic;
using System.Management.Automation;
using AlipayBptb.Core.Ledger;
using AlipayBptb.Core.Notifications;

namespace AlipayBptb.Commands;

/// <summary>Records checked notifications in the idempotency ledger, once each, and passes them on marked IsDuplicate.</summary>
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
        string path = KeySource.Resolve(this, Ledger);
        try
        {
            _ledger = new NotificationLedger(path);
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException || ex is System.IO.IOException || ex is UnauthorizedAccessException)
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
                _ledger!.RecordVerification(verify.NotifyId, verify.Verified, verify.Response);
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
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "LedgerWriteFailed", ErrorCategory.WriteError, _ledger!.Path));
        }
        foreach (NotificationResult r in _batch)
        {
            WriteObject(r);
        }
        _batch.Clear();
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
        string path = KeySource.Resolve(this, Ledger);
        if (!System.IO.File.Exists(path))
        {
            ThrowTerminatingError(new ErrorRecord(new System.IO.FileNotFoundException($"The ledger '{path}' does not exist: Register-BptbNotification creates it."), "LedgerNotFound", ErrorCategory.ObjectNotFound, path));
        }
        using var ledger = new NotificationLedger(path);
        foreach (BatchStatus s in ledger.Status(_names.Count == 0 ? null : _names))
        {
            WriteObject(s);
        }
    }
}
