using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Npgsql;

namespace AlipayBptb.Core.Ledger;

// Moving a ledger between stores (Copy-BptbLedger). Rows travel in SQLite's representation (times as round-trip UTC
// text, booleans as 1/0, amounts as text), which is what both stores read back; they go in with COPY, which parses
// text into each column's type on the server and keeps identity values as given.
internal sealed partial class PostgresLedger
{
    public bool IsEmpty => Do(c => LedgerTable.Names.All(t =>
        Scalar(c, null, $"SELECT EXISTS (SELECT 1 FROM {Table(t)})") is false));

    public IEnumerable<LedgerTable> Export()
    {
        foreach (string table in LedgerTable.Names)
        {
            IReadOnlyList<string> columns = Do(c => Columns(c, table));
            yield return new LedgerTable(table, columns, ReadRows(table, columns));
        }
    }

    public void Import(IEnumerable<LedgerTable> tables, bool replace)
    {
        // One transaction and no retry: the source's rows are read once, as they stream.
        NpgsqlConnection c;
        try
        {
            c = Connection();
        }
        catch (Exception ex) when (ex is NpgsqlException || ex is System.IO.IOException || ex is TimeoutException)
        {
            throw Failure(ex);
        }
        try
        {
            using NpgsqlTransaction tx = c.BeginTransaction();
            if (replace)
            {
                Exec(c, tx, "TRUNCATE " + string.Join(", ", LedgerTable.Names.Select(Table)));
            }
            foreach (LedgerTable table in tables)
            {
                string[] unknown = table.Columns.Except(Columns(c, table.Name)).ToArray();
                if (unknown.Length > 0)
                {
                    throw new LedgerException(Location, LedgerProblem.TooOld, $"The ledger {Location} has no column {string.Join(", ", unknown)} in {table.Name}: the source is of a newer schema; update the module.");
                }
                using (TextWriter w = c.BeginTextImport($"COPY {Table(table.Name)} ({string.Join(", ", table.Columns.Select(Quote))}) FROM STDIN"))
                {
                    var line = new StringBuilder();
                    foreach (object?[] row in table.Rows)
                    {
                        line.Clear();
                        for (int i = 0; i < row.Length; i++)
                        {
                            if (i > 0)
                            {
                                line.Append('\t');
                            }
                            AppendCopyText(line, row[i]);
                        }
                        w.Write(line.Append('\n').ToString());
                    }
                }
            }
            // Runs keep their ids (claims refer to them): the next run's id follows the highest copied.
            Exec(c, tx, $"SELECT setval(pg_get_serial_sequence('{Table("run").Replace("'", "''")}', 'id'), COALESCE((SELECT MAX(id) FROM {Table("run")}), 0) + 1, false)");
            tx.Commit();
        }
        catch (Exception ex) when (ex is NpgsqlException || ex is System.IO.IOException || ex is TimeoutException)
        {
            DropConnection();
            throw Failure(ex);
        }
    }

    private string Table(string name) => Quote(Schema) + "." + Quote(name);

    private IReadOnlyList<string> Columns(NpgsqlConnection c, string table)
    {
        var columns = new List<string>();
        using NpgsqlCommand cmd = Command(c, null,
            "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position", Schema, table);
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            columns.Add(r.GetString(0));
        }
        return columns;
    }

    private IEnumerable<object?[]> ReadRows(string table, IReadOnlyList<string> columns)
    {
        // Its own connection: the rows stream while the target (another ledger) writes.
        using var c = new NpgsqlConnection(_connectionString);
        try
        {
            c.Open();
        }
        catch (Exception ex) when (ex is NpgsqlException || ex is System.IO.IOException || ex is TimeoutException)
        {
            throw Failure(ex);
        }
        using NpgsqlCommand cmd = Command(c, null, $"SELECT {string.Join(", ", columns.Select(Quote))} FROM {Table(table)}");
        using NpgsqlDataReader r = cmd.ExecuteReader();
        while (r.Read())
        {
            var row = new object?[r.FieldCount];
            for (int i = 0; i < row.Length; i++)
            {
                row[i] = r.IsDBNull(i) ? null : Portable(r.GetValue(i));
            }
            yield return row;
        }
    }

    // SQLite's representation of a value, which both stores read back.
    private static object Portable(object value) => value switch
    {
        DateTime t => Utc(t).ToString("o", CultureInfo.InvariantCulture),
        bool b => b ? 1L : 0L,
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        int i => (long)i,
        short s => (long)s,
        _ => value,
    };

    // COPY's text format: \N for null; backslash, tab, newline and carriage return escaped.
    private static void AppendCopyText(StringBuilder line, object? value)
    {
        if (value == null)
        {
            line.Append("\\N");
            return;
        }
        string text = value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value.ToString() ?? string.Empty;
        foreach (char ch in text)
        {
            switch (ch)
            {
                case '\\':
                    line.Append("\\\\");
                    break;
                case '\t':
                    line.Append("\\t");
                    break;
                case '\n':
                    line.Append("\\n");
                    break;
                case '\r':
                    line.Append("\\r");
                    break;
                default:
                    line.Append(ch);
                    break;
            }
        }
    }
}
