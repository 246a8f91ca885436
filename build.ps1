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
      clean    removes out/ and every bin/ and obj/
    Everything the build needs (Pester, NuGet packages) is restored from NuGet by this script.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('build', 'test', 'demo', 'bench', 'package', 'clean')]
    [string] $Task = 'build',

    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    # bench only: which benchmarks (core, pipeline, notifyverify, import, ledger); all by default.
    [string[]] $Bench = @('core', 'pipeline', 'notifyverify', 'import', 'ledger')
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

# The pwsh that runs this script, started afresh: tests and benchmarks run the module in a clean process.
function Get-PwshCommand {
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if (Test-Path $dll) { return @('dotnet', $dll) }
    return @((Get-Process -Id $PID).Path)
}

function Restore-Tools {
    Invoke-Native dotnet restore (Join-Path $root 'tools/tools.csproj') --verbosity quiet
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    $pester = Join-Path $packages 'pester/5.7.1/tools/Pester.psd1'
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
    Invoke-Native dotnet publish $loader -c $Configuration -o (Join-Path $bin 'net8.0') --nologo --verbosity quiet
    Get-ChildItem $bin -Include '*.pdb', '*.deps.json' -Recurse | Remove-Item -Force
    Remove-Item -Recurse -Force $staging
    Copy-Item (Join-Path $root 'module/*') $moduleOut -Recurse -Force
    # Help: MAML and about_ topics from docs/en-US, checked against the built cmdlets in a fresh pwsh.
    $pwsh = Get-PwshCommand
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $root 'tools/Build-Help.ps1') `
        -ModulePath $moduleOut -DocsPath (Join-Path $root 'docs/en-US') -OutputPath (Join-Path $moduleOut 'en-US')
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
    & dotnet test (Join-Path $root 'tests/unit/AlipayBptb.Tests.csproj') -c $Configuration --nologo --logger "trx;LogFileName=$trx" --logger 'console;verbosity=minimal' | Out-Host
    if (-not (Test-Path $trx)) { throw 'The xunit run wrote no results (did the test project build?).' }
    $counters = ([xml](Get-Content -Raw $trx)).TestRun.ResultSummary.Counters
    [pscustomobject]@{ Passed = [int]$counters.passed; Failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout }
}

function Invoke-PesterTests([string] $PesterPath) {
    $summary = Join-Path $out 'test-results/pester.json'
    if (Test-Path $summary) { Remove-Item $summary }
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$PesterPath'
`$config = New-PesterConfiguration
`$config.Run.Path = '$(Join-Path $root 'tests/pester')'
`$config.Run.PassThru = `$true
`$config.Output.Verbosity = 'Detailed'
`$config.TestResult.Enabled = `$true
`$config.TestResult.OutputPath = '$(Join-Path $out 'test-results/pester.xml')'
`$r = Invoke-Pester -Configuration `$config
@{ Passed = `$r.PassedCount; Failed = `$r.FailedCount + `$r.FailedBlocksCount + `$r.FailedContainersCount } | ConvertTo-Json | Set-Content '$summary'
"@
    $pwsh = Get-PwshCommand
    $env:ALIPAYBPTB_MODULE = $moduleOut
    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $script | Out-Host
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

switch ($Task) {
    'clean' {
        Remove-Item -Recurse -Force $out -ErrorAction SilentlyContinue
        Get-ChildItem $root -Directory -Recurse -Include bin, obj | Where-Object FullName -NotLike "*$([IO.Path]::DirectorySeparatorChar)node_modules*" | Remove-Item -Recurse -Force
    }
    'build' { Invoke-Build }
    'test' {
        if ($IsLinux) {
            # The browser test drives Debian's Chromium; the project installs it, never a person.
            & bash (Join-Path $root 'tools/install-browser.sh')
            if ($LASTEXITCODE -ne 0) { throw 'Chromium and ChromeDriver could not be installed (see above).' }
        }
        $tools = Restore-Tools
        Invoke-Build
        $env:ALIPAYBPTB_PACKAGE = Invoke-Package
        $env:ALIPAYBPTB_NUGET_PACKAGES = $tools.Packages
        $unit = Invoke-UnitTests
        Write-Host "xunit: $($unit.Passed) passed, $($unit.Failed) failed" -ForegroundColor Cyan
        $pester = Invoke-PesterTests $tools.Pester
        Write-Host "Pester: $($pester.Passed) passed, $($pester.Failed) failed" -ForegroundColor Cyan
        $passed = $unit.Passed + $pester.Passed
        $failed = $unit.Failed + $pester.Failed
        Write-Output "$passed passed, $failed failed"
        if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
    }
    'demo' {
        Invoke-Build
        $pwsh = Get-PwshCommand
        & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $root 'demo/demo.ps1') -ModulePath $moduleOut
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
                    $pwsh = Get-PwshCommand
                    & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -File (Join-Path $root "bench/$name.bench.ps1") -ModulePath $moduleOut
                }
            }
        }
    }
    'package' {
        Invoke-Build
        $null = Invoke-Package
    }
}
