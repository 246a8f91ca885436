<#
.SYNOPSIS
    Import cost: 'pwsh -NoProfile -c Import-Module AlipayBptb' against a bare 'pwsh -NoProfile -c exit',
    measured alternately in one run, with a small Microsoft binary module (ThreadJob) as a reference.
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/AlipayBptb'),
    [int] $Rounds = 15
)
$ErrorActionPreference = 'Stop'
$ModulePath = (Resolve-Path $ModulePath).Path
. (Join-Path $PSScriptRoot 'common.ps1')
$exe, $prefix = Get-FreshPwsh

$cases = [ordered]@{
    'bare pwsh (exit)'         = 'exit'
    'Import-Module ThreadJob'  = 'Import-Module Microsoft.PowerShell.ThreadJob'
    'Import-Module AlipayBptb' = "Import-Module '$ModulePath'"
}
$times = @{}
foreach ($name in $cases.Keys) { $times[$name] = [Collections.Generic.List[double]]::new() }

# One warm-up round, then alternate the cases so that drift on a shared machine hits them alike.
foreach ($round in 0..$Rounds) {
    foreach ($name in $cases.Keys) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        & $exe @prefix -NoProfile -NonInteractive -Command $cases[$name]
        $sw.Stop()
        if ($LASTEXITCODE -ne 0) { throw "'$name' failed." }
        if ($round -gt 0) { $times[$name].Add($sw.Elapsed.TotalMilliseconds) }
    }
}

$bare = Get-Median $times['bare pwsh (exit)']
Write-Host "Import cost, median of $Rounds alternating rounds (pwsh $($PSVersionTable.PSVersion), $([Environment]::ProcessorCount) cores)"
$cases.Keys | ForEach-Object {
    $m = Get-Median $times[$_]
    [pscustomobject]@{ Case = $_; 'Median ms' = [Math]::Round($m); 'Ratio to bare' = [Math]::Round($m / $bare, 2) }
} | Format-Table -AutoSize | Out-String -Width 120 | Write-Host
