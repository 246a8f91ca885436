using System;
using System.Collections.Generic;
using System.Globalization;
using AlipayBptb.Core.Notifications;
using Microsoft.Data.Sqlite;

namespace AlipayBptb.Core.Ledger;

/// <summary>One payment file's state, as the ledger knows it (spec 5, 6 and 7.4).</summary>
public sealed class BatchStatus
{
    public string FileName { get; internal set; } = string.Empty;

    /// <summary>is_success of the latest valid return: true (T), false (F), or null when no return came.</summary>
    public bool? Confirmed { get; internal set; }

    /// <summary>result_code of the latest valid return.</summary>
    public string? ResultCode { get; internal set; }

    /// <summary>True when a bptb_result_notify came: the batch was processed.</summary>
    public bool ResultNotified { get; internal set; }

    /// <summary>pay_date of the result notification.</summary>
    public DateTime? PayDate { get; internal set; }

    /// <summary>True when a bptb_unfreeze_notify came: the balance was short.</summary>
    public bool BalanceShort { get; internal set; }

    /// <summary>Balance short and no result notification since: the batch waits for money.</summary>
    public bool Waiting => BalanceShort && !ResultNotified;

    /// <summary>True when notify_verify answered true for one of its notifications, false when only otherwise, null when never asked.</summary>
    public bool? NotifyVerified { get; internal set; }

    public int Notifications { get; internal set; }

    public int Duplicates { get; internal set; }

    public int Invalid { get; internal set; }

    public DateTime FirstSeen { get; internal set; }

    public DateTime LastSeen { get; internal set; }
}

/// <summary>
/// The idempotency ledger (spec 7.4: never act twice on one notification): an SQLite file in WAL mode,
/// shared safely by concurrent processes (a busy timeout, writes in IMMEDIATE transactions), that records
/// each valid notification once, by notify_id, and each return once, by file name and result.
/// </summary>
public sealed class NotificationLedger : IDisposable
{
    private readonly SqliteConnection _connection;

    public NotificationLedger(string path)
    {
        Path = path;
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        _connection.Open();
        Execute("PRAGMA busy_timeout = 30000;");
        Execute("PRAGMA journal_mode = WAL;");
        Execute("PRAGMA synchronous = NORMAL;");
        Execute(@"
CREATE TABLE IF NOT EXISTS callback (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    notify_id TEXT, notify_type TEXT, file_name TEXT, result_code TEXT, is_success INTEGER,
    pay_date TEXT, notify_time TEXT, source TEXT, line INTEGER,
    first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, seen INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS callback_file ON callback(file_name);
CREATE TABLE IF NOT EXISTS invalid (
    id INTEGER PRIMARY KEY, file_name TEXT, notify_id TEXT, reason TEXT, source TEXT, line INTEGER, seen TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS invalid_file ON invalid(file_name);
CREATE TABLE IF NOT EXISTS verification (
    notify_id TEXT PRIMARY KEY, verified INTEGER NOT NULL, response TEXT, checked TEXT NOT NULL);");
    }

    public string Path { get; }

    /// <summary>
    /// Records a batch in one transaction and marks each result with IsDuplicate and FirstSeen.
    /// Valid notifications are keyed by notify_id, valid returns by file name, is_success and result code;
    /// invalid ones are counted, never recorded as events.
    /// </summary>
    public void Register(IReadOnlyList<NotificationResult> batch)
    {
        string now = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture);
        using SqliteTransaction tx = _connection.BeginTransaction(deferred: false);
        // New rows (nearly all, in a nightly run) take one plain INSERT whose row count says "new"; only a
        // duplicate pays for the UPDATE that counts it and reads back when it was first seen. The INSERT runs
        // on SQLite's own statement API with positional binding: Microsoft.Data.Sqlite looks every parameter
        // up by name on every execution, which was most of the cost of a row.
        using var insert = new RawStatement(_connection.Handle!, @"
INSERT INTO callback (key, kind, notify_id, notify_type, file_name, result_code, is_success, pay_date, notify_time, source, line, first_seen, last_seen, seen)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, 1)
ON CONFLICT(key) DO NOTHING;");
        using SqliteCommand again = _connection.CreateCommand();
        again.Transaction = tx;
        again.CommandText = "UPDATE callback SET last_seen = $now, seen = seen + 1 WHERE key = $key RETURNING first_seen;";
        SqliteParameter againKey = again.Parameters.Add("$key", SqliteType.Text);
        SqliteParameter againNow = again.Parameters.Add("$now", SqliteType.Text);
        DateTime nowTime = DateTime.Parse(now, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        using SqliteCommand invalid = _connection.CreateCommand();
        invalid.Transaction = tx;
        invalid.CommandText = "INSERT INTO invalid (file_name, notify_id, reason, source, line, seen) VALUES ($file_name, $notify_id, $reason, $source, $line, $now);";
        var q = new Dictionary<string, SqliteParameter>();
        foreach (string name in new[] { "$file_name", "$notify_id", "$reason", "$source", "$line", "$now" })
        {
            q[name] = invalid.Parameters.Add(name, SqliteType.Text);
        }
        foreach (NotificationResult r in batch)
        {
            // A notification without a notify_id has nothing to be idempotent on: counted, never keyed.
            if (!r.IsValid || (r.Kind == NotificationKind.Notify && string.IsNullOrEmpty(r.NotifyId)))
            {
                q["$file_name"].Value = (object?)r.FileName ?? DBNull.Value;
                q["$notify_id"].Value = (object?)r.NotifyId ?? DBNull.Value;
                q["$reason"].Value = (object?)r.Reason ?? "notification without notify_id";
                q["$source"].Value = (object?)r.Source ?? DBNull.Value;
                q["$line"].Value = r.LineNumber;
                q["$now"].Value = now;
                invalid.ExecuteNonQuery();
                continue;
            }
            string key = r.Kind == NotificationKind.Notify
                ? "notify:" + r.NotifyId
                : "return:" + r.FileName + "|" + r.RawParameters["is_success"] + "|" + r.ResultCode;
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
            if (insert.Execute() == 1)
            {
                r.FirstSeen = nowTime;
                r.IsDuplicate = false;
                continue;
            }
            againKey.Value = key;
            againNow.Value = now;
            r.FirstSeen = DateTime.Parse((string)again.ExecuteScalar()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
            r.IsDuplicate = true;
        }
        tx.Commit();
    }

    /// <summary>Records what notify_verify answered for a notify id (the latest answer wins).</summary>
    public void RecordVerification(string notifyId, bool verified, string response)
    {
        using SqliteCommand c = _connection.CreateCommand();
        c.CommandText = "INSERT INTO verification (notify_id, verified, response, checked) VALUES ($id, $v, $r, $t) ON CONFLICT(notify_id) DO UPDATE SET verified = excluded.verified, response = excluded.response, checked = excluded.checked;";
        c.Parameters.AddWithValue("$id", notifyId);
        c.Parameters.AddWithValue("$v", verified ? 1 : 0);
        c.Parameters.AddWithValue("$r", response);
        c.Parameters.AddWithValue("$t", DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture));
        c.ExecuteNonQuery();
    }

    /// <summary>Each payment file's state; <paramref name="fileNames"/> limits it (null: every file).</summary>
    public IEnumerable<BatchStatus> Status(ICollection<string>? fileNames)
    {
        using SqliteCommand c = _connection.CreateCommand();
        c.CommandText = @"
WITH files AS (SELECT file_name FROM callback WHERE file_name IS NOT NULL UNION SELECT file_name FROM invalid WHERE file_name IS NOT NULL)
SELECT f.file_name,
  (SELECT is_success FROM callback r WHERE r.file_name = f.file_name AND r.kind = 'Return' ORDER BY r.last_seen DESC LIMIT 1),
  (SELECT result_code FROM callback r WHERE r.file_name = f.file_name AND r.kind = 'Return' ORDER BY r.last_seen DESC LIMIT 1),
  (SELECT COUNT(*) FROM callback n WHERE n.file_name = f.file_name AND n.notify_type = 'bptb_result_notify'),
  (SELECT MAX(pay_date) FROM callback n WHERE n.file_name = f.file_name AND n.notify_type = 'bptb_result_notify'),
  (SELECT COUNT(*) FROM callback n WHERE n.file_name = f.file_name AND n.notify_type = 'bptb_unfreeze_notify'),
  (SELECT MAX(v.verified) FROM callback n JOIN verification v ON v.notify_id = n.notify_id WHERE n.file_name = f.file_name),
  (SELECT COUNT(*) FROM callback n WHERE n.file_name = f.file_name AND n.kind = 'Notify'),
  (SELECT COALESCE(SUM(seen - 1), 0) FROM callback n WHERE n.file_name = f.file_name),
  (SELECT COUNT(*) FROM invalid i WHERE i.file_name = f.file_name),
  (SELECT MIN(t) FROM (SELECT first_seen AS t FROM callback WHERE file_name = f.file_name UNION ALL SELECT seen FROM invalid WHERE file_name = f.file_name)),
  (SELECT MAX(t) FROM (SELECT last_seen AS t FROM callback WHERE file_name = f.file_name UNION ALL SELECT seen FROM invalid WHERE file_name = f.file_name))
FROM files f ORDER BY f.file_name;";
        using SqliteDataReader r = c.ExecuteReader();
        while (r.Read())
        {
            string file = r.GetString(0);
            if (fileNames != null && !fileNames.Contains(file))
            {
                continue;
            }
            yield return new BatchStatus
            {
                FileName = file,
                Confirmed = r.IsDBNull(1) ? null : r.GetInt64(1) == 1,
                ResultCode = r.IsDBNull(2) ? null : r.GetString(2),
                ResultNotified = r.GetInt64(3) > 0,
                PayDate = r.IsDBNull(4) ? null : DateTime.TryParseExact(r.GetString(4), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTime d) ? d : null,
                BalanceShort = r.GetInt64(5) > 0,
                NotifyVerified = r.IsDBNull(6) ? null : r.GetInt64(6) == 1,
                Notifications = (int)r.GetInt64(7),
                Duplicates = (int)r.GetInt64(8),
                Invalid = (int)r.GetInt64(9),
                FirstSeen = DateTime.Parse(r.GetString(10), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                LastSeen = DateTime.Parse(r.GetString(11), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            };
        }
    }

    public void Dispose() => _connection.Dispose();

    /// <summary>One prepared statement on SQLite's own API, bound by position, reset after each run.</summary>
    private sealed class RawStatement : IDisposable
    {
        private readonly SQLitePCL.sqlite3 _db;
        private readonly SQLitePCL.sqlite3_stmt _stmt;

        public RawStatement(SQLitePCL.sqlite3 db, string sql)
        {
            _db = db;
            Check(SQLitePCL.raw.sqlite3_prepare_v2(db, sql, out _stmt));
        }

        public void Text(int index, string? value) =>
            Check(value == null ? SQLitePCL.raw.sqlite3_bind_null(_stmt, index) : SQLitePCL.raw.sqlite3_bind_text(_stmt, index, value));

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

    private void Execute(string sql)
    {
        using SqliteCommand c = _connection.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }
}
