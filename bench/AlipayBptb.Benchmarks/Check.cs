using System;
using System.Collections.Generic;

namespace AlipayBptb.Benchmarks;

/// <summary>Setup checks (a benchmark of a wrong result is worthless) and one-off setup notes.</summary>
internal static class Check
{
    private static readonly HashSet<string> Noted = new();

    /// <summary>Prints a setup note once per process (GlobalSetup runs once per benchmark method).</summary>
    public static void Note(string text)
    {
        if (Noted.Add(text))
        {
            Console.WriteLine(text);
        }
    }

    public static void That(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Benchmark setup check failed: " + what);
        }
    }
}
