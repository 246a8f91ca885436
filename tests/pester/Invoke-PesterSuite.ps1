<#
.SYNOPSIS
    Runs the Pester suite over a built module (build.ps1 test runs it in a fresh pwsh); writes the NUnit XML
    results and a summary, {"Passed": N, "Failed": N}, failed blocks and containers counted as failures.
.EXAMPLE
    pwsh -NoProfile -File tests/pester/Invoke-PesterSuite.ps1 -PesterPath ~/.nuget/packages/pester/5.7.1/tools/Pester.psd1 `
        -ModulePath out/AlipayBptb -ResultPath out/test-results/pester.xml -SummaryPath out/test-results/pester.json
#>
param(
    # Pester.psd1 of the version the build restores (tools/tools.csproj).
    [Parameter(Mandatory)] [string] $PesterPath,
    # The built module, out/AlipayBptb.
    [Parameter(Mandatory)] [string] $ModulePath,
    # NUnit XML results.
    [Parameter(Mandatory)] [string] $ResultPath,
    # The summary for build.ps1.
    [Parameter(Mandatory)] [string] $SummaryPath,
    # The module's .nupkg (build.ps1 package), for the installation tests.
    [string] $PackagePath,
    # The NuGet package folder the build restored into, for the dependency isolation test.
    [string] $NuGetPackagesPath,
    # Which test files or folders; all of tests/pester by default.
    [string[]] $TestPath = @($PSScriptRoot)
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterPath
# The test files find what they test in the environment (TestHelpers.ps1).
$env:ALIPAYBPTB_MODULE = $ModulePath
if ($PackagePath) { $env:ALIPAYBPTB_PACKAGE = $PackagePath }
if ($NuGetPackagesPath) { $env:ALIPAYBPTB_NUGET_PACKAGES = $NuGetPackagesPath }

$config = New-PesterConfiguration
$config.Run.Path = $TestPath
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputPath = $ResultPath
$r = Invoke-Pester -Configuration $config
@{ Passed = $r.PassedCount; Failed = $r.FailedCount + $r.FailedBlocksCount + $r.FailedContainersCount } | ConvertTo-Json | Set-Content $SummaryPath
