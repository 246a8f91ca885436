using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace AlipayBptb.Core.Ledger;

// Uploads (bptb_pay_file_confirm): what was sent, under which name and content, and what Alipay answered. The guard
// against paying twice reads these before anything is sent.
public sealed partial class NotificationLedger
{
    /// <summary>Earlier uploads with the same stem (name without extension) or the same content, newest first.</summary>
    public IReadOnlyList<UploadRecord> FindUploads(string fileName, string contentSha256)
    {
        var found = new List<UploadRecord>();
        try
        {
            using SqliteCommand c = Command(null, @"
SELECT file_name, content_sha256, digest, digest_type, rows, total, email, state, code, message, sent, answered
FROM upload WHERE stem = $a OR content_sha256 = $b ORDER BY sent DESC;");
            c.Parameters[0].Value = UploadRecord.StemOf(fileName);
            c.Parameters[1].Value = contentSha256;
            using SqliteDataReader r = c.ExecuteReader();
            while (r.Read())
            {
                found.Add(new UploadRecord
                {
                    FileName = r.GetString(0),
                    ContentSha256 = r.GetString(1),
                    Digest = r.GetString(2),
                    DigestType = r.GetString(3),
                    Rows = (int)r.GetInt64(4),
                    Total = decimal.Parse(r.GetString(5), CultureInfo.InvariantCulture),
                    Email = r.IsDBNull(6) ? null : r.GetString(6),
                    State = r.GetString(7),
                    Code = r.IsDBNull(8) ? null : r.GetString(8),
                    Message = r.IsDBNull(9) ? null : r.GetString(9),
                    Sent = ParseTime(r.GetString(10)),
                    Answered = r.IsDBNull(11) ? null : ParseTime(r.GetString(11)),
                });
            }
        }
        catch (SqliteException ex)
        {
            throw LedgerException.From(Path, ex);
        }
        return found;
    }

    /// <summary>
    /// Records an upload as sent and not yet answered (<see cref="UploadRecord.Unknown"/>), with its rows' payees, in one
    /// transaction, before the first byte leaves: a process killed while it waits leaves an upload whose state must be
    /// queried, never one that looks unsent. A name sent before is replaced (a refused file sent again).
    /// </summary>
    public void RecordUploadSent(UploadRecord upload, IReadOnlyList<string> payees)
    {
        try
        {
            using SqliteTransaction tx = _connection.BeginTransaction(deferred: false);
            using (SqliteCommand d = Command(tx, "DELETE FROM upload_row WHERE file_name = $a;"))
            {
                Run(d, upload.FileName);
            }
            using (SqliteCommand c = Command(tx, @"
INSERT OR REPLACE INTO upload (file_name, stem, content_sha256, digest, digest_type, rows, total, email, state, code, message, sent, answered)
VALUES ($a, $b, $c, $d, $e, $f, $g, $h, 'Unknown', NULL, 'sent; no answer recorded yet', $i, NULL);"))
            {
                Run(c, upload.FileName, upload.Stem, upload.ContentSha256, upload.Digest, upload.DigestType, upload.Rows,
                    upload.Total.ToString(CultureInfo.InvariantCulture), upload.Email, FormatTime(upload.Sent));
            }
            using (SqliteCommand row = Command(tx, "INSERT INTO upload_row (file_name, row, payee) VALUES ($a, $b, $c);"))
            {
                for (int i = 0; i < payees.Count; i++)
                {
                    Run(row, upload.FileName, i + 1, payees[i]);
                }
            }
            tx.Commit();
        }
        catch (SqliteException ex)
        {
            throw LedgerException.From(Path, ex);
        }
    }

    /// <summary>Records Alipay's answer to an upload recorded by <see cref="RecordUploadSent"/>.</summary>
    public void RecordUploadAnswer(string fileName, string state, string? code, string? message, DateTime answered)
    {
        try
        {
            using SqliteCommand c = Command(null, "UPDATE upload SET state = $a, code = $b, message = $c, answered = $d WHERE file_name = $e;");
            Run(c, state, code, message, FormatTime(answered), fileName);
        }
        catch (SqliteException ex)
        {
            throw LedgerException.From(Path, ex);
        }
    }

    /// <summary>
    /// The payees of <paramref name="payees"/> (in file order) that a batch other than <paramref name="fileName"/> also
    /// pays and that has no result yet (uploaded, not refused, no bptb_result_notify): both would be paid.
    /// </summary>
    public IReadOnlyList<RepeatedPayment> FindRepeatedPayments(string fileName, IReadOnlyList<string> payees)
    {
        var repeats = new List<RepeatedPayment>();
        try
        {
            using SqliteCommand c = Command(null, @"
SELECT r.file_name, r.row FROM upload_row r JOIN upload u ON u.file_name = r.file_name
WHERE r.payee = $a AND u.stem <> $b AND u.state NOT IN ('Refused', 'NotSent')
  AND NOT EXISTS (SELECT 1 FROM callback n WHERE n.file_name = u.file_name AND n.notify_type = 'bptb_result_notify')
ORDER BY u.sent, r.row LIMIT 1;");
            c.Parameters[1].Value = UploadRecord.StemOf(fileName);
            for (int i = 0; i < payees.Count; i++)
            {
                c.Parameters[0].Value = payees[i];
                using SqliteDataReader r = c.ExecuteReader();
                if (r.Read())
                {
                    repeats.Add(new RepeatedPayment(i + 1, r.GetString(0), (int)r.GetInt64(1)));
                }
            }
        }
        catch (SqliteException ex)
        {
            throw LedgerException.From(Path, ex);
        }
        return repeats;
    }

    private static string FormatTime(DateTime t) => t.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture);

    private static DateTime ParseTime(string s) => DateTime.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
