# Loads the build that fits this PowerShell (net8.0 on PowerShell 7.4+, netstandard2.0 on Windows
# PowerShell 5.1) through the loader shim, which keeps the module's assemblies apart from other modules'.
$framework = if ($PSVersionTable.PSEdition -eq 'Core') { 'net8.0' } else { 'netstandard2.0' }
Add-Type -Path (Join-Path $PSScriptRoot "bin/$framework/AlipayBptb.LoadContext.dll")
Import-Module -Assembly ([AlipayBptb.LoadContext.ModuleLoader]::Initialize())
