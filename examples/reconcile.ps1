<#
.SYNOPSIS
    A scheduled reconciliation: verify the callback log, record every callback once in the ledger, act on
    each batch event once, and warn about batches that need a person. Safe to run twice, or twice at once,
    and safe to kill: what a killed run did not get past is acted on by the next run.
.DESCRIPTION
    Replace Invoke-BatchEvent with the merchant's own action (mark the payroll paid, notify finance). It is
    called once per batch and event (Confirmed, ConfirmFailed, BalanceShort, Processed), whichever channel
    (the browser's return or Alipay's notification) brought it; after a crash it may be called once more for
    the events the killed run was in the middle of, so make it idempotent: key what it does by FileName and
    Event (an upsert, a unique constraint), and it may then run any number of times.

    notify_verify cannot be asked from here: a notify_id expires once the receiver answered "success" (spec
    7.2 (12)). Run Start-BptbNotifyReceiver with -Partner, and the answer it got is in the log (NotifyVerified).

    Exit code 3 when a batch reports UNKNOWN_EXCEPTION, GENERIC_FAILURE or SYSTEM_ERROR: the rules (3-1) say
    to stop all further operations and check the balance first; a scheduler should alert a person.
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

function Invoke-BatchEvent {
    param([Parameter(ValueFromPipeline)] $Callback)
    process {
        # The merchant's action goes here, idempotent by FileName and Event.
        Write-Output "$($Callback.FileName): $($Callback.Event)$(if ($Callback.ResultCode) { " ($($Callback.ResultCode))" })"
    }
}

# Unreadable lines are reported and skipped; every other line is checked and recorded once; each batch
# event goes to the action once. A line still being written (no newline yet) is left for the next run.
$acted = Test-BptbNotification -Path $Log -PublicKeyPath $PublicKeyPath -ErrorAction Continue |
    Register-BptbNotification -Ledger $Ledger |
    Where-Object IsNewEvent |
    Invoke-BatchEvent
Write-Output "New events: $(@($acted).Count)"
$acted

$status = Get-BptbBatchStatus -Ledger $Ledger
$status | Export-Csv -Path $Report -NoTypeInformation -Encoding utf8
$stop = $false
foreach ($batch in $status) {
    $code = if ($batch.ResultCode) { Get-BptbErrorCode $batch.ResultCode -ErrorAction SilentlyContinue }
    # StopCode stays once a batch got a stop-everything code, even when a success came after it.
    if ($batch.StopCode) {
        $stop = $true
        Write-Warning "STOP ALL FURTHER OPERATIONS: $($batch.FileName) got $($batch.StopCode). $((Get-BptbErrorCode $batch.StopCode).Action)"
    }
    if ($batch.Waiting) { Write-Warning "$($batch.FileName): the balance was short; the batch waits (bptb_unfreeze_notify)." }
    if ($batch.Confirmed -eq $false -and -not ($code -and $code.StopAll)) {
        Write-Warning "$($batch.FileName): confirmation failed: $($batch.ResultCode) ($($code.Description)). Check the batch before confirming again."
    }
    if ($batch.Invalid -gt 0) { Write-Warning "$($batch.FileName): $($batch.Invalid) callbacks failed verification: forged, restructured, or checked with the wrong key." }
    if ($batch.Notifications -gt 0 -and $batch.NotifyVerified -ne $true) {
        Write-Warning "$($batch.FileName): no notification was confirmed by notify_verify (run the receiver with -Partner)."
    }
}
Write-Output "Batches: $(@($status).Count), report: $Report"
if ($stop) { exit 3 }
