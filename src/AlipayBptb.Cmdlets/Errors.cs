using System;
using System.Management.Automation;

namespace AlipayBptb.Cmdlets;

/// <summary>The error records shared by several cmdlets, with stable ids for scripts to catch.</summary>
internal static class Errors
{
    /// <summary>An input that holds no usable parameters: non-terminating, the pipeline goes on.</summary>
    /// <param name="location">Where the input came from (file:line), when it came from a log.</param>
    public static ErrorRecord Unreadable(object input, string problem, string? location = null)
    {
        string message = location == null
            ? $"Cannot read parameters from input '{InputParameters.Describe(input)}': {problem.TrimEnd('.')}."
            : $"{location}: cannot read parameters from '{InputParameters.Describe(input)}': {problem.TrimEnd('.')}.";
        return new ErrorRecord(new FormatException(message), "InputUnreadable", ErrorCategory.InvalidData, location ?? input);
    }
}
