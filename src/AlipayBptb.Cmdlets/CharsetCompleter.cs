using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Cmdlets;

/// <summary>Tab completion for -Charset and -InputCharset: the charsets spec 4.2 allows.</summary>
public sealed class CharsetCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        foreach (string name in BptbCharset.SupportedNames)
        {
            if (name.StartsWith(wordToComplete ?? string.Empty, System.StringComparison.OrdinalIgnoreCase))
            {
                yield return new CompletionResult(name);
            }
        }
    }
}
