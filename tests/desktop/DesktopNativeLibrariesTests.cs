using System.IO;
using System.Runtime.InteropServices;
using AlipayBptb.Cmdlets;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>
/// The part of the module's e_sqlite3 preloading for Windows PowerShell 5.1 that runs off Windows: which folder it
/// loads from. The loading itself (LoadLibraryW, then SQLitePCLRaw's DllImport binding to it) needs Windows.
/// </summary>
public sealed class DesktopNativeLibrariesTests
{
    private static readonly string Bin = Path.Combine("m", "bin", "net8.0");

    [Theory]
    [InlineData(Architecture.X86, "win-x86")]
    [InlineData(Architecture.X64, "win-x64")]
    [InlineData(Architecture.Arm64, "win-arm64")]
    public void Each_windows_architecture_loads_from_nugets_folder_for_it(Architecture architecture, string rid) =>
        Assert.Equal(Path.Combine(Bin, "runtimes", rid, "native"), DesktopNativeLibraries.NativeFolder(Bin, architecture));

    [Fact]
    public void An_architecture_without_a_windows_build_loads_nothing() =>
        Assert.Null(DesktopNativeLibraries.NativeFolder(Bin, Architecture.Arm));

    [Fact]
    public void Off_windows_nothing_is_loaded()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            Assert.False(DesktopNativeLibraries.PreloadSqlite(Path.GetTempPath()));
        }
    }

    [Fact]
    public void A_missing_library_is_no_error_at_import() =>
        Assert.False(DesktopNativeLibraries.PreloadSqlite(Path.Combine(Path.GetTempPath(), "no-such-module-folder")));
}
