# Shared by the Pester files: where the built module is, and a fresh pwsh to run things in.

$script:ModulePath = if ($env:ALIPAYBPTB_MODULE) { $env:ALIPAYBPTB_MODULE } else { Join-Path $PSScriptRoot '../../out/AlipayBptb' }

# Runs a script in a new pwsh (the same PowerShell as this one), with extra environment variables;
# returns its exit code and everything it wrote.
function Invoke-FreshPwsh {
    param([Parameter(Mandatory)][string] $Script, [hashtable] $Environment = @{}, [int] $TimeoutSec = 300)
    $exe = [Environment]::ProcessPath
    [string[]] $prefix = if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { @(Join-Path $PSHOME 'pwsh.dll') } else { @() }
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script))
    $psi = [Diagnostics.ProcessStartInfo]::new($exe)
    foreach ($a in $prefix + @('-NoProfile', '-NonInteractive', '-OutputFormat', 'Text', '-EncodedCommand', $encoded)) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.Environment['NO_COLOR'] = '1'
    foreach ($k in $Environment.Keys) { $psi.Environment[$k] = $Environment[$k] }
    $p = [Diagnostics.Process]::Start($psi)
    $stdout = $p.StandardOutput.ReadToEndAsync()
    $stderr = $p.StandardError.ReadToEndAsync()
    if (-not $p.WaitForExit($TimeoutSec * 1000)) { $p.Kill($true); throw "The child pwsh ran longer than $TimeoutSec s." }
    [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $stdout.Result + $stderr.Result }
}
