using System;
using System.Collections.Generic;
using AlipayBptb.Core.Notifications;
using Npgsql;
using NpgsqlTypes;

namespace AlipayBptb.Core.Ledger;

// Registering a batch, its claims and runs: the rules of NotificationLedger.RegisterBatch, as set operations.
// A batch is a handful of statements whatever its size: each table's rows go as arrays (unnest), in key order, so
// that concurrent batches take their row locks in one order.
internal sealed partial class PostgresLedger
{
    /// <summary>A run on another host is taken for dead when it has not written for this long (server time).</summary>
    private static readonly TimeSpan ForeignRunLease = TimeSpan.FromMinutes(10);

    private readonly Dictionary<long, bool> _liveRuns = new();
    private long? _run;
    private long _seq;

    public long Register(IReadOnlyList<NotificationResult> batch)
    {
        long run = EnsureRun();
        long batchStart = _seq;
        DateTime now = Utc(DateTime.UtcNow);
        Do(c => RegisterBatch(c, batch, run, batchStart, now));
        _seq = batchStart + batch.Count;
        return _seq;
    }

    public void MarkPassed(long through)
    {
        if (_run is not long run || through <= 0)
        {
            return;
        }
        long passed = Math.Min(through, _seq);
        Do(c => Exec(c, null, "UPDATE run SET passed = GREATEST(passed, $1), heartbeat = now() WHERE id = $2", passed, run));
    }

    public void Heartbeat()
    {
        if (_run is long run && !_readOnly)
        {
            Do(c => Exec(c, null, "UPDATE run SET heartbeat = now() WHERE id = $1", run));
        }
    }

    // A true answer is kept, as in the SQLite ledger: a later false is the id having expired.
    public void RecordVerification(string notifyId, bool verified, string response)
    {
        DateTime now = Utc(DateTime.UtcNow);
        Do(c => Exec(c, null, @"INSERT INTO verification (notify_id, verified, response, checked) VALUES ($1, $2, $3, $4)
ON CONFLICT (notify_id) DO UPDATE SET verified = verification.verified OR excluded.verified,
    response = CASE WHEN excluded.verified >= verification.verified THEN excluded.response ELSE verification.response END,
    checked = CASE WHEN excluded.verified >= verification.verified THEN excluded.checked ELSE verification.checked END", notifyId, verified, response, now));
    }

    /// <summary>Ends this run: what it emitted and did not mark passed is left for the next run.</summary>
    public void Dispose()
    {
        if (_run is long run && !_readOnly)
        {
            try
            {
                Do(c => Exec(c, null, "UPDATE run SET ended = true WHERE id = $1", run));
            }
            catch (LedgerException)
            {
                // The run's process check (or lease) still tells the next run that this one is gone.
            }
        }
        _run = null;
        DropConnection();
    }

    // Recorded in a transaction of its own: a batch rolled back and run again keeps the run.
    private long EnsureRun()
    {
        if (_run is long run)
        {
            return run;
        }
        using System.Diagnostics.Process self = System.Diagnostics.Process.GetCurrentProcess();
        string token = Guid.NewGuid().ToString("N");
        string started = NotificationLedger.ProcessStart(self);
        int pid = self.Id;
        // Safe to run twice: the token is unique, a second attempt finds the first's row.
        _run = Do(c => Convert.ToInt64(Scalar(c, null, @"WITH ins AS (
  INSERT INTO run (token, host, pid, process_started, heartbeat) VALUES ($1, $2, $3, $4, now()) ON CONFLICT (token) DO NOTHING RETURNING id)
SELECT id FROM ins UNION ALL SELECT id FROM run WHERE token = $1", token, Environment.MachineName, pid, started), System.Globalization.CultureInfo.InvariantCulture));
        return _run.Value;
    }

    private sealed class Claim
    {
        public long? Occurrence;
        public DateTime FirstSeen;
        public long? Run;
        public long Seq;
    }

    private int RegisterBatch(NpgsqlConnection c, IReadOnlyList<NotificationResult> batch, long run, long batchStart, DateTime now)
    {
        using NpgsqlTransaction tx = c.BeginTransaction();
        int n = batch.Count;
        var keys = new string?[n];
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        var invalid = new List<int>();
        for (int i = 0; i < n; i++)
        {
            NotificationResult r = batch[i];
            if (!r.IsValid || (r.Kind == NotificationKind.Notify && string.IsNullOrEmpty(r.NotifyId)))
            {
                invalid.Add(i);
                continue;
            }
            string key = r.Kind == NotificationKind.Notify
                ? "notify:" + r.NotifyId
                : "return:" + r.FileName + "|" + r.RawParameters["is_success"] + "|" + r.ResultCode;
            keys[i] = key;
            if (!first.ContainsKey(key))
            {
                first[key] = i;
            }
        }
        if (invalid.Count > 0)
        {
            InsertInvalid(c, tx, batch, invalid, now);
        }

        // 1. The new callbacks: one INSERT; what it returns is new, in this batch, of all the processes at work.
        var inserted = InsertCallbacks(c, tx, batch, first, keys, run, batchStart, now);
        var claims = new Dictionary<string, Claim>(StringComparer.Ordinal);
        var existing = new List<string>();
        foreach (KeyValuePair<string, int> k in first)
        {
            if (inserted.Contains(k.Key))
            {
                claims[k.Key] = new Claim { Occurrence = batch[k.Value].Occurrence, FirstSeen = now, Run = run, Seq = batchStart + k.Value + 1 };
            }
            else
            {
                existing.Add(k.Key);
            }
        }
        // 2. The rest exist: locked (in key order) before a claim is judged and perhaps taken over.
        var claimants = new HashSet<long>();
        if (existing.Count > 0)
        {
            using NpgsqlCommand cmd = Command(c, tx, "SELECT key, occurrence, first_seen, run, seq FROM callback WHERE key = ANY($1) ORDER BY key FOR UPDATE",
                Array(existing.ToArray(), NpgsqlDbType.Text));
            using NpgsqlDataReader r = cmd.ExecuteReader();
            while (r.Read())
            {
                var claim = new Claim
                {
                    Occurrence = r.IsDBNull(1) ? null : r.GetInt64(1),
                    FirstSeen = DateTime.SpecifyKind(r.GetDateTime(2), DateTimeKind.Utc),
                    Run = r.IsDBNull(3) ? null : r.GetInt64(3),
                    Seq = r.IsDBNull(4) ? 0 : r.GetInt64(4),
                };
                claims[r.GetString(0)] = claim;
                if (claim.Run is long other && other != run)
                {
                    claimants.Add(other);
                }
            }
        }
        // 3. The batch events of the files in this batch, locked likewise.
        var events = new Dictionary<string, Claim>(StringComparer.Ordinal);
        var confirmedFiles = new HashSet<string>(StringComparer.Ordinal);
        var files = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            if (keys[i] != null && batch[i].Event != null && batch[i].FileName is string f)
            {
                files.Add(f);
            }
        }
        if (files.Count > 0)
        {
            string[] fileArray = new string[files.Count];
            files.CopyTo(fileArray);
            using NpgsqlCommand cmd = Command(c, tx, "SELECT file_name, event, run, seq FROM event WHERE file_name = ANY($1) ORDER BY file_name, event FOR UPDATE",
                Array(fileArray, NpgsqlDbType.Text));
            using NpgsqlDataReader r = cmd.ExecuteReader();
            while (r.Read())
            {
                var claim = new Claim { Run = r.IsDBNull(2) ? null : r.GetInt64(2), Seq = r.IsDBNull(3) ? 0 : r.GetInt64(3) };
                events[r.GetString(0) + "\n" + r.GetString(1)] = claim;
                if (r.GetString(1) != nameof(BatchEvent.ConfirmFailed))
                {
                    confirmedFiles.Add(r.GetString(0));
                }
                if (claim.Run is long other && other != run)
                {
                    claimants.Add(other);
                }
            }
        }
        var runs = ReadRuns(c, tx, claimants);

        // 4. Each result in order, as the SQLite ledger decides it.
        var sightingOccurrences = new List<long>();
        var sightingKeys = new List<string>();
        var takeOverKeys = new List<string>();
        var takeOverSeqs = new List<long>();
        var newEvents = new List<int>();
        var takeOverEvents = new List<int>();
        var verifications = new Dictionary<string, bool>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            string? key = keys[i];
            if (key == null)
            {
                continue;
            }
            NotificationResult r = batch[i];
            long seq = batchStart + i + 1;
            Claim claim = claims[key];
            if (first[key] == i && inserted.Contains(key))
            {
                r.FirstSeen = now;
                r.IsDuplicate = false;
            }
            else
            {
                if (claim.Occurrence != r.Occurrence)
                {
                    sightingOccurrences.Add(r.Occurrence);
                    sightingKeys.Add(key);
                }
                r.FirstSeen = claim.FirstSeen;
                // This very result, recorded by an attempt of this batch whose COMMIT's answer was lost: new, as then.
                bool again = claim.Run == run && claim.Seq == seq;
                bool takeIt = again || IsAbandoned(runs, claim.Run, claim.Seq, run);
                if (takeIt && !again)
                {
                    takeOverKeys.Add(key);
                    takeOverSeqs.Add(seq);
                    claim.Run = run;
                    claim.Seq = seq;
                }
                r.IsDuplicate = !takeIt;
            }
            if (r.NotifyVerified is bool verified && r.NotifyId != null)
            {
                verifications[r.NotifyId] = verifications.TryGetValue(r.NotifyId, out bool before) ? before || verified : verified;
            }
            r.IsNewEvent = false;
            if (r.Event is BatchEvent e && r.FileName is string file)
            {
                string name = e.ToString();
                string eventKey = file + "\n" + name;
                if (e == BatchEvent.ConfirmFailed && confirmedFiles.Contains(file))
                {
                    continue; // a failure after the batch was confirmed undoes nothing
                }
                if (!events.TryGetValue(eventKey, out Claim? ev))
                {
                    events[eventKey] = new Claim { Run = run, Seq = seq };
                    newEvents.Add(i);
                    r.IsNewEvent = true;
                }
                else if (ev.Run == run && ev.Seq == seq)
                {
                    r.IsNewEvent = true;
                }
                else if (IsAbandoned(runs, ev.Run, ev.Seq, run))
                {
                    ev.Run = run;
                    ev.Seq = seq;
                    takeOverEvents.Add(i);
                    r.IsNewEvent = true;
                }
                if (e != BatchEvent.ConfirmFailed)
                {
                    confirmedFiles.Add(file);
                }
            }
        }

        // 5. The writes.
        if (sightingKeys.Count > 0)
        {
            Exec(c, tx, @"WITH s AS (
  INSERT INTO sighting (occurrence, key) SELECT o, k FROM unnest($1, $2) AS u(o, k) ORDER BY o ON CONFLICT DO NOTHING RETURNING key)
UPDATE callback c SET seen = c.seen + s.n, last_seen = $3 FROM (SELECT key, count(*)::int AS n FROM s GROUP BY key) s WHERE c.key = s.key",
                Array(sightingOccurrences.ToArray(), NpgsqlDbType.Bigint), Array(sightingKeys.ToArray(), NpgsqlDbType.Text), now);
        }
        if (takeOverKeys.Count > 0)
        {
            Exec(c, tx, "UPDATE callback c SET run = $1, seq = u.s FROM unnest($2, $3) AS u(k, s) WHERE c.key = u.k",
                run, Array(takeOverKeys.ToArray(), NpgsqlDbType.Text), Array(takeOverSeqs.ToArray(), NpgsqlDbType.Bigint));
        }
        if (newEvents.Count > 0)
        {
            var won = InsertEvents(c, tx, batch, keys, newEvents, run, batchStart, now);
            foreach (int i in newEvents)
            {
                if (!won.Contains(batch[i].FileName + "\n" + batch[i].Event))
                {
                    batch[i].IsNewEvent = false; // another process recorded it between our look and our insert
                }
            }
        }
        if (takeOverEvents.Count > 0)
        {
            var f = new string[takeOverEvents.Count];
            var e = new string[takeOverEvents.Count];
            var s = new long[takeOverEvents.Count];
            for (int j = 0; j < takeOverEvents.Count; j++)
            {
                int i = takeOverEvents[j];
                f[j] = batch[i].FileName!;
                e[j] = batch[i].Event.ToString()!;
                s[j] = batchStart + i + 1;
            }
            Exec(c, tx, "UPDATE event v SET run = $1, seq = u.s FROM unnest($2, $3, $4) AS u(f, e, s) WHERE v.file_name = u.f AND v.event = u.e",
                run, Array(f, NpgsqlDbType.Text), Array(e, NpgsqlDbType.Text), Array(s, NpgsqlDbType.Bigint));
        }
        if (verifications.Count > 0)
        {
            var ids = new List<string>(verifications.Keys);
            ids.Sort(StringComparer.Ordinal);
            var values = ids.ConvertAll(id => verifications[id]).ToArray();
            Exec(c, tx, @"INSERT INTO verification (notify_id, verified, response, checked)
SELECT i, v, 'receiver log', $3 FROM unnest($1, $2) AS u(i, v)
ON CONFLICT (notify_id) DO UPDATE SET verified = verification.verified OR excluded.verified, checked = excluded.checked",
                Array(ids.ToArray(), NpgsqlDbType.Text), Array(values, NpgsqlDbType.Boolean), now);
        }
        Exec(c, tx, "UPDATE run SET heartbeat = now() WHERE id = $1", run);
        tx.Commit();
        return 0;
    }

    private static NpgsqlParameter Array<T>(T[] values, NpgsqlDbType type) => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | type };

    private static void InsertInvalid(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<NotificationResult> batch, List<int> rows, DateTime now)
    {
        int m = rows.Count;
        var occ = new long[m];
        var file = new string?[m];
        var id = new string?[m];
        var reason = new string?[m];
        var source = new string?[m];
        var line = new long[m];
        for (int j = 0; j < m; j++)
        {
            NotificationResult r = batch[rows[j]];
            occ[j] = r.Occurrence;
            file[j] = r.FileName;
            id[j] = r.NotifyId;
            reason[j] = r.Reason ?? "notification without notify_id";
            source[j] = r.Source;
            line[j] = r.LineNumber;
        }
        Exec(c, tx, @"INSERT INTO invalid (occurrence, file_name, notify_id, reason, source, line, seen)
SELECT o, f, i, r, s, l, $7 FROM unnest($1, $2, $3, $4, $5, $6) AS u(o, f, i, r, s, l) ORDER BY o ON CONFLICT DO NOTHING",
            Array(occ, NpgsqlDbType.Bigint), Array(file, NpgsqlDbType.Text), Array(id, NpgsqlDbType.Text), Array(reason, NpgsqlDbType.Text),
            Array(source, NpgsqlDbType.Text), Array(line, NpgsqlDbType.Bigint), now);
    }

    private static HashSet<string> InsertCallbacks(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<NotificationResult> batch,
        Dictionary<string, int> first, string?[] keys, long run, long batchStart, DateTime now)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        int m = first.Count;
        if (m == 0)
        {
            return done;
        }
        var key = new string[m];
        var kind = new string[m];
        var notifyId = new string?[m];
        var notifyType = new string?[m];
        var file = new string?[m];
        var resultCode = new string?[m];
        var success = new bool?[m];
        var payDate = new string?[m];
        var notifyTime = new string?[m];
        var source = new string?[m];
        var line = new long[m];
        var occ = new long[m];
        var received = new DateTime[m];
        var seq = new long[m];
        int j = 0;
        foreach (KeyValuePair<string, int> k in first)
        {
            NotificationResult r = batch[k.Value];
            key[j] = k.Key;
            kind[j] = r.Kind == NotificationKind.Notify ? "Notify" : "Return";
            notifyId[j] = r.NotifyId;
            notifyType[j] = r.NotifyType;
            file[j] = r.FileName;
            resultCode[j] = r.ResultCode;
            success[j] = r.IsSuccess;
            payDate[j] = r.RawParameters["pay_date"];
            notifyTime[j] = r.RawParameters["notify_time"];
            source[j] = r.Source;
            line[j] = r.LineNumber;
            occ[j] = r.Occurrence;
            received[j] = Received(r, now);
            seq[j] = batchStart + k.Value + 1;
            j++;
        }
        using NpgsqlCommand cmd = Command(c, tx, @"INSERT INTO callback (key, kind, notify_id, notify_type, file_name, result_code, is_success, pay_date, notify_time,
    source, line, first_seen, last_seen, seen, occurrence, received, run, seq)
SELECT k, kd, ni, nt, f, rc, s, pd, t, src, l, $15, $15, 1, o, rv, $16, sq
FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) AS u(k, kd, ni, nt, f, rc, s, pd, t, src, l, o, rv, sq)
ORDER BY k
ON CONFLICT (key) DO NOTHING RETURNING key",
            Array(key, NpgsqlDbType.Text), Array(kind, NpgsqlDbType.Text), Array(notifyId, NpgsqlDbType.Text), Array(notifyType, NpgsqlDbType.Text),
            Array(file, NpgsqlDbType.Text), Array(resultCode, NpgsqlDbType.Text), Array(success, NpgsqlDbType.Boolean), Array(payDate, NpgsqlDbType.Text),
            Array(notifyTime, NpgsqlDbType.Text), Array(source, NpgsqlDbType.Text), Array(line, NpgsqlDbType.Bigint), Array(occ, NpgsqlDbType.Bigint),
            Array(received, NpgsqlDbType.TimestampTz), Array(seq, NpgsqlDbType.Bigint), now, run);
        using NpgsqlDataReader reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            done.Add(reader.GetString(0));
        }
        return done;
    }

    private static HashSet<string> InsertEvents(NpgsqlConnection c, NpgsqlTransaction tx, IReadOnlyList<NotificationResult> batch, string?[] keys,
        List<int> rows, long run, long batchStart, DateTime now)
    {
        int m = rows.Count;
        var file = new string[m];
        var name = new string[m];
        var key = new string[m];
        var received = new DateTime[m];
        var seq = new long[m];
        for (int j = 0; j < m; j++)
        {
            int i = rows[j];
            file[j] = batch[i].FileName!;
            name[j] = batch[i].Event.ToString()!;
            key[j] = keys[i]!;
            received[j] = Received(batch[i], now);
            seq[j] = batchStart + i + 1;
        }
        var won = new HashSet<string>(StringComparer.Ordinal);
        using NpgsqlCommand cmd = Command(c, tx, @"INSERT INTO event (file_name, event, key, received, first_seen, run, seq)
SELECT f, e, k, rv, $6, $7, s FROM unnest($1, $2, $3, $4, $5) AS u(f, e, k, rv, s) ORDER BY f, e
ON CONFLICT (file_name, event) DO NOTHING RETURNING file_name, event",
            Array(file, NpgsqlDbType.Text), Array(name, NpgsqlDbType.Text), Array(key, NpgsqlDbType.Text), Array(received, NpgsqlDbType.TimestampTz),
            Array(seq, NpgsqlDbType.Bigint), now, run);
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            won.Add(r.GetString(0) + "\n" + r.GetString(1));
        }
        return won;
    }

    private sealed class RunState
    {
        public string Host = string.Empty;
        public int Pid;
        public string Started = string.Empty;
        public bool Fresh;
        public long Passed;
        public bool Ended;
    }

    private static Dictionary<long, RunState> ReadRuns(NpgsqlConnection c, NpgsqlTransaction tx, HashSet<long> ids)
    {
        var runs = new Dictionary<long, RunState>();
        if (ids.Count == 0)
        {
            return runs;
        }
        var array = new long[ids.Count];
        ids.CopyTo(array);
        using NpgsqlCommand cmd = Command(c, tx, "SELECT id, host, pid, process_started, now() - heartbeat < $2, passed, ended FROM run WHERE id = ANY($1)",
            Array(array, NpgsqlDbType.Bigint), ForeignRunLease);
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            runs[r.GetInt64(0)] = new RunState
            {
                Host = r.GetString(1),
                Pid = r.GetInt32(2),
                Started = r.GetString(3),
                Fresh = r.GetBoolean(4),
                Passed = r.GetInt64(5),
                Ended = r.GetBoolean(6),
            };
        }
        return runs;
    }

    // A claim is abandoned when its run ended, or died (same host: its process is gone; another host: no heartbeat
    // for the lease), before it got past it.
    private bool IsAbandoned(Dictionary<long, RunState> runs, long? claimant, long seq, long me)
    {
        if (claimant is not long other || other == me)
        {
            return false;
        }
        if (!runs.TryGetValue(other, out RunState? r))
        {
            return true;
        }
        if (r.Passed >= seq)
        {
            return false; // handled: the run got past it
        }
        if (r.Ended)
        {
            return true;
        }
        if (!_liveRuns.TryGetValue(other, out bool alive))
        {
            alive = string.Equals(r.Host, Environment.MachineName, StringComparison.Ordinal)
                ? NotificationLedger.ProcessAlive(r.Pid, r.Started)
                : r.Fresh;
            _liveRuns[other] = alive;
        }
        return !alive;
    }

    // When the callback happened: the receiver's time, else the notification's own notify_time (Beijing time,
    // UTC+8, spec 6.2), else now.
    private static DateTime Received(NotificationResult r, DateTime now)
    {
        if (r.Received is DateTime received)
        {
            return Utc(received);
        }
        if (r.NotifyTime is DateTime sent)
        {
            return Utc(DateTime.SpecifyKind(sent.AddHours(-8), DateTimeKind.Utc));
        }
        return now;
    }
}
