# Loads the build that fits this PowerShell (net8.0 on PowerShell 7.4+, netstandard2.0 on Windows
# PowerShell 5.1) through the loader shim, which keeps the module's assemblies apart from other modules'.
$framework = if ($PSVersionTable.PSEdition -eq 'Core') { 'net8.0' } else { 'netstandard2.0' }
$reload = [bool]('AlipayBptb.LoadContext.ModuleLoader' -as [type])
if (-not $reload) {
    # Assembly.LoadFrom, not Add-Type: Add-Type brings the C# compiler along, a fifth of a second.
    $null = [System.Reflection.Assembly]::LoadFrom((Join-Path $PSScriptRoot "bin/$framework/AlipayBptb.LoadContext.dll"))
}
$inner = Import-Module -Assembly ([AlipayBptb.LoadContext.ModuleLoader]::Initialize()) -PassThru:$reload
if ($inner) {
    # On 'Import-Module -Force' PowerShell hands back its cached binary module without adding its cmdlets
    # to this module's scope again (PowerShell issue 20710), so add them by hand.
    $addExportedCmdlet = [System.Management.Automation.PSModuleInfo].GetMethod('AddExportedCmdlet', [System.Reflection.BindingFlags]'Instance, NonPublic')
    foreach ($cmdlet in $inner.ExportedCmdlets.Values) {
        $addExportedCmdlet.Invoke($ExecutionContext.SessionState.Module, @(, $cmdlet))
    }
}
