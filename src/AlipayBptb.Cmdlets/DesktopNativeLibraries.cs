using System;
using System.IO;
using System.Runtime.InteropServices;

namespace AlipayBptb.Cmdlets;

/// <summary>
/// Windows PowerShell 5.1 (.NET Framework) only: makes SQLitePCLRaw's <c>DllImport("e_sqlite3")</c> find the module's own
/// <c>e_sqlite3.dll</c>.
/// </summary>
/// <remarks>
/// On PowerShell 7 the module's load context resolves native libraries from its folder (AlipayBptb.LoadContext). .NET
/// Framework has neither load contexts nor <c>NativeLibrary</c>: a <c>DllImport("e_sqlite3")</c> goes to Windows'
/// <c>LoadLibrary</c> with the bare name, which searches powershell.exe's folder, System32 and PATH, never the module's.
/// But Windows resolves a bare name to a DLL of that name that is already loaded, wherever it was loaded from. So the
/// module loads its own copy by full path first, at import, before SQLitePCLRaw's first call: the later DllImport then
/// binds to it. The handle is never freed: the library stays for the life of the process, as a DllImport's would.
/// NuGet's layout, which the module keeps once for both editions, under <c>bin/net8.0</c> (the natives are the same
/// files whichever runtime loads them): <c>runtimes/win-&lt;arch&gt;/native/e_sqlite3.dll</c>.
/// </remarks>
internal static class DesktopNativeLibraries
{
    internal const string SqliteFileName = "e_sqlite3.dll";

    /// <summary>
    /// The folder holding the natives for a Windows process of <paramref name="architecture"/>, under
    /// <paramref name="nativeRoot"/> (the module's bin/net8.0); null for an architecture SQLitePCLRaw
    /// ships no Windows build for.
    /// </summary>
    internal static string? NativeFolder(string nativeRoot, Architecture architecture)
    {
        string? rid = architecture switch
        {
            Architecture.X86 => "win-x86",
            Architecture.X64 => "win-x64",
            Architecture.Arm64 => "win-arm64",
            _ => null,
        };
        return rid is null ? null : Path.Combine(nativeRoot, "runtimes", rid, "native");
    }

    /// <summary>
    /// Loads the module's e_sqlite3.dll for this process's architecture by full path. Returns whether it did; false off
    /// Windows, for an architecture without a build, or when the file is missing or does not load (then the ledger's
    /// cmdlets fail with SQLite's own "cannot load e_sqlite3" error on first use, and every other cmdlet works).
    /// </summary>
    internal static bool PreloadSqlite(string nativeRoot)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            return false;
        }
        string? folder = NativeFolder(nativeRoot, RuntimeInformation.ProcessArchitecture);
        if (folder is null)
        {
            return false;
        }
        string path = Path.Combine(folder, SqliteFileName);
        return File.Exists(path) && LoadLibraryW(path) != IntPtr.Zero;
    }

    [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
    private static extern IntPtr LoadLibraryW(string lpLibFileName);
}
