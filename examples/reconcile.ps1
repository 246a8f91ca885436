<#
.SYNOPSIS
    A scheduled reconciliation: verify the callback log, record every notification once in the ledger,
    and warn about batches that need a person. Safe to run twice, or twice at once.
.EXAMPLE
    pwsh -NoProfile -File examples/reconcile.ps1 -Log out/demo/callbacks.log -Ledger out/demo/bptb.db -PublicKeyPath out/demo/alipay_public.pem
#>
param(
    [string] $Log = (Join-Path $PSScriptRoot '../out/demo/callbacks.log'),
    [string] $Ledger = (Join-Path $PSScriptRoot '../out/demo/bptb.db'),
    [string] $PublicKeyPath = (Join-Path $PSScriptRoot '../out/demo/alipay_public.pem'),
    [string] $Report = (Join-Path $PSScriptRoot '../out/demo/batches.csv'),
    [string] $Module = 'AlipayBptb'
)
$ErrorActionPreference = 'Stop'
if (-not (Get-Module -ListAvailable $Module) -and (Test-Path (Join-Path $PSScriptRoot '../out/AlipayBptb'))) {
    $Module = Join-Path $PSScriptRoot '../out/AlipayBptb'   # run from a clone, without Install-Module
}
Import-Module $Module

# Unreadable lines are reported and skipped; every other line is checked and recorded once.
$new = Test-BptbNotification -Path $Log -PublicKeyPath $PublicKeyPath -ErrorAction Continue |
    Register-BptbNotification -Ledger $Ledger |
    Where-Object { $_.IsValid -and -not $_.IsDuplicate }
Write-Output "New valid callbacks: $(@($new).Count)"

$status = Get-BptbBatchStatus -Ledger $Ledger
$status | Export-Csv -Path $Report -NoTypeInformation -Encoding utf8
foreach ($batch in $status) {
    if ($batch.Waiting) { Write-Warning "$($batch.FileName): the balance was short; the batch waits (bptb_unfreeze_notify)." }
    if ($batch.Confirmed -eq $false) { Write-Warning "$($batch.FileName): confirmation failed: $($batch.ResultCode) ($((Get-BptbErrorCode $batch.ResultCode -ErrorAction SilentlyContinue).Description))" }
    if ($batch.Invalid -gt 0) { Write-Warning "$($batch.FileName): $($batch.Invalid) callbacks with a bad signature: forged, or the wrong key." }
}
Write-Output "Batches: $(@($status).Count), report: $Report"
