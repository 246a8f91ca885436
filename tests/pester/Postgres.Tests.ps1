#requires -Modules Pester
# The throwaway PostgreSQL cluster from Pester (tests/pester/Postgres.ps1), the ground the ledger's PostgreSQL
# tests of issue 12 will stand on: started, queried with Debian's psql, restarted in place, stopped and deleted,
# and removed by its watchdog when the process that started it is killed. Skipped, with the reason, on a machine
# without PostgreSQL (tools/setup.sh installs it); never under CI.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Postgres.ps1')
    $skip = Get-TestPostgresSkipReason
    if (-not $skip) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $pg = Start-TestPostgres
        Write-Host "PostgreSQL cluster $($pg.Directory) on $($pg.Host):$($pg.Port), started in $([int]$sw.ElapsedMilliseconds) ms"
    }
}

AfterAll {
    if ($pg) { Stop-TestPostgres $pg }
}

Describe 'A throwaway PostgreSQL cluster' {
    It 'runs as an unprivileged user on 127.0.0.1 only, and answers psql as the test role with its password' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        Invoke-TestPsql $pg "SELECT current_user, current_database(), current_setting('listen_addresses')" | Should -Be 'bptb|bptb|127.0.0.1'
        $postmaster = (Get-Content (Join-Path $pg.Directory 'data/postmaster.pid') -TotalCount 1).Trim()
        (& ps -o uid= -p $postmaster).Trim() | Should -Not -Be '0'
        Test-Path (Join-Path $pg.Directory "socket/.s.PGSQL.$($pg.Port)") | Should -BeTrue
        $pg.Url | Should -Not -Match $pg.Password
    }

    It 'restarts in place (fast, then a crash), keeping what was committed' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        Invoke-TestPsql $pg 'CREATE TABLE events (id text PRIMARY KEY); INSERT INTO events SELECT ''n'' || g FROM generate_series(1, 100) g'
        $sw = [Diagnostics.Stopwatch]::StartNew()
        Restart-TestPostgres $pg
        Write-Host "restart (fast): $([int]$sw.ElapsedMilliseconds) ms"
        Invoke-TestPsql $pg 'INSERT INTO events SELECT ''n'' || g FROM generate_series(51, 150) g ON CONFLICT DO NOTHING; SELECT count(*) FROM events' | Should -Be '150'
        Restart-TestPostgres $pg -Mode immediate -StopOnly
        { Invoke-TestPsql $pg 'SELECT 1' } | Should -Throw '*psql failed*'
        Start-TestPostgresServer $pg
        Invoke-TestPsql $pg 'SELECT count(*) FROM events' | Should -Be '150'
    }

    It 'stops the server and deletes its folder' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        $sw = [Diagnostics.Stopwatch]::StartNew()
        Stop-TestPostgres $pg
        Write-Host "stop and delete: $([int]$sw.ElapsedMilliseconds) ms"
        Test-Path $pg.Directory | Should -BeFalse
        { Invoke-TestPsql $pg 'SELECT 1' } | Should -Throw '*psql failed*'
        $script:pg = $null
    }

    It 'is removed by its watchdog when the process that started it is killed' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        $owner = Start-Process sleep -ArgumentList 60 -PassThru
        try {
            $r = Invoke-ThrowawayCluster 'start', $owner.Id
            $r.ExitCode | Should -Be 0 -Because $r.Error
            $dir = ($r.Output | Where-Object { $_ -like 'dir=*' }) -replace '^dir=', ''
            $postmaster = (Get-Content (Join-Path $dir 'data/postmaster.pid') -TotalCount 1).Trim()
            Stop-Process -Id $owner.Id -Force
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while ((Test-Path $dir) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            Test-Path $dir | Should -BeFalse
            # The server is gone too: no process (or a zombie that this machine's init has not reaped yet), no listener.
            $port = [int](($r.Output | Where-Object { $_ -like 'port=*' }) -replace '^port=', '')
            $deadline = [DateTime]::UtcNow.AddSeconds(5)
            do {
                $state = if (Test-Path "/proc/$postmaster/stat") { ((Get-Content "/proc/$postmaster/stat" -Raw) -replace '^.*\) ', '').Substring(0, 1) }
                if (-not $state -or $state -eq 'Z') { break }
                Start-Sleep -Milliseconds 100
            } while ([DateTime]::UtcNow -lt $deadline)
            @('', 'Z') | Should -Contain "$state"
            $client = [Net.Sockets.TcpClient]::new()
            try { { $client.Connect([Net.IPAddress]::Loopback, $port) } | Should -Throw } finally { $client.Dispose() }
        } finally {
            if (-not $owner.HasExited) { Stop-Process -Id $owner.Id -Force }
            if ($dir -and (Test-Path $dir)) { $null = Invoke-ThrowawayCluster 'destroy', $dir }
        }
    }
}
