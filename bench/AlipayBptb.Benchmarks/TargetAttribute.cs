using System;

namespace AlipayBptb.Benchmarks;

/// <summary>
/// A goal the recap checks: on a class, every non-baseline benchmark must reach <see cref="MinRateOfBaseline"/>
/// of the baseline's rate; on a method, that benchmark must reach <see cref="MinOpsPerSecond"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class TargetAttribute : Attribute
{
    public double MinRateOfBaseline { get; set; }

    public double MinOpsPerSecond { get; set; }
}
