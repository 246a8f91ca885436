# A throwaway PostgreSQL server for the Pester tests, dot-sourced: the same script as the xunit fixture
# (tests/postgres/throwaway-cluster.sh): Debian's binaries, a fresh cluster in the temp folder on 127.0.0.1 and a
# free port, run as an unprivileged user, deleted by Stop-TestPostgres (and by the script's watchdog when this
# pwsh is killed).
#
#   BeforeDiscovery/BeforeAll { . (Join-Path $PSScriptRoot 'Postgres.ps1') }
#   BeforeAll { $skip = Get-TestPostgresSkipReason; if (-not $skip) { $pg = Start-TestPostgres } }
#   It '...' { if ($skip) { Set-ItResult -Skipped -Because $skip; return }; Invoke-TestPsql $pg 'SELECT 1' }
#   AfterAll { if ($pg) { Stop-TestPostgres $pg } }

$script:ThrowawayClusterScript = Join-Path $PSScriptRoot '../postgres/throwaway-cluster.sh'

function Invoke-ThrowawayCluster {
    param([Parameter(Mandatory)][string[]] $Arguments)
    $errorFile = [IO.Path]::GetTempFileName()
    try {
        $output = & bash $script:ThrowawayClusterScript @Arguments 2>$errorFile
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = @($output); Error = (Get-Content -Raw $errorFile) }
    } finally {
        Remove-Item $errorFile -ErrorAction SilentlyContinue
    }
}

# Why the PostgreSQL tests cannot run here (the reason to skip them with), or $null. Under CI (CI=true) always
# $null: a missing server must fail the tests there, not skip them.
function Get-TestPostgresSkipReason {
    if ($env:CI -eq 'true') { return $null }
    if (-not $IsLinux) { return 'PostgreSQL is not available here: the tests start Debian''s PostgreSQL server, on Linux only.' }
    $r = Invoke-ThrowawayCluster 'check'
    if ($r.ExitCode -eq 0) { return $null }
    "PostgreSQL is not available here: $("$($r.Error)".Trim())"
}

# Starts a cluster owned by this process. Returns Directory, Host, Port, Username, Password, Database, Url (no
# password), ConnectionString (Npgsql's form), Psql (Debian's psql of the server's version), Log, Seconds.
function Start-TestPostgres {
    $r = Invoke-ThrowawayCluster 'start', $PID
    if ($r.ExitCode -ne 0) { throw "The throwaway PostgreSQL cluster did not start (exit code $($r.ExitCode)): $("$($r.Error)".Trim())" }
    $info = @{}
    foreach ($line in $r.Output) {
        $i = "$line".IndexOf('=')
        if ($i -gt 0) { $info["$line".Substring(0, $i)] = "$line".Substring($i + 1) }
    }
    [pscustomobject]@{
        PSTypeName       = 'AlipayBptb.TestPostgres'
        Directory        = $info.dir
        Host             = $info.host
        Port             = [int]$info.port
        Username         = $info.user
        Password         = $info.password
        Database         = $info.database
        Url              = "postgresql://$($info.user)@$($info.host):$($info.port)/$($info.database)"
        ConnectionString = "Host=$($info.host);Port=$($info.port);Username=$($info.user);Password=$($info.password);Database=$($info.database)"
        Psql             = $info.psql
        Log              = $info.log
        Seconds          = [double]::Parse($info.seconds, [cultureinfo]::InvariantCulture)
    }
}

# Stops the server and deletes the cluster's folder.
function Stop-TestPostgres {
    param([Parameter(Mandatory, ValueFromPipeline)] $Postgres)
    process {
        $r = Invoke-ThrowawayCluster 'destroy', $Postgres.Directory
        if ($r.ExitCode -ne 0) { throw "The throwaway PostgreSQL cluster could not be removed: $("$($r.Error)".Trim())" }
    }
}

# Restarts the server in place (same port, same data): -Mode fast ends the sessions cleanly, immediate is a crash.
# -StopOnly leaves it stopped until Start-TestPostgresServer.
function Restart-TestPostgres {
    param([Parameter(Mandatory)] $Postgres, [ValidateSet('fast', 'immediate', 'smart')][string] $Mode = 'fast', [switch] $StopOnly)
    $r = Invoke-ThrowawayCluster ($(if ($StopOnly) { 'stop-server' } else { 'restart' }), $Postgres.Directory, $Mode)
    if ($r.ExitCode -ne 0) { throw "The PostgreSQL server did not restart: $("$($r.Error)".Trim())" }
}

function Start-TestPostgresServer {
    param([Parameter(Mandatory)] $Postgres)
    $r = Invoke-ThrowawayCluster 'start-server', $Postgres.Directory
    if ($r.ExitCode -ne 0) { throw "The PostgreSQL server did not start: $("$($r.Error)".Trim())" }
}

# Runs SQL with Debian's psql as the test role (the password through PGPASSWORD, never on the command line);
# returns the rows unaligned, '|' between the columns. Throws on an SQL error.
function Invoke-TestPsql {
    param([Parameter(Mandatory)] $Postgres, [Parameter(Mandatory)][string] $Sql, [string] $Database)
    $saved = $env:PGPASSWORD
    $env:PGPASSWORD = $Postgres.Password
    try {
        $rows = & $Postgres.Psql -X -A -t -q -v ON_ERROR_STOP=1 -h $Postgres.Host -p $Postgres.Port -U $Postgres.Username `
            -d $(if ($Database) { $Database } else { $Postgres.Database }) -c $Sql 2>&1
        if ($LASTEXITCODE -ne 0) { throw "psql failed (exit code $LASTEXITCODE): $($rows -join "`n")" }
        $rows | ForEach-Object { "$_" }
    } finally {
        $env:PGPASSWORD = $saved
    }
}
