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
       (one answered "fail" first, to show the retry); Test-BptbNotification checks them;
       Invoke-BptbNotifyVerify asks the gateway whether they are genuine; a summary follows.
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
    $gateway = Start-BptbMockGateway -Partner $partner -PublicKeyPath $merchantPublic -PaymentPassword $password -TimeFactor 0.001
    # The callback log and the ledger stay in out/demo for the README's scheduled-task example.
    $demoOut = Join-Path $PSScriptRoot '../out/demo'
    $null = New-Item -ItemType Directory -Force $demoOut
    Remove-Item (Join-Path $demoOut '*') -Force -ErrorAction SilentlyContinue
    $log = Join-Path $demoOut 'callbacks.log'
    Set-Content (Join-Path $demoOut 'alipay_public.pem') $gateway.AlipayPublicKey
    $receiver = Start-BptbNotifyReceiver -LogPath $log -PublicKey $gateway.AlipayPublicKey
    Write-Host "Gateway  $($gateway.Url)  (knows the merchant's RSA public key; signs with its own RSA key)"
    Write-Host "Receiver $($receiver.Url)  (logs every callback to $log before answering)"

    $file = Add-BptbMockPaymentFile $gateway (Join-Path $PSScriptRoot '20111123-001.csv')
    Write-Host "Uploaded $($file.FileName): $($file.TotalCount) payments, $($file.TotalAmount) yuan, payer $($file.Email)"

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

    Write-Step 'What the receiver logged, checked with Alipay''s public key'
    $checked = Get-Content $log | Test-BptbNotification -PublicKey $gateway.AlipayPublicKey -Partner $partner
    $checked | Format-Table IsValid, Kind, FileName, NotifyType, NotifyId, ResultCode -AutoSize | Show

    Write-Step 'Is each notification genuine? notify_verify, asked of the gateway'
    $verified = $checked | Where-Object { $_.IsValid -and $_.Kind -eq 'Notify' } | Sort-Object NotifyId -Unique |
        Invoke-BptbNotifyVerify -Partner $partner -Gateway $gateway.Url
    $verified | Format-Table Verified, NotifyId, Response, @{ n = 'File'; e = { $_.Notification.FileName } } -AutoSize | Show

    Write-Step 'Reconciliation: register everything once in a ledger, then the batch status'
    $ledger = Join-Path $demoOut 'bptb.db'
    $registered = Test-BptbNotification -Path $log -PublicKey $gateway.AlipayPublicKey | Register-BptbNotification -Ledger $ledger
    Write-Host "Registered $($registered.Count) callbacks; duplicates (the retried notification): $(@($registered | Where-Object IsDuplicate).Count)"
    $verified | Register-BptbNotification -Ledger $ledger | Out-Null
    $status = Get-BptbBatchStatus -Ledger $ledger
    $status | Format-Table FileName, Confirmed, ResultCode, ResultNotified, Waiting, NotifyVerified, Notifications, Duplicates, Invalid -AutoSize | Show

    Write-Step 'A forged notification posted to the receiver'
    $forged = "notify_type=bptb_result_notify&notify_id=forged&file_name=$($file.FileName)&sign_type=RSA&sign=AAAA"
    $answer = Invoke-RestMethod -Method Post -Uri "$($receiver.Url)notify" -Body $forged -ContentType 'application/x-www-form-urlencoded'
    $last = Get-Content $log -Tail 1 | Test-BptbNotification -PublicKey $gateway.AlipayPublicKey
    Write-Host "Logged and answered '$answer' (so it is never lost), and marked invalid: $($last.Reason)"

    $notifies = @($checked | Where-Object Kind -EQ 'Notify')
    $ok = $roundTrip -and $confirmation.IsSuccess -and $gateway.Files[$file.FileName] -and
        ($notifies | Where-Object { -not $_.IsValid }).Count -eq 0 -and $notifies.Count -ge 2 -and
        @($verified | Where-Object Verified).Count -eq 1 -and -not $last.IsValid -and
        $status.Confirmed -and $status.ResultNotified -and $status.NotifyVerified
    Write-Step 'Summary'
    Write-Host ("File {0} confirmed: {1}; notification deliveries: {2} (one notify id: {3}); all callbacks valid: {4}; notify_verify: {5}" -f
        $file.FileName, $gateway.Files[$file.FileName], $gateway.Deliveries.Count, (@($gateway.Deliveries.NotifyId | Sort-Object -Unique).Count -eq 1),
        (@($checked | Where-Object { -not $_.IsValid }).Count -eq 0), (@($verified.Verified) -join ','))
    Write-Host "The callback log and the ledger are kept in $((Resolve-Path $demoOut).Path) for the README's scheduled-task example."
    Write-Host "`nDemo $(if ($ok) { 'completed: every step behaved as the spec says.' } else { 'FAILED: see above.' })" -ForegroundColor $(if ($ok) { 'Green' } else { 'Red' })
    if (-not $ok) { exit 1 }
} finally {
    if ($receiver) { $receiver | Stop-BptbNotifyReceiver }
    if ($gateway) { $gateway | Stop-BptbMockGateway }
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
