<#
.SYNOPSIS
    Checking a 3,000-row payment file through the core (PaymentFileChecker: GBK decoding and every rule of spec 4.3)
    against Import-Csv merely reading the same file (converted to UTF-8 for it), alternating, median of the rounds,
    ratio printed (build.ps1 bench -Bench paymentfile).
.PARAMETER CorePath
    An AlipayBptb.Core.dll to load instead of the built module (e.g. src/AlipayBptb.Core/bin/Debug/net8.0/AlipayBptb.Core.dll),
    for a worktree where out/AlipayBptb is not built. Only .csv is checked here, so ExcelDataReader need not sit beside it.
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/AlipayBptb'),
    [string] $CorePath,
    [int] $Rows = 3000,
    [int] $Rounds = 15
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'common.ps1')

$snapshot = $null
if ($CorePath) {
    $core = [Reflection.Assembly]::LoadFrom((Resolve-Path $CorePath).Path)
    Write-Host "Core: $($core.Location)"
} else {
    $snapshot = Import-BenchModule $ModulePath
    # The core lives in the module's own load context on PowerShell 7: find it among the loaded assemblies.
    $null = Get-BptbErrorCode SYSTEM_ERROR # the core loads on first use, not at import
    $core = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'AlipayBptb.Core' } | Select-Object -First 1
    if (-not $core) { throw 'AlipayBptb.Core is not loaded after importing the module.' }
}
$checker = $core.GetType('AlipayBptb.Core.PaymentFiles.PaymentFileChecker', $true)
$writer = $core.GetType('AlipayBptb.Core.PaymentFiles.PaymentFileWriter', $true)
$rowType = $core.GetType('AlipayBptb.Core.PaymentFiles.PaymentRow', $true)
$flagType = $core.GetType('AlipayBptb.Core.PaymentFiles.AccountFlag', $true)
$businessType = $core.GetType('AlipayBptb.Core.PaymentFiles.BusinessType', $true)

$work = Join-Path ([IO.Path]::GetTempPath()) "alipaybptb-bench-paymentfile-$PID"
$null = New-Item -ItemType Directory -Force $work
try {
    # The file, made by the core's writer: GBK, laid out as the official sample.
    $list = [Activator]::CreateInstance([Collections.Generic.List`1].MakeGenericType($rowType))
    foreach ($i in 1..$Rows) {
        $r = [Activator]::CreateInstance($rowType)
        $r.SerialNumber = "$i"; $r.AccountName = '王建斌'; $r.AccountNumber = '6225885719900000'; $r.Bank = '招商银行'
        $r.Province = '浙江省'; $r.City = '杭州市'; $r.Branch = '招商银行浙江支行'; $r.Amount = [decimal]'12.34'
        $r.Flag = [Enum]::Parse($flagType, 'Personal'); $r.Remark = '工资'
        $list.Add($r)
    }
    $bytes = $writer.GetMethod('Write').Invoke($null, @([datetime]'2026-11-26', 'payer@example.com', $list))
    $gbkPath = Join-Path $work 'BPTB_bench.csv'
    $utf8Path = Join-Path $work 'BPTB_bench.utf8.csv'
    [IO.File]::WriteAllBytes($gbkPath, $bytes)
    [Text.Encoding]::RegisterProvider([Text.CodePagesEncodingProvider]::Instance)
    [IO.File]::WriteAllText($utf8Path, [Text.Encoding]::GetEncoding(936).GetString($bytes), [Text.UTF8Encoding]::new($false))
    $check = $checker.GetMethod('Check')
    $t1 = [Enum]::Parse($businessType, 'T1')
    $headers = 1..10 | ForEach-Object { "c$_" }

    $cases = [ordered]@{
        'PaymentFileChecker.Check (read + check)' = {
            $report = $check.Invoke($null, @('BPTB_bench.csv', [IO.File]::ReadAllBytes($gbkPath), 'payer@example.com', $t1))
            if (-not $report.IsValid -or $report.Rows.Count -ne $Rows) { throw "the bench file does not pass: $($report.Problems[0].Message)" }
        }
        'Test-BptbPaymentFile -Quiet (the cmdlet)' = {
            if (-not (Test-BptbPaymentFile -Path $gbkPath -Email 'payer@example.com' -Quiet)) { throw 'the bench file does not pass' }
        }
        'Import-Csv (read only, UTF-8 copy)' = {
            $n = @(Import-Csv -LiteralPath $utf8Path -Header $headers).Count
            if ($n -ne $Rows + 3) { throw "Import-Csv read $n rows" }
        }
    }
    if ($CorePath) { $cases.Remove('Test-BptbPaymentFile -Quiet (the cmdlet)') } # no module, no cmdlet
    $times = @{}
    foreach ($name in $cases.Keys) { $times[$name] = [Collections.Generic.List[double]]::new() }
    # One warm-up round, then alternate the cases so that drift on a shared machine hits them alike.
    foreach ($round in 0..$Rounds) {
        foreach ($name in $cases.Keys) {
            $sw = [Diagnostics.Stopwatch]::StartNew()
            & $cases[$name]
            $sw.Stop()
            if ($round -gt 0) { $times[$name].Add($sw.Elapsed.TotalMilliseconds) }
        }
    }

    $ours = Get-Median $times['PaymentFileChecker.Check (read + check)']
    $base = Get-Median $times['Import-Csv (read only, UTF-8 copy)']
    Write-Host (Get-BenchMachineLine)
    Write-Host "Payment file of $Rows rows ($($bytes.Length) bytes), median of $Rounds alternating rounds"
    $cases.Keys | ForEach-Object {
        $m = Get-Median $times[$_]
        [pscustomobject]@{ Case = $_; 'Median ms' = [Math]::Round($m, 2); 'µs per row' = [Math]::Round($m * 1000 / $Rows, 2) }
    } | Format-Table -AutoSize | Out-String -Width 120 | Write-Host
    Write-Host ('Import-Csv / PaymentFileChecker = {0:N1} (the checker is that many times faster than merely reading the file with Import-Csv)' -f ($base / $ours))
    if (-not $CorePath) {
        $cmdlet = Get-Median $times['Test-BptbPaymentFile -Quiet (the cmdlet)']
        Write-Host ('Import-Csv / Test-BptbPaymentFile = {0:N1} (the same, through the cmdlet a user runs)' -f ($base / $cmdlet))
    }
} finally {
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
    if ($snapshot) { Remove-Module AlipayBptb -ErrorAction SilentlyContinue; Remove-Item -Recurse -Force $snapshot -ErrorAction SilentlyContinue }
}
