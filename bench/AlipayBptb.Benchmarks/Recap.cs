using System;
using System.Globalization;
using System.Linq;
using System.Reflection;
using BenchmarkDotNet.Reports;

namespace AlipayBptb.Benchmarks;

/// <summary>Prints, after BenchmarkDotNet's own tables, one line per benchmark: rate, share of the platform's rate, target.</summary>
internal static class Recap
{
    public static void Print(Summary[] summaries)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine("// * AlipayBptb core recap (ops/s = 1e9 / Median ns, one thread; the median resists a shared machine's bursts better than the mean) *");
        Console.WriteLine($"// {Environment.ProcessorCount} logical cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        Console.WriteLine(string.Format(c, "{0,-48} {1,12} {2,14} {3,10}  {4}", "Benchmark", "Median (ns)", "ops/s", "% of raw", "Target"));
        foreach (Summary summary in summaries)
        {
            BenchmarkReport[] reports = summary.Reports.Where(r => r.Success && r.ResultStatistics != null).ToArray();
            BenchmarkReport? baseline = reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.Baseline);
            foreach (BenchmarkReport report in reports)
            {
                Type type = report.BenchmarkCase.Descriptor.Type;
                MethodInfo method = report.BenchmarkCase.Descriptor.WorkloadMethod;
                double median = report.ResultStatistics!.Median;
                double ops = 1e9 / median;
                string share = "-";
                string target = report.BenchmarkCase.Descriptor.Baseline ? "(baseline: raw platform call)" : string.Empty;
                if (baseline != null && !ReferenceEquals(baseline, report))
                {
                    double rateShare = baseline.ResultStatistics!.Median / median;
                    share = rateShare.ToString("P1", c);
                    TargetAttribute? classTarget = type.GetCustomAttribute<TargetAttribute>();
                    if (classTarget != null && classTarget.MinRateOfBaseline > 0)
                    {
                        target = string.Format(c, ">= {0:P0} of raw: {1}", classTarget.MinRateOfBaseline, rateShare >= classTarget.MinRateOfBaseline ? "MET" : "MISSED");
                    }
                }
                TargetAttribute? methodTarget = method.GetCustomAttribute<TargetAttribute>();
                if (methodTarget != null && methodTarget.MinOpsPerSecond > 0)
                {
                    target = string.Format(c, ">= {0:N0}/s: {1}", methodTarget.MinOpsPerSecond, ops >= methodTarget.MinOpsPerSecond ? "MET" : "MISSED");
                }
                string name = type.Name.Replace("Benchmarks", string.Empty) + "." + method.Name;
                Console.WriteLine(string.Format(c, "{0,-48} {1,12:N1} {2,14:N0} {3,10}  {4}", name, median, ops, share, target));
            }
        }
    }
}
