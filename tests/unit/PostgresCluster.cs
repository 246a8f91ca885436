using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Npgsql;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>
/// A throwaway PostgreSQL server for the tests: Debian's binaries (tools/setup.sh installs them), a fresh cluster
/// in the temp folder on 127.0.0.1 and a free port, run as an unprivileged user, deleted afterwards; all of it
/// in tests/postgres/throwaway-cluster.sh, which the Pester helper (tests/pester/Postgres.ps1) shares. One per
/// test run: test classes join <see cref="PostgresCollection"/> and take it in their constructor, and their
/// tests use <see cref="PostgresFactAttribute"/>, which skips them (with the reason) on a machine without
/// PostgreSQL. Under CI (CI=true) nothing is skipped: a missing server fails the tests.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    private static readonly Lazy<string?> s_missing = new(FindMissing);
    private Dictionary<string, string> _info = new(StringComparer.Ordinal);

    /// <summary>Why no cluster can be started on this machine, or null.</summary>
    public static string? MissingReason => s_missing.Value;

    /// <summary>Whether the tests skip: PostgreSQL is missing, and this is not CI (which must run them).</summary>
    public static string? SkipReason =>
        MissingReason is string reason && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? "PostgreSQL is not available here: " + reason
            : null;

    /// <summary>The cluster's folder (data, socket, logs); gone after <see cref="DisposeAsync"/>.</summary>
    public string Directory => Get("dir");

    public string Host => Get("host");

    public int Port => int.Parse(Get("port"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The test role: LOGIN and CREATEDB, owner of <see cref="Database"/>, scram-sha-256 password.</summary>
    public string Username => Get("user");

    public string Password => Get("password");

    public string Database => Get("database");

    /// <summary>Debian's psql of the server's version (not on PATH).</summary>
    public string Psql => Get("psql");

    public string ServerLog => Get("log");

    /// <summary>How long initdb, the start and the creation of the role and database took.</summary>
    public TimeSpan StartTime { get; private set; }

    /// <summary>The test role's connection string for <paramref name="database"/> (default: <see cref="Database"/>).</summary>
    public string ConnectionString(string? database = null) => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Username = Username,
        Password = Password,
        Database = database ?? Database,
        Timeout = 10,
    }.ConnectionString;

    /// <summary>The same as a URL (postgresql://user@host:port/db), without the password.</summary>
    public string Url(string? database = null) => $"postgresql://{Username}@{Host}:{Port}/{database ?? Database}";

    /// <summary>A new, empty database owned by the test role, for a test that wants its own; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        var admin = new NpgsqlConnectionStringBuilder(ConnectionString()) { Pooling = false };
        await using var c = new NpgsqlConnection(admin.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", c);
        await cmd.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async Task InitializeAsync()
    {
        if (MissingReason is string reason)
        {
            if (SkipReason is null)
            {
                throw new InvalidOperationException("CI must run the PostgreSQL tests: " + reason);
            }
            return; // the tests are skipped (PostgresFactAttribute)
        }
        var sw = Stopwatch.StartNew();
        string output = await RunScriptAsync("start", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        StartTime = sw.Elapsed;
        var info = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                info[line[..eq]] = line[(eq + 1)..];
            }
        }
        _info = info;
        // A test run ended by SIGTERM or Ctrl+C still deletes it (a SIGKILL leaves it to the script's watchdog).
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    public async Task DisposeAsync()
    {
        if (_info.Count == 0)
        {
            return;
        }
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        NpgsqlConnection.ClearAllPools();
        await RunScriptAsync("destroy", Directory);
        _info.Clear();
    }

    /// <summary>Stops the server and keeps its data: <paramref name="mode"/> fast (sessions ended cleanly),
    /// immediate (a crash: recovery at the next start) or smart (waits for the sessions). Then empties this
    /// process's Npgsql pools of connection strings, whose idle connections are dead now, unless
    /// <paramref name="clearPools"/> is false (a test of how code copes with them). An
    /// <see cref="NpgsqlDataSource"/>'s own pool is never cleared here.</summary>
    public async Task StopServerAsync(string mode = "fast", bool clearPools = true)
    {
        await RunScriptAsync("stop-server", Directory, mode);
        if (clearPools)
        {
            NpgsqlConnection.ClearAllPools();
        }
    }

    /// <summary>Starts the stopped server again, on the same port, and waits until it accepts connections.</summary>
    public Task StartServerAsync() => RunScriptAsync("start-server", Directory);

    /// <summary>Both: what a server restart in the middle of a run looks like to the clients.</summary>
    public async Task RestartAsync(string mode = "fast", bool clearPools = true)
    {
        await StopServerAsync(mode, clearPools);
        await StartServerAsync();
    }

    private string Get(string key) =>
        _info.TryGetValue(key, out string? v) ? v : throw new InvalidOperationException("The PostgreSQL cluster is not running: " + (MissingReason ?? "not started."));

    private void OnProcessExit(object? sender, EventArgs e)
    {
        try
        {
            RunScriptAsync("destroy", Directory).GetAwaiter().GetResult();
        }
        catch (InvalidOperationException)
        {
            // best effort: the watchdog and the next run's sweep remove it too
        }
    }

    private static string ScriptPath => Path.Combine(AppContext.BaseDirectory, "postgres", "throwaway-cluster.sh");

    private static string? FindMissing()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            return "the tests start Debian's PostgreSQL server, on Linux only.";
        }
        try
        {
            (int code, string _, string error) = Run("check");
            return code == 0 ? null : error.Trim();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return "bash could not be started: " + e.Message;
        }
    }

    private static async Task<string> RunScriptAsync(params string[] args)
    {
        (int code, string output, string error) = await Task.Run(() => Run(args));
        if (code != 0)
        {
            throw new InvalidOperationException($"throwaway-cluster.sh {args[0]} failed (exit code {code}): {error.Trim()}");
        }
        return output;
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(ScriptPath);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        Task<string> error = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(true);
            throw new InvalidOperationException($"throwaway-cluster.sh {args[0]} did not finish in 120 s.");
        }
        return (p.ExitCode, output, error.GetAwaiter().GetResult());
    }
}

/// <summary>The tests that share the one <see cref="PostgresCluster"/> of a test run (they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresCluster>
{
    public const string Name = "PostgreSQL";
}

/// <summary>A fact that needs PostgreSQL: skipped, with the reason, where <see cref="PostgresCluster.SkipReason"/> says so.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresCluster.SkipReason is string reason)
        {
            Skip = reason;
        }
    }
}
