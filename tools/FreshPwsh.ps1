# Starting a fresh pwsh, the same PowerShell as the one running this: build.ps1 builds the help and runs the
# Pester suite, the demo and the benchmarks in one; the Pester tests run their child sessions in one. Dot-source it.

# The command line that starts it: pwsh itself, or dotnet and pwsh.dll when PowerShell runs as a dotnet tool.
function Get-FreshPwshCommand {
    $exe = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { return @($exe, (Join-Path $PSHOME 'pwsh.dll')) }
    @($exe)
}

# Runs a script file with its arguments in a fresh pwsh, its output to the host; its exit code is in $LASTEXITCODE.
function Invoke-FreshPwshFile {
    param([Parameter(Mandatory)][string] $Path, [string[]] $ArgumentList = @())
    $command = Get-FreshPwshCommand
    & $command[0] @($command | Select-Object -Skip 1) -NoProfile -NonInteractive -File $Path @ArgumentList | Out-Host
}

# Runs a script in a fresh pwsh, with extra environment variables; returns its exit code and everything it wrote.
function Invoke-FreshPwsh {
    param([Parameter(Mandatory)][string] $Script, [hashtable] $Environment = @{}, [int] $TimeoutSec = 300)
    $command = Get-FreshPwshCommand
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script))
    $psi = [Diagnostics.ProcessStartInfo]::new($command[0])
    foreach ($a in @($command | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-OutputFormat', 'Text', '-EncodedCommand', $encoded)) { $psi.ArgumentList.Add($a) }
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
