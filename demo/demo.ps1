<#
.SYNOPSIS
    The module's main job on embedded defaults: no Alipay account, no internet.
.DESCRIPTION
    1. Makes throwaway keys: an MD5 security code, a merchant RSA-2048 and DSA-1024 key, and an "Alipay" RSA key.
    2. Builds the confirm URL for the spec's sample request (spec 4.3) with MD5, RSA and DSA.
    3. Signs the spec's sample notification (spec 6.3) as Alipay would, with .NET's own RSA, and verifies it.
    4. Asks a loopback stand-in for Alipay's gateway whether the notification is genuine (notify_verify).
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
try {
    Write-Step 'Throwaway keys (nothing here is a real key)'
    $alphabet = [char[]]'abcdefghijklmnopqrstuvwxyz0123456789'
    $md5Plain = -join (1..32 | ForEach-Object { $alphabet[[Security.Cryptography.RandomNumberGenerator]::GetInt32($alphabet.Length)] })
    $md5Key = ConvertTo-SecureString $md5Plain -AsPlainText -Force
    $md5Plain = $null
    $merchantRsa = [Security.Cryptography.RSA]::Create(2048)
    $merchantDsa = [Security.Cryptography.DSA]::Create(1024)
    $alipayRsa = [Security.Cryptography.RSA]::Create(2048)
    Set-Content (Join-Path $work 'merchant_rsa.pem') $merchantRsa.ExportPkcs8PrivateKeyPem()
    Set-Content (Join-Path $work 'merchant_dsa.pem') $merchantDsa.ExportPkcs8PrivateKeyPem()
    Set-Content (Join-Path $work 'alipay_public.pem') $alipayRsa.ExportSubjectPublicKeyInfoPem()
    Write-Host "MD5 security code (a SecureString), merchant RSA-2048 and DSA-1024 keys, Alipay RSA-2048 public key in $work"

    Write-Step 'Confirm URLs for the spec sample request (spec 4.3), one per sign type'
    $request = @{
        Partner   = '2088002464631181'
        Email     = 'gongsi1@shoufei.com'
        FileName  = 'I069900000120880019120653302010020902.csv'
        ReturnUrl = 'http://www.test.com/alipay/return_url.php'
        NotifyUrl = 'http://www.test.com/notify/alipay/interface.htm'
    }
    $requests = @(
        New-BptbConfirmUrl @request -Key $md5Key
        New-BptbConfirmUrl @request -PrivateKeyPath (Join-Path $work 'merchant_rsa.pem')
        New-BptbConfirmUrl @request -PrivateKeyPath (Join-Path $work 'merchant_dsa.pem') -InputCharset gbk
    )
    $requests | Format-Table SignType, Charset, @{ n = 'Sign'; e = { $_.Sign.Substring(0, [Math]::Min(24, $_.Sign.Length)) + '…' } } -AutoSize | Show
    Write-Host 'What is signed (the same for every sign type, charset aside):'
    Write-Host "  $($requests[0].SignString)"
    Write-Host 'The RSA request URL:'
    Write-Host "  $($requests[1].Url)"
    $roundTrip = $requests | ForEach-Object { ($_.Url | ConvertTo-BptbSignString -Charset $_.Charset) -ceq $_.SignString }
    Write-Host "Each URL decodes back to its sign string: $(-not ($roundTrip -contains $false))"

    Write-Step 'A notification signed by "Alipay" (spec 6.3 sample), verified with Alipay''s public key'
    $gateway = Start-BptbMockGateway -Partner $request.Partner
    $notifyId = $gateway.IssueNotifyId()
    $body = "pay_date=20101130&flag=bptb_result_file&file_name=$($request.FileName)&notify_type=bptb_result_notify&notify_time=2010-11-30+14%3a29%3a00&notify_id=$notifyId"
    $signString = ConvertTo-BptbSignString $body
    # Signed with .NET's RSA directly, not with this module: the verification below is of an independent signature.
    $signature = [Convert]::ToBase64String($alipayRsa.SignData([Text.Encoding]::UTF8.GetBytes($signString), 'SHA1', [Security.Cryptography.RSASignaturePadding]::Pkcs1))
    $notification = "$body&sign_type=RSA&sign=$([Uri]::EscapeDataString($signature))"
    $forged = $notification.Replace('bptb_result_notify', 'bptb_unfreeze_notify')
    $md5Downgrade = "$body&sign_type=MD5&sign=0123456789abcdef0123456789abcdef"
    $results = $notification, $forged, $md5Downgrade, 'not a notification at all' |
        Test-BptbNotification -PublicKeyPath (Join-Path $work 'alipay_public.pem') -ErrorAction SilentlyContinue -ErrorVariable unreadable
    $results | Format-Table IsValid, Kind, NotifyType, FileName, Reason -AutoSize | Show
    Write-Host "Unreadable input reported as an error, pipeline went on: $($unreadable[0].Exception.Message)"

    Write-Step "Is it genuine? notify_verify against a loopback stand-in gateway ($($gateway.Url))"
    $results | Where-Object IsValid | Invoke-BptbNotifyVerify -Partner $request.Partner -Gateway $gateway.Url |
        Format-Table Verified, NotifyId, Response, @{ n = 'File'; e = { $_.Notification.FileName } } -AutoSize | Show
    'forged-notify-id' | Invoke-BptbNotifyVerify -Partner $request.Partner -Gateway $gateway.Url |
        Format-Table Verified, NotifyId, Response -AutoSize | Show
    $gateway.Requests | Format-Table Method, Service, NotifyId, Answer -AutoSize | Show
    $gateway | Stop-BptbMockGateway

    $ok = (-not ($roundTrip -contains $false)) -and $results[0].IsValid -and -not $results[1].IsValid -and -not $results[2].IsValid
    Write-Host "`nDemo $(if ($ok) { 'completed: every step behaved as the spec says.' } else { 'FAILED: see above.' })" -ForegroundColor $(if ($ok) { 'Green' } else { 'Red' })
    if (-not $ok) { exit 1 }
} finally {
    Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
}
