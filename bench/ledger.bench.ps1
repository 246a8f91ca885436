<#
.SYNOPSIS
    Reconciliation at scale: Test-BptbNotification -Path against Get-Content piped in, and verifying and
    registering a log into a new ledger, with the peak working set for 100,000 and 1,000,000 lines; and
    registering into PostgreSQL against SQLite in the same run (a throwaway local cluster, where PostgreSQL is installed).
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/AlipayBptb'),
    [int] $Lines = 1000000
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'common.ps1')
. (Join-Path $PSScriptRoot '../tests/pester/TestHelpers.ps1')
$snapshot = Import-BenchModule $ModulePath
$module = Join-Path $snapshot 'AlipayBptb'
$plainKey = 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4'
$key = ConvertTo-SecureString $plainKey -AsPlainText -Force
$work = Join-Path ([IO.Path]::GetTempPath()) "alipaybptb-ledger-bench-$PID"
$null = New-Item -ItemType Directory -Force $work
try {
    $log = Join-Path $work 'big.log'
    $small = Join-Path $work 'small.log'
    New-NotificationLog -Path $log -Count $Lines
    New-NotificationLog -Path $small -Count ([Math]::Min(100000, $Lines))
    Write-Host (Get-BenchMachineLine)
    Write-Host ("Log: {0:N0} lines, {1:N0} MB" -f $Lines, ((Get-Item $log).Length / 1MB))

    # Reading: -Path against Get-Content piped in, alternating, median of 3.
    $null = Test-BptbNotification -Path $small -Key $key | Measure-Object
    $t = @{ pipe = @(); path = @() }
    foreach ($order in @('pipe', 'path'), @('path', 'pipe'), @('pipe', 'path')) {
        foreach ($name in $order) {
            [GC]::Collect()
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $n = if ($name -eq 'pipe') { (Get-Content $log | Test-BptbNotification -Key $key | Measure-Object).Count } else { (Test-BptbNotification -Path $log -Key $key | Measure-Object).Count }
            if ($n -ne $Lines) { throw "$name counted $n of $Lines." }
            $t[$name] += $sw.Elapsed.TotalSeconds
        }
    }
    $pipe = ($t.pipe | Sort-Object)[1]; $path = ($t.path | Sort-Object)[1]
    Write-Host ("Get-Content | Test-BptbNotification : {0:N2} s (runs {1})" -f $pipe, (($t.pipe | ForEach-Object { $_.ToString("N2") }) -join " "))
    Write-Host ("Test-BptbNotification -Path         : {0:N2} s (runs {1})" -f $path, (($t.path | ForEach-Object { $_.ToString("N2") }) -join " "))
    Write-Host ("Ratio (target >= 3)                 : {0:N2}" -f ($pipe / $path))

    # Registering into a new ledger, each size in a fresh process so that its peak working set is its own.
    $exe = [Environment]::ProcessPath
    [string[]] $prefix = if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { @(Join-Path $PSHOME 'pwsh.dll') } else { @() }
    foreach ($file in $small, $log) {
        $db = Join-Path $work "$([IO.Path]::GetFileNameWithoutExtension($file)).db"
        $command = "Import-Module '$module'; `$k = ConvertTo-SecureString '$plainKey' -AsPlainText -Force; `$sw = [Diagnostics.Stopwatch]::StartNew(); `$n = (Test-BptbNotification -Path '$file' -Key `$k | Register-BptbNotification -Ledger '$db' | Measure-Object).Count; `$s = `$sw.Elapsed.TotalSeconds; '{0} {1} {2}' -f `$n, `$s, [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64"
        $out = & $exe @prefix -NoProfile -NonInteractive -Command $command
        $n, $s, $peak = ($out | Select-Object -Last 1).Split(' ')
        Write-Host ("Verify and register {0,9:N0} lines into a new ledger: {1,6:N2} s, {2,8:N0} lines/s, peak working set {3:N0} MB" -f [int]$n, [double]$s, ([int]$n / [double]$s), ([long]$peak / 1MB))
    }

    # The same registration into PostgreSQL (a throwaway local cluster, as the tests start it) against SQLite,
    # alternating, the whole log each, a new database or file per run: the ratio of the two in this run. The whole
    # log, not 100,000 lines: a fresh process pays about a second to load and start Npgsql, which is not the rate.
    . (Join-Path $PSScriptRoot '../tests/pester/Postgres.ps1')
    $skip = Get-TestPostgresSkipReason
    if ($skip) {
        Write-Host "PostgreSQL: not measured ($skip)"
    } else {
        $pg = Start-TestPostgres
        try {
            $rates = @{ sqlite = [Collections.Generic.List[double]]::new(); postgres = [Collections.Generic.List[double]]::new() }
            foreach ($round in 1..3) {
                foreach ($store in 'sqlite', 'postgres') {
                    $target = if ($store -eq 'sqlite') { Join-Path $work "round$round.db" } else {
                        Invoke-TestPsql $pg "CREATE DATABASE round$round OWNER $($pg.Username);" -Database postgres | Out-Null
                        "postgresql://$($pg.Username)@$($pg.Host):$($pg.Port)/round$round"
                    }
                    $command = "Import-Module '$module'; `$env:PGPASSWORD = '$($pg.Password)'; `$k = ConvertTo-SecureString '$plainKey' -AsPlainText -Force; `$sw = [Diagnostics.Stopwatch]::StartNew(); `$n = (Test-BptbNotification -Path '$log' -Key `$k | Register-BptbNotification -Ledger '$target' | Measure-Object).Count; '{0} {1}' -f `$n, `$sw.Elapsed.TotalSeconds"
                    $n, $s = (& $exe @prefix -NoProfile -NonInteractive -Command $command | Select-Object -Last 1).Split(' ')
                    $rates[$store].Add([int]$n / [double]$s)
                }
            }
            $median = { param($v) ($v | Sort-Object)[[int][Math]::Floor($v.Count / 2)] }
            $sq = & $median $rates.sqlite
            $pq = & $median $rates.postgres
            Write-Host ("Verify and register {3:N0} lines, median of 3 alternating runs: SQLite {0:N0} lines/s, PostgreSQL {1:N0} lines/s: PostgreSQL/SQLite = {2:N2} (target >= 0.5)" -f $sq, $pq, ($pq / $sq), $Lines)
        } finally {
            $pg | Stop-TestPostgres
        }
    }
} finally {
    Remove-Item -Recurse -Force $work, $snapshot -ErrorAction SilentlyContinue
}
