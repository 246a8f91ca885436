using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.InteropServices;

namespace AlipayBptb.Cmdlets;

/// <summary>
/// Runs when the module is imported, before any cmdlet: points the module's dependencies at the build that
/// fits this PowerShell, loaded apart from other modules' (see AlipayBptb.LoadContext). The cmdlet assembly
/// is the manifest's root module itself, because a script-module loader costs a fifth of a second at import.
/// </summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer
{
    private static readonly object Gate = new();
    private static bool _done;

    public void OnImport()
    {
        lock (Gate)
        {
            if (_done)
            {
                return;
            }
            _done = true;
        }
        string bin = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;
        if (RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal))
        {
            // Windows PowerShell 5.1 has no load contexts: serve the netstandard2.0 build from the module folder,
            // but only to the module itself. Another module asking for a name we also ship (BouncyCastle) gets
            // nothing from us, rather than our copy of a version it was not built against.
            string folder = Path.Combine(bin, "netstandard2.0");
            string fullFolder = Path.GetFullPath(folder) + Path.DirectorySeparatorChar;
            AppDomain.CurrentDomain.AssemblyResolve += (_, args) =>
            {
                var name = new AssemblyName(args.Name);
                bool ours = name.Name is "AlipayBptb.Core" or "AlipayBptb.Mock"
                    || (args.RequestingAssembly is { IsDynamic: false } requester
                        && Path.GetFullPath(requester.Location).StartsWith(fullFolder, StringComparison.OrdinalIgnoreCase));
                string path = Path.Combine(folder, name.Name + ".dll");
                return ours && File.Exists(path) ? Assembly.LoadFrom(path) : null;
            };
            DesktopNativeLibraries.PreloadSqlite(Path.Combine(bin, "net8.0")); // SQLite's e_sqlite3.dll from the module folder: see that class
            return;
        }
        string core = Path.Combine(bin, "net8.0");
        Assembly shim = Assembly.LoadFrom(Path.Combine(core, "AlipayBptb.LoadContext.dll"));
        shim.GetType("AlipayBptb.LoadContext.ModuleLoader", throwOnError: true)!
            .GetMethod("RegisterDependencies")!
            .Invoke(null, new object[] { core });
    }
}
