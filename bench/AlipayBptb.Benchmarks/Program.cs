using System;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace AlipayBptb.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project bench/AlipayBptb.Benchmarks -- --filter "*"</c>.
/// A short in-process job (no generated project to build, a few seconds per benchmark) so the whole set
/// finishes in a couple of minutes on a small shared machine; then a recap of rates and targets.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Summary[] summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(UndoShellGlob(args), CreateConfig()).ToArray();
        if (summaries.Length == 0)
        {
            // Nothing ran: fine for --list, --help, --info; an error when a filter matched nothing.
            return args.Any(a => a is "--list" or "--help" or "-h" or "-?" or "--info" or "--version") ? 0 : 1;
        }
        Recap.Print(summaries);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Length == 0 || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    // PowerShell expands a '*' it splats to a native command into the working directory's file names
    // (build.ps1's Invoke-Native does), so "--filter '*'" can arrive as "--filter bench build.ps1 ...".
    // When every filter value is an existing file or folder here, that is what happened: run all, as asked.
    private static string[] UndoShellGlob(string[] args)
    {
        int i = Array.IndexOf(args, "--filter");
        if (i < 0)
        {
            return args;
        }
        int end = i + 1;
        while (end < args.Length && !args[end].StartsWith('-'))
        {
            end++;
        }
        string[] values = args[(i + 1)..end];
        if (values.Length == 0 || !values.All(v => !v.Contains('*', StringComparison.Ordinal) && (File.Exists(v) || Directory.Exists(v))))
        {
            return args;
        }
        Console.WriteLine($"// --filter got the names of the {values.Length} entries of {Environment.CurrentDirectory}: the calling shell expanded '*'. Running all benchmarks.");
        return [.. args[..(i + 1)], "*", .. args[end..]];
    }

    private static IConfig CreateConfig()
    {
        Job job = Job.Default
            .WithId("Short")
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(10)
            .WithIterationTime(TimeInterval.FromMilliseconds(250));
        return ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(job)
            .AddColumn(StatisticColumn.Median, StatisticColumn.OperationsPerSecond)
            .AddDiagnoser(MemoryDiagnoser.Default);
    }
}
