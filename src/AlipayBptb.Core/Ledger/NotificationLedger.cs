using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using AlipayBptb.Core.Notifications;
using Microsoft.Data.Sqlite;

namespace AlipayBptb.Core.Ledger;

/// <summary>
/// The idempotency ledger (spec 7.4: never act twice on one notification, and never lose one): an SQLite file
/// in WAL mode, shared safely by concurrent processes (a busy timeout, writes in IMMEDIATE transactions).
/// <para>
/// Each valid callback is recorded once (notifications by notify_id, returns by file name and result), each
/// batch event once (<see cref="BatchEvent"/>, whichever channel brought it), each sighting once (so reading
/// the same log again changes no count). What a run emits as new is <em>claimed</em> by that run, and only
/// becomes handled once the run reports that the downstream pipeline got past it
/// (<see cref="MarkPassed"/>): a run that is killed, stopped or fails before that leaves its claims pending,
/// and the next run emits them as new again (at least once). A claim of a run that is still alive is
/// respected, so two runs at once never both emit one callback as new.
/// </para>
/// </summary>
public sealed partial class NotificationLedger : ILedger
{
    /// <summary>Marks the ledger's own files (<c>PRAGMA application_id</c>): "BPTB".</summary>
    public const int ApplicationId = 0x42505442;

    /// <summary>The schema this code writes (<c>PRAGMA user_version</c>).</summary>
    public const int SchemaVersion = 4;

    private const string Schema = @"
CREATE TABLE IF NOT EXISTS callback (
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    notify_id TEXT, notify_type TEXT, file_name TEXT, result_code TEXT, is_success INTEGER,
    pay_date TEXT, notify_time TEXT, source TEXT, line INTEGER,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, seen INTEGER NOT NULL,
    occurrence INTEGER, received TEXT, run INTEGER, seq INTEGER);
CREATE INDEX IF NOT EXISTS callback_file ON callback(file_name);
CREATE TABLE IF NOT EXISTS sighting (occurrence INTEGER PRIMARY KEY, key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS invalid (
    occurrence INTEGER PRIMARY KEY, file_name TEXT, notify_id TEXT, reason TEXT, source TEXT, line INTEGER, seen TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS invalid_file ON invalid(file_name);
CREATE TABLE IF NOT EXISTS event (
    file_name TEXT NOT NULL, event TEXT NOT NULL, key TEXT NOT NULL, received TEXT NOT NULL, first_seen TEXT NOT NULL,
    run INTEGER, seq INTEGER, PRIMARY KEY (file_name, event)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS verification (
    notify_id TEXT PRIMARY KEY, verified INTEGER NOT NULL, response TEXT, checked TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run (
    id INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE, host TEXT NOT NULL, pid INTEGER NOT NULL, process_started TEXT NOT NULL,
    heartbeat TEXT NOT NULL, passed INTEGER NOT NULL DEFAULT 0, ended INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS upload (
    file_name TEXT PRIMARY KEY, stem TEXT NOT NULL, content_sha256 TEXT NOT NULL, digest TEXT NOT NULL, digest_type TEXT NOT NULL,
    rows INTEGER NOT NULL, total TEXT NOT NULL, email TEXT, state TEXT NOT NULL, code TEXT, message TEXT,
    sent TEXT NOT NULL, answered TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS upload_stem ON upload(stem);
CREATE INDEX IF NOT EXISTS upload_content ON upload(content_sha256);
CREATE TABLE IF NOT EXISTS upload_row (
    file_name TEXT NOT NULL, row INTEGER NOT NULL, payee TEXT NOT NULL, PRIMARY KEY (file_name, row)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS upload_row_payee ON upload_row(payee);";

    /// <summary>A run on another host is taken for dead when it has not written for this long.</summary>
    private static readonly TimeSpan ForeignRunLease = TimeSpan.FromMinutes(10);

    private static readonly string[] OwnTables = { "callback", "sighting", "invalid", "event", "verification", "run" };

    private SqliteConnection _connection;
    private readonly Dictionary<long, bool> _liveRuns = new();
    private readonly SettledEvents _settled = new();
    private SqliteTransaction? _transaction; // the one in progress, which Microsoft.Data.Sqlite wants on every command
    private long? _run;
    private long _seq;
    private DateTime _lastReceived;
    private string? _lastReceivedText;

    /// <summary>Opens (and with <paramref name="readOnly"/> false, creates or upgrades) the ledger at <paramref name="path"/>.</summary>
    public NotificationLedger(string path, bool readOnly = false)
    {
        Path = path;
        try
        {
            _connection = Open(path, readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate);
            try
            {
                _connection.Open();
                if (readOnly)
                {
                    Scalar("PRAGMA application_id;"); // SQLite opens lazily: the first read is what fails
                }
            }
            catch (SqliteException ex) when (readOnly && ex.SqliteErrorCode == 14)
            {
                // A WAL ledger on a medium that cannot be written (a read-only mount, a backup): SQLite cannot make
                // the shared-memory file a reader of WAL needs. Nothing can write there either, so the file is read
                // as immutable, which needs no such file.
                _connection.Dispose();
                _connection = Open(new Uri(System.IO.Path.GetFullPath(path)).AbsoluteUri + "?immutable=1", SqliteOpenMode.ReadOnly);
                _connection.Open();
            }
            Execute("PRAGMA busy_timeout = 30000;");
            if (readOnly)
            {
                CheckOwnership(allowEmpty: false);
                return;
            }
            // Nothing is written before the file is known to be a ledger or empty: journal_mode = WAL alone rewrites
            // another application's file header. (Checked again in the transaction below, against a racing creator.)
            CheckOwnership(allowEmpty: true);
            // A new ledger's pages are 16 KiB (SQLite's default is 4): fewer levels in the indexes that random notify
            // ids are inserted into, 10% less time registering a day's log. Only a new file takes it (before WAL).
            Execute("PRAGMA page_size = 16384;");
            Execute("PRAGMA journal_mode = WAL;");
            Execute("PRAGMA synchronous = NORMAL;");
            // A checkpoint every 64 MiB of WAL (SQLite's default is 1,000 pages): each one copies the pages the
            // commits since the last one changed, and most of an index's pages change in every commit.
            Execute($"PRAGMA wal_autocheckpoint = {64 * 1024 * 1024 / Scalar("PRAGMA page_size;")};");
            // 32 MiB of page cache (SQLite's default is 2): the key indexes of a million callbacks stay in
            // memory, where the default cache spilled them and every insert read pages back.
            Execute("PRAGMA cache_size = -32768;");
            using (_transaction = _connection.BeginTransaction(deferred: false))
            {
                bool empty = CheckOwnership(allowEmpty: true);
                long version = empty ? 0 : Scalar("PRAGMA user_version;");
                if (empty || version < SchemaVersion)
                {
                    Upgrade(empty, version);
                }
                _transaction.Commit();
            }
            _transaction = null;
        }
        catch (SqliteException ex)
        {
            _connection?.Dispose();
            throw LedgerException.From(path, ex);
        }
        catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException)
        {
            _connection?.Dispose();
            throw new LedgerException(path, LedgerProblem.Unavailable, $"The ledger '{path}' cannot be opened: {ex.Message}", ex);
        }
        catch
        {
            _connection?.Dispose();
            throw;
        }
    }

    public string Path { get; }

    public string Location => Path;

    private static SqliteConnection Open(string dataSource, SqliteOpenMode mode) =>
        new(new SqliteConnectionStringBuilder { DataSource = dataSource, Mode = mode, Pooling = false }.ToString());

    /// <summary>
    /// Records a batch in one transaction and marks each result: <c>IsDuplicate</c> (this callback was seen),
    /// <c>IsNewEvent</c> (its batch event was not), <c>FirstSeen</c>. Results marked new are claimed by this
    /// run until <see cref="MarkPassed"/> reports them handled. Invalid results are counted, never keyed.
    /// </summary>
    public long Register(IReadOnlyList<NotificationResult> batch)
    {
        try
        {
            RegisterBatch(batch);
            return _seq;
        }
        catch (SqliteException ex)
        {
            _settled.Clear(); // what the rolled-back batch settled is not on disk
            throw LedgerException.From(Path, ex);
        }
        catch
        {
            _settled.Clear();
            throw;
        }
    }

    private void RegisterBatch(IReadOnlyList<NotificationResult> batch)
    {
        SqliteTransaction tx = _connection.BeginTransaction(deferred: false);
        long? runBefore = _run;
        try
        {
            WriteBatch(tx, batch);
            tx.Commit();
            _seq += batch.Count; // numbered only once on disk
        }
        catch
        {
            // A write that failed (a full disk, an I/O error) has SQLite roll the transaction back itself; the
            // ROLLBACK of Dispose then fails with "no transaction is active", which must not hide the first error.
            try
            {
                tx.Dispose();
            }
            catch (SqliteException)
            {
            }
            _run = runBefore; // a run row made in the rolled-back transaction is not on disk
            throw;
        }
        tx.Dispose();
    }

    private void WriteBatch(SqliteTransaction tx, IReadOnlyList<NotificationResult> batch)
    {
        string now = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture);
        DateTime nowTime = DateTime.Parse(now, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        long run = EnsureRun(tx, now);
        long batchStart = _seq;
        // New rows (nearly all, in a nightly run) take one plain INSERT whose row count says "new"; only a
        // repeat pays for reading the row back. The INSERT runs on SQLite's own statement API with positional
        // binding: Microsoft.Data.Sqlite looks every parameter up by name on every execution.
        using var insert = new RawStatement(_connection.Handle!, @"
INSERT INTO callback (key, kind, notify_id, notify_type, file_name, result_code, is_success, pay_date, notify_time, source, line,
    first_seen, last_seen, seen, occurrence, received, run, seq)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, 1, ?13, ?14, ?15, ?16)
ON CONFLICT(key) DO NOTHING;");
        using var insertEvent = new RawStatement(_connection.Handle!, @"
INSERT INTO event (file_name, event, key, received, first_seen, run, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT(file_name, event) DO NOTHING;");
        using SqliteCommand existing = Command(tx, "SELECT occurrence, first_seen, run, seq FROM callback WHERE key = $a;");
        using SqliteCommand sighting = Command(tx, "INSERT INTO sighting (occurrence, key) VALUES ($a, $b) ON CONFLICT DO NOTHING;");
        using SqliteCommand seen = Command(tx, "UPDATE callback SET seen = seen + 1, last_seen = $b WHERE key = $a;");
        using SqliteCommand takeOver = Command(tx, "UPDATE callback SET run = $b, seq = $c WHERE key = $a;");
        using SqliteCommand existingEvent = Command(tx, "SELECT run, seq FROM event WHERE file_name = $a AND event = $b;");
        using SqliteCommand takeOverEvent = Command(tx, "UPDATE event SET run = $c, seq = $d WHERE file_name = $a AND event = $b;");
        using SqliteCommand confirmedAlready = Command(tx, "SELECT COUNT(*) FROM event WHERE file_name = $a AND event <> 'ConfirmFailed';");
        using SqliteCommand invalid = Command(tx, "INSERT INTO invalid (occurrence, file_name, notify_id, reason, source, line, seen) VALUES ($a, $b, $c, $d, $e, $f, $g) ON CONFLICT DO NOTHING;");
        using SqliteCommand verified = Command(tx, @"INSERT INTO verification (notify_id, verified, response, checked) VALUES ($a, $b, $c, $d)
ON CONFLICT(notify_id) DO UPDATE SET verified = MAX(verified, excluded.verified), checked = excluded.checked;");
        for (int i = 0; i < batch.Count; i++)
        {
            NotificationResult r = batch[i];
            long seq = batchStart + i + 1;
            long occurrence = r.Occurrence;
            // A notification without a notify_id has nothing to be idempotent on: counted, never keyed.
            if (!r.IsValid || (r.Kind == NotificationKind.Notify && string.IsNullOrEmpty(r.NotifyId)))
            {
                Run(invalid, occurrence, r.FileName, r.NotifyId, r.Reason ?? "notification without notify_id", r.Source, r.LineNumber, now);
                continue;
            }
            string key = r.Kind == NotificationKind.Notify
                ? "notify:" + r.NotifyId
                : "return:" + r.FileName + "|" + r.RawParameters["is_success"] + "|" + r.ResultCode;
            string received = Received(r, now);
            insert.Text(1, key);
            insert.Text(2, r.Kind == NotificationKind.Notify ? "Notify" : "Return");
            insert.Text(3, r.NotifyId);
            insert.Text(4, r.NotifyType);
            insert.Text(5, r.FileName);
            insert.Text(6, r.ResultCode);
            insert.Integer(7, r.IsSuccess.HasValue ? (r.IsSuccess.Value ? 1 : 0) : null);
            insert.Text(8, r.RawParameters["pay_date"]);
            insert.Text(9, r.RawParameters["notify_time"]);
            insert.Text(10, r.Source);
            insert.Integer(11, r.LineNumber);
            insert.Text(12, now);
            insert.Integer(13, occurrence);
            insert.Text(14, received);
            insert.Integer(15, run);
            insert.Integer(16, seq);
            if (insert.Execute() == 1)
            {
                r.FirstSeen = nowTime;
                r.IsDuplicate = false;
            }
            else
            {
                long? firstOccurrence;
                string firstSeen;
                long? claimant;
                long claimSeq;
                existing.Parameters[0].Value = key;
                using (SqliteDataReader row = existing.ExecuteReader())
                {
                    row.Read();
                    firstOccurrence = row.IsDBNull(0) ? null : row.GetInt64(0);
                    firstSeen = row.GetString(1);
                    claimant = row.IsDBNull(2) ? null : row.GetInt64(2);
                    claimSeq = row.IsDBNull(3) ? 0 : row.GetInt64(3);
                }
                if (firstOccurrence != occurrence && Run(sighting, occurrence, key) == 1)
                {
                    Run(seen, key, now);
                }
                r.FirstSeen = DateTime.Parse(firstSeen, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                // Emitted before, but never got past a run that has ended or died: emit it as new again.
                bool takeIt = IsAbandoned(tx, claimant, claimSeq, run);
                if (takeIt)
                {
                    Run(takeOver, key, run, seq);
                }
                r.IsDuplicate = !takeIt;
            }
            if (r.NotifyVerified.HasValue && r.NotifyId != null)
            {
                Run(verified, r.NotifyId, r.NotifyVerified.Value ? 1 : 0, "receiver log", now);
            }
            r.IsNewEvent = RegisterEvent(tx, r, key, received, now, run, seq, insertEvent, existingEvent, takeOverEvent, confirmedAlready);
        }
        using (SqliteCommand beat = Command(tx, "UPDATE run SET heartbeat = $a WHERE id = $b;"))
        {
            Run(beat, now, run);
        }
    }

    private bool RegisterEvent(SqliteTransaction tx, NotificationResult r, string key, string received, string now, long run, long seq,
        RawStatement insertEvent, SqliteCommand existingEvent, SqliteCommand takeOverEvent, SqliteCommand confirmedAlready)
    {
        if (r.Event is not BatchEvent e || r.FileName == null)
        {
            return false;
        }
        string name = e.ToString();
        if (_settled.Contains(r.FileName, name))
        {
            return false;
        }
        // A failure that comes after the batch was confirmed (a second confirmation, a replayed old return)
        // undoes nothing: it is no event to act on.
        if (e == BatchEvent.ConfirmFailed)
        {
            confirmedAlready.Parameters[0].Value = r.FileName;
            if ((long)confirmedAlready.ExecuteScalar()! > 0)
            {
                return false;
            }
        }
        insertEvent.Text(1, r.FileName);
        insertEvent.Text(2, name);
        insertEvent.Text(3, key);
        insertEvent.Text(4, received);
        insertEvent.Text(5, now);
        insertEvent.Integer(6, run);
        insertEvent.Integer(7, seq);
        if (insertEvent.Execute() == 1)
        {
            _settled.Add(r.FileName, name);
            return true;
        }
        existingEvent.Parameters[0].Value = r.FileName;
        existingEvent.Parameters[1].Value = name;
        long? claimant;
        long claimSeq;
        using (SqliteDataReader row = existingEvent.ExecuteReader())
        {
            row.Read();
            claimant = row.IsDBNull(0) ? null : row.GetInt64(0);
            claimSeq = row.IsDBNull(1) ? 0 : row.GetInt64(1);
        }
        switch (Claim(tx, claimant, claimSeq, run))
        {
            case ClaimState.Settled:
                _settled.Add(r.FileName, name);
                return false;
            case ClaimState.Live:
                return false;
        }
        Run(takeOverEvent, r.FileName, name, run, seq);
        _settled.Add(r.FileName, name);
        return true;
    }

    /// <summary>
    /// Reports that the downstream pipeline got past this run's results up to number <paramref name="through"/>:
    /// their claims become handled, and no later run emits them as new again.
    /// </summary>
    public void MarkPassed(long through)
    {
        if (_run == null || through <= 0)
        {
            return;
        }
        try
        {
            using SqliteCommand c = Command(null, "UPDATE run SET passed = MAX(passed, $a), heartbeat = $c WHERE id = $b;");
            Run(c, Math.Min(through, _seq), _run, DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture));
        }
        catch (SqliteException ex)
        {
            throw LedgerException.From(Path, ex);
        }
    }

    /// <summary>Tells runs on other hosts that this run is alive, while its results are being acted on.</summary>
    public void Heartbeat()
    {
        if (_run == null)
        {
            return;
        }
        try
        {
            using SqliteCommand c = Command(null, "UPDATE run SET heartbeat = $a WHERE id = $b;");
            Run(c, DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture), _run);
        }
        catch (SqliteException ex)
        {
            throw LedgerException.From(Path, ex);
        }
    }

    /// <summary>Records what notify_verify answered for a notify id (a true answer is kept).</summary>
    public void RecordVerification(string notifyId, bool verified, string response)
    {
        try
        {
            // A true answer is kept: asked again after the receiver answered 'success', Alipay says false for the same
            // genuine id (it expired, spec 7.2 (12)). SET reads the row as it was before the update.
            using SqliteCommand c = Command(null, @"INSERT INTO verification (notify_id, verified, response, checked) VALUES ($a, $b, $c, $d)
ON CONFLICT(notify_id) DO UPDATE SET verified = MAX(verified, excluded.verified),
    response = CASE WHEN excluded.verified >= verified THEN excluded.response ELSE response END,
    checked = CASE WHEN excluded.verified >= verified THEN excluded.checked ELSE checked END;");
            Run(c, notifyId, verified ? 1 : 0, response, DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture));
        }
        catch (SqliteException ex)
        {
            throw LedgerException.From(Path, ex);
        }
    }

    /// <summary>
    /// Each payment file's state; <paramref name="fileNames"/> limits it (null: every file). What happened
    /// decides, not the order callbacks were registered in: a success is never undone by an earlier or replayed
    /// failure, and returns are ordered by when they were received (notifications by when Alipay sent them).
    /// </summary>
    public IEnumerable<BatchStatus> Status(ICollection<string>? fileNames)
    {
        var list = new List<BatchStatus>();
        try
        {
            using SqliteCommand c = Command(null, @"
WITH files AS (SELECT file_name FROM callback WHERE file_name IS NOT NULL UNION SELECT file_name FROM invalid WHERE file_name IS NOT NULL
               UNION SELECT file_name FROM upload)
SELECT f.file_name,
  (SELECT MAX(CASE WHEN is_success = 1 OR result_code = 'USER_CONFIRM_SUCC' THEN 1 ELSE 0 END) FROM callback r WHERE r.file_name = f.file_name AND r.kind = 'Return'),
  (SELECT COUNT(*) FROM callback n WHERE n.file_name = f.file_name AND n.kind = 'Notify'),
  (SELECT result_code FROM callback r WHERE r.file_name = f.file_name AND r.kind = 'Return'
     ORDER BY (is_success = 1) DESC, (result_code = 'USER_CONFIRM_SUCC') DESC, received DESC, first_seen DESC LIMIT 1),
  (SELECT COUNT(*) FROM callback n WHERE n.file_name = f.file_name AND n.notify_type = 'bptb_result_notify'),
  (SELECT MAX(pay_date) FROM callback n WHERE n.file_name = f.file_name AND n.notify_type = 'bptb_result_notify'),
  (SELECT COUNT(*) FROM callback n WHERE n.file_name = f.file_name AND n.notify_type = 'bptb_unfreeze_notify'),
  (SELECT MAX(v.verified) FROM callback n JOIN verification v ON v.notify_id = n.notify_id WHERE n.file_name = f.file_name),
  (SELECT COALESCE(SUM(seen - 1), 0) FROM callback n WHERE n.file_name = f.file_name),
  (SELECT COUNT(*) FROM invalid i WHERE i.file_name = f.file_name),
  (SELECT MIN(t) FROM (SELECT first_seen AS t FROM callback WHERE file_name = f.file_name UNION ALL SELECT seen FROM invalid WHERE file_name = f.file_name
                        UNION ALL SELECT sent FROM upload WHERE file_name = f.file_name)),
  (SELECT MAX(t) FROM (SELECT last_seen AS t FROM callback WHERE file_name = f.file_name UNION ALL SELECT seen FROM invalid WHERE file_name = f.file_name
                        UNION ALL SELECT COALESCE(answered, sent) FROM upload WHERE file_name = f.file_name)),
  u.state, u.code, u.sent, u.rows, u.total,
  (SELECT MIN(code) FROM (SELECT result_code AS code FROM callback r WHERE r.file_name = f.file_name AND r.kind = 'Return'
                          UNION ALL SELECT u.code) s WHERE code IN (" + BatchStatus.StopCodesSql + @"))
FROM files f LEFT JOIN upload u ON u.file_name = f.file_name ORDER BY f.file_name;");
            using SqliteDataReader r = c.ExecuteReader();
            while (r.Read())
            {
                string file = r.GetString(0);
                if (fileNames != null && !fileNames.Contains(file))
                {
                    continue;
                }
                BatchStatus status = BatchStatus.Decide(file, r.IsDBNull(1) ? null : r.GetInt64(1) == 1, r.IsDBNull(3) ? null : r.GetString(3),
                    r.GetInt64(2), r.GetInt64(4), r.IsDBNull(5) ? null : r.GetString(5), r.GetInt64(6), r.IsDBNull(7) ? null : r.GetInt64(7) == 1);
                status.Duplicates = (int)r.GetInt64(8);
                status.Invalid = (int)r.GetInt64(9);
                status.FirstSeen = DateTime.Parse(r.GetString(10), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                status.LastSeen = DateTime.Parse(r.GetString(11), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                status.Upload = r.IsDBNull(12) ? null : r.GetString(12);
                status.UploadCode = r.IsDBNull(13) ? null : r.GetString(13);
                status.Uploaded = r.IsDBNull(14) ? null : DateTime.Parse(r.GetString(14), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                status.Payments = r.IsDBNull(15) ? null : (int)r.GetInt64(15);
                status.Total = r.IsDBNull(16) ? null : decimal.Parse(r.GetString(16), CultureInfo.InvariantCulture);
                status.StopCode = r.IsDBNull(17) ? null : r.GetString(17);
                list.Add(status);
            }
        }
        catch (SqliteException ex)
        {
            throw LedgerException.From(Path, ex);
        }
        return list;
    }

    /// <summary>Ends this run: what it emitted and did not mark passed is left for the next run.</summary>
    public void Dispose()
    {
        try
        {
            if (_run != null)
            {
                using SqliteCommand c = Command(null, "UPDATE run SET ended = 1 WHERE id = $a;");
                Run(c, _run);
            }
        }
        catch (Exception ex) when (ex is SqliteException || ex is InvalidOperationException)
        {
            // The run's process check (or lease) still tells the next run that this one is gone. (After a failed
            // batch the connection may still count a transaction SQLite already rolled back: InvalidOperation.)
        }
        finally
        {
            _run = null;
            _connection.Dispose(); // whatever happened above: a file left open keeps its medium busy
        }
    }

    // The run is recorded with what tells whether it is still alive: its host and process (with the process's
    // start time, since process ids are reused), and a heartbeat for runs on other hosts.
    private long EnsureRun(SqliteTransaction tx, string now)
    {
        if (_run is long run)
        {
            return run;
        }
        using System.Diagnostics.Process self = System.Diagnostics.Process.GetCurrentProcess();
        using SqliteCommand c = Command(tx, "INSERT INTO run (token, host, pid, process_started, heartbeat) VALUES ($a, $b, $c, $d, $e) RETURNING id;");
        for (int i = 0; i < 5; i++)
        {
            c.Parameters[i].Value = new object[] { Guid.NewGuid().ToString("N"), Environment.MachineName, (long)self.Id, ProcessStart(self), now }[i];
        }
        _run = (long)c.ExecuteScalar()!;
        return _run.Value;
    }

    private bool IsAbandoned(SqliteTransaction tx, long? claimant, long seq, long me) =>
        Claim(tx, claimant, seq, me) == ClaimState.Abandoned;

    private ClaimState Claim(SqliteTransaction tx, long? claimant, long seq, long me)
    {
        if (claimant is not long other || other == me)
        {
            return ClaimState.Settled;
        }
        using SqliteCommand c = Command(tx, "SELECT host, pid, process_started, heartbeat, passed, ended FROM run WHERE id = $a;");
        c.Parameters[0].Value = claimant;
        using SqliteDataReader r = c.ExecuteReader();
        if (!r.Read())
        {
            return ClaimState.Abandoned;
        }
        if (r.GetInt64(4) >= seq)
        {
            return ClaimState.Settled; // handled: the run got past it
        }
        if (r.GetInt64(5) == 1)
        {
            return ClaimState.Abandoned;
        }
        if (!_liveRuns.TryGetValue(other, out bool alive))
        {
            alive = string.Equals(r.GetString(0), Environment.MachineName, StringComparison.Ordinal)
                ? ProcessAlive((int)r.GetInt64(1), r.GetString(2))
                : DateTime.UtcNow - DateTime.Parse(r.GetString(3), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) < ForeignRunLease;
            _liveRuns[other] = alive;
        }
        return alive ? ClaimState.Live : ClaimState.Abandoned;
    }

    internal static bool ProcessAlive(int pid, string started)
    {
        try
        {
            using System.Diagnostics.Process p = System.Diagnostics.Process.GetProcessById(pid);
            return string.Equals(ProcessStart(p), started, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is ArgumentException || ex is InvalidOperationException || ex is System.ComponentModel.Win32Exception || ex is NotSupportedException)
        {
            return false;
        }
    }

    internal static string ProcessStart(System.Diagnostics.Process p) =>
        p.StartTime.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);

    // When the callback happened: the receiver's time, else the notification's own notify_time (Beijing time,
    // UTC+8, spec 6.2), else now. Neighbouring lines of a log share their second: the last text is kept.
    private string Received(NotificationResult r, string now)
    {
        DateTime? at = r.Received ?? (r.NotifyTime is DateTime sent ? DateTime.SpecifyKind(sent.AddHours(-8), DateTimeKind.Utc) : null);
        if (at is not DateTime time)
        {
            return now;
        }
        if (time != _lastReceived || time.Kind != _lastReceived.Kind || _lastReceivedText == null)
        {
            _lastReceived = time;
            _lastReceivedText = time.ToString("o", CultureInfo.InvariantCulture);
        }
        return _lastReceivedText;
    }

    // True when the file is empty (a new ledger); throws when it is another application's database.
    private bool CheckOwnership(bool allowEmpty)
    {
        long id = Scalar("PRAGMA application_id;");
        var tables = new List<string>();
        using (SqliteCommand c = Command(null, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%';"))
        using (SqliteDataReader r = c.ExecuteReader())
        {
            while (r.Read())
            {
                tables.Add(r.GetString(0));
            }
        }
        if (id == ApplicationId)
        {
            if (Scalar("PRAGMA user_version;") > SchemaVersion)
            {
                throw new LedgerException(Path, LedgerProblem.TooNew,
                    $"The ledger '{Path}' was written by a newer AlipayBptb (schema {Scalar("PRAGMA user_version;")}; this one knows {SchemaVersion}): update the module.");
            }
            return false;
        }
        if (tables.Count == 0)
        {
            if (!allowEmpty)
            {
                throw new LedgerException(Path, LedgerProblem.NotALedger, $"'{Path}' is not a ledger: it is empty. Register-BptbNotification creates one.");
            }
            return true;
        }
        // A ledger from before the mark (schema 1) has exactly our tables; anything else is not ours to touch.
        bool legacy = id == 0 && tables.Contains("callback") && tables.TrueForAll(t => Array.IndexOf(OwnTables, t) >= 0);
        if (!legacy)
        {
            throw new LedgerException(Path, LedgerProblem.NotALedger,
                $"'{Path}' is an SQLite database of something else (tables: {string.Join(", ", tables)}), not an AlipayBptb ledger: give a new file or an existing ledger.");
        }
        if (!allowEmpty)
        {
            throw new LedgerException(Path, LedgerProblem.TooOld,
                $"The ledger '{Path}' has an older schema: run Register-BptbNotification on it once to upgrade it.");
        }
        return false;
    }

    private void Upgrade(bool empty, long from)
    {
        // Schema 2 → 3 adds the upload tables, which the schema below creates; nothing to move.
        if (!empty && from < 2)
        {
            // Schema 1 → 2: sightings, claims, events and runs. Old rows count as handled, each seen once per
            // registration as before; invalid rows keep their count under a made-up occurrence each.
            Execute(@"
ALTER TABLE callback ADD COLUMN occurrence INTEGER;
ALTER TABLE callback ADD COLUMN received TEXT;
ALTER TABLE callback ADD COLUMN run INTEGER;
ALTER TABLE callback ADD COLUMN seq INTEGER;
UPDATE callback SET received = first_seen;
ALTER TABLE invalid RENAME TO invalid_v1;");
        }
        // Schema 3 → 4: callbacks move from a table ordered by key (WITHOUT ROWID) to one in insertion order with a
        // unique index on the key. Alipay's notify ids are random: each new one landed in a random page of the
        // table's full rows, where now only the index's short entries do (2.5 times faster over 300,000 rows).
        if (!empty && from < 4)
        {
            Execute("DROP INDEX IF EXISTS callback_file; ALTER TABLE callback RENAME TO callback_v3;");
        }
        Execute(Schema);
        if (!empty && from < 4)
        {
            Execute(@"
INSERT INTO callback (key, kind, notify_id, notify_type, file_name, result_code, is_success, pay_date, notify_time, source, line,
    first_seen, last_seen, seen, occurrence, received, run, seq)
SELECT key, kind, notify_id, notify_type, file_name, result_code, is_success, pay_date, notify_time, source, line,
    first_seen, last_seen, seen, occurrence, received, run, seq FROM callback_v3 ORDER BY first_seen;
DROP TABLE callback_v3;");
        }
        if (!empty && from < 2)
        {
            Execute(@"
INSERT INTO invalid (occurrence, file_name, notify_id, reason, source, line, seen)
    SELECT id, file_name, notify_id, reason, source, line, seen FROM invalid_v1;
DROP TABLE invalid_v1;
INSERT OR IGNORE INTO event (file_name, event, key, received, first_seen)
    SELECT file_name, CASE WHEN kind = 'Return' AND (is_success = 1 OR result_code = 'USER_CONFIRM_SUCC') THEN 'Confirmed'
                           WHEN kind = 'Return' THEN 'ConfirmFailed'
                           WHEN notify_type = 'bptb_unfreeze_notify' THEN 'BalanceShort' ELSE 'Processed' END,
           key, first_seen, first_seen FROM callback WHERE file_name IS NOT NULL ORDER BY first_seen;");
        }
        Execute($"PRAGMA application_id = {ApplicationId}; PRAGMA user_version = {SchemaVersion};");
    }

    private SqliteCommand Command(SqliteTransaction? tx, string sql)
    {
        SqliteCommand c = _connection.CreateCommand();
        c.Transaction = tx ?? _transaction;
        c.CommandText = sql;
        foreach (string name in new[] { "$a", "$b", "$c", "$d", "$e", "$f", "$g", "$h", "$i" })
        {
            if (sql.Contains(name))
            {
                c.Parameters.Add(new SqliteParameter(name, DBNull.Value));
            }
        }
        return c;
    }

    private static int Run(SqliteCommand c, params object?[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            c.Parameters[i].Value = values[i] ?? DBNull.Value;
        }
        return c.ExecuteNonQuery();
    }

    private long Scalar(string sql)
    {
        using SqliteCommand c = Command(null, sql);
        return Convert.ToInt64(c.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private void Execute(string sql)
    {
        using SqliteCommand c = _connection.CreateCommand();
        c.Transaction = _transaction;
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }

    /// <summary>One prepared statement on SQLite's own API, bound by position, reset after each run.</summary>
    private sealed class RawStatement : IDisposable
    {
        private readonly SQLitePCL.sqlite3 _db;
        private readonly SQLitePCL.sqlite3_stmt _stmt;
        private byte[] _utf8 = new byte[256];

        public RawStatement(SQLitePCL.sqlite3 db, string sql)
        {
            _db = db;
            Check(SQLitePCL.raw.sqlite3_prepare_v2(db, sql, out _stmt));
        }

        // Encoded into one reused buffer (SQLite copies it): the string overload allocates an array per value. An
        // empty span would reach SQLite as a null pointer, which binds NULL: "" takes the string overload.
        public void Text(int index, string? value)
        {
            if (value == null || value.Length == 0)
            {
                Check(value == null ? SQLitePCL.raw.sqlite3_bind_null(_stmt, index) : SQLitePCL.raw.sqlite3_bind_text(_stmt, index, value));
                return;
            }
            int most = Encoding.UTF8.GetMaxByteCount(value.Length);
            if (_utf8.Length < most)
            {
                _utf8 = new byte[Math.Max(most, 2 * _utf8.Length)];
            }
            int length = Encoding.UTF8.GetBytes(value, 0, value.Length, _utf8, 0);
            Check(SQLitePCL.raw.sqlite3_bind_text(_stmt, index, new ReadOnlySpan<byte>(_utf8, 0, length)));
        }

        public void Integer(int index, long? value) =>
            Check(value == null ? SQLitePCL.raw.sqlite3_bind_null(_stmt, index) : SQLitePCL.raw.sqlite3_bind_int64(_stmt, index, value.Value));

        /// <summary>Runs the statement; returns the rows it changed.</summary>
        public int Execute()
        {
            int rc = SQLitePCL.raw.sqlite3_step(_stmt);
            SQLitePCL.raw.sqlite3_reset(_stmt);
            if (rc != SQLitePCL.raw.SQLITE_DONE)
            {
                throw new SqliteException(SQLitePCL.raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
            }
            return SQLitePCL.raw.sqlite3_changes(_db);
        }

        public void Dispose() => _stmt.Dispose();

        private void Check(int rc)
        {
            if (rc != SQLitePCL.raw.SQLITE_OK)
            {
                throw new SqliteException(SQLitePCL.raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
            }
        }
    }
}
