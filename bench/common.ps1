# Shared by the *.bench.ps1 scripts (dot-sourced): module import from a private snapshot, machine line.

# Imports a private copy of the built module, so that a rebuild of out/ by someone else while a benchmark
# runs (build.ps1 deletes and rewrites out/AlipayBptb) cannot pull the assemblies from under it. Waits up to
# $WaitSeconds for a module that is being rebuilt right now. Returns the snapshot folder (remove it when done).
function Import-BenchModule([string] $ModulePath, [int] $WaitSeconds = 120) {
    if (-not $ModulePath) { $ModulePath = Join-Path $PSScriptRoot '../out/AlipayBptb' }
    $ModulePath = [IO.Path]::GetFullPath($ModulePath)
    $snapshotRoot = Join-Path ([IO.Path]::GetTempPath()) "alipaybptb-bench-module-$PID"
    $snapshot = Join-Path $snapshotRoot 'AlipayBptb'
    $deadline = [DateTime]::UtcNow.AddSeconds($WaitSeconds)
    while ($true) {
        try {
            $manifest = Join-Path $ModulePath 'AlipayBptb.psd1'
            if (-not (Test-Path $manifest)) { throw "No module manifest in $ModulePath (not built yet, or being rebuilt)." }
            # build.ps1 stamps the version last: an unstamped 0.0.0 manifest means a build is still writing.
            if ((Get-Content -Raw $manifest) -match "ModuleVersion\s*=\s*'0\.0\.0'") { throw "The module in $ModulePath is being built (version not stamped yet)." }
            Remove-Item -Recurse -Force $snapshotRoot -ErrorAction SilentlyContinue
            $null = New-Item -ItemType Directory -Force $snapshotRoot
            Copy-Item -Recurse $ModulePath $snapshot
            Import-Module $snapshot -Force -ErrorAction Stop
            $module = Get-Module AlipayBptb
            Write-Host "Module: AlipayBptb $($module.Version) from $ModulePath (imported from a private copy, $snapshot)"
            return $snapshotRoot
        } catch {
            if ([DateTime]::UtcNow -gt $deadline) { throw "Cannot import the module from ${ModulePath}: $($_.Exception.Message)" }
            Write-Host "Module not importable yet ($($_.Exception.Message)); retrying in 10 s..."
            Start-Sleep -Seconds 10
        }
    }
}

function Get-BenchMachineLine {
    $load = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { 'n/a' }
    'Machine: nproc {0}, pwsh {1}, .NET {2}, {3}, load average {4}' -f [Environment]::ProcessorCount, $PSVersionTable.PSVersion,
        [Environment]::Version, [Runtime.InteropServices.RuntimeInformation]::OSDescription, $load
}

# The median of a set of timings (the mean of the middle two for an even count).
function Get-Median([double[]] $v) { $s = $v | Sort-Object; if ($s.Count % 2) { $s[[int][Math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 } }

# How to start a fresh pwsh like this one: the executable, and the arguments before the script's own (pwsh.dll when
# this pwsh runs as 'dotnet pwsh.dll', the dotnet tool). Splat it: $exe, $prefix = Get-FreshPwsh; & $exe @prefix ...
function Get-FreshPwsh {
    $exe = [Environment]::ProcessPath
    [string[]] $prefix = if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { @(Join-Path $PSHOME 'pwsh.dll') } else { @() }
    $exe
    , $prefix # one object, even when empty
}
