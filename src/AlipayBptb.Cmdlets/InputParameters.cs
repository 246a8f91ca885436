using System;
using System.Collections;
using System.Management.Automation;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Cmdlets;

/// <summary>
/// Reads what a user pipes in as parameters: a string (query string, form body, URL, log line), a dictionary,
/// one of this module's own objects, or any other object's properties.
/// </summary>
internal static class InputParameters
{
    public static ParameterRead Read(object input, BptbCharset charset)
    {
        object value = input is PSObject pso ? pso.BaseObject : input;
        switch (value)
        {
            case string s:
                return ParameterReader.Read(s, charset);
            case NotificationResult n:
                return FromList(n.RawParameters, n.ReadProblem);
            case ConfirmRequest r:
                return FromDictionary(r.Parameters);
            case IDictionary d:
                return FromDictionary(d);
        }
        PSObject obj = input as PSObject ?? PSObject.AsPSObject(input);
        var list = new ParameterList();
        string? problem = null;
        foreach (PSPropertyInfo property in obj.Properties)
        {
            if (!property.IsGettable)
            {
                continue;
            }
            if (!list.TryAdd(property.Name, Text(property.Value)))
            {
                problem ??= $"parameter '{property.Name}' appears more than once";
            }
        }
        return FromList(list, problem);
    }

    /// <summary>A short, printable form of an input for error messages: never the whole of a 1 MB line.</summary>
    public static string Describe(object? input)
    {
        object? value = input is PSObject pso ? pso.BaseObject : input;
        string text = value?.ToString() ?? "(null)";
        var sb = new System.Text.StringBuilder(Math.Min(text.Length, 80) + 1);
        foreach (char c in text)
        {
            if (sb.Length >= 80)
            {
                sb.Append('…');
                break;
            }
            sb.Append(c < 0x20 || c == 0x7F ? '?' : c);
        }
        return sb.ToString();
    }

    private static ParameterRead FromDictionary(IDictionary d)
    {
        var list = new ParameterList(d.Count);
        string? problem = null;
        foreach (DictionaryEntry e in d)
        {
            string key = Text(e.Key);
            if (!list.TryAdd(key, Text(e.Value)))
            {
                problem ??= $"parameter '{key}' appears more than once";
            }
        }
        return FromList(list, problem);
    }

    private static ParameterRead FromList(ParameterList list, string? problem = null) =>
        ParameterReader.FromParameters(list, problem);

    private static string Text(object? value) => value switch
    {
        null => string.Empty,
        PSObject p => p.BaseObject?.ToString() ?? string.Empty,
        _ => value.ToString() ?? string.Empty,
    };
}
