using System;
using System.IO;
using System.Reflection;
#if NET
using System.Runtime.Loader;
#endif

namespace AlipayBptb.LoadContext;

/// <summary>
/// Loads the module's assemblies so that they cannot clash with other modules' copies of the same
/// libraries (BouncyCastle is loaded by Az.KeyVault, Posh-ACME and others: "Assembly with same name is
/// already loaded"). On PowerShell 7 they load into their own AssemblyLoadContext; on Windows PowerShell
/// 5.1, which has no such contexts, an AssemblyResolve handler serves them from the module's folder.
/// </summary>
public static class ModuleLoader
{
    private const string MainAssembly = "AlipayBptb.Cmdlets";
    private static readonly object Gate = new();
    private static Assembly? _main;

    /// <summary>Loads the cmdlet assembly (once per process) and returns it for Import-Module -Assembly.</summary>
    public static Assembly Initialize()
    {
        lock (Gate)
        {
            if (_main != null)
            {
                return _main;
            }
            string folder = Path.Combine(Path.GetDirectoryName(typeof(ModuleLoader).Assembly.Location)!, "deps");
#if NET
            var context = new IsolatedContext(folder);
            _main = context.LoadFromAssemblyName(new AssemblyName(MainAssembly));
#else
            AppDomain.CurrentDomain.AssemblyResolve += (_, args) => Resolve(folder, args.Name);
            _main = Assembly.LoadFrom(Path.Combine(folder, MainAssembly + ".dll"));
#endif
            return _main;
        }
    }

#if NET
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
            // Native libraries the module ships (later: SQLite) come from its own folder too.
            foreach (string candidate in new[] { unmanagedDllName, "lib" + unmanagedDllName + ".so", unmanagedDllName + ".dll", "lib" + unmanagedDllName + ".dylib" })
            {
                string path = Path.Combine(_folder, candidate);
                if (File.Exists(path))
                {
                    return LoadUnmanagedDllFromPath(path);
                }
            }
            return IntPtr.Zero;
        }
    }
#else
    private static Assembly? Resolve(string folder, string fullName)
    {
        string path = Path.Combine(folder, new AssemblyName(fullName).Name + ".dll");
        return File.Exists(path) ? Assembly.LoadFrom(path) : null;
    }
#endif
}
