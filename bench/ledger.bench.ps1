<#
.SYNOPSIS
    Reconciliation at scale: Test-BptbNotification -Path against Get-Content piped in, and verifying and
    registering a log into a new ledger, with the peak working set for 100,000 and 1,000,000 lines; and the whole
    reconciliation (verify and register) against verifying alone, on SQLite and on PostgreSQL (a throwaway local
    cluster, where PostgreSQL is installed).
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/AlipayBptb'),
    [int] $Lines = 1000000,
    [int] $DayLines = 300000
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'common.ps1')
$snapshot = Import-BenchModule $ModulePath
# After the import: the test helpers set $ModulePath to the module the tests use.
. (Join-Path $PSScriptRoot '../tests/pester/TestHelpers.ps1')
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
    $exe, $prefix = Get-FreshPwsh
    foreach ($file in $small, $log) {
        $db = Join-Path $work "$([IO.Path]::GetFileNameWithoutExtension($file)).db"
        $command = "Import-Module '$module'; `$k = ConvertTo-SecureString '$plainKey' -AsPlainText -Force; `$sw = [Diagnostics.Stopwatch]::StartNew(); `$n = (Test-BptbNotification -Path '$file' -Key `$k | Register-BptbNotification -Ledger '$db' | Measure-Object).Count; `$s = `$sw.Elapsed.TotalSeconds; '{0} {1} {2}' -f `$n, `$s, [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64"
        $out = & $exe @prefix -NoProfile -NonInteractive -Command $command
        $n, $s, $peak = ($out | Select-Object -Last 1).Split(' ')
        Write-Host ("Verify and register {0,9:N0} lines into a new ledger: {1,6:N2} s, {2,8:N0} lines/s, peak working set {3:N0} MB" -f [int]$n, [double]$s, ([int]$n / [double]$s), ([long]$peak / 1MB))
    }

    # The whole reconciliation against verifying alone (issue 13): the log of a day of 3,000 payment files,
    # 300,000 notifications with notify ids like Alipay's (random hex), verified alone ('-Path log | Measure-Object') and verified and registered into a new
    # ledger, alternating in one fresh process per store, median of 3 each: the ratio of the two. PostgreSQL runs in
    # a throwaway local cluster, as the tests start it, a new database per run.
    $day = Join-Path $work 'day.log'
    New-NotificationLog -Path $day -Count $DayLines -Files 3000 -HexIds
    . (Join-Path $PSScriptRoot '../tests/pester/Postgres.ps1')
    $skip = Get-TestPostgresSkipReason
    $pg = if (-not $skip) { Start-TestPostgres }
    try {
        foreach ($store in 'sqlite', 'postgres') {
            if ($store -eq 'postgres' -and $skip) { Write-Host "PostgreSQL: not measured ($skip)"; continue }
            $targets = foreach ($round in 0..3) {
                if ($store -eq 'sqlite') { Join-Path $work "day$round.db" } else {
                    Invoke-TestPsql $pg "CREATE DATABASE day$round OWNER $($pg.Username);" -Database postgres | Out-Null
                    "postgresql://$($pg.Username)@$($pg.Host):$($pg.Port)/day$round"
                }
            }
            $password = if ($pg) { $pg.Password } else { '' }
            $command = @"
Import-Module '$module'; `$env:PGPASSWORD = '$password'; `$k = ConvertTo-SecureString '$plainKey' -AsPlainText -Force
`$null = Test-BptbNotification -Path '$small' -Key `$k | Select-Object -First 20000 | Register-BptbNotification -Ledger '$($targets[0])' | Out-Null
`$v = @(); `$r = @()
foreach (`$t in '$($targets[1..3] -join "','")') {
    [GC]::Collect(); `$sw = [Diagnostics.Stopwatch]::StartNew(); `$n = (Test-BptbNotification -Path '$day' -Key `$k | Measure-Object).Count; `$v += `$sw.Elapsed.TotalSeconds
    [GC]::Collect(); `$sw = [Diagnostics.Stopwatch]::StartNew(); `$m = (Test-BptbNotification -Path '$day' -Key `$k | Register-BptbNotification -Ledger `$t | Measure-Object).Count; `$r += `$sw.Elapsed.TotalSeconds
    if (`$n -ne $DayLines -or `$m -ne $DayLines) { throw "counted `$n and `$m of $DayLines" }
}
'{0} {1}' -f (`$v -join ','), (`$r -join ',')
"@
            $out = & $exe @prefix -NoProfile -NonInteractive -Command $command | Select-Object -Last 1
            $verify, $register = $out.Split(' ') | ForEach-Object { , [double[]]$_.Split(',') }
            $v = ($verify | Sort-Object)[1]; $r = ($register | Sort-Object)[1]
            Write-Host ("{0,-10} {1:N0} notifications over 3,000 files: verify alone {2:N2} s (runs {3}), verify and register {4:N2} s (runs {5}): ratio {6:N2} (target <= 1.5)" -f $store, $DayLines, $v,
                (($verify | ForEach-Object { $_.ToString('N2') }) -join ' '), $r, (($register | ForEach-Object { $_.ToString('N2') }) -join ' '), ($r / $v))
        }
    } finally {
        if ($pg) { $pg | Stop-TestPostgres }
    }
} finally {
    Remove-Item -Recurse -Force $work, $snapshot -ErrorAction SilentlyContinue
}
