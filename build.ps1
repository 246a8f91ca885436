#requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, demonstrates, benchmarks and packages the AlipayBptb module.
.DESCRIPTION
    Tasks:
      build    (default) builds the module into out/AlipayBptb (Import-Module ./out/AlipayBptb)
      test     builds, runs the xunit tests and the Pester tests, prints 'N passed, N failed'
      demo     builds and runs the module's main job on embedded defaults (no account, no internet)
      bench    builds and runs the benchmarks under bench/ (minutes; figures go into the README)
      package  builds and writes out/AlipayBptb.<version>.nupkg
      fuzz     fuzzes the parameter reader, the log reader, the key loader and the receiver's request parsing with SharpFuzz and afl-fuzz
               (-Minutes per target, 5 by default; -Fuzz picks targets); findings go to out/fuzz. Linux only;
               not part of test or CI
      setup    installs the machine's prerequisites for the tests (tools/setup.sh: openssl, python3, Chromium,
               ChromeDriver, a Chinese font; Debian's packages, as root); CI runs it, a developer once per machine
      clean    removes out/ and every bin/ and obj/
    Everything the build needs (Pester, NuGet packages) is restored from NuGet by this script; what the machine
    needs for the tests is installed by the setup task.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'demo', 'bench', 'package', 'fuzz', 'setup', 'clean')]
    [string] $Task = 'build',

    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    # bench only: which benchmarks (core, pipeline, notifyverify, import, oneshot, ledger, paymentfile); all by default.
    [ValidateSet('core', 'pipeline', 'notifyverify', 'import', 'oneshot', 'ledger', 'paymentfile')]
    [string[]] $Bench = @('core', 'pipeline', 'notifyverify', 'import', 'oneshot', 'ledger', 'paymentfile'),

    # fuzz only: which targets (params, log, keys, http, paymentfile); all by default, one after the other.
    [ValidateSet('params', 'log', 'keys', 'http', 'paymentfile')]
    [string[]] $Fuzz = @('params', 'log', 'keys', 'http', 'paymentfile'),

    # fuzz only: how long afl-fuzz runs each target.
    [ValidateRange(1, 10080)]
    [int] $Minutes = 5,

    # fuzz only: an input that runs longer than this (milliseconds) is a hang.
    [ValidateRange(100, 60000)]
    [int] $TimeoutMs = 3000
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$root = $PSScriptRoot
$out = Join-Path $root 'out'
$moduleOut = Join-Path $out 'AlipayBptb'

# A plain function (not advanced), so that native flags such as -o are passed through, not bound.
function Invoke-Native {
    $file, $rest = $args
    & $file @rest
    if ($LASTEXITCODE -ne 0) { throw "'$file $($rest -join ' ')' failed with exit code $LASTEXITCODE." }
}

function Get-ModuleVersion {
    ([xml](Get-Content -Raw (Join-Path $root 'Directory.Build.props'))).Project.PropertyGroup.Version | Where-Object { $_ } | Select-Object -First 1
}

# The help build, tests, demo and benchmarks run the module in a fresh pwsh: Invoke-FreshPwshFile.
. (Join-Path $root 'tools/FreshPwsh.ps1')

# The platforms PowerShell 7 runs on: SQLite's native library (e_sqlite3) ships for these alone, once, in
# bin/net8.0/runtimes; Windows PowerShell 5.1 loads the Windows ones from there too (DesktopNativeLibraries.cs).
$nativeRuntimes = 'win-x64', 'win-x86', 'win-arm64', 'linux-x64', 'linux-arm64', 'linux-arm', 'linux-musl-x64', 'linux-musl-arm64', 'osx-x64', 'osx-arm64'

# The tools the tests need on this machine (tools/setup.sh installs them); says what to run when one is missing.
function Assert-TestPrerequisites {
    if (-not $IsLinux) { return }
    $missing = @('openssl', 'python3', 'chromium', 'chromedriver' | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction SilentlyContinue) })
    if ($missing.Count) {
        throw "The tests need $($missing -join ', '), missing on this machine. Run the setup step once (as root): 'bash tools/setup.sh' (or 'dotnet pwsh ./build.ps1 setup'), then run the tests again."
    }
}

function Restore-Tools {
    Invoke-Native dotnet restore (Join-Path $root 'tools/tools.csproj') --verbosity quiet
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    $pesterVersion = ([xml](Get-Content -Raw (Join-Path $root 'Directory.Packages.props'))).Project.PropertyGroup.PesterVersion | Where-Object { $_ } | Select-Object -First 1
    $pester = Join-Path $packages "pester/$pesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $pester)) { throw "Pester was not restored to $pester." }
    return [pscustomobject]@{ Pester = $pester; Packages = $packages }
}

function Invoke-Build {
    Write-Host "Building AlipayBptb ($Configuration)..." -ForegroundColor Cyan
    $version = Get-ModuleVersion
    if (Test-Path $moduleOut) { Remove-Item -Recurse -Force $moduleOut }
    $null = New-Item -ItemType Directory -Force $moduleOut
    $cmdlets = Join-Path $root 'src/AlipayBptb.Cmdlets/AlipayBptb.Cmdlets.csproj'
    $core = Join-Path $root 'src/AlipayBptb.Core/AlipayBptb.Core.csproj'
    $localGateway = Join-Path $root 'src/AlipayBptb.Mock/AlipayBptb.Mock.csproj'
    $loader = Join-Path $root 'src/AlipayBptb.LoadContext/AlipayBptb.LoadContext.csproj'
    # bin/ holds the cmdlet assembly (netstandard2.0, one for both editions), the manifest's root module;
    # bin/net8.0 and bin/netstandard2.0 hold what it depends on, which it resolves itself (ModuleInitializer.cs)
    # in a load context of its own, out of reach of PowerShell's and .NET's own probing.
    $bin = Join-Path $moduleOut 'bin'
    $staging = Join-Path $out 'staging'
    Remove-Item -Recurse -Force $staging -ErrorAction SilentlyContinue
    Invoke-Native dotnet publish $cmdlets -c $Configuration -o $staging --nologo --verbosity quiet
    $null = New-Item -ItemType Directory -Force $bin
    Copy-Item (Join-Path $staging 'AlipayBptb.Cmdlets.dll') $bin
    Get-ChildItem $staging -Filter *.dll | Where-Object Name -NotIn 'AlipayBptb.Cmdlets.dll', 'System.Management.Automation.dll' |
        Copy-Item -Destination (New-Item -ItemType Directory -Force (Join-Path $bin 'netstandard2.0'))
    Invoke-Native dotnet publish $core -c $Configuration -f net8.0 -o (Join-Path $bin 'net8.0') --nologo --verbosity quiet
    Invoke-Native dotnet publish $localGateway -c $Configuration -f net8.0 -o (Join-Path $bin 'net8.0') --nologo --verbosity quiet
    Invoke-Native dotnet publish $loader -c $Configuration -o (Join-Path $bin 'net8.0') --nologo --verbosity quiet
    Get-ChildItem $bin -Include '*.pdb', '*.deps.json' -Recurse | Remove-Item -Force
    # SQLite's natives: those of the platforms PowerShell runs on.
    $runtimes = Join-Path $bin 'net8.0/runtimes'
    Get-ChildItem $runtimes -Directory | Where-Object Name -NotIn $nativeRuntimes | Remove-Item -Recurse -Force
    foreach ($rid in $nativeRuntimes) {
        if (-not (Test-Path (Join-Path $runtimes "$rid/native"))) { throw "SQLite's native library for $rid is missing from $runtimes." }
    }
    Remove-Item -Recurse -Force $staging
    Copy-Item (Join-Path $root 'module/*') $moduleOut -Recurse -Force
    # Help: MAML and about_ topics from docs/en-US, checked against the built cmdlets in a fresh pwsh.
    Invoke-FreshPwshFile (Join-Path $root 'tools/Build-Help.ps1') -ArgumentList '-ModulePath', $moduleOut, '-DocsPath', (Join-Path $root 'docs/en-US'), '-OutputPath', (Join-Path $moduleOut 'en-US')
    if ($LASTEXITCODE -ne 0) { throw 'The help could not be built (see above).' }
    $manifest = Join-Path $moduleOut 'AlipayBptb.psd1'
    (Get-Content -Raw $manifest) -replace "ModuleVersion\s*=\s*'[^']*'", "ModuleVersion        = '$version'" | Set-Content -NoNewline $manifest
    Write-Host "Module $version built: $moduleOut" -ForegroundColor Green
}

function Invoke-UnitTests {
    $results = Join-Path $out 'test-results'
    $null = New-Item -ItemType Directory -Force $results
    $trx = Join-Path $results 'unit.trx'
    if (Test-Path $trx) { Remove-Item $trx }
    # The whole solution first (benchmarks and fuzz targets included): code that only they use breaks here, not
    # on the day someone runs them.
    Invoke-Native dotnet build (Join-Path $root 'AlipayBptb.sln') -c $Configuration --nologo --verbosity quiet | Out-Host
    & dotnet test (Join-Path $root 'tests/unit/AlipayBptb.Tests.csproj') -c $Configuration --nologo --logger "trx;LogFileName=$trx" --logger 'console;verbosity=minimal' | Out-Host
    if (-not (Test-Path $trx)) { throw 'The xunit run wrote no results (did the test project build?).' }
    $counters = ([xml](Get-Content -Raw $trx)).TestRun.ResultSummary.Counters
    [pscustomobject]@{ Passed = [int]$counters.passed; Failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout }
}

function Invoke-PesterTests([string] $PesterPath, [string] $PackagePath, [string] $NuGetPackagesPath) {
    $results = Join-Path $out 'test-results'
    $summary = Join-Path $results 'pester.json'
    if (Test-Path $summary) { Remove-Item $summary }
    Invoke-FreshPwshFile (Join-Path $root 'tests/pester/Invoke-PesterSuite.ps1') -ArgumentList '-PesterPath', $PesterPath, '-ModulePath', $moduleOut,
        '-ResultPath', (Join-Path $results 'pester.xml'), '-SummaryPath', $summary, '-PackagePath', $PackagePath, '-NuGetPackagesPath', $NuGetPackagesPath
    if (-not (Test-Path $summary)) { throw 'Pester wrote no summary: the run itself failed.' }
    Get-Content -Raw $summary | ConvertFrom-Json
}

# Writes out/AlipayBptb.<version>.nupkg from the built module, the package Install-Module takes.
function Invoke-Package {
    $version = Get-ModuleVersion
    $repo = Join-Path $out 'package-repo'
    Remove-Item -Recurse -Force $repo -ErrorAction SilentlyContinue
    $null = New-Item -ItemType Directory -Force $repo
    $name = "AlipayBptbBuild$PID"
    Register-PSResourceRepository -Name $name -Uri $repo -Trusted
    try {
        Publish-PSResource -Path $moduleOut -Repository $name
    } finally {
        Unregister-PSResourceRepository -Name $name
    }
    $nupkg = Join-Path $out "AlipayBptb.$version.nupkg"
    Move-Item (Get-ChildItem $repo -Filter '*.nupkg' | Select-Object -First 1).FullName $nupkg -Force
    Remove-Item -Recurse -Force $repo
    Write-Host "Package: $nupkg" -ForegroundColor Green
    $nupkg
}

# Installs afl++ from Debian's packages when afl-fuzz is missing and this is root; otherwise says what to install.
function Assert-AflFuzz {
    if (-not $IsLinux) { throw 'The fuzz task needs Linux: afl-fuzz and SharpFuzz''s fork server run there only.' }
    if (Get-Command afl-fuzz -ErrorAction SilentlyContinue) { return }
    if ((& id -u) -ne '0') { throw 'afl-fuzz is missing: install AFL++ (as root: bash tools/setup.sh --fuzz; Debian, Ubuntu: sudo apt-get install afl++), then run this again.' }
    Write-Host 'afl-fuzz is missing: installing afl++ from Debian''s packages...' -ForegroundColor Cyan
    & bash (Join-Path $root 'tools/setup.sh') --fuzz
    if ($LASTEXITCODE -ne 0 -or -not (Get-Command afl-fuzz -ErrorAction SilentlyContinue)) { throw 'afl++ could not be installed (see above).' }
}

# afl-fuzz's fuzzer_stats: 'name : value' lines.
function Read-FuzzerStats([string] $Path) {
    $stats = @{}
    if (Test-Path $Path) {
        foreach ($line in Get-Content $Path) {
            if ($line -match '^\s*(\w+)\s*:\s*(.*?)\s*$') { $stats[$Matches[1]] = $Matches[2] }
        }
    }
    $stats
}

# Builds the harness (fuzz/AlipayBptb.Fuzz), instruments the core and BouncyCastle's parsers with sharpfuzz, and runs
# afl-fuzz on each target in turn for $Minutes; findings under out/fuzz/<target>/findings, a summary at the end.
function Invoke-Fuzz {
    Assert-AflFuzz
    $fuzzOut = Join-Path $out 'fuzz'
    $bin = Join-Path $fuzzOut 'bin'
    # Afresh every time: sharpfuzz rewrites the assemblies in place and refuses one that is already instrumented.
    Remove-Item -Recurse -Force $bin -ErrorAction SilentlyContinue
    Write-Host 'Building the fuzzing harness...' -ForegroundColor Cyan
    Invoke-Native dotnet publish (Join-Path $root 'fuzz/AlipayBptb.Fuzz/AlipayBptb.Fuzz.csproj') -c Release -o $bin --nologo --verbosity quiet
    Write-Host 'Instrumenting AlipayBptb.Core and BouncyCastle''s key parsing with sharpfuzz...' -ForegroundColor Cyan
    # sharpfuzz is a local tool (.config/dotnet-tools.json), found from the working directory.
    Push-Location $root
    try {
        Invoke-Native dotnet tool restore | Out-Null
        Invoke-Native dotnet tool run sharpfuzz (Join-Path $bin 'AlipayBptb.Core.dll') | Out-Null
        # Only what reads a key: BigInteger arithmetic and the ciphers would fill afl's map with paths that say nothing.
        Invoke-Native dotnet tool run sharpfuzz (Join-Path $bin 'BouncyCastle.Cryptography.dll') Org.BouncyCastle.Asn1 Org.BouncyCastle.Security Org.BouncyCastle.Crypto.Parameters | Out-Null
    } finally {
        Pop-Location
    }

    # This container (and most): no CPU governor to read, perhaps no core_pattern to set, two shared cores.
    $env:AFL_SKIP_CPUFREQ = '1'
    $env:AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES = '1'
    $env:AFL_SKIP_BIN_CHECK = '1'          # the binary is dotnet: the instrumentation is in the assemblies
    $env:AFL_NO_AFFINITY = '1'             # no core pinning on a machine shared with builds and tests
    $env:AFL_NO_UI = '1'                   # status lines, not a full-screen display: the output can be logged
    $env:AFL_MAP_SIZE = '65536'            # SharpFuzz's map
    $env:AFL_FORKSRV_INIT_TMOUT = '60000'  # dotnet's start-up on a busy machine
    $dll = Join-Path $bin 'AlipayBptb.Fuzz.dll'
    $dotnet = (Get-Command dotnet -CommandType Application | Select-Object -First 1).Source
    $summary = foreach ($target in $Fuzz) {
        $dir = Join-Path $fuzzOut $target
        $findings = Join-Path $dir 'findings'
        $tmp = Join-Path $dir 'tmp'
        Remove-Item -Recurse -Force $findings, $tmp -ErrorAction SilentlyContinue
        $null = New-Item -ItemType Directory -Force $dir, $tmp
        $env:ALIPAYBPTB_FUZZ_TMP = $tmp
        $started = Get-Date
        $log = Join-Path $dir 'afl-fuzz.log'
        Write-Host "Fuzzing '$target' for $Minutes minute(s); to watch: tail -f $log" -ForegroundColor Cyan
        $aflArgs = @('-i', (Join-Path $root "fuzz/corpus/$target"), '-o', $findings, '-m', 'none', '-t', $TimeoutMs, '-V', ($Minutes * 60))
        $dictionary = Join-Path $root "fuzz/dictionaries/$target.dict"
        if (Test-Path $dictionary) { $aflArgs += @('-x', $dictionary) }
        & afl-fuzz @aflArgs -- $dotnet $dll $target *> $log
        $code = $LASTEXITCODE
        Get-Content $log -Tail 4 | ForEach-Object { $_ -replace '\e\[[0-9;?]*[A-Za-z]', '' } | Out-Host
        Remove-Item -Recurse -Force $tmp -ErrorAction SilentlyContinue
        $stats = Read-FuzzerStats (Join-Path $findings 'default/fuzzer_stats')
        if ($stats.Count -eq 0) { throw "afl-fuzz did not fuzz '$target' (exit code $code): see $(Join-Path $dir 'afl-fuzz.log')." }
        $seconds = [double]$stats['run_time']
        $execs = [long]$stats['execs_done']
        [pscustomobject]@{
            Target     = $target
            Started    = $started.ToUniversalTime().ToString('yyyy-MM-dd HH:mm') + 'Z'
            Seconds    = [int]$seconds
            Executions = $execs
            ExecsPerS  = if ($seconds -gt 0) { [math]::Round($execs / $seconds, 1) } else { 0 }
            Corpus     = [int]$stats['corpus_count']
            Edges      = [int]$stats['edges_found']
            Crashes    = [int]$stats['saved_crashes']
            Hangs      = [int]$stats['saved_hangs']
            Findings   = $findings
        }
    }
    $summary | ConvertTo-Json | Set-Content (Join-Path $fuzzOut 'summary.json')
    $summary | Format-Table Target, Started, Seconds, Executions, ExecsPerS, Corpus, Edges, Crashes, Hangs -AutoSize | Out-String -Width 200 | Out-Host
    foreach ($s in $summary | Where-Object { $_.Crashes -gt 0 -or $_.Hangs -gt 0 }) {
        Write-Host "$($s.Target): $($s.Crashes) crash(es), $($s.Hangs) hang(s) in $($s.Findings)/default/crashes and hangs; replay one with 'dotnet $dll $($s.Target) < FILE'." -ForegroundColor Yellow
    }
    if (@($summary | Where-Object { $_.Crashes -gt 0 -or $_.Hangs -gt 0 }).Count -gt 0) { exit 1 }
}

switch ($Task) {
    'clean' {
        Remove-Item -Recurse -Force $out -ErrorAction SilentlyContinue
        Get-ChildItem $root -Directory -Recurse -Include bin, obj | Where-Object FullName -NotLike "*$([IO.Path]::DirectorySeparatorChar)node_modules*" | Remove-Item -Recurse -Force
    }
    'build' { Invoke-Build }
    'setup' {
        if (-not $IsLinux) { throw 'The setup task installs Debian''s packages: on this system install openssl and python3 (the browser test needs Linux).' }
        & bash (Join-Path $root 'tools/setup.sh')
        if ($LASTEXITCODE -ne 0) { throw 'The machine''s prerequisites could not be installed (see above).' }
    }
    'test' {
        Assert-TestPrerequisites
        $tools = Restore-Tools
        Invoke-Build
        $package = Invoke-Package
        $unit = Invoke-UnitTests
        Write-Host "xunit: $($unit.Passed) passed, $($unit.Failed) failed" -ForegroundColor Cyan
        $pester = Invoke-PesterTests $tools.Pester $package $tools.Packages
        Write-Host "Pester: $($pester.Passed) passed, $($pester.Failed) failed" -ForegroundColor Cyan
        $passed = $unit.Passed + $pester.Passed
        $failed = $unit.Failed + $pester.Failed
        # Windows PowerShell 5.1's build (netstandard2.0): the core's tests on Mono (tests/desktop); skipped without mono.
        $desktop = & (Join-Path $root 'tests/desktop/Invoke-DesktopTests.ps1') -Configuration $Configuration
        $passed += $desktop.Passed
        $failed += $desktop.Failed
        Write-Output "$passed passed, $failed failed"
        if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
    }
    'demo' {
        Invoke-Build
        Invoke-FreshPwshFile (Join-Path $root 'demo/demo.ps1') -ArgumentList '-ModulePath', $moduleOut
        if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    }
    'bench' {
        Invoke-Build
        foreach ($name in $Bench) {
            switch ($name) {
                'core' {
                    # Called directly: splatted through Invoke-Native, PowerShell would glob '*' into file names and drop '--'.
                    & dotnet run -c Release --project (Join-Path $root 'bench/AlipayBptb.Benchmarks/AlipayBptb.Benchmarks.csproj') -- --filter '*'
                    if ($LASTEXITCODE -ne 0) { throw "The core benchmarks failed with exit code $LASTEXITCODE." }
                }
                default {
                    Invoke-FreshPwshFile (Join-Path $root "bench/$name.bench.ps1") -ArgumentList '-ModulePath', $moduleOut
                }
            }
        }
    }
    'package' {
        Invoke-Build
        $null = Invoke-Package
    }
    'fuzz' { Invoke-Fuzz }
}
