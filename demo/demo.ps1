<#
.SYNOPSIS
    The module's main job on embedded defaults: the whole bptb_user_confirm loop of spec section 2,
    on one machine, with no Alipay account and no network beyond loopback.
.DESCRIPTION
    1. Throwaway keys: an MD5 security code and the merchant's RSA-2048 and DSA-1024 keys.
    2. Confirm URLs for the spec's sample request with MD5, RSA and DSA (what is signed, and how).
    3. The loop: a local Alipay gateway and the merchant's notify receiver start; the spec's sample
       payment file is "uploaded"; New-BptbConfirmUrl builds the request; a payer confirms it over HTTP
       as a browser would; the signed return and the asynchronous notification arrive at the receiver
       (one answered "fail" first, to show the retry); the receiver asks notify_verify before it answers
       success, the only moment the notify_id is valid (spec 7.2 (12)); Test-BptbNotification checks the
       log and reads that answer back; Invoke-BptbNotifyVerify asked later shows the id expired;
       Register-BptbNotification gives each batch event once; a summary follows.
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/AlipayBptb')
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force

function Write-Step([string] $Text) { Write-Host "`n== $Text" -ForegroundColor Cyan }
# Tables at a readable width, whatever the console (CI has none).
function Show { $input | Out-String -Width 170 | Write-Host }

$work = Join-Path ([IO.Path]::GetTempPath()) "alipaybptb-demo-$PID"
$null = New-Item -ItemType Directory -Force $work
$gateway = $null
$receiver = $null
try {
    Write-Step 'Throwaway keys (nothing here is a real key)'
    $alphabet = [char[]]'abcdefghijklmnopqrstuvwxyz0123456789'
    $md5Plain = -join (1..32 | ForEach-Object { $alphabet[[Security.Cryptography.RandomNumberGenerator]::GetInt32($alphabet.Length)] })
    $md5Key = ConvertTo-SecureString $md5Plain -AsPlainText -Force
    $md5Plain = $null
    $merchantRsa = [Security.Cryptography.RSA]::Create(2048)
    $merchantDsa = [Security.Cryptography.DSA]::Create(1024)
    $rsaKeyPath = Join-Path $work 'merchant_rsa.pem'
    $dsaKeyPath = Join-Path $work 'merchant_dsa.pem'
    Set-Content $rsaKeyPath $merchantRsa.ExportPkcs8PrivateKeyPem()
    Set-Content $dsaKeyPath $merchantDsa.ExportPkcs8PrivateKeyPem()
    Write-Host "An MD5 security code (a SecureString) and the merchant's RSA-2048 and DSA-1024 keys, in $work"

    Write-Step 'Confirm URLs for the spec sample request (spec 4.3), one per sign type'
    $sample = @{
        Partner   = '2088002464631181'
        Email     = 'gongsi1@shoufei.com'
        FileName  = 'I069900000120880019120653302010020902.csv'
        ReturnUrl = 'http://www.test.com/alipay/return_url.php'
        NotifyUrl = 'http://www.test.com/notify/alipay/interface.htm'
    }
    $requests = @(
        New-BptbConfirmUrl @sample -Key $md5Key
        New-BptbConfirmUrl @sample -PrivateKeyPath $rsaKeyPath
        New-BptbConfirmUrl @sample -PrivateKeyPath $dsaKeyPath -InputCharset gbk
    )
    $requests | Format-Table SignType, Charset, @{ n = 'Sign'; e = { $_.Sign.Substring(0, [Math]::Min(24, $_.Sign.Length)) + '…' } } -AutoSize | Show
    Write-Host 'What is signed (the same for every sign type, charset aside):'
    Write-Host "  $($requests[0].SignString)"
    $roundTrip = -not ($requests | Where-Object { ($_.Url | ConvertTo-BptbSignString -Charset $_.Charset) -cne $_.SignString })
    Write-Host "Each URL decodes back to its sign string: $roundTrip"

    Write-Step 'The loop: a local Alipay gateway and the merchant''s notify receiver'
    $partner = $sample.Partner
    $password = ConvertTo-SecureString 'demo-pay-password' -AsPlainText -Force
    $merchantPublic = Join-Path $work 'merchant_rsa.pub.pem'
    Set-Content $merchantPublic $merchantRsa.ExportSubjectPublicKeyInfoPem()
    # Time runs 1000 times faster: Alipay's retry after 2 minutes comes after 120 ms.
    $payer = 'pay@example.com'
    $gateway = Start-BptbMockGateway -Partner $partner -PublicKeyPath $merchantPublic -PaymentPassword $password -TimeFactor 0.001 -Account $payer
    # The callback log and the ledger stay in out/demo for the README's scheduled-task example.
    $demoOut = Join-Path $PSScriptRoot '../out/demo'
    $null = New-Item -ItemType Directory -Force $demoOut
    Remove-Item (Join-Path $demoOut '*') -Recurse -Force -ErrorAction SilentlyContinue
    $log = Join-Path $demoOut 'callbacks.log'
    Set-Content (Join-Path $demoOut 'alipay_public.pem') $gateway.AlipayPublicKey
    # The receiver asks notify_verify about each notification before it answers success: once it has answered,
    # the notify_id is no longer valid (spec 7.2 (12)), so this is the only moment the question can be asked.
    $receiver = Start-BptbNotifyReceiver -LogPath $log -PublicKey $gateway.AlipayPublicKey -Partner $partner -Gateway $gateway.Url
    Write-Host "Gateway  $($gateway.Url)  (knows the merchant's RSA public key; signs with its own RSA key)"
    Write-Host "Receiver $($receiver.Url)  (checks, asks notify_verify, logs every callback to $log, then answers)"

    Write-Step 'The batch: a payroll export (UTF-8, as a spreadsheet saves it) becomes a GBK payment file, checked, uploaded'
    $upload = New-Item -ItemType Directory -Force (Join-Path $demoOut 'upload')
    $ledger = Join-Path $demoOut 'bptb.db'
    $paymentFile = Import-Csv (Join-Path $PSScriptRoot 'payroll.csv') |
        Select-Object @{ n = 'SerialNumber'; e = 'EmployeeId' }, * -ExcludeProperty EmployeeId |
        New-BptbPaymentFile -Path (Join-Path $upload '20261126-001.csv') -Email $payer -Date 2026-11-26
    $report = Test-BptbPaymentFile $paymentFile -Email $payer -Ledger $ledger
    $report | Format-Table FileName, IsValid, Count, Total, Email -AutoSize | Show

    # A copy with a typing mistake in one amount: the total no longer adds up, and the file is stopped here.
    $gbk = [Text.Encoding]::GetEncoding('gbk')
    $typo = Join-Path $upload '20261126-typo.csv'
    [IO.File]::WriteAllBytes($typo, $gbk.GetBytes(($gbk.GetString([IO.File]::ReadAllBytes($paymentFile.FullName))).Replace(',9200.50,', ',92000.50,')))
    $badReport = Test-BptbPaymentFile $typo -Email $payer
    Write-Host "A copy with 92000.50 typed for 9200.50: valid $($badReport.IsValid)"
    $badReport.Problems | Format-Table Row, Column, Code, Message -AutoSize -Wrap | Show
    Remove-Item $typo

    $sent = $paymentFile | Send-BptbPaymentFile -Partner $partner -PrivateKeyPath $rsaKeyPath -Gateway $gateway.Url -Ledger $ledger -Confirm:$false
    $sent | Format-Table FileName, State, Code, Message -AutoSize | Show
    # The same payments under a new name: Alipay would pay them again. The ledger stops it before a byte leaves.
    $renamed = Copy-Item $paymentFile.FullName (Join-Path $upload '20261126-002.csv') -PassThru
    $refusal = $null
    $null = $renamed | Send-BptbPaymentFile -Partner $partner -PrivateKeyPath $rsaKeyPath -Gateway $gateway.Url -Ledger $ledger -Confirm:$false -ErrorVariable refusal -ErrorAction SilentlyContinue
    Write-Host "Renamed re-upload: $($refusal[0].FullyQualifiedErrorId.Split(',')[0]): $($refusal[0].Exception.Message)"
    Remove-Item $renamed
    $file = [pscustomobject]@{ FileName = $sent.FileName; Email = $payer }
    # Rules 4-1: confirm at least 5 minutes after the upload (Alipay is still checking the file before that,
    # and answers FILE_NOT_EXIST). At this time factor, 5 minutes pass in a third of a second.
    Write-Host "Waiting the 5 minutes the rules ask between upload and confirmation ($([int]$gateway.ConfirmDelay.TotalMilliseconds) ms here)"
    Start-Sleep -Milliseconds ([int]$gateway.ConfirmDelay.TotalMilliseconds + 50)

    $request = New-BptbConfirmUrl -Partner $partner -Email $file.Email -FileName $file.FileName -PrivateKeyPath $rsaKeyPath `
        -ReturnUrl "$($receiver.Url)return" -NotifyUrl "$($receiver.Url)notify" -Gateway $gateway.Url
    Write-Host "Confirm URL: $($request.Url.Substring(0, 120))…"

    # The merchant's first answer fails (after logging it), so Alipay has to send the notification again.
    $receiver.FailNext(2)   # the browser's return and the first notification
    $confirmation = $request | Confirm-BptbMockPayment -PaymentPassword $password
    Write-Host "The payer typed the password and confirmed: $($confirmation.ResultCode), back at the merchant's return_url"
    $null = $gateway.WaitForDeliveries([TimeSpan]::FromSeconds(20))

    Write-Step 'What the gateway saw and sent'
    $gateway.Requests | Format-Table Method, Service, FileName, Answer -AutoSize | Show
    $gateway.Deliveries | Format-Table Attempt, NotifyType, NotifyId, Status, Response, Accepted -AutoSize | Show

    Write-Step 'What the receiver logged, checked with Alipay''s public key, with notify_verify''s answer'
    $checked = Get-Content $log | Test-BptbNotification -PublicKey $gateway.AlipayPublicKey -Partner $partner
    $checked | Format-Table IsValid, Kind, Event, FileName, NotifyId, NotifyVerified, ResultCode -AutoSize | Show

    Write-Step 'notify_verify asked now, from the log: too late'
    $late = $checked | Where-Object { $_.IsValid -and $_.Kind -eq 'Notify' } | Sort-Object NotifyId -Unique |
        Invoke-BptbNotifyVerify -Partner $partner -Gateway $gateway.Url
    $late | Format-Table Verified, NotifyId, Response -AutoSize | Show
    Write-Host 'The id expired when the receiver answered success (spec 7.2 (12)): the answer that counts is the one in the log.'

    Write-Step 'Reconciliation: register everything once in a ledger, act on each event once, then the batch status'
    $registered = Test-BptbNotification -Path $log -PublicKey $gateway.AlipayPublicKey | Register-BptbNotification -Ledger $ledger
    $events = @($registered | Where-Object IsNewEvent)
    Write-Host "Registered $($registered.Count) callbacks; duplicates (the retried notification): $(@($registered | Where-Object IsDuplicate).Count); new events to act on: $(($events.Event | Sort-Object) -join ', ')"
    $status = Get-BptbBatchStatus -Ledger $ledger
    $status | Format-Table FileName, Upload, Payments, Total, Confirmed, ResultCode, ResultNotified, Waiting, NotifyVerified, Notifications, Duplicates -AutoSize | Show

    Write-Step 'A forged notification posted to the receiver'
    # Every field in its place, a notify_id never issued, and a signature made without Alipay's key.
    $forged = "notify_type=bptb_result_notify&notify_time=2026-11-26+10%3A00%3A00&notify_id=forged0001&pay_date=20261126&flag=bptb_result_file&file_name=$($file.FileName)&sign_type=RSA&sign=AAAA"
    # Logged, and refused: a callback the receiver judges invalid is never answered "success" (Alipay would send a
    # genuine one that was damaged on the way again).
    $answer = Invoke-WebRequest -Method Post -Uri "$($receiver.Url)notify" -Body $forged -ContentType 'application/x-www-form-urlencoded' -SkipHttpErrorCheck
    $last = Get-Content $log -Tail 1 | Test-BptbNotification -PublicKey $gateway.AlipayPublicKey
    Write-Host "Logged and answered $([int]$answer.StatusCode) '$($answer.Content)', and marked invalid: $($last.Reason)"

    $notifies = @($checked | Where-Object Kind -EQ 'Notify')
    $ok = $roundTrip -and $report.IsValid -and -not $badReport.IsValid -and $sent.State -eq 'Accepted' -and
        $refusal[0].FullyQualifiedErrorId -like 'AlreadyUploaded*' -and $status.Upload -eq 'Accepted' -and $confirmation.IsSuccess -and $gateway.Files[$file.FileName] -and
        ($notifies | Where-Object { -not $_.IsValid }).Count -eq 0 -and $notifies.Count -ge 2 -and
        @($checked | Where-Object NotifyVerified).Count -ge 1 -and @($late | Where-Object Verified).Count -eq 0 -and
        $events.Count -eq 2 -and -not $last.IsValid -and [int]$answer.StatusCode -eq 400 -and
        $status.Confirmed -and $status.ResultNotified -and $status.NotifyVerified
    Write-Step 'Summary'
    Write-Host ("File {0} confirmed: {1}; notification deliveries: {2} (one notify id: {3}); all callbacks valid: {4}; notify_verify: {5}" -f
        $file.FileName, $gateway.Files[$file.FileName], $gateway.Deliveries.Count, (@($gateway.Deliveries.NotifyId | Sort-Object -Unique).Count -eq 1),
        (@($checked | Where-Object { -not $_.IsValid }).Count -eq 0), (@($checked | Where-Object Kind -EQ 'Notify' | ForEach-Object NotifyVerified) -join ','))
    Write-Host "The callback log and the ledger are kept in $((Resolve-Path $demoOut).Path) for the README's scheduled-task example."
    Write-Host "`nDemo $(if ($ok) { 'completed: every step behaved as the spec says.' } else { 'FAILED: see above.' })" -ForegroundColor $(if ($ok) { 'Green' } else { 'Red' })
    if (-not $ok) { exit 1 }
} finally {
    if ($receiver) { $receiver | Stop-BptbNotifyReceiver }
    if ($gateway) { $gateway | Stop-BptbMockGateway }
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
