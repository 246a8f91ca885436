using System;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;

namespace AlipayBptb.Cmdlets;

/// <summary>
/// Loads the module's format views the first time one of its cmdlets that needs them runs in a runspace, not at
/// import. The first Update-FormatData of a session rebuilds PowerShell's whole format table (about 100 ms of a
/// whole process here, whatever the file): paid at import, it would make Import-Module cost half a pwsh start-up
/// again, and paid by a one-shot script that never shows an object, it was most of the module's cost (issue 13).
/// So cmdlets whose output needs no view (bools, strings, -Quiet) skip it (BptbCmdlet.NeedsFormatViews), and
/// New-BptbConfirmUrl gives its requests a default display of their own instead (<see cref="WithDefaultDisplay"/>).
/// </summary>
internal static class ModuleFormats
{
    private const string FileName = "AlipayBptb.Format.ps1xml";
    private static readonly ConditionalWeakTable<Runspace, object> Loaded = new();
    private static readonly Lazy<string?> FormatPath = new(FindFormatFile);

    public static void EnsureLoaded(PSCmdlet cmdlet)
    {
        Runspace? runspace = Runspace.DefaultRunspace;
        string? path = FormatPath.Value;
        if (runspace == null || path == null || Loaded.TryGetValue(runspace, out _))
        {
            return;
        }
        Loaded.Add(runspace, new object());
        try
        {
            cmdlet.InvokeCommand.InvokeScript(
                "param($p) Microsoft.PowerShell.Utility\\Update-FormatData -AppendPath $p",
                useNewScope: true, PipelineResultTypes.None, input: null, args: new object[] { path });
        }
        catch (RuntimeException ex)
        {
            // A restricted session may refuse format changes: objects then show as plain lists, nothing fails.
            cmdlet.WriteVerbose($"The format views in {path} could not be loaded: {ex.Message}");
        }
    }

    /// <summary>
    /// <paramref name="value"/> with a default display of its own (PSStandardMembers.DefaultDisplayPropertySet), in
    /// place of a view, for a cmdlet that does not load the views: a table of those properties, the same in every
    /// session whether the views are loaded or not (so its type has no view in the file). Costs an object per output:
    /// for cmdlets that write a few objects, never per line of a log.
    /// </summary>
    public static PSObject WithDefaultDisplay(object value, string[] properties)
    {
        var wrapped = PSObject.AsPSObject(value);
        wrapped.Members.Add(new PSMemberSet("PSStandardMembers", new PSMemberInfo[] { new PSPropertySet("DefaultDisplayPropertySet", properties) }));
        return wrapped;
    }

    // The module's layout: <base>/bin/AlipayBptb.Cmdlets.dll, the views in <base>; a few levels are searched so that
    // a test host running the assembly from its build folder finds them too.
    private static string? FindFormatFile()
    {
        string? dir = Path.GetDirectoryName(typeof(ModuleFormats).Assembly.Location);
        for (int up = 0; up < 4 && dir != null; up++, dir = Path.GetDirectoryName(dir))
        {
            string candidate = Path.Combine(dir, FileName);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
