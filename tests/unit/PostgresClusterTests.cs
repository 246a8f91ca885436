using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace AlipayBptb.Tests;

/// <summary>
/// The throwaway PostgreSQL cluster the ledger's PostgreSQL tests will stand on (issue 12), with Npgsql: several
/// connections inserting the same keys at once, a server restart in the middle, a stopped server.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresClusterTests
{
    private readonly PostgresCluster _pg;
    private readonly ITestOutputHelper _out;

    public PostgresClusterTests(PostgresCluster pg, ITestOutputHelper output)
    {
        _pg = pg;
        _out = output;
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<NpgsqlConnection> OpenAsync(string database)
    {
        var c = new NpgsqlConnection(database);
        await c.OpenAsync();
        return c;
    }

    // After a restart the pool's idle connections are dead: a ledger retries, here the pool is emptied.
    private static void ClearPool(string database)
    {
        using var c = new NpgsqlConnection(database);
        NpgsqlConnection.ClearPool(c);
    }

    private static async Task ExecuteAsync(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    // Inserts keys [from, from + count) one statement each; returns how many rows it inserted.
    private static async Task<int> InsertAsync(string database, int from, int count)
    {
        await using NpgsqlConnection c = await OpenAsync(database);
        await using var cmd = new NpgsqlCommand("INSERT INTO events (id, payload) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING", c);
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
        await cmd.PrepareAsync();
        int inserted = 0;
        for (int i = from; i < from + count; i++)
        {
            cmd.Parameters[0].Value = "n" + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
            cmd.Parameters[1].Value = i;
            inserted += await cmd.ExecuteNonQueryAsync();
        }
        return inserted;
    }

    [PostgresFact]
    public async Task Runs_a_real_server_that_inserts_each_key_once_across_connections_and_survives_a_restart()
    {
        _out.WriteLine($"cluster {_pg.Directory} on {_pg.Host}:{_pg.Port}, started in {_pg.StartTime.TotalSeconds:F2} s");
        Assert.Equal("127.0.0.1", _pg.Host);
        Assert.StartsWith(Path.GetTempPath().TrimEnd('/'), _pg.Directory, StringComparison.Ordinal);
        string database = await _pg.CreateDatabaseAsync("concurrency_" + Guid.NewGuid().ToString("N")[..8]);
        await using (NpgsqlConnection c = await OpenAsync(database))
        {
            // The server runs as an unprivileged user, never root, whoever runs the tests.
            long backend = await ScalarAsync(c, "SELECT pg_backend_pid()");
            string uid = File.ReadAllLines($"/proc/{backend}/status").Single(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            Assert.NotEqual("0", uid.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
            await ExecuteAsync(c, "CREATE TABLE events (id text PRIMARY KEY, payload integer NOT NULL)");
        }

        // Four writers at once over overlapping ranges (400 keys apart, 500 each: 20% shared with the next one).
        var sw = Stopwatch.StartNew();
        int[] inserted = await Task.WhenAll(Enumerable.Range(0, 4).Select(k => Task.Run(() => InsertAsync(database, k * 400, 500))));
        _out.WriteLine($"4 x 500 inserts, ON CONFLICT DO NOTHING: {sw.ElapsedMilliseconds} ms");
        Assert.Equal(1700, inserted.Sum());
        await using (NpgsqlConnection c = await OpenAsync(database))
        {
            Assert.Equal(1700, await ScalarAsync(c, "SELECT count(*) FROM events"));
            Assert.Equal(1700, await ScalarAsync(c, "SELECT count(DISTINCT id) FROM events"));
        }

        // A server restart in the middle: the open session is ended, the next connection finds everything.
        NpgsqlConnection open = await OpenAsync(database);
        sw.Restart();
        await _pg.RestartAsync(clearPools: false);
        _out.WriteLine($"restart: {sw.ElapsedMilliseconds} ms");
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync(open, "SELECT count(*) FROM events"));
        await open.DisposeAsync();
        ClearPool(database);
        Assert.Equal(100, await InsertAsync(database, 1600, 200));
        await using (NpgsqlConnection c = await OpenAsync(database))
        {
            Assert.Equal(1800, await ScalarAsync(c, "SELECT count(*) FROM events"));
        }

        // A crash (immediate stop) keeps every committed row too; while the server is down, connecting fails.
        sw.Restart();
        await _pg.StopServerAsync("immediate", clearPools: false);
        _out.WriteLine($"stop (immediate): {sw.ElapsedMilliseconds} ms");
        ClearPool(database);
        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await OpenAsync(database));
        sw.Restart();
        await _pg.StartServerAsync();
        _out.WriteLine($"start after a crash: {sw.ElapsedMilliseconds} ms");
        await using (NpgsqlConnection c = await OpenAsync(database))
        {
            Assert.Equal(1800, await ScalarAsync(c, "SELECT count(*) FROM events"));
        }
    }

    [PostgresFact]
    public async Task Listens_on_loopback_only_with_a_password_and_keeps_its_socket_in_its_own_folder()
    {
        await using var c = new NpgsqlConnection(_pg.ConnectionString());
        await c.OpenAsync();
        await using (var cmd = new NpgsqlCommand("SELECT current_setting('listen_addresses') || ' ' || current_setting('port')", c))
        {
            Assert.Equal($"127.0.0.1 {_pg.Port}", await cmd.ExecuteScalarAsync());
        }
        // The role cannot read unix_socket_directories (no superuser): the socket is looked for instead.
        Assert.True(File.Exists($"{_pg.Directory}/socket/.s.PGSQL.{_pg.Port}"));
        Assert.False(File.Exists($"/tmp/.s.PGSQL.{_pg.Port}"));
        Assert.False(File.Exists($"/var/run/postgresql/.s.PGSQL.{_pg.Port}"));
        var wrong = new NpgsqlConnectionStringBuilder(_pg.ConnectionString()) { Password = "wrong" };
        await using var refused = new NpgsqlConnection(wrong.ConnectionString);
        PostgresException e = await Assert.ThrowsAsync<PostgresException>(() => refused.OpenAsync());
        Assert.Equal(PostgresErrorCodes.InvalidPassword, e.SqlState);
        Assert.DoesNotContain(_pg.Password, _pg.Url(), StringComparison.Ordinal);
    }
}
