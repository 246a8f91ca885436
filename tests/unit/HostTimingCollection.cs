using Xunit;

namespace AlipayBptb.Tests;

/// <summary>Tests that change the host's timeouts, or time it, run one at a time (never beside each other).</summary>
[CollectionDefinition(Name)]
public sealed class HostTimingCollection
{
    public const string Name = "The host's timeouts and timing";
}
