using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.Data.Sqlite;

namespace AlipayBptb.Core.Ledger;

// Moving a ledger between stores (Copy-BptbLedger): every table as it is, rows streamed.
public sealed partial class NotificationLedger
{
    public bool IsEmpty
    {
        get
        {
            try
            {
                return LedgerTable.Names.All(t => Scalar($"SELECT COUNT(*) FROM (SELECT 1 FROM {t} LIMIT 1);") == 0);
            }
            catch (SqliteException ex)
            {
                throw LedgerException.From(Path, ex);
            }
        }
    }

    public IEnumerable<LedgerTable> Export()
    {
        foreach (string table in LedgerTable.Names)
        {
            yield return new LedgerTable(table, Columns(table), ReadRows(table));
        }
    }

    public void Import(IEnumerable<LedgerTable> tables, bool replace)
    {
        try
        {
            // The ledger's own transaction field: its helpers (Columns, Command) join it.
            using SqliteTransaction tx = _transaction = _connection.BeginTransaction(deferred: false);
            if (replace)
            {
                foreach (string t in LedgerTable.Names)
                {
                    using SqliteCommand d = Command(tx, $"DELETE FROM {t};");
                    d.ExecuteNonQuery();
                }
            }
            foreach (LedgerTable table in tables)
            {
                // Columns the source lacks (a source of an older schema) keep their defaults; columns this ledger lacks
                // mean the source is newer than this module.
                string[] unknown = table.Columns.Except(Columns(table.Name)).ToArray();
                if (unknown.Length > 0)
                {
                    throw new LedgerException(Path, LedgerProblem.TooOld, $"The ledger '{Path}' has no column {string.Join(", ", unknown)} in {table.Name}: the source is of a newer schema; update the module.");
                }
                using SqliteCommand insert = _connection.CreateCommand();
                insert.Transaction = tx;
                insert.CommandText = $"INSERT INTO {table.Name} ({string.Join(", ", table.Columns)}) VALUES ({string.Join(", ", table.Columns.Select((_, i) => "$p" + i))});";
                var parameters = table.Columns.Select((_, i) => insert.Parameters.Add(new SqliteParameter("$p" + i, DBNull.Value))).ToArray();
                foreach (object?[] row in table.Rows)
                {
                    for (int i = 0; i < parameters.Length; i++)
                    {
                        parameters[i].Value = row[i] ?? DBNull.Value;
                    }
                    insert.ExecuteNonQuery();
                }
            }
            tx.Commit();
        }
        catch (SqliteException ex)
        {
            throw LedgerException.From(Path, ex);
        }
        finally
        {
            _transaction = null;
        }
    }

    private IReadOnlyList<string> Columns(string table)
    {
        var columns = new List<string>();
        using SqliteCommand c = Command(null, $"SELECT name FROM pragma_table_info('{table}') ORDER BY cid;");
        using SqliteDataReader r = c.ExecuteReader();
        while (r.Read())
        {
            columns.Add(r.GetString(0));
        }
        return columns;
    }

    private IEnumerable<object?[]> ReadRows(string table)
    {
        using SqliteCommand c = Command(null, $"SELECT * FROM {table};");
        using SqliteDataReader r = c.ExecuteReader();
        while (r.Read())
        {
            var row = new object?[r.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            }
            yield return row;
        }
    }
}
