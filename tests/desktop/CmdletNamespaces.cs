// DesktopNativeLibraries.cs (linked from src/AlipayBptb.Cmdlets) lives in AlipayBptb.Commands, which is being renamed
// AlipayBptb.Cmdlets: both namespaces exist here so that DesktopNativeLibrariesTests' using directives compile either way.
namespace AlipayBptb.Commands
{
}

namespace AlipayBptb.Cmdlets
{
}
