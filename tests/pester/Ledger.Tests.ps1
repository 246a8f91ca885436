#requires -Modules Pester
# Scheduled reconciliation: reading logs at scale, the idempotency ledger, batch status.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePath -Force
    $plainKey = 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4'
    $key = ConvertTo-SecureString $plainKey -AsPlainText -Force
    function Get-IntegrityCheck([string] $Db) {
        (python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])" $Db).Trim()
    }
    function Get-RowCount([string] $Db) {
        [int](python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM callback').fetchone()[0])" $Db)
    }
}

Describe 'Test-BptbNotification -Path' {
    BeforeAll {
        $dir = Join-Path $TestDrive 'logs'
        $null = New-Item -ItemType Directory $dir
        New-NotificationLog -Path (Join-Path $dir 'a.log') -Start 1 -Count 50
        New-NotificationLog -Path (Join-Path $dir 'b.log') -Start 51 -Count 50
        New-NotificationLog -Path (Join-Path $TestDrive 'c.log') -Start 101 -Count 30
        $bytes = [IO.File]::ReadAllBytes((Join-Path $TestDrive 'c.log'))
        $gz = [IO.File]::Create((Join-Path $dir 'c.log.gz'))
        $zip = [IO.Compression.GZipStream]::new($gz, [IO.Compression.CompressionMode]::Compress)
        $zip.Write($bytes, 0, $bytes.Length); $zip.Dispose(); $gz.Dispose()
    }

    It 'reads wildcards and .gz files, each result with its source and line' {
        $results = Test-BptbNotification -Path (Join-Path $dir '*') -Key $key
        $results.Count | Should -Be 130
        ($results | Where-Object IsValid).Count | Should -Be 130
        $first = $results | Where-Object { $_.Source -like '*a.log' } | Select-Object -First 1
        $first.LineNumber | Should -Be 1
        ($results | Where-Object { $_.Source -like '*c.log.gz' }).Count | Should -Be 30
        ($results | Where-Object { $_.Source -like '*c.log.gz' } | Select-Object -Last 1).LineNumber | Should -Be 30
    }

    It 'takes the files Get-ChildItem found as -LiteralPath' {
        (Test-BptbNotification -LiteralPath (Get-ChildItem $dir -Filter *.log).FullName -Key $key -Quiet | Where-Object { $_ }).Count | Should -Be 100
    }

    It 'gives one error or one invalid result per bad line, and every good line its result' {
        $log = Join-Path $TestDrive 'bad.log'
        New-NotificationLog -Path $log -Start 1 -Count 20
        $lines = [Collections.Generic.List[string]](Get-Content $log)
        $lines.Insert(3, "`u{0}`u{1}`u{2}garbage`u{7f}")                 # binary garbage
        $lines.Insert(7, $lines[7].Substring(0, 60))                         # a truncated line (no sign)
        $lines.Insert(11, $lines[11].Replace('batch-', 'forged-'))           # a forged line
        $lines.Insert(15, '')                                                # an empty line
        [IO.File]::WriteAllLines($log, $lines)
        $results = Test-BptbNotification -Path $log -Key $key -ErrorVariable err -ErrorAction SilentlyContinue
        ($results | Where-Object IsValid).Count | Should -Be 20
        ($results | Where-Object { -not $_.IsValid }).Count | Should -Be 2
        $err.Count | Should -Be 2
        $err[0].Exception.Message | Should -Match ([regex]::Escape("${log}:4"))
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InputUnreadable,*'
        ($results | Where-Object { -not $_.IsValid }).LineNumber | Should -Be @(8, 12)
    }

    It 'names a missing log' {
        Test-BptbNotification -Path (Join-Path $TestDrive 'nope.log') -Key $key -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'LogNotFound,*'
    }

    It 'reports a truncated .gz log after the lines it could read, down to one missing only its trailer' {
        $log = Join-Path $TestDrive 'cut.log'
        New-NotificationLog -Path $log -Start 1 -Count 1000
        $gzip = Get-Command gzip -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if ($gzip) {
            & $gzip.Source -k -n -f $log   # the real tool where there is one
        } else {
            $bytes = [IO.File]::ReadAllBytes($log)
            $file = [IO.File]::Create("$log.gz")
            $zip = [IO.Compression.GZipStream]::new($file, [IO.Compression.CompressionMode]::Compress)
            $zip.Write($bytes, 0, $bytes.Length); $zip.Dispose(); $file.Dispose()
        }
        $whole = [IO.File]::ReadAllBytes("$log.gz")
        (Test-BptbNotification -Path "$log.gz" -Key $key -Quiet -ErrorVariable err | Where-Object { $_ }).Count | Should -Be 1000
        $err.Count | Should -Be 0

        foreach ($cut in @([int]($whole.Length / 2), ($whole.Length - 8), ($whole.Length - 1))) {
            $cutLog = Join-Path $TestDrive "cut$cut.log.gz"
            [IO.File]::WriteAllBytes($cutLog, [byte[]]$whole[0..($cut - 1)])
            $results = Test-BptbNotification -Path $cutLog -Key $key -ErrorVariable err -ErrorAction SilentlyContinue
            ($results | Where-Object IsValid).Count | Should -Be $results.Count
            $results.LineNumber | Should -Be (1..$results.Count)
            if ($cut -ge $whole.Length - 8) { $results.Count | Should -Be 1000 } else { $results.Count | Should -BeLessThan 1000 }
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'LogTruncated,*'
            $err[0].CategoryInfo.Category | Should -Be 'ReadError'
            $err[0].Exception.Message | Should -BeLike "*$cutLog*truncated*"
        }
    }

    It 'leaves a last line without a newline for the next run, with a warning; a .gz log''s last line is read' {
        $log = Join-Path $TestDrive 'growing.log'
        New-NotificationLog -Path $log -Start 1 -Count 5
        $lines = [IO.File]::ReadAllLines($log)
        [IO.File]::WriteAllText($log, (($lines[0..3] | ForEach-Object { "$_`n" }) -join '') + $lines[4])
        $results = Test-BptbNotification -Path $log -Key $key -ErrorVariable err -WarningVariable warn -WarningAction SilentlyContinue
        $results.LineNumber | Should -Be @(1, 2, 3, 4)
        $err.Count | Should -Be 0
        $warn.Count | Should -Be 1
        $warn[0].Message | Should -BeLike "${log}:5: the last line has no newline yet*left for the next run*"

        $bytes = [IO.File]::ReadAllBytes($log)
        $file = [IO.File]::Create("$log.gz")
        $zip = [IO.Compression.GZipStream]::new($file, [IO.Compression.CompressionMode]::Compress)
        $zip.Write($bytes, 0, $bytes.Length); $zip.Dispose(); $file.Dispose()
        (Test-BptbNotification -Path "$log.gz" -Key $key -WarningVariable warn | Where-Object IsValid).Count | Should -Be 5
        $warn.Count | Should -Be 0

        # The writer finishes the line: the next run reads it.
        [IO.File]::AppendAllText($log, "`n")
        (Test-BptbNotification -Path $log -Key $key -WarningVariable warn | Where-Object IsValid).Count | Should -Be 5
        $warn.Count | Should -Be 0
    }

    It 'counts lines as grep -n does: a lone CR is no line break, CRLF is one' {
        $log = Join-Path $TestDrive 'cr.log'
        New-NotificationLog -Path $log -Start 1 -Count 3
        $lines = [IO.File]::ReadAllLines($log)
        [IO.File]::WriteAllText($log, "$($lines[0])`ngarbage`rmore`n$($lines[1])`r`n$($lines[2])`n")
        $results = Test-BptbNotification -Path $log -Key $key -ErrorVariable err -ErrorAction SilentlyContinue
        ($results | Where-Object IsValid).LineNumber | Should -Be @(1, 3, 4)
        $results.Count | Should -Be 3
        $err.Count | Should -Be 1
        $err[0].Exception.Message | Should -BeLike "${log}:2: *"
        if (Get-Command grep -CommandType Application -ErrorAction SilentlyContinue) {
            (grep -n 'notify_id=n0000000003' $log) | Should -BeLike '4:*'
        }
    }

    It 'reads a 300 MB line as one error, in bounded memory, and goes on with the lines after it' {
        $log = Join-Path $TestDrive 'huge.log'
        New-NotificationLog -Path $log -Start 1 -Count 3
        $lines = [IO.File]::ReadAllLines($log)
        $hugeLength = 300MB
        $file = [IO.File]::Create($log)
        try {
            $utf8 = [Text.UTF8Encoding]::new($false)
            $head = $utf8.GetBytes("$($lines[0])`n")
            $file.Write($head, 0, $head.Length)
            $chunk = [byte[]]::new(1MB)
            [Array]::Fill($chunk, [byte][char]'x')
            for ($i = 0; $i -lt $hugeLength / 1MB; $i++) { $file.Write($chunk, 0, $chunk.Length) }
            $tail = $utf8.GetBytes("`n$($lines[1])`n$($lines[2])`n")
            $file.Write($tail, 0, $tail.Length)
        } finally { $file.Dispose() }

        # In a fresh process, so that its peak working set is this read's alone.
        $run = Invoke-FreshPwsh -TimeoutSec 120 -Script @"
Import-Module '$ModulePath'
`$key = ConvertTo-SecureString '$plainKey' -AsPlainText -Force
`$clock = [Diagnostics.Stopwatch]::StartNew()
`$results = Test-BptbNotification -LiteralPath '$log' -Key `$key -ErrorVariable err -ErrorAction SilentlyContinue -ProgressAction SilentlyContinue
`$seconds = `$clock.Elapsed.TotalSeconds
[pscustomobject]@{
    Lines = @(`$results.LineNumber); Valid = @(`$results | Where-Object IsValid).Count
    Errors = @(`$err | ForEach-Object { `$_.FullyQualifiedErrorId + ' ' + `$_.Exception.Message })
    PeakMB = [int]((Get-Process -Id `$PID).PeakWorkingSet64 / 1MB); Seconds = `$seconds
} | ConvertTo-Json -Compress
"@
        $run.ExitCode | Should -Be 0 -Because $run.Output
        $r = ($run.Output -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1) | ConvertFrom-Json
        $r.Lines | Should -Be @(1, 3, 4)
        $r.Valid | Should -Be 3
        $r.Errors.Count | Should -Be 1
        $r.Errors[0] | Should -BeLike "InputUnreadable,* ${log}:2: *the line is $hugeLength bytes long; a notification or return is at most 65536 characters*"
        # StreamReader.ReadLine held the whole line: 2.4 GB. Now: the module and one 512 KB buffer.
        $r.PeakMB | Should -BeLessThan 400
        $r.Seconds | Should -BeLessThan 30
    }

    It 'skips directories a wildcard matches and reads the files; a directory named outright is an error' {
        $mixed = Join-Path $TestDrive 'mixed'
        $null = New-Item -ItemType Directory (Join-Path $mixed 'archive.log')
        New-NotificationLog -Path (Join-Path $mixed 'a.log') -Start 1 -Count 10
        New-NotificationLog -Path (Join-Path $mixed 'b.log') -Start 11 -Count 10
        $all = Test-BptbNotification -Path (Join-Path $mixed '*.log') -Key $key -ErrorVariable err -Verbose 4>&1
        $verbose = @($all | Where-Object { $_ -is [Management.Automation.VerboseRecord] })
        @($all | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] -and $_.IsValid }).Count | Should -Be 20
        $err.Count | Should -Be 0
        @($verbose | Where-Object Message -Like "Skipping the directory '*archive.log'*").Count | Should -Be 1
        $none = Test-BptbNotification -Path (Join-Path $mixed '*.none') -Key $key -ErrorVariable err -Verbose 4>&1
        $err.Count | Should -Be 0
        @($none | Where-Object Message -Like "'*.none' matches no file.").Count | Should -Be 1

        foreach ($named in @{ LiteralPath = (Join-Path $mixed 'archive.log') }, @{ Path = (Join-Path $mixed 'archive.log') }) {
            $results = Test-BptbNotification @named -Key $key -ErrorVariable err -ErrorAction SilentlyContinue
            $results | Should -BeNullOrEmpty
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'LogIsDirectory,*'
            $err[0].Exception.Message | Should -BeLike "*archive.log' is a directory*"
        }
        # One bad name costs only its own error.
        $results = Test-BptbNotification -LiteralPath (Join-Path $mixed 'archive.log'), (Join-Path $mixed 'a.log') -Key $key -ErrorVariable err -ErrorAction SilentlyContinue
        @($results | Where-Object IsValid).Count | Should -Be 10
        $err.Count | Should -Be 1
    }

    It 'gives a non-terminating error for a drive that does not exist and for a path outside the file system' {
        $good = Join-Path $dir 'a.log'
        $results = Test-BptbNotification -Path 'nosuchdrive:\x.log', 'env:PATH', $good -Key $key -ErrorVariable err -ErrorAction SilentlyContinue
        @($results | Where-Object IsValid).Count | Should -Be 50
        $err.Count | Should -Be 2
        $err[0].FullyQualifiedErrorId | Should -BeLike 'LogNotFound,*'
        $err[1].FullyQualifiedErrorId | Should -BeLike 'LogNotInFileSystem,*'
        Test-BptbNotification -LiteralPath 'env:PATH' -Key $key -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'LogNotInFileSystem,*'
    }
}

Describe 'Register-BptbNotification' {
    It 'records each notification once and says what it had seen' {
        $log = Join-Path $TestDrive 'once.log'
        New-NotificationLog -Path $log -Count 100
        $db = Join-Path $TestDrive 'once.db'
        $first = Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db
        ($first | Where-Object IsDuplicate).Count | Should -Be 0
        $again = Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db
        ($again | Where-Object IsDuplicate).Count | Should -Be 100
        $again[0].FirstSeen | Should -Be $first[0].FirstSeen
        Get-RowCount $db | Should -Be 100
    }

    It 'copies a ledger file with Copy-BptbLedger, and a copy knows what the original knew' {
        $log = Join-Path $TestDrive 'copy.log'
        New-NotificationLog -Path $log -Count 500
        $from = Join-Path $TestDrive 'copy-from.db'
        $to = Join-Path $TestDrive 'copy-to.db'
        $null = Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $from
        (Copy-BptbLedger -From $from -To $to -Confirm:$false).Callbacks | Should -Be 500
        @(Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $to | Where-Object IsNewEvent).Count | Should -Be 0
        { Copy-BptbLedger -From $from -To $to -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'LedgerNotEmpty*'
        (Copy-BptbLedger -From $from -To $to -Force -Confirm:$false).Callbacks | Should -Be 500
    }

    It 'keeps every notification exactly once when two processes register overlapping halves at once' {
        $all = Join-Path $TestDrive 'all.log'
        $half1 = Join-Path $TestDrive 'half1.log'
        $half2 = Join-Path $TestDrive 'half2.log'
        New-NotificationLog -Path $half1 -Start 1 -Count 60000
        New-NotificationLog -Path $half2 -Start 40001 -Count 60000
        $db = Join-Path $TestDrive 'concurrent.db'
        $script = {
            param($module, $log, $db, $k)
            Import-Module $module
            $key = ConvertTo-SecureString $k -AsPlainText -Force
            $r = Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db
            "registered=$($r.Count) duplicates=$(@($r | Where-Object IsDuplicate).Count)"
        }
        $jobs = foreach ($half in $half1, $half2) {
            Start-Job -ScriptBlock $script -ArgumentList $ModulePath, $half, $db, $plainKey
        }
        $out = $jobs | Wait-Job -Timeout 300 | Receive-Job
        $jobs | Remove-Job -Force
        $out.Count | Should -Be 2
        $registered = $out | ForEach-Object { [int]($_ -replace '.*registered=(\d+).*', '$1') }
        $duplicates = $out | ForEach-Object { [int]($_ -replace '.*duplicates=(\d+).*', '$1') }
        ($registered | Measure-Object -Sum).Sum | Should -Be 120000
        ($duplicates | Measure-Object -Sum).Sum | Should -Be 20000
        Get-RowCount $db | Should -Be 100000
        Get-IntegrityCheck $db | Should -Be 'ok'
    }

    # SIGKILL needs a POSIX kill; on Windows this one test does not apply (Stop-Process is not a SIGKILL).
    It 'survives SIGKILL in the middle of registering: integrity holds and a rerun loses and doubles nothing' -Skip:(-not $IsLinux) {
        $log = Join-Path $TestDrive 'kill.log'
        New-NotificationLog -Path $log -Count 100000
        $db = Join-Path $TestDrive 'kill.db'
        $exe = [Environment]::ProcessPath
        [string[]] $prefix = if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { @(Join-Path $PSHOME 'pwsh.dll') } else { @() }
        $command = "Import-Module '$ModulePath'; `$k = ConvertTo-SecureString '$plainKey' -AsPlainText -Force; Test-BptbNotification -Path '$log' -Key `$k | Register-BptbNotification -Ledger '$db' | Out-Null"
        $p = Start-Process $exe -ArgumentList ($prefix + @('-NoProfile', '-NonInteractive', '-Command', $command)) -PassThru
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (-not (Test-Path "$db-wal") -or (Get-Item "$db-wal").Length -lt 1MB) {
            if ($p.HasExited -or [DateTime]::UtcNow -gt $deadline) { break }
            Start-Sleep -Milliseconds 50
        }
        $p.HasExited | Should -BeFalse -Because 'the kill must land in the middle of the run'
        kill -9 $p.Id
        $p.WaitForExit()
        Get-IntegrityCheck $db | Should -Be 'ok'
        $before = Get-RowCount $db
        $before | Should -BeLessThan 100000
        $rerun = Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db
        # What the killed run claimed but never got past comes again as new (at least once).
        ($rerun | Where-Object IsDuplicate).Count | Should -BeLessOrEqual $before
        Get-RowCount $db | Should -Be 100000
        Get-IntegrityCheck $db | Should -Be 'ok'
    }

    # The promise scripts rely on: every valid notification is acted on at least once, even when the run is
    # killed between the ledger's commit and the action.
    # Like the test above, it needs a POSIX kill -9; Stop-Process on Windows is not a SIGKILL.
    It 'loses no action when the pipeline is killed mid-run: a rerun acts on whatever the killed run did not get past' -Skip:(-not $IsLinux) {
        $log = Join-Path $TestDrive 'act.log'
        New-NotificationLog -Path $log -Count 40000
        $db = Join-Path $TestDrive 'act.db'
        $acted = Join-Path $TestDrive 'acted.txt'
        $exe = [Environment]::ProcessPath
        [string[]] $prefix = if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { @(Join-Path $PSHOME 'pwsh.dll') } else { @() }
        # The action: append the notify id to a file, flushed, one by one.
        $command = "Import-Module '$ModulePath'; `$k = ConvertTo-SecureString '$plainKey' -AsPlainText -Force; `$w = [IO.StreamWriter]::new('$acted', `$true); `$w.AutoFlush = `$true; " +
            "Test-BptbNotification -Path '$log' -Key `$k | Register-BptbNotification -Ledger '$db' | Where-Object IsNewEvent | ForEach-Object { `$w.WriteLine(`$_.NotifyId) }"
        $p = Start-Process $exe -ArgumentList ($prefix + @('-NoProfile', '-NonInteractive', '-Command', $command)) -PassThru
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (-not (Test-Path $acted) -or (Get-Item $acted).Length -lt 180000) {  # 15,000 ids: in the second batch
            if ($p.HasExited -or [DateTime]::UtcNow -gt $deadline) { break }
            Start-Sleep -Milliseconds 20
        }
        $p.HasExited | Should -BeFalse -Because 'the kill must land in the middle of the run'
        kill -9 $p.Id
        $p.WaitForExit()
        $first = @(Get-Content $acted)
        $first.Count | Should -BeLessThan 40000
        $rerun = Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db | Where-Object IsNewEvent
        $all = @($first) + @($rerun.NotifyId) | Sort-Object -Unique
        $all.Count | Should -Be 40000 -Because 'every notification is acted on by one run or the other'
        # At least once, and again for no more than the batch the killed run was in the middle of (10,000 results).
        ($first.Count + @($rerun).Count - 40000) | Should -BeLessOrEqual 10000
        $third = Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db | Where-Object IsNewEvent
        @($third).Count | Should -Be 0 -Because 'a run that got past them marked them handled'
    }

    It 'keeps what a failing action did not get past for the next run' {
        $log = Join-Path $TestDrive 'throw.log'
        New-NotificationLog -Path $log -Count 10
        $db = Join-Path $TestDrive 'throw.db'
        $done = [Collections.Generic.List[string]]::new()
        {
            Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db |
                ForEach-Object { if ($done.Count -eq 4) { throw 'the payment system is down' }; $done.Add($_.NotifyId) }
        } | Should -Throw '*payment system is down*'
        $done.Count | Should -Be 4
        $again = Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db | Where-Object IsNewEvent
        @($again).Count | Should -Be 6
        $again[0].NotifyId | Should -Be 'n0000000005'
    }

    It 'keeps its run alive while results are acted on, so a run on another host never takes them over' {
        # Another host's run counts as dead after 10 minutes without a write. Actions run between the ledger's writes:
        # a slow batch must not fall silent. The beat is made fast here; the ledger is read by python, not by us.
        $log = Join-Path $TestDrive 'beat.log'
        New-NotificationLog -Path $log -Count 3
        $db = Join-Path $TestDrive 'beat.db'
        $field = [AlipayBptb.Cmdlets.RegisterBptbNotificationCommand].GetField('HeartbeatInterval', [Reflection.BindingFlags]'NonPublic,Static')
        $saved = $field.GetValue($null)
        $beats = [Collections.Generic.List[object]]::new()
        function Get-Heartbeat { (python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT MAX(heartbeat) FROM run').fetchone()[0])" $db).Trim() }
        try {
            $field.SetValue($null, [TimeSpan]::FromMilliseconds(200))
            Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db | ForEach-Object {
                $before = Get-Heartbeat
                Start-Sleep -Milliseconds 1500
                $beats.Add([pscustomobject]@{ Before = $before; After = Get-Heartbeat })
            }
        } finally {
            $field.SetValue($null, $saved)
        }
        $beats.Count | Should -Be 3
        foreach ($b in $beats) { [string]::CompareOrdinal($b.After, $b.Before) | Should -BeGreaterThan 0 -Because "the heartbeat moves while an action runs ($($b.Before) -> $($b.After))" }
    }

    It 'keeps the order of its input across the batches it writes behind the pipeline, and a failing action''s remainder for the next run' {
        # 25,000 results: three batches of the ledger's thread. The action throws in the second, by when the third
        # may already be committed (claimed, never emitted): the next run must emit all that was not got past.
        $log = Join-Path $TestDrive 'order.log'
        New-NotificationLog -Path $log -Count 25000
        $db = Join-Path $TestDrive 'order.db'
        $seen = [Collections.Generic.List[string]]::new()
        {
            Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db |
                ForEach-Object { if ($_.NotifyId -eq 'n0000015000') { throw 'the payment system is down' }; $seen.Add($_.NotifyId) }
        } | Should -Throw '*payment system is down*'
        $seen.Count | Should -Be 14999
        $expected = 1..14999 | ForEach-Object { 'n{0:D10}' -f $_ }
        ($seen -join ',') -ceq ($expected -join ',') | Should -BeTrue -Because 'results come out in the order they went in'
        $again = @(Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db)
        $again.Count | Should -Be 25000
        $new = @($again | Where-Object IsNewEvent)
        $new.Count | Should -Be 10001
        $new[0].NotifyId | Should -Be 'n0000015000'
        $new[-1].NotifyId | Should -Be 'n0000025000'
        ($again.NotifyId -join ',') -ceq ((1..25000 | ForEach-Object { 'n{0:D10}' -f $_ }) -join ',') | Should -BeTrue
    }

    It 'gives each batch event once, whichever channel, retry or rerun brought it' {
        $db = Join-Path $TestDrive 'events.db'
        $ok = New-SignedCallback 'file_name=e.csv&is_success=T&partner=2088002464631181&result_code=USER_CONFIRM_SUCC'
        $failed = New-SignedCallback 'file_name=e.csv&is_success=F&partner=2088002464631181&result_code=FILE_NOT_EXIST'
        $processed = New-SignedCallback 'file_name=e.csv&flag=bptb_result_file&notify_id=e1&notify_time=2026-11-26 10:00:00&notify_type=bptb_result_notify&pay_date=20261126'
        $r = $failed, $ok, $processed, $processed, $failed | Test-BptbNotification -Key $key | Register-BptbNotification -Ledger $db
        $r.Event | Should -Be @('ConfirmFailed', 'Confirmed', 'Processed', 'Processed', 'ConfirmFailed')
        $r.IsNewEvent | Should -Be @($true, $true, $true, $false, $false)
        $r.IsDuplicate | Should -Be @($false, $false, $false, $true, $true)
        $again = $ok, $processed | Test-BptbNotification -Key $key | Register-BptbNotification -Ledger $db
        $again.IsNewEvent | Should -Be @($false, $false)
    }

    It 'shows a batch confirmed after an earlier failure as confirmed, whatever the order of registration' {
        $ok = New-SignedCallback 'file_name=p.csv&is_success=T&partner=2088002464631181&result_code=USER_CONFIRM_SUCC'
        $failed = New-SignedCallback 'file_name=p.csv&is_success=F&partner=2088002464631181&result_code=FILE_NOT_EXIST'
        foreach ($order in @(@($failed, $ok), @($ok, $failed), @($failed, $ok, $failed))) {
            $db = Join-Path $TestDrive "order-$([guid]::NewGuid()).db"
            $order | Test-BptbNotification -Key $key | Register-BptbNotification -Ledger $db | Out-Null
            $s = Get-BptbBatchStatus -Ledger $db
            $s.Confirmed | Should -BeTrue
            $s.ResultCode | Should -Be 'USER_CONFIRM_SUCC'
        }
    }

    It 'gives the same counts however often it runs over the same log' {
        $log = Join-Path $TestDrive 'rerun.log'
        New-NotificationLog -Path $log -Count 10
        Add-Content $log ((Get-Content $log -TotalCount 1).Replace('sign=', 'sign=0'))   # one forged line
        $db = Join-Path $TestDrive 'rerun.db'
        $counts = foreach ($i in 1..3) {
            Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db | Out-Null
            $s = Get-BptbBatchStatus -Ledger $db
            '{0}/{1}' -f ($s.Invalid | Measure-Object -Sum).Sum, ($s.Duplicates | Measure-Object -Sum).Sum
        }
        $counts | Should -Be @('1/0', '1/0', '1/0')
    }

    It 'counts bad lines as invalid, and records every good line' {
        $log = Join-Path $TestDrive 'mixed.log'
        New-NotificationLog -Path $log -Count 10
        Add-Content $log ((Get-Content $log -TotalCount 1).Replace('sign=', 'sign=0'))
        $db = Join-Path $TestDrive 'mixed.db'
        $r = Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db
        $r.Count | Should -Be 11
        Get-RowCount $db | Should -Be 10
        (Get-BptbBatchStatus -Ledger $db -FileName 'batch-0000001.csv').Invalid | Should -Be 1
    }
}

Describe 'Get-BptbBatchStatus' {
    It 'shows confirmation, result, balance, verification and counts per file from a real loop' {
        $partner = '2088002464631181'
        $pw = ConvertTo-SecureString 'pay-123456' -AsPlainText -Force
        $gw = Start-BptbMockGateway -Partner $partner -Key $key -PaymentPassword $pw -TimeFactor 0.0005 -Balance 0.05
        try {
            $log = Join-Path $TestDrive 'loop.log'
            # notify_verify is asked by the receiver, before it answers success: afterwards the id has expired.
            $rcv = Start-BptbNotifyReceiver -LogPath $log -Key $key -Partner $partner -Gateway $gw.Url
            $sample = Join-Path $PSScriptRoot '../vectors/sample-payment-file-gbk.csv'
            Add-BptbMockPaymentFile $gw $sample -FileName 'small.csv' -UploadedAt (Get-Date).AddMinutes(-6) | Out-Null
            $big = Join-Path $TestDrive 'big.csv'
            # the sample's two payments of 0.01, made 0.50 each: more than the 0.05 balance
            $text = [Text.Encoding]::GetEncoding(936).GetString([IO.File]::ReadAllBytes($sample)).Replace('0.01,', '0.50,').Replace(',0.02,', ',1.00,')
            [IO.File]::WriteAllBytes($big, [Text.Encoding]::GetEncoding(936).GetBytes($text))
            Add-BptbMockPaymentFile $gw $big -FileName 'big.csv' -UploadedAt (Get-Date).AddMinutes(-6) | Out-Null
            $rcv.FailNext(3)   # the two returns (GET) and at least one notification, which Alipay then sends again
            'small.csv', 'big.csv' | New-BptbConfirmUrl -Partner $partner -Email '123@abc.com' -Key $key -Gateway $gw.Url -ReturnUrl "$($rcv.Url)return" -NotifyUrl "$($rcv.Url)notify" |
                Confirm-BptbMockPayment -PaymentPassword $pw | Out-Null
            $gw.WaitForDeliveries([TimeSpan]::FromSeconds(10)) | Should -BeTrue
            $db = Join-Path $TestDrive 'loop.db'
            $new = Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db |
                Where-Object { $_.IsValid -and $_.Kind -eq 'Notify' -and -not $_.IsDuplicate }
            $new.NotifyVerified | Should -Be @($true, $true) -Because 'the receiver kept Alipay''s answer in the log'
            # Asked later, from the log, notify_verify says false: the ids expired when success was answered (spec 7.2 (12)).
            ($new | Invoke-BptbNotifyVerify -Partner $partner -Gateway $gw.Url).Verified | Should -Be @($false, $false)
            $status = Get-BptbBatchStatus -Ledger $db
            $small = $status | Where-Object FileName -EQ 'small.csv'
            $bigStatus = $status | Where-Object FileName -EQ 'big.csv'
            $small.Confirmed | Should -BeTrue
            $small.ResultCode | Should -Be 'USER_CONFIRM_SUCC'
            $small.ResultNotified | Should -BeTrue
            $small.Waiting | Should -BeFalse
            $small.NotifyVerified | Should -BeTrue
            $bigStatus.BalanceShort | Should -BeTrue
            $bigStatus.Waiting | Should -BeTrue
            ($status.Duplicates | Measure-Object -Sum).Sum | Should -BeGreaterOrEqual 1 -Because 'one notification was delivered twice'
            ($status | Export-Csv -Path (Join-Path $TestDrive 'status.csv') -NoTypeInformation)
            (Import-Csv (Join-Path $TestDrive 'status.csv')).Count | Should -Be 2
        } finally {
            if ($rcv) { $rcv | Stop-BptbNotifyReceiver }
            $gw | Stop-BptbMockGateway
        }
    }
}

Describe 'A ledger that cannot be written' {
    # A read-only medium, really: a tmpfs remounted read-only (Linux and root, as CI runs; root ignores a
    # file's read-only attribute, so nothing less shows that no write is attempted).
    It 'gives its status read-only, and Register-BptbNotification says why it cannot write' -Skip:(-not $IsLinux -or [Environment]::UserName -ne 'root') {
        $mnt = Join-Path $TestDrive 'ro'
        $null = New-Item -ItemType Directory $mnt
        mount -t tmpfs -o size=4m tmpfs $mnt
        try {
            $log = Join-Path $TestDrive 'ro.log'
            New-NotificationLog -Path $log -Count 5
            $db = Join-Path $mnt 'bptb.db'
            Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db | Out-Null
            mount -o remount,ro $mnt
            (Get-BptbBatchStatus -Ledger $db).Count | Should -Be 5
            { Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db } |
                Should -Throw -ErrorId 'LedgerUnavailable,*' -ExpectedMessage '*cannot be opened for writing*'
        } finally {
            Dismount-TestTmpfs $mnt
        }
    }
}

Describe 'A ledger on a full disk' {
    # A real full filesystem: a 1 MiB tmpfs (Linux and root, as CI runs). SQLite rolls the transaction back itself
    # when a write fails; the error must say so, not what a second rollback said.
    It 'says the disk is full, and a rerun with space loses nothing' -Skip:(-not $IsLinux -or [Environment]::UserName -ne 'root') {
        $mnt = Join-Path $TestDrive 'full'
        $null = New-Item -ItemType Directory $mnt
        mount -t tmpfs -o size=1m tmpfs $mnt
        try {
            $log = Join-Path $TestDrive 'full.log'
            New-NotificationLog -Path $log -Count 20000
            $db = Join-Path $mnt 'bptb.db'
            $acted = [Collections.Generic.HashSet[string]]::new()
            { Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db | Where-Object IsNewEvent | ForEach-Object { $null = $acted.Add($_.NotifyId) } } |
                Should -Throw -ErrorId 'LedgerUnavailable,*' -ExpectedMessage '*disk is full*'
            mount -o remount,size=64m $mnt
            Test-BptbNotification -Path $log -Key $key | Register-BptbNotification -Ledger $db | Where-Object IsNewEvent | ForEach-Object { $null = $acted.Add($_.NotifyId) }
            $acted.Count | Should -Be 20000
        } finally {
            Dismount-TestTmpfs $mnt
        }
    }
}

Describe 'The scheduled reconciliation example' {
    It 'runs against a receiver log, twice, and reports each batch once' {
        $partner = '2088002464631181'
        $vectors = Join-Path $PSScriptRoot '../vectors'
        $pw = ConvertTo-SecureString 'pay-123456' -AsPlainText -Force
        $gw = Start-BptbMockGateway -Partner $partner -PublicKeyPath (Join-Path $vectors 'rsa2048.pub.pem') -PaymentPassword $pw -TimeFactor 0.0005
        try {
            $dir = Join-Path $TestDrive 'reconcile'
            $null = New-Item -ItemType Directory $dir
            $pub = Join-Path $dir 'alipay_public.pem'
            Set-Content $pub $gw.AlipayPublicKey
            $rcv = Start-BptbNotifyReceiver -LogPath (Join-Path $dir 'callbacks.log') -PublicKeyPath $pub -Partner $partner -Gateway $gw.Url
            Add-BptbMockPaymentFile $gw (Join-Path $vectors 'sample-payment-file-gbk.csv') -FileName 'r.csv' -UploadedAt (Get-Date).AddMinutes(-6) | Out-Null
            New-BptbConfirmUrl -Partner $partner -Email '123@abc.com' -FileName 'r.csv' -PrivateKeyPath (Join-Path $vectors 'rsa2048.pk8.pem') -Gateway $gw.Url `
                -ReturnUrl "$($rcv.Url)return" -NotifyUrl "$($rcv.Url)notify" | Confirm-BptbMockPayment -PaymentPassword $pw | Out-Null
            $gw.WaitForDeliveries([TimeSpan]::FromSeconds(10)) | Should -BeTrue
            $rcv | Stop-BptbNotifyReceiver
            $example = Join-Path $PSScriptRoot '../../examples/reconcile.ps1'
            $run = "& '$example' -Log '$dir/callbacks.log' -Ledger '$dir/bptb.db' -PublicKeyPath '$pub' -Report '$dir/batches.csv' -Module '$ModulePath'; exit `$LASTEXITCODE"
            $first = Invoke-FreshPwsh $run
            $first.Output | Should -Match 'New events: 2'
            $first.Output | Should -Match 'r\.csv: Confirmed'
            $first.Output | Should -Match 'r\.csv: Processed'
            $first.Output | Should -Match 'Batches: 1'
            $second = Invoke-FreshPwsh $run
            $second.Output | Should -Match 'New events: 0'
            $report = Import-Csv (Join-Path $dir 'batches.csv')
            $report.FileName | Should -Be 'r.csv'
            $report.Confirmed | Should -Be 'True'
            $report.ResultNotified | Should -Be 'True'
        } finally {
            $gw | Stop-BptbMockGateway
        }
    }

    It 'exits 3 with a loud warning when a batch reports a stop-everything code' {
        $vectors = Join-Path $PSScriptRoot '../vectors'
        $dir = Join-Path $TestDrive 'stop'
        $null = New-Item -ItemType Directory $dir
        $rsa = [Security.Cryptography.RSA]::Create()
        $rsa.ImportFromPem((Get-Content -Raw (Join-Path $vectors 'rsa2048.pk8.pem')))
        # SYSTEM_ERROR, then a success for the same batch: the success does not make it safe to go on unchecked.
        $lines = foreach ($signString in 'file_name=s.csv&is_success=F&partner=2088002464631181&result_code=SYSTEM_ERROR',
            'file_name=s.csv&is_success=T&partner=2088002464631181&result_code=USER_CONFIRM_SUCC') {
            $sign = [Convert]::ToBase64String($rsa.SignData([Text.Encoding]::UTF8.GetBytes($signString), [Security.Cryptography.HashAlgorithmName]::SHA1, [Security.Cryptography.RSASignaturePadding]::Pkcs1))
            "$signString&sign_type=RSA&sign=$([Uri]::EscapeDataString($sign))"
        }
        Set-Content (Join-Path $dir 'callbacks.log') $lines
        $example = Join-Path $PSScriptRoot '../../examples/reconcile.ps1'
        $r = Invoke-FreshPwsh "& '$example' -Log '$dir/callbacks.log' -Ledger '$dir/bptb.db' -PublicKeyPath '$(Join-Path $vectors 'rsa2048.pub.pem')' -Report '$dir/batches.csv' -Module '$ModulePath'; exit `$LASTEXITCODE"
        $r.Output | Should -Match 'STOP ALL FURTHER OPERATIONS: s\.csv got SYSTEM_ERROR'
        $r.ExitCode | Should -Be 3
        $status = Get-BptbBatchStatus -Ledger "$dir/bptb.db"
        ($status.Confirmed, $status.ResultCode, $status.StopCode) | Should -Be @($true, 'USER_CONFIRM_SUCC', 'SYSTEM_ERROR')
    }
}
