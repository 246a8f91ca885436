using System;
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
/// Entry point: <c>dotnet run -c Release --project bench/AlipayBptb.Benchmarks -- --filter '*'</c>.
/// A short in-process job (no generated project to build, a few seconds per benchmark) so the whole set
/// finishes in a couple of minutes on a small shared machine; then a recap of rates and targets.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Summary[] summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, CreateConfig()).ToArray();
        bool failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
        Recap.Print(summaries);
        return failed ? 1 : 0;
    }

    private static IConfig CreateConfig()
    {
        Job job = Job.Default
            .WithId("Short")
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(7)
            .WithIterationTime(TimeInterval.FromMilliseconds(250));
        return ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(job)
            .AddColumn(StatisticColumn.OperationsPerSecond)
            .AddDiagnoser(MemoryDiagnoser.Default);
    }
}
