using System;
using System.Collections.Generic;
using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace AlipayBptb.Core.Ledger;

// Batch status and uploads: the queries of NotificationLedger (and NotificationLedger.Uploads), in PostgreSQL's words.
internal sealed partial class PostgresLedger
{
    public IEnumerable<BatchStatus> Status(ICollection<string>? fileNames) => Do(c =>
    {
        var list = new List<BatchStatus>();
        using NpgsqlCommand cmd = Command(c, null, @"
WITH files AS (SELECT file_name FROM callback WHERE file_name IS NOT NULL UNION SELECT file_name FROM invalid WHERE file_name IS NOT NULL
               UNION SELECT file_name FROM upload)
SELECT f.file_name,
  (SELECT MAX(CASE WHEN is_success OR result_code = 'USER_CONFIRM_SUCC' THEN 1 ELSE 0 END) FROM callback r WHERE r.file_name = f.file_name AND r.kind = 'Return'),
  (SELECT COUNT(*) FROM callback n WHERE n.file_name = f.file_name AND n.kind = 'Notify'),
  (SELECT result_code FROM callback r WHERE r.file_name = f.file_name AND r.kind = 'Return'
     ORDER BY (is_success IS TRUE) DESC, (result_code IS NOT DISTINCT FROM 'USER_CONFIRM_SUCC') DESC, received DESC NULLS LAST, first_seen DESC LIMIT 1),
  (SELECT COUNT(*) FROM callback n WHERE n.file_name = f.file_name AND n.notify_type = 'bptb_result_notify'),
  (SELECT MAX(pay_date) FROM callback n WHERE n.file_name = f.file_name AND n.notify_type = 'bptb_result_notify'),
  (SELECT COUNT(*) FROM callback n WHERE n.file_name = f.file_name AND n.notify_type = 'bptb_unfreeze_notify'),
  (SELECT bool_or(v.verified) FROM callback n JOIN verification v ON v.notify_id = n.notify_id WHERE n.file_name = f.file_name),
  (SELECT COALESCE(SUM(seen - 1), 0) FROM callback n WHERE n.file_name = f.file_name),
  (SELECT COUNT(*) FROM invalid i WHERE i.file_name = f.file_name),
  (SELECT MIN(t) FROM (SELECT first_seen AS t FROM callback WHERE file_name = f.file_name UNION ALL SELECT seen FROM invalid WHERE file_name = f.file_name
                        UNION ALL SELECT sent FROM upload WHERE file_name = f.file_name) a),
  (SELECT MAX(t) FROM (SELECT last_seen AS t FROM callback WHERE file_name = f.file_name UNION ALL SELECT seen FROM invalid WHERE file_name = f.file_name
                        UNION ALL SELECT COALESCE(answered, sent) FROM upload WHERE file_name = f.file_name) b),
  u.state, u.code, u.sent, u.rows, u.total,
  (SELECT MIN(code) FROM (SELECT result_code AS code FROM callback r WHERE r.file_name = f.file_name AND r.kind = 'Return'
                          UNION ALL SELECT u.code) s WHERE code IN (" + BatchStatus.StopCodesSql + @"))
FROM files f LEFT JOIN upload u ON u.file_name = f.file_name ORDER BY f.file_name");
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            string file = r.GetString(0);
            if (fileNames != null && !fileNames.Contains(file))
            {
                continue;
            }
            BatchStatus status = BatchStatus.Decide(file, r.IsDBNull(1) ? null : r.GetInt32(1) == 1, r.IsDBNull(3) ? null : r.GetString(3),
                r.GetInt64(2), r.GetInt64(4), r.IsDBNull(5) ? null : r.GetString(5), r.GetInt64(6), r.IsDBNull(7) ? null : r.GetBoolean(7));
            status.Duplicates = (int)r.GetInt64(8);
            status.Invalid = (int)r.GetInt64(9);
            status.FirstSeen = Read(r, 10);
            status.LastSeen = Read(r, 11);
            status.Upload = r.IsDBNull(12) ? null : r.GetString(12);
            status.UploadCode = r.IsDBNull(13) ? null : r.GetString(13);
            status.Uploaded = r.IsDBNull(14) ? null : Read(r, 14);
            status.Payments = r.IsDBNull(15) ? null : r.GetInt32(15);
            status.Total = r.IsDBNull(16) ? null : r.GetDecimal(16);
            status.StopCode = r.IsDBNull(17) ? null : r.GetString(17);
            list.Add(status);
        }
        return list;
    });

    public IReadOnlyList<UploadRecord> FindUploads(string fileName, string contentSha256) => Do(c =>
    {
        var found = new List<UploadRecord>();
        using NpgsqlCommand cmd = Command(c, null, @"
SELECT file_name, content_sha256, digest, digest_type, rows, total, email, state, code, message, sent, answered
FROM upload WHERE stem = $1 OR content_sha256 = $2 ORDER BY sent DESC", UploadRecord.StemOf(fileName), contentSha256);
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            found.Add(new UploadRecord
            {
                FileName = r.GetString(0),
                ContentSha256 = r.GetString(1),
                Digest = r.GetString(2),
                DigestType = r.GetString(3),
                Rows = r.GetInt32(4),
                Total = r.GetDecimal(5),
                Email = r.IsDBNull(6) ? null : r.GetString(6),
                State = r.GetString(7),
                Code = r.IsDBNull(8) ? null : r.GetString(8),
                Message = r.IsDBNull(9) ? null : r.GetString(9),
                Sent = Read(r, 10),
                Answered = r.IsDBNull(11) ? null : Read(r, 11),
            });
        }
        return (IReadOnlyList<UploadRecord>)found;
    });

    /// <summary>
    /// Records an upload as sent and not yet answered, with its rows' payees, in one transaction (a name sent before
    /// is replaced); safe to run twice.
    /// </summary>
    public void RecordUploadSent(UploadRecord upload, IReadOnlyList<string> payees) => Do(c =>
    {
        using NpgsqlTransaction tx = c.BeginTransaction();
        Exec(c, tx, "DELETE FROM upload_row WHERE file_name = $1", upload.FileName);
        Exec(c, tx, @"INSERT INTO upload (file_name, stem, content_sha256, digest, digest_type, rows, total, email, state, code, message, sent, answered)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'Unknown', NULL, 'sent; no answer recorded yet', $9, NULL)
ON CONFLICT (file_name) DO UPDATE SET stem = excluded.stem, content_sha256 = excluded.content_sha256, digest = excluded.digest,
  digest_type = excluded.digest_type, rows = excluded.rows, total = excluded.total, email = excluded.email, state = excluded.state,
  code = excluded.code, message = excluded.message, sent = excluded.sent, answered = excluded.answered",
            upload.FileName, upload.Stem, upload.ContentSha256, upload.Digest, upload.DigestType, upload.Rows, upload.Total, upload.Email,
            Utc(upload.Sent.ToUniversalTime()));
        var list = new string[payees.Count];
        for (int i = 0; i < list.Length; i++)
        {
            list[i] = payees[i];
        }
        Exec(c, tx, "INSERT INTO upload_row (file_name, row, payee) SELECT $1, n::int, p FROM unnest($2) WITH ORDINALITY AS u(p, n)",
            upload.FileName, Array(list, NpgsqlDbType.Text));
        tx.Commit();
        return 0;
    });

    public void RecordUploadAnswer(string fileName, string state, string? code, string? message, DateTime answered) => Do(c =>
        Exec(c, null, "UPDATE upload SET state = $1, code = $2, message = $3, answered = $4 WHERE file_name = $5",
            state, code, message, Utc(answered.ToUniversalTime()), fileName));

    public IReadOnlyList<RepeatedPayment> FindRepeatedPayments(string fileName, IReadOnlyList<string> payees) => Do(c =>
    {
        var repeats = new List<RepeatedPayment>();
        if (payees.Count == 0)
        {
            return (IReadOnlyList<RepeatedPayment>)repeats;
        }
        var list = new string[payees.Count];
        for (int i = 0; i < list.Length; i++)
        {
            list[i] = payees[i];
        }
        // One query for the whole file: for each payee, the earliest row of another batch without a result.
        using NpgsqlCommand cmd = Command(c, null, @"
SELECT DISTINCT ON (p.n) p.n, r.file_name, r.row
FROM unnest($1) WITH ORDINALITY AS p(payee, n)
JOIN upload_row r ON r.payee = p.payee JOIN upload u ON u.file_name = r.file_name
WHERE u.stem <> $2 AND u.state NOT IN ('Refused', 'NotSent')
  AND NOT EXISTS (SELECT 1 FROM callback n WHERE n.file_name = u.file_name AND n.notify_type = 'bptb_result_notify')
ORDER BY p.n, u.sent, r.row", Array(list, NpgsqlDbType.Text), UploadRecord.StemOf(fileName));
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            repeats.Add(new RepeatedPayment((int)r.GetInt64(0), r.GetString(1), r.GetInt32(2)));
        }
        return (IReadOnlyList<RepeatedPayment>)repeats;
    });

    private static DateTime Read(NpgsqlDataReader r, int i) => DateTime.SpecifyKind(r.GetDateTime(i), DateTimeKind.Utc);
}
