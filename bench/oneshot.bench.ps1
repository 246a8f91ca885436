<#
.SYNOPSIS
    The one-shot script (issue 13): a scheduled task starts pwsh, imports the module, signs one request and
    checks one callback. Whole-process wall time against a bare 'pwsh -NoProfile -NonInteractive -c exit',
    measured alternately in one run.
.DESCRIPTION
    Cases, each a fresh 'pwsh -NoProfile -NonInteractive -Command ...':
      bare pwsh (exit)          exit
      Import-Module AlipayBptb  the import alone
      MD5 one-shot              import, one New-BptbConfirmUrl -Key (SecureString), one Test-BptbNotification -Key -Quiet
      RSA one-shot              import, one New-BptbConfirmUrl -PrivateKeyPath (RSA-2048, PKCS#8 PEM), one
                                Test-BptbNotification -PublicKeyPath (SPKI PEM) -Quiet
    The keys are made once in a temporary folder with .NET, and the callbacks are signed here with .NET's RSA
    (SHA1, PKCS#1 v1.5) and MD5, independently of the module. A one-shot that does not verify its callback exits
    1, which stops the benchmark: a fast wrong answer is no figure.
.EXAMPLE
    dotnet pwsh -NoProfile -File bench/oneshot.bench.ps1 -ModulePath ./out/AlipayBptb -Rounds 15
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/AlipayBptb'),
    [int] $Rounds = 15
)
$ErrorActionPreference = 'Stop'
$ModulePath = (Resolve-Path $ModulePath).Path
. (Join-Path $PSScriptRoot 'common.ps1')
$exe, $prefix = Get-FreshPwsh

$dir = Join-Path ([IO.Path]::GetTempPath()) "alipaybptb-oneshot-$PID"
$null = New-Item -ItemType Directory -Force $dir
try {
    $rsa = [Security.Cryptography.RSA]::Create(2048)
    $key = Join-Path $dir 'key.pem'
    $pub = Join-Path $dir 'pub.pem'
    Set-Content -NoNewline -Path $key -Value $rsa.ExportPkcs8PrivateKeyPem()
    Set-Content -NoNewline -Path $pub -Value $rsa.ExportSubjectPublicKeyInfoPem()
    $md5Key = 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4'

    # A bptb result notification (spec 6), signed by hand: the parameters sorted, joined, UTF-8 (spec 8.1).
    $signString = 'file_name=batch-0000001.csv&flag=bptb_result_file&notify_id=n0000000001&notify_time=2026-11-25 10:00:00&notify_type=bptb_result_notify&pay_date=20261125'
    $wire = 'notify_type=bptb_result_notify&notify_time=2026-11-25+10%3A00%3A00&notify_id=n0000000001&pay_date=20261125&flag=bptb_result_file&file_name=batch-0000001.csv'
    $bytes = [Text.Encoding]::UTF8.GetBytes($signString)
    $rsaSign = [Convert]::ToBase64String($rsa.SignData($bytes, [Security.Cryptography.HashAlgorithmName]::SHA1, [Security.Cryptography.RSASignaturePadding]::Pkcs1))
    $rsaCallback = $wire + '&sign_type=RSA&sign=' + [Uri]::EscapeDataString($rsaSign)
    $md5Sign = [Convert]::ToHexString([Security.Cryptography.MD5]::HashData([Text.Encoding]::UTF8.GetBytes($signString + $md5Key))).ToLowerInvariant()
    $md5Callback = $wire + '&sign_type=MD5&sign=' + $md5Sign

    $confirm = "-Partner 2088002464631181 -Email pay@example.com -ReturnUrl https://merchant.example/return -FileName batch-0000001.csv"
    # The SecureString as a script would build it from a secret it holds; ConvertTo-SecureString alone would add
    # the Microsoft.PowerShell.Security module's load to every MD5 run, which is not the module's cost.
    $secure = "`$k = [securestring]::new(); foreach (`$c in '$md5Key'.ToCharArray()) { `$k.AppendChar(`$c) }"
    $cases = [ordered]@{
        'bare pwsh (exit)'         = 'exit'
        'Import-Module AlipayBptb' = "Import-Module '$ModulePath'"
        'MD5 one-shot'             = "Import-Module '$ModulePath'; $secure; `$u = New-BptbConfirmUrl $confirm -Key `$k; " +
            "if (-not `$u.Url -or -not (Test-BptbNotification '$md5Callback' -Key `$k -Quiet)) { exit 1 }"
        'RSA one-shot'             = "Import-Module '$ModulePath'; `$u = New-BptbConfirmUrl $confirm -PrivateKeyPath '$key'; " +
            "if (-not `$u.Url -or -not (Test-BptbNotification '$rsaCallback' -PublicKeyPath '$pub' -Quiet)) { exit 1 }"
    }
    $times = @{}
    foreach ($name in $cases.Keys) { $times[$name] = [Collections.Generic.List[double]]::new() }

    # pwsh replays a start-up JIT profile that its previous run wrote (multicore JIT, in its cache folder): shared,
    # each case would start with what the case before it compiled. Each case gets a cache folder of its own, so that
    # it replays its own previous run, as a scheduled task running the same script does. (XDG_CACHE_HOME: Linux and
    # macOS; on Windows the cases share one profile.)
    $caches = @{}
    $i = 0
    foreach ($name in $cases.Keys) { $caches[$name] = New-Item -ItemType Directory -Force (Join-Path $dir "cache$i"); $i++ }
    $savedCache = $env:XDG_CACHE_HOME

    # One warm-up round (disk cache, each case's JIT profile), then alternate the cases so that drift on a shared
    # machine hits them alike.
    foreach ($round in 0..$Rounds) {
        foreach ($name in $cases.Keys) {
            $env:XDG_CACHE_HOME = $caches[$name].FullName
            $sw = [Diagnostics.Stopwatch]::StartNew()
            & $exe @prefix -NoProfile -NonInteractive -Command $cases[$name]
            $sw.Stop()
            $env:XDG_CACHE_HOME = $savedCache
            if ($LASTEXITCODE -ne 0) { throw "'$name' failed (exit code $LASTEXITCODE)." }
            if ($round -gt 0) { $times[$name].Add($sw.Elapsed.TotalMilliseconds) }
        }
    }
} finally {
    Remove-Item -Recurse -Force $dir -ErrorAction SilentlyContinue
}

$bare = Get-Median $times['bare pwsh (exit)']
$targets = @{ 'Import-Module AlipayBptb' = 1.15; 'MD5 one-shot' = 1.25; 'RSA one-shot' = 1.4 }
Write-Host "One-shot script, median of $Rounds alternating rounds (pwsh $($PSVersionTable.PSVersion), $([Environment]::ProcessorCount) cores)"
$cases.Keys | ForEach-Object {
    $m = Get-Median $times[$_]
    [pscustomobject]@{
        Case             = $_
        'Median ms'      = [Math]::Round($m)
        'Over bare ms'   = [Math]::Round($m - $bare)
        'Ratio to bare'  = [Math]::Round($m / $bare, 2)
        'Target'         = if ($targets.Contains($_)) { '<= ' + $targets[$_] } else { '' }
    }
} | Format-Table -AutoSize | Out-String -Width 120 | Write-Host
