using System;
using System.Management.Automation;

namespace AlipayBptb.Commands;

/// <summary>The error records shared by several cmdlets, with stable ids for scripts to catch.</summary>
internal static class Errors
{
    /// <summary>An input that holds no usable parameters: non-terminating, the pipeline goes on.</summary>
    public static ErrorRecord Unreadable(object input, string problem)
    {
        var ex = new FormatException($"Cannot read parameters from input '{InputParameters.Describe(input)}': {problem}.");
        return new ErrorRecord(ex, "InputUnreadable", ErrorCategory.InvalidData, input);
    }
}
