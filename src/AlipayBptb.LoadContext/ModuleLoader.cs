using System;
using System.IO;
using System.Reflection;
using System.Runtime.Loader;

namespace AlipayBptb.LoadContext;

/// <summary>
/// Keeps the module's dependencies (its core and BouncyCastle) apart from other modules' copies of the same
/// libraries: BouncyCastle is loaded by Az.KeyVault, Posh-ACME and others, and a second copy in PowerShell's
/// own context fails with "Assembly with same name is already loaded" or, worse, binds to the other version.
/// The cmdlet assembly stays in PowerShell's context; what it needs resolves into a context of its own.
/// </summary>
public static class ModuleLoader
{
    private static readonly object Gate = new();
    private static IsolatedContext? _context;

    /// <summary>Serves the assemblies in <paramref name="folder"/> from the module's own context (once per process).</summary>
    public static void RegisterDependencies(string folder)
    {
        lock (Gate)
        {
            if (_context != null)
            {
                return;
            }
            _context = new IsolatedContext(folder);
            // Only the cmdlet assembly's own references are served from PowerShell's context. Another module's
            // request for a name we also ship (BouncyCastle, Microsoft.Data.Sqlite) is not ours to answer: it
            // would hand that module our copy, of a version it was not built against.
            AssemblyLoadContext.Default.Resolving += (_, name) =>
                IsOwn(name) && File.Exists(Path.Combine(folder, name.Name + ".dll")) ? _context.LoadFromAssemblyName(name) : null;
        }
    }

    /// <summary>True for the module's own assemblies, the ones the cmdlet assembly references by name.</summary>
    public static bool IsOwn(AssemblyName name) =>
        name.Name is "AlipayBptb.Core" or "AlipayBptb.Mock"
        && name.GetPublicKeyToken() is null or { Length: 0 };

    /// <summary>The module's own context: its assemblies from its folder, everything else (PowerShell, .NET) shared.</summary>
    private sealed class IsolatedContext : AssemblyLoadContext
    {
        private readonly string _folder;

        public IsolatedContext(string folder) : base("AlipayBptb", isCollectible: false)
        {
            _folder = folder;
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            string path = Path.Combine(_folder, assemblyName.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
        {
            // Native libraries the module ships (SQLite's e_sqlite3) come from its own folder too: from
            // runtimes/<rid>/native/ as NuGet lays them out, for this OS and processor.
            // The runtime's own identifier first: it says linux-musl-x64 on Alpine, where the glibc build
            // (linux-x64) would not load.
            string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            string arch = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
            string runtime = Path.Combine(_folder, "runtimes", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "native");
            string native = Path.Combine(_folder, "runtimes", os + "-" + arch, "native");
            foreach (string dir in new[] { runtime, native, _folder })
            {
                foreach (string candidate in new[] { unmanagedDllName, "lib" + unmanagedDllName + ".so", unmanagedDllName + ".dll", "lib" + unmanagedDllName + ".dylib" })
                {
                    string path = Path.Combine(dir, candidate);
                    if (File.Exists(path))
                    {
                        return LoadUnmanagedDllFromPath(path);
                    }
                }
            }
            return IntPtr.Zero;
        }
    }
}
