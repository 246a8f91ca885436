#requires -Modules Pester
# The whole batch through the cmdlets: write the payment file, check it, upload it to the local gateway, confirm it.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePath -Force
    $partner = '2088002464631181'
    $email = 'pay@example.com'
    $keyText = 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4'
    $key = ConvertTo-SecureString $keyText -AsPlainText -Force
    $pw = ConvertTo-SecureString 'pay-123456' -AsPlainText -Force
    $gbk = [Text.Encoding]::GetEncoding('gbk')
    $sample = Join-Path $PSScriptRoot '../vectors/sample-payment-file-gbk.csv'
    function New-Payroll([string] $Path, [switch] $Chinese) {
        $rows = @(
            [pscustomobject]@{ AccountName = '王建斌'; AccountNumber = '6225885719900000'; Bank = '招商银行'; Province = '浙江省'; City = '杭州市'; Branch = '招商银行浙江支行'; Amount = '0.01'; Flag = '2'; Remark = '工资' }
            [pscustomobject]@{ AccountName = '李镕'; AccountNumber = '6222021001000000'; Bank = '中国工商银行'; Province = '浙江省'; City = '杭州市'; Branch = '中国工商银行浙江支行'; Amount = '1200.50'; Flag = '2'; Remark = '' }
        )
        if ($Chinese) {
            $rows = $rows | Select-Object @{ n = '收款银行户名'; e = 'AccountName' }, @{ n = '收款银行帐号'; e = 'AccountNumber' }, @{ n = '收款开户银行'; e = 'Bank' },
                @{ n = '收款银行所在省份'; e = 'Province' }, @{ n = '收款银行所在市'; e = 'City' }, @{ n = '收款支行名称'; e = 'Branch' }, @{ n = '金额'; e = 'Amount' },
                @{ n = '对公对私标志'; e = 'Flag' }, @{ n = '备注'; e = 'Remark' }
        }
        # UTF-8, as a spreadsheet exports it.
        $rows | Export-Csv -LiteralPath $Path -NoTypeInformation -Encoding utf8
    }
}

Describe 'New-BptbPaymentFile' {
    It 'writes a GBK payment file from a payroll export, total and count computed (<name> headers)' -ForEach @(@{ name = 'English'; chinese = $false }, @{ name = 'Chinese'; chinese = $true }) {
        $csv = Join-Path $TestDrive "payroll-$name.csv"
        New-Payroll $csv -Chinese:$chinese
        $out = Join-Path $TestDrive "20261126-$name.csv"
        $file = Import-Csv $csv | New-BptbPaymentFile -Path $out -Email $email -Date 2026-11-26
        $file | Should -BeOfType System.IO.FileInfo
        $lines = $gbk.GetString([IO.File]::ReadAllBytes($out)) -split "`r`n"
        $lines[1] | Should -BeLike '20261126,1200.51,2,pay@example.com*'
        $lines[4] | Should -BeLike '*李镕*'
        (Test-BptbPaymentFile $out -Email $email).IsValid | Should -BeTrue
    }

    It 'writes nothing when one payment is bad, and names the payment and the field' {
        $out = Join-Path $TestDrive 'bad.csv'
        $rows = @(
            [pscustomobject]@{ AccountName = 'A'; AccountNumber = '1'; Bank = '招商银行'; Amount = '1.00'; Flag = 2 }
            [pscustomobject]@{ AccountName = 'B'; AccountNumber = '2'; Bank = '招商银行'; Amount = '1.234'; Flag = 2 }
        )
        { $rows | New-BptbPaymentFile -Path $out -Email $email -ErrorAction Stop } | Should -Throw '*Payment 2*Amount*'
        $out | Should -Not -Exist
        $err = $null
        $stop = $null
        try { $rows | New-BptbPaymentFile -Path $out -Email $email -ErrorVariable err -ErrorAction SilentlyContinue } catch { $stop = $_ }
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PaymentRowInvalid*'
        $stop.FullyQualifiedErrorId | Should -BeLike 'PaymentFileNotWritten*'
        $out | Should -Not -Exist
    }

    It 'refuses a character outside GBK, naming the payment and the field, and writes nothing' {
        $out = Join-Path $TestDrive 'emoji.csv'
        { [pscustomobject]@{ AccountName = "A$([char]::ConvertFromUtf32(0x1F600))"; AccountNumber = '1'; Bank = '招商银行'; Amount = '1.00'; Flag = 2 } |
            New-BptbPaymentFile -Path $out -Email $email -ErrorAction Stop } | Should -Throw '*AccountName*'
        $out | Should -Not -Exist
    }

    It 'never overwrites a file without -Force' {
        $out = Join-Path $TestDrive 'exists.csv'
        Set-Content $out 'keep'
        { [pscustomobject]@{ AccountName = 'A'; AccountNumber = '1'; Bank = '招商银行'; Amount = '1.00'; Flag = 2 } | New-BptbPaymentFile -Path $out -Email $email -ErrorAction Stop } |
            Should -Throw -ErrorId 'PaymentFileExists*'
        Get-Content $out | Should -Be 'keep'
    }
}

Describe 'Test-BptbPaymentFile' {
    It 'passes the official sample and refuses its UTF-8 copy, as Alipay would' {
        (Test-BptbPaymentFile $sample -Email '123@abc.com').IsValid | Should -BeTrue
        $utf8 = Join-Path $TestDrive 'sample-utf8.csv'
        [IO.File]::WriteAllText($utf8, $gbk.GetString([IO.File]::ReadAllBytes($sample)), [Text.UTF8Encoding]::new($false))
        $report = Test-BptbPaymentFile $utf8
        $report.IsValid | Should -BeFalse
        $report.Problems.Count | Should -BeGreaterThan 0
        Test-BptbPaymentFile $utf8 -Quiet | Should -BeFalse
    }

    It 'names the row, the column and the spec code of a total that does not add up' {
        $bad = Join-Path $TestDrive 'total.csv'
        [IO.File]::WriteAllBytes($bad, $gbk.GetBytes(($gbk.GetString([IO.File]::ReadAllBytes($sample))).Replace('20111123,0.02,2', '20111123,0.03,2')))
        $p = (Test-BptbPaymentFile $bad).Problems
        $p | Should -Not -BeNullOrEmpty
        ($p | Where-Object Row -EQ 2) | Should -Not -BeNullOrEmpty
    }
}

Describe 'Send-BptbPaymentFile' {
    BeforeEach {
        $gw = Start-BptbMockGateway -Partner $partner -Key $key -PaymentPassword $pw -TimeFactor 0.0005 -Account $email
        $ledger = Join-Path $TestDrive "bptb-$([guid]::NewGuid().ToString('N')).db"
        $csv = Join-Path $TestDrive 'payroll.csv'
        New-Payroll $csv
        $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory $dir
        $file = Import-Csv $csv | New-BptbPaymentFile -Path (Join-Path $dir '20261126-001.csv') -Email $email
        $send = @{ Partner = $partner; Key = $key; Gateway = $gw.Url; Ledger = $ledger; Confirm = $false }
    }
    AfterEach { $gw | Stop-BptbMockGateway }

    It 'uploads, and the accepted file is confirmed through New-BptbConfirmUrl' {
        $result = $file | Send-BptbPaymentFile @send
        $result.State | Should -Be 'Accepted' -Because "$($result.Code) $($result.Message)"
        $result.FileName | Should -Be '20261126-001.csv'
        Start-Sleep -Milliseconds 300 # the confirm window opens 5 minutes (scaled) after the upload
        $confirmed = $result | New-BptbConfirmUrl -Partner $partner -Key $key -Gateway $gw.Url -Email $email -ReturnUrl http://127.0.0.1:9/return |
            Confirm-BptbMockPayment -PaymentPassword $pw
        $confirmed.IsSuccess | Should -BeTrue -Because $confirmed.ResultCode
        (Get-BptbBatchStatus -Ledger $ledger).Upload | Should -Be 'Accepted'
    }

    It 'runs the README''s pipeline: write, check, upload, confirm request' {
        $out = Join-Path $dir '20261126-009.csv'
        $requests = Import-Csv $csv |
            New-BptbPaymentFile -Path $out -Email $email -Date 2026-11-26 |
            Test-BptbPaymentFile -Email $email -BusinessType T0 -Ledger $ledger |
            Where-Object IsValid |
            Send-BptbPaymentFile @send |
            Where-Object State -EQ Accepted |
            New-BptbConfirmUrl -Partner $partner -Email $email -Key $key -Gateway $gw.Url -ReturnUrl http://127.0.0.1:9/return
        @($requests).Count | Should -Be 1
        $requests.FileName | Should -Be '20261126-009.csv'
    }

    It 'refuses a renamed re-upload of the same payments before a byte leaves' {
        ($file | Send-BptbPaymentFile @send).State | Should -Be 'Accepted'
        $renamed = Copy-Item $file.FullName (Join-Path $file.DirectoryName '20261126-002.csv') -PassThru
        $before = $gw.Requests.Count
        $err = $null
        $renamed | Send-BptbPaymentFile @send -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AlreadyUploaded*'
        $gw.Requests.Count | Should -Be $before
        # The same name again, whatever its content now.
        $err = $null
        Send-BptbPaymentFile $file.FullName @send -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'AlreadyUploaded*'
    }

    It 'records an answer it cannot know as Unknown, and refuses to send that file again' {
        $gw.AddFault('upload:system-error')
        $result = $file | Send-BptbPaymentFile @send -WarningVariable warn 3>$null
        $result.State | Should -Be 'Unknown'
        $warn | Should -Not -BeNullOrEmpty
        (Get-BptbBatchStatus -Ledger $ledger).Upload | Should -Be 'Unknown'
        $err = $null
        $file | Send-BptbPaymentFile @send -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'UploadStateUnknown*'
    }

    It 'records a file that could not be sent at all as NotSent, and lets it go once the gateway is back' {
        $down = $gw.Url
        $gw | Stop-BptbMockGateway
        $err = $null
        $file | Send-BptbPaymentFile @send -Gateway $down -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'UploadNotSent*'
        (Get-BptbBatchStatus -Ledger $ledger).Upload | Should -Be 'NotSent'
        $gw = Start-BptbMockGateway -Partner $partner -Key $key -PaymentPassword $pw -TimeFactor 0.0005 -Account $email
        ($file | Send-BptbPaymentFile @send -Gateway $gw.Url).State | Should -Be 'Accepted'
    }

    It 'sends nothing with -WhatIf, and nothing for a file that breaks a rule' {
        $file | Send-BptbPaymentFile @send -WhatIf | Should -BeNullOrEmpty
        $bad = Join-Path $TestDrive 'bad-total.csv'
        [IO.File]::WriteAllBytes($bad, $gbk.GetBytes((($gbk.GetString([IO.File]::ReadAllBytes($file.FullName))) -replace ',1200\.51,', ',1200.52,')))
        $err = $null
        Send-BptbPaymentFile $bad @send -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'PaymentFileInvalid*'
        @($gw.Requests | Where-Object Service -EQ 'bptb_pay_file_confirm').Count | Should -Be 0
    }

    It 'never shows the MD5 key, in verbose output or anywhere else' {
        $all = $file | Send-BptbPaymentFile @send -Verbose 4>&1 3>&1 2>&1 | Out-String
        $all | Should -Not -Match $keyText
    }
}
