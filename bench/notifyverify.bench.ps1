#requires -Version 7.4
<#
.SYNOPSIS
    notify_verify benchmark: asking the gateway about many notify ids, one by one vs Invoke-BptbNotifyVerify.
.DESCRIPTION
    Starts the module's mock gateway on 127.0.0.1 and issues $Count notify ids. Before every run it queues one
    'delay:' fault per request, so that each answer takes $LatencyMs (a realistic gateway round trip; the mock has
    no other latency knob, and each fault is used by exactly one request). Then, in one process, alternating
    order, three runs each (median reported):
      (a) a plain loop of Invoke-RestMethod "<gateway>?service=notify_verify&partner=..&notify_id=.."
      (b) $ids | Invoke-BptbNotifyVerify -Partner .. -Gateway .. -ThrottleLimit $ThrottleLimit
    Reports requests per second and the ratio b/a (target >= 10). Checks that every answer was 'true'
    (Verified), that every queued delay was used, and that no request was retried. Stops the gateway at the end.
.EXAMPLE
    dotnet pwsh -NoProfile -File bench/notifyverify.bench.ps1 -ModulePath ./out/AlipayBptb -Count 400 -LatencyMs 20
#>
[CmdletBinding()]
param(
    [string] $ModulePath,
    [int] $Count = 400,
    [double] $LatencyMs = 20,
    [int] $ThrottleLimit = 16,
    [int] $Repetitions = 3
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

. (Join-Path $PSScriptRoot 'common.ps1')
$moduleSnapshot = Import-BenchModule $ModulePath

$partner = '2088002464631181'
$inv = [Globalization.CultureInfo]::InvariantCulture
$delayFault = 'delay:' + ($LatencyMs / 1000).ToString('0.######', $inv)
$gw = Start-BptbMockGateway -Partner $partner
try {
    $ids = [string[]]@(for ($i = 0; $i -lt $Count; $i++) { $gw.IssueNotifyId() })

    function Add-Latency([int] $n) {
        if ($gw.PendingFaults.Count -ne 0) { throw "$($gw.PendingFaults.Count) faults are still queued from an earlier run." }
        for ($i = 0; $i -lt $n; $i++) { $gw.AddFault($delayFault) }
    }

    $runs = [ordered]@{
        a = {
            foreach ($id in $ids) {
                Invoke-RestMethod -Uri "$($gw.Url)?service=notify_verify&partner=$partner&notify_id=$id"
            }
        }
        b = { $ids | Invoke-BptbNotifyVerify -Partner $partner -Gateway $gw.Url -ThrottleLimit $ThrottleLimit }
    }
    $isVerified = @{
        # Invoke-RestMethod reads the text/plain body 'true' as JSON, so it returns [bool] $true (and $false for 'false').
        a = { param($r) ($r -is [bool] -and $r) -or ($r -is [string] -and $r.Trim() -ceq 'true') }
        b = { param($r) $r.Verified -and $r.Attempts -eq 1 }
    }

    # Warm-up, untimed and without latency: JIT, the module's HttpClient, the listener.
    $null = Invoke-RestMethod -Uri "$($gw.Url)?service=notify_verify&partner=$partner&notify_id=$($ids[0])"
    $null = $ids[0..([Math]::Min(31, $Count - 1))] | Invoke-BptbNotifyVerify -Partner $partner -Gateway $gw.Url -ThrottleLimit $ThrottleLimit

    $times = @{ a = [Collections.Generic.List[double]]::new(); b = [Collections.Generic.List[double]]::new() }
    $orders = @(@('a', 'b'), @('b', 'a'), @('a', 'b'), @('b', 'a'))[0..($Repetitions - 1)]
    $rep = 0
    foreach ($order in $orders) {
        $rep++
        foreach ($name in $order) {
            Add-Latency $Count
            $before = $gw.Requests.Count
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $results = @(& $runs[$name])
            $sw.Stop()
            $requests = $gw.Requests.Count - $before
            $verified = @($results | Where-Object { & $isVerified[$name] $_ }).Count
            if ($results.Count -ne $Count -or $verified -ne $Count) {
                throw "Run ($name): $($results.Count) results, $verified verified on the first attempt; expected $Count."
            }
            if ($requests -ne $Count -or $gw.PendingFaults.Count -ne 0) {
                throw "Run ($name): the gateway saw $requests requests with $($gw.PendingFaults.Count) delays unused; expected $Count and 0."
            }
            $times[$name].Add($sw.Elapsed.TotalSeconds)
            Write-Host ("  rep {0} ({1}): {2,7:N2} s, {3}/{4} verified" -f $rep, $name, $sw.Elapsed.TotalSeconds, $verified, $Count)
        }
    }

    $median = @{}
    foreach ($name in 'a', 'b') { $median[$name] = ($times[$name] | Sort-Object)[[int][Math]::Floor(($times[$name].Count - 1) / 2)] }
    $rate = @{ a = $Count / $median.a; b = $Count / $median.b }
    $ratio = $rate.b / $rate.a
    $rows = @(
        [pscustomobject]@{ Run = '(a) Invoke-RestMethod loop'; Requests = $Count; 'Median s' = $median.a.ToString('N2'); 'req/s' = $rate.a.ToString('N1'); 'ms/req' = (1000 / $rate.a).ToString('N2'); 'All runs s' = ($times.a | ForEach-Object { $_.ToString('N2') }) -join ' ' }
        [pscustomobject]@{ Run = "(b) Invoke-BptbNotifyVerify -ThrottleLimit $ThrottleLimit"; Requests = $Count; 'Median s' = $median.b.ToString('N2'); 'req/s' = $rate.b.ToString('N1'); 'ms/req' = (1000 / $rate.b).ToString('N2'); 'All runs s' = ($times.b | ForEach-Object { $_.ToString('N2') }) -join ' ' }
    )
    Write-Host ''
    Write-Host "notify_verify benchmark: $Count notify ids, $LatencyMs ms gateway latency per request (mock '$delayFault'), median of $Repetitions alternating runs"
    Write-Host (Get-BenchMachineLine)
    $rows | Format-Table -AutoSize Run, Requests, @{ n = 'Median s'; e = { $_.'Median s' }; a = 'right' }, @{ n = 'req/s'; e = { $_.'req/s' }; a = 'right' },
        @{ n = 'ms/req'; e = { $_.'ms/req' }; a = 'right' }, 'All runs s' | Out-String -Width 200 | Write-Host
    Write-Host ("All {0} answers verified in every run; every request took one attempt." -f $Count)
    Write-Host ("Ratio b/a (rate): {0:N1}  (target >= 10: {1}; at most ~{2} with -ThrottleLimit {2} and equal per-request cost)" -f $ratio, $(if ($ratio -ge 10) { 'MET' } else { 'MISSED' }), $ThrottleLimit)
}
finally {
    Stop-BptbMockGateway $gw
    Remove-Item -Recurse -Force $moduleSnapshot -ErrorAction SilentlyContinue
}
