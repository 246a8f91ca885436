#requires -Modules Pester
# The ledger on PostgreSQL through the cmdlets: a real server (tests/postgres/throwaway-cluster.sh), several processes,
# a killed process and a restarted server. Skipped with the reason where PostgreSQL is not installed (never under CI).

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Postgres.ps1')
    $script:pgSkip = Get-TestPostgresSkipReason
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    . (Join-Path $PSScriptRoot 'Postgres.ps1')
    Import-Module $ModulePath -Force
    $plainKey = 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4'
    $key = ConvertTo-SecureString $plainKey -AsPlainText -Force
    if (-not (Get-TestPostgresSkipReason)) {
        $pg = Start-TestPostgres
        $cred = [pscredential]::new($pg.Username, (ConvertTo-SecureString $pg.Password -AsPlainText -Force))
    }
    function New-TestDatabase([string] $Name) {
        Invoke-TestPsql $pg "CREATE DATABASE $Name OWNER $($pg.Username);" -Database postgres | Out-Null
        "postgresql://$($pg.Username)@$($pg.Host):$($pg.Port)/$Name"
    }
}

AfterAll {
    if ($pg) { $pg | Stop-TestPostgres }
}

Describe 'A ledger on PostgreSQL' -Skip:([bool]$pgSkip) {
    It 'registers each notification once, reports batches, and reruns add nothing' {
        $url = New-TestDatabase 'basic'
        $log = Join-Path $TestDrive 'basic.log'
        New-NotificationLog -Path $log -Count 2000
        $first = Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $url -LedgerCredential $cred
        @($first | Where-Object IsNewEvent).Count | Should -Be 2000
        $again = Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $url -LedgerCredential $cred
        @($again | Where-Object IsNewEvent).Count | Should -Be 0
        @($again | Where-Object IsDuplicate).Count | Should -Be 2000
        @(Get-BptbBatchStatus -Ledger $url -LedgerCredential $cred).Count | Should -Be 2000
    }

    It 'takes the password from PGPASSWORD when no credential is given, and never shows it' {
        $url = New-TestDatabase 'envpw'
        $log = Join-Path $TestDrive 'env.log'
        New-NotificationLog -Path $log -Count 10
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
`$env:PGPASSWORD = '$($pg.Password)'
`$k = ConvertTo-SecureString '$plainKey' -AsPlainText -Force
@(Test-BptbNotification -Path '$log' -Key `$k | Register-BptbNotification -Ledger '$url' -Verbose 4>&1 | Where-Object IsNewEvent).Count
`$env:PGPASSWORD = 'wrong-password-x'
try { Get-BptbBatchStatus -Ledger '$url' -ErrorAction Stop } catch { 'error=' + `$_.FullyQualifiedErrorId + ' ' + `$_.Exception.Message }
"@
        ($r.Output -join "`n") | Should -Match '(?m)^10\s*$'
        ($r.Output -join "`n") | Should -Match 'error=LedgerUnavailable'
        ($r.Output -join "`n") | Should -Not -Match ([regex]::Escape($pg.Password))
        ($r.Output -join "`n") | Should -Not -Match 'wrong-password-x'
    }

    It 'refuses a password written into -Ledger, without repeating it' {
        { Get-BptbBatchStatus -Ledger "postgresql://$($pg.Username):hunter2-secret@$($pg.Host):$($pg.Port)/x" -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidLedger*'
        try { Get-BptbBatchStatus -Ledger "Host=$($pg.Host);Password=hunter2-secret" -ErrorAction Stop } catch { $_.Exception.Message | Should -Not -Match 'hunter2' }
    }

    It 'keeps each notification new exactly once when four processes register the same 100,000 (20% duplicates) at once' {
        $url = New-TestDatabase 'four'
        $distinct = Join-Path $TestDrive 'distinct.log'
        $log = Join-Path $TestDrive 'four.log'
        New-NotificationLog -Path $distinct -Count 80000
        $lines = [IO.File]::ReadAllLines($distinct)
        [IO.File]::WriteAllLines($log, [string[]]($lines + $lines[0..19999]))
        $script = {
            param($module, $log, $url, $k, $user, $password)
            Import-Module $module
            $key = ConvertTo-SecureString $k -AsPlainText -Force
            $c = [pscredential]::new($user, (ConvertTo-SecureString $password -AsPlainText -Force))
            $r = Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $url -LedgerCredential $c
            "registered=$($r.Count) new=$(@($r | Where-Object IsNewEvent).Count)"
        }
        $jobs = 1..4 | ForEach-Object { Start-Job -ScriptBlock $script -ArgumentList $ModulePath, $log, $url, $plainKey, $pg.Username, $pg.Password }
        $out = $jobs | Wait-Job -Timeout 400 | Receive-Job
        $jobs | Remove-Job -Force
        $out.Count | Should -Be 4 -Because ($out -join '; ')
        (($out | ForEach-Object { [int]($_ -replace '.*registered=(\d+).*', '$1') }) | Measure-Object -Sum).Sum | Should -Be 400000
        (($out | ForEach-Object { [int]($_ -replace '.*new=(\d+).*', '$1') }) | Measure-Object -Sum).Sum | Should -Be 80000
        @(Get-BptbBatchStatus -Ledger $url -LedgerCredential $cred).Count | Should -Be 80000
    }

    # SIGKILL and a server crash: POSIX only, as the SQLite test.
    It 'loses and doubles nothing when the registering process is killed and the server crashes mid-run' -Skip:(-not $IsLinux) {
        $url = New-TestDatabase 'crash'
        $log = Join-Path $TestDrive 'crash.log'
        New-NotificationLog -Path $log -Count 100000
        $exe = [Environment]::ProcessPath
        [string[]] $prefix = if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { @(Join-Path $PSHOME 'pwsh.dll') } else { @() }
        $acted = Join-Path $TestDrive 'acted.txt'
        # The action appends each notify id to a file, flushed at once: what was acted on survives the kill.
        $command = "Import-Module '$ModulePath'; `$env:PGPASSWORD = '$($pg.Password)'; `$k = ConvertTo-SecureString '$plainKey' -AsPlainText -Force; " +
            "`$w = [IO.StreamWriter]::new('$acted', `$true); `$w.AutoFlush = `$true; " +
            "try { Test-BptbNotification -Path '$log' -Key `$k | Register-BptbNotification -Ledger '$url' | Where-Object IsNewEvent | ForEach-Object { `$w.WriteLine(`$_.NotifyId) } } finally { `$w.Dispose() }"
        $p = Start-Process $exe -ArgumentList ($prefix + @('-NoProfile', '-NonInteractive', '-Command', $command)) -PassThru
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (-not (Test-Path $acted) -or (Get-Item $acted).Length -lt 60000) {
            if ($p.HasExited -or [DateTime]::UtcNow -gt $deadline) { break }
            Start-Sleep -Milliseconds 100
        }
        Restart-TestPostgres $pg -Mode immediate        # the server crashes and comes back under the run
        Start-Sleep -Milliseconds 300
        if (-not $p.HasExited) { & kill -KILL $p.Id }   # then the run itself is killed
        $p.WaitForExit()
        # The rerun acts on whatever the killed run did not get past; a third run acts on nothing.
        & $exe @($prefix + @('-NoProfile', '-NonInteractive', '-Command', $command))
        $ids = @(Get-Content $acted)
        ($ids | Sort-Object -Unique).Count | Should -Be 100000 -Because 'every notification was acted on'
        $before = $ids.Count
        & $exe @($prefix + @('-NoProfile', '-NonInteractive', '-Command', $command))
        @(Get-Content $acted).Count | Should -Be $before -Because 'a third run has nothing new'
        ($ids.Count - 100000) | Should -BeLessOrEqual 20000 -Because 'at most the batches in flight (10,000 results each) are acted on twice'
    }

    It 'moves a ledger from a file to PostgreSQL and back with Copy-BptbLedger, and refuses a target that is not empty' {
        $url = New-TestDatabase 'copied'
        $log = Join-Path $TestDrive 'copy.log'
        New-NotificationLog -Path $log -Count 3000
        $file = Join-Path $TestDrive 'source.db'
        $null = Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $file
        $copy = Copy-BptbLedger -From $file -To $url -ToCredential $cred -Confirm:$false
        $copy.Callbacks | Should -Be 3000
        $status = Get-BptbBatchStatus -Ledger $url -LedgerCredential $cred
        @($status).Count | Should -Be 3000
        # Registering again into the copy finds every notification known: nothing is new.
        @(Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $url -LedgerCredential $cred | Where-Object IsNewEvent).Count | Should -Be 0
        { Copy-BptbLedger -From $file -To $url -ToCredential $cred -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'LedgerNotEmpty*'
        $back = Join-Path $TestDrive 'back.db'
        (Copy-BptbLedger -From $url -FromCredential $cred -To $back -Confirm:$false).Callbacks | Should -Be 3000
        (Get-BptbBatchStatus -Ledger $back | Measure-Object).Count | Should -Be 3000
    }

    It 'guards an upload with a PostgreSQL ledger as with a file' {
        $url = New-TestDatabase 'uploads'
        $gw = Start-BptbMockGateway -Partner 2088002464631181 -Key $key -TimeFactor 0.0005 -Account '123@abc.com'
        try {
            $dir = New-Item -ItemType Directory (Join-Path $TestDrive 'up')
            $file = Copy-Item (Join-Path $PSScriptRoot '../vectors/sample-payment-file-gbk.csv') (Join-Path $dir '20261126-101.csv') -PassThru
            $send = @{ Partner = '2088002464631181'; Key = $key; Gateway = $gw.Url; Ledger = $url; LedgerCredential = $cred; Confirm = $false }
            ($file | Send-BptbPaymentFile @send).State | Should -Be 'Accepted'
            $renamed = Copy-Item $file.FullName (Join-Path $dir '20261126-102.csv') -PassThru
            $err = $null
            $renamed | Send-BptbPaymentFile @send -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'AlreadyUploaded*'
            (Get-BptbBatchStatus -Ledger $url -LedgerCredential $cred).Upload | Should -Be 'Accepted'
        } finally {
            $gw | Stop-BptbMockGateway
        }
    }
}
