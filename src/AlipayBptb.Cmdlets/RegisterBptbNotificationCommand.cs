using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Ledger;
using AlipayBptb.Core.Notifications;

namespace AlipayBptb.Cmdlets;

/// <summary>
/// Records checked callbacks in the idempotency ledger and passes them on marked IsDuplicate and IsNewEvent.
/// A result counts as handled only once the rest of the pipeline has got past it: a run that is killed or
/// stopped before that leaves it to the next run, which emits it as new again (at least once).
/// </summary>
/// <remarks>
/// The ledger writes on a thread of its own, a batch behind the pipeline: while batch N commits, the commands
/// upstream read and verify batch N+1 on the pipeline's thread, and batch N goes downstream as soon as it committed.
/// Results still go on in their order, each only after its batch committed, and are marked handled only after
/// they went on.
/// </remarks>
[Cmdlet(VerbsLifecycle.Register, "BptbNotification")]
[OutputType(typeof(NotificationResult))]
public sealed class RegisterBptbNotificationCommand : BptbCmdlet, IDisposable
{
    // A commit writes every page its batch changed, and the indexes' pages are spread over the whole ledger: five
    // transactions of 2,000 took 1.5 times as long as one of 10,000. Larger still gains little and costs twice:
    // a killed run's batch is acted on again by the next (at least once), and at most three batches are held at
    // once (being read, being written, going downstream), which keeps memory flat over any log but not small.
    private const int BatchSize = 10000;

    // Runs on other hosts take this one for dead after 10 minutes without a write (ILedger.Heartbeat). Results are
    // acted on between writes, and a batch of slow actions can take longer than that: a timer keeps beating.
    internal static TimeSpan HeartbeatInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentQueue<string> _warnings = new();
    private readonly object _queueLock = new(); // the pipeline's thread and the heartbeat's timer both queue
    private Timer? _heartbeat;
    private bool _closing;
    private List<NotificationResult> _collecting = new(BatchSize);
    private InFlight? _inFlight;
    private Task _writer = Task.CompletedTask; // the last operation queued for the ledger's thread
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
        _heartbeat = new Timer(_ => Beat(), null, HeartbeatInterval, HeartbeatInterval);
    }

    private void Beat()
    {
        lock (_queueLock)
        {
            if (_closing)
            {
                return; // a tick that raced Dispose: the ledger is closing
            }
            ILedger ledger = _ledger!;
            QueueOrWarn(ledger.Heartbeat); // failed: the next beat or batch writes; only 10 minutes of silence count
        }
    }

    protected override void ProcessRecord()
    {
        switch (InputObject?.BaseObject)
        {
            case NotificationResult result:
                _collecting.Add(result);
                if (_collecting.Count >= BatchSize)
                {
                    Submit();
                }
                else if (_inFlight?.Registered.IsCompleted == true)
                {
                    // Committed: on it goes now, not when the next batch is full. Results held for less time
                    // are fewer to hold, and fewer survive into the collector's older generations.
                    Emit();
                }
                break;
            case NotifyVerifyResult verify:
                // Its place in the output is after every result before it: those go first.
                Submit();
                Emit();
                Await(Queue(() => _ledger!.RecordVerification(verify.NotifyId, verify.Verified, verify.Response)));
                WriteObject(verify);
                break;
            default:
                var ex = new ArgumentException($"Register-BptbNotification takes Test-BptbNotification or Invoke-BptbNotifyVerify results, not {InputObject?.BaseObject?.GetType().Name ?? "nothing"}.");
                WriteError(new ErrorRecord(ex, "NotANotification", ErrorCategory.InvalidType, InputObject));
                break;
        }
        ReportWarnings();
    }

    protected override void EndProcessing()
    {
        Submit();
        Emit();
        WaitForLedger(); // the last MarkPassed, whose failure is a warning
        ReportWarnings();
        Dispose();
    }

    // Hands the batch being collected to the ledger's thread, then sends the one before it downstream meanwhile.
    private void Submit()
    {
        if (_collecting.Count == 0)
        {
            return;
        }
        List<NotificationResult> batch = _collecting;
        _collecting = new List<NotificationResult>(BatchSize);
        Task<long> registered = Queue(() => _ledger!.Register(batch));
        InFlight? previous = _inFlight;
        _inFlight = new InFlight(batch, registered);
        if (previous != null)
        {
            Emit(previous);
        }
    }

    private void Emit()
    {
        InFlight? last = _inFlight;
        _inFlight = null;
        if (last != null)
        {
            Emit(last);
        }
    }

    // Results go on only after their transaction committed: what a script sees as registered is on disk.
    // WriteObject returns once the downstream commands have processed the object (an action in
    // ForEach-Object has run), so the results it returned for are the ones marked handled; one whose action
    // threw, and every result after it, stay pending for the next run.
    private void Emit(InFlight batch)
    {
        long last = Await(batch.Registered);
        long first = last - batch.Results.Count + 1;
        int passed = 0;
        try
        {
            foreach (NotificationResult r in batch.Results)
            {
                WriteObject(r);
                passed++;
            }
        }
        finally
        {
            long through = first - 1 + passed;
            if (passed > 0)
            {
                QueueOrWarn(() => _ledger!.MarkPassed(through)); // not marked: the next run emits these again (at least once)
            }
        }
    }

    // The ledger's operations run one at a time, in the order queued, off the pipeline's thread.
    private Task<T> Queue<T>(Func<T> operation)
    {
        lock (_queueLock)
        {
            Task<T> next = _writer.ContinueWith(_ => operation(), TaskScheduler.Default);
            _writer = next;
            return next;
        }
    }

    private Task<bool> Queue(Action operation) => Queue(() =>
    {
        operation();
        return true;
    });

    // A write whose failure does not end the run: reported as a warning on the pipeline's thread.
    private void QueueOrWarn(Action operation) => Queue(() =>
    {
        try
        {
            operation();
        }
        catch (LedgerException ex)
        {
            _warnings.Enqueue(ex.Message);
        }
    });

    private T Await<T>(Task<T> task)
    {
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (LedgerException ex)
        {
            ThrowTerminatingError(LedgerError(ex, ErrorCategory.WriteError));
            throw; // not reached: ThrowTerminatingError throws
        }
    }

    private void ReportWarnings()
    {
        while (_warnings.TryDequeue(out string? message))
        {
            WriteWarning(message);
        }
    }

    // Stopped or failed mid-run: the ledger's thread finishes what it is doing before the ledger closes, and what
    // was registered but not emitted stays claimed by this run, which the next run takes over once this one ended.
    public void Dispose()
    {
        lock (_queueLock)
        {
            _closing = true;
        }
        _heartbeat?.Dispose();
        _heartbeat = null;
        WaitForLedger();
        _ledger?.Dispose();
        _ledger = null;
    }

    // Until every operation queued for the ledger has run. What failed was reported where it was awaited (a
    // registration), as a warning (MarkPassed), or is left to the next run.
    private void WaitForLedger()
    {
        try
        {
            Task last;
            lock (_queueLock)
            {
                last = _writer;
            }
            last.Wait();
        }
        catch (AggregateException)
        {
        }
    }

    private sealed class InFlight
    {
        public InFlight(List<NotificationResult> results, Task<long> registered)
        {
            Results = results;
            Registered = registered;
        }

        public List<NotificationResult> Results { get; }

        public Task<long> Registered { get; }
    }
}
