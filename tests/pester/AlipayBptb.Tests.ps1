#requires -Modules Pester
# The module as a user meets it: imported from the build output in a fresh pwsh, driven through pipelines.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePath -Force
    $vectors = Join-Path $PSScriptRoot '../vectors'
    $partner = '2088002464631181'
    $plainKey = 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4'
    $key = ConvertTo-SecureString $plainKey -AsPlainText -Force
    $confirm = @{
        Partner   = $partner
        Email     = 'gongsi1@shoufei.com'
        ReturnUrl = 'http://www.test.com/alipay/return_url.php'
        NotifyUrl = 'http://www.test.com/alipay/notify_url.php'
    }

    # Signs a notification body with the MD5 key through the module's own sign string.
    function New-SignedNotification([string] $Body) {
        $signString = ConvertTo-BptbSignString $Body
        $bytes = [Text.Encoding]::UTF8.GetBytes($signString + $plainKey)
        $md5 = [BitConverter]::ToString([Security.Cryptography.MD5]::HashData($bytes)).Replace('-', '').ToLowerInvariant()
        "$Body&sign_type=MD5&sign=$md5"
    }
    function New-NotifyBody([string] $FileName = 'pay1.csv', [string] $NotifyId = 'c035d396d398450076ac684ca790c77208') {
        "pay_date=20101130&flag=bptb_result_file&file_name=$FileName&notify_type=bptb_result_notify&notify_time=2010-11-30+14%3a29%3a00&notify_id=$NotifyId"
    }
}

Describe 'The module' {
    It 'exports exactly its cmdlets, each with an OutputType' {
        $commands = Get-Command -Module AlipayBptb
        $commands.Name | Sort-Object | Should -Be (@('Add-BptbMockPaymentFile', 'Confirm-BptbMockPayment', 'ConvertTo-BptbSignString', 'Get-BptbErrorCode', 'Invoke-BptbNotifyVerify', 'New-BptbConfirmUrl', 'Register-BptbNotification', 'Get-BptbBatchStatus',
            'Start-BptbMockGateway', 'Start-BptbNotifyReceiver', 'Stop-BptbMockGateway', 'Stop-BptbNotifyReceiver', 'Test-BptbNotification',
            'New-BptbPaymentFile', 'Test-BptbPaymentFile', 'Send-BptbPaymentFile', 'Copy-BptbLedger') | Sort-Object)
        foreach ($c in $commands | Where-Object Name -NotLike 'Stop-*') { $c.OutputType | Should -Not -BeNullOrEmpty -Because $c.Name }
    }

    It 'uses approved verbs only' {
        $approved = (Get-Verb).Verb
        (Get-Command -Module AlipayBptb).Verb | ForEach-Object { $_ | Should -BeIn $approved }
    }
}

Describe 'ConvertTo-BptbSignString' {
    It 'gives the spec 8.1.2 string from a hashtable' {
        $h = @{
            service = 'bptb_user_confirm'; _input_charset = 'gb2312'; partner = '2088002464631181'
            notify_url = 'http://www.test.com/alipay/notify_url.php'; return_url = 'http://www.test.com/alipay/return_url.php'
            email = 'gongsil@shoufei.com'; file_nam = '1069900000120880019120653302010020902.csv'
        }
        ConvertTo-BptbSignString $h | Should -BeExactly '_input_charset=gb2312&email=gongsil@shoufei.com&file_nam=1069900000120880019120653302010020902.csv&notify_url=http://www.test.com/alipay/notify_url.php&partner=2088002464631181&return_url=http://www.test.com/alipay/return_url.php&service=bptb_user_confirm'
    }

    It 'reads query strings, URLs and objects from the pipeline' {
        $out = 'b=2&a=%E6%89%B9+1&sign=x&sign_type=MD5', 'http://shop.example/r?z=1&y=', [pscustomobject]@{ k = 'v'; sign_type = 'RSA' } | ConvertTo-BptbSignString
        $out | Should -Be @('a=批 1&b=2', 'z=1', 'k=v')
        [pscustomobject]@{ k = 'v'; sign_type = 'RSA' } | ConvertTo-BptbSignString -IncludeSignType | Should -Be 'k=v&sign_type=RSA'
    }

    It 'decodes in the charset given' {
        'file_name=%C5%FA%C1%BF1.csv' | ConvertTo-BptbSignString -Charset gbk | Should -Be 'file_name=批量1.csv'
    }

    It 'refuses a repeated key with an error naming the input' {
        $out = 'a=1&a=2' | ConvertTo-BptbSignString -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InputUnreadable,*'
        $err[0].Exception.Message | Should -Match "a=1&a=2"
    }
}

Describe 'New-BptbConfirmUrl' {
    Context 'with each kind of key' {
        It 'signs with MD5 by default for -Key and the result verifies back' {
            $r = New-BptbConfirmUrl @confirm -FileName 'pay.csv' -Key $key
            $r.SignType | Should -Be 'MD5'
            $r.Parameters['service'] | Should -Be 'bptb_user_confirm'
            $r.Parameters['sign'] | Should -Be $r.Sign
            $r.Url | Should -BeLike 'https://mapi.alipay.com/gateway.do?*'
            ($r.Url | ConvertTo-BptbSignString) | Should -BeExactly $r.SignString
            $r.PSObject.TypeNames[0] | Should -BeLike 'AlipayBptb.*'
        }

        It 'takes the sign type from an RSA or DSA key file' {
            (New-BptbConfirmUrl @confirm -FileName 'a.csv' -PrivateKeyPath (Join-Path $vectors 'rsa2048.pkcs1.pem')).SignType | Should -Be 'RSA'
            (New-BptbConfirmUrl @confirm -FileName 'a.csv' -PrivateKeyPath (Join-Path $vectors 'dsa1024.trad.pem')).SignType | Should -Be 'DSA'
            (New-BptbConfirmUrl @confirm -FileName 'a.csv' -PrivateKey (Get-Content -Raw (Join-Path $vectors 'rsa1024.pk8.pem'))).SignType | Should -Be 'RSA'
        }

        It 'refuses a -SignType that contradicts the key' {
            { New-BptbConfirmUrl @confirm -FileName 'a.csv' -PrivateKeyPath (Join-Path $vectors 'rsa2048.pk8.pem') -SignType DSA -ErrorAction Stop } |
                Should -Throw -ErrorId 'SignTypeMismatch,*'
        }
    }

    Context 'in a pipeline' {
        It 'gives one request per file from Get-ChildItem' {
            $dir = Join-Path $TestDrive 'files'
            $null = New-Item -ItemType Directory $dir
            'a.csv', 'b.csv', '批量.csv' | ForEach-Object { Set-Content (Join-Path $dir $_) 'x' }
            $requests = Get-ChildItem $dir -Filter *.csv | New-BptbConfirmUrl @confirm -Key $key
            $requests.FileName | Sort-Object | Should -Be @('a.csv', 'b.csv', '批量.csv')
        }

        It 'writes one error for a bad file name and goes on with the rest' {
            $out = 'a.csv', 'bad/b.csv', 'c.txt', 'd.zip' | New-BptbConfirmUrl @confirm -Key $key -ErrorVariable err -ErrorAction SilentlyContinue
            $out.FileName | Should -Be @('a.csv', 'd.zip')
            $err.Count | Should -Be 2
            $err.FullyQualifiedErrorId | ForEach-Object { $_ | Should -BeLike 'InvalidFileName,*' }
        }
    }

    Context 'with bad input' {
        It 'refuses <Name> before anything is signed' -ForEach @(
            @{ Name = 'a short partner'; Override = @{ Partner = '208800246463118' }; Id = 'InvalidPartner' }
            @{ Name = 'a relative return url'; Override = @{ ReturnUrl = '/alipay/return.php' }; Id = 'InvalidReturnUrl' }
            @{ Name = 'a return url with a query'; Override = @{ ReturnUrl = 'http://www.test.com/r.php?xx=11' }; Id = 'InvalidReturnUrl' }
            @{ Name = 'a localhost notify url'; Override = @{ NotifyUrl = 'http://localhost/alipay/notify.php' }; Id = 'InvalidNotifyUrl' }
            @{ Name = 'a url with !'; Override = @{ NotifyUrl = 'http://www.test.com/alipay/notify!url.do' }; Id = 'InvalidNotifyUrl' }
            @{ Name = 'a bad email'; Override = @{ Email = 'not-an-email' }; Id = 'InvalidEmail' }
            @{ Name = 'an unknown charset'; Override = @{ InputCharset = 'latin1' }; Id = 'UnsupportedCharset' }
            @{ Name = 'a partner with a trailing newline'; Override = @{ Partner = "2088002464631181`n" }; Id = 'InvalidPartner' }
            @{ Name = 'an email with a right-to-left override'; Override = @{ Email = "gongsi1@shoufei.com`u{202E}" }; Id = 'InvalidEmail' }
            @{ Name = 'an email with a NUL'; Override = @{ Email = "gongsi1`0@shoufei.com" }; Id = 'InvalidEmail' }
            @{ Name = 'a notify url with a line break'; Override = @{ NotifyUrl = "http://www.test.com/alipay/notify_url.php`n" }; Id = 'InvalidNotifyUrl' }
            @{ Name = 'a return url with a password'; Override = @{ ReturnUrl = 'https://user:secret@www.test.com/alipay/return_url.php' }; Id = 'InvalidReturnUrl' }
            @{ Name = 'a notify url on a private address'; Override = @{ NotifyUrl = 'http://192.168.1.10/alipay/notify_url.php' }; Id = 'InvalidNotifyUrl' }
            @{ Name = 'a return url on the unspecified address'; Override = @{ ReturnUrl = 'http://0.0.0.0/alipay/return_url.php' }; Id = 'InvalidReturnUrl' }
            @{ Name = 'a notify url on a link-local IPv6 address'; Override = @{ NotifyUrl = 'http://[fe80::1]/alipay/notify_url.php' }; Id = 'InvalidNotifyUrl' }
            @{ Name = 'a notify url on a private address in full-width digits'; Override = @{ NotifyUrl = "http://`u{FF11}`u{FF10}.0.0.1/alipay/notify_url.php" }; Id = 'InvalidNotifyUrl' }
            @{ Name = 'a return url on a private address with ideographic full stops'; Override = @{ ReturnUrl = "http://10`u{3002}0`u{3002}0`u{3002}1/alipay/return_url.php" }; Id = 'InvalidReturnUrl' }
            @{ Name = 'a notify url on a NAT64 address of a private one'; Override = @{ NotifyUrl = 'http://[64:ff9b::a00:1]/alipay/notify_url.php' }; Id = 'InvalidNotifyUrl' }
            @{ Name = 'a return url on a documentation address'; Override = @{ ReturnUrl = 'http://198.51.100.7/alipay/return_url.php' }; Id = 'InvalidReturnUrl' }
            @{ Name = 'an email with a Hangul filler'; Override = @{ Email = "gongsi1`u{3164}@shoufei.com" }; Id = 'InvalidEmail' }
        ) {
            $p = $confirm.Clone()
            foreach ($k in $Override.Keys) { $p[$k] = $Override[$k] }
            $out = $null
            { $script:out = New-BptbConfirmUrl @p -FileName 'a.csv' -Key $key -ErrorAction Stop } | Should -Throw -ErrorId "$Id,*"
            $script:out | Should -BeNullOrEmpty
            try { New-BptbConfirmUrl @p -FileName 'a.csv' -Key $key -ErrorAction Stop } catch { ($_ | Out-String) + $_.TargetObject | Should -Not -Match 'secret' }
        }

        It 'names the emoji that gbk cannot write, not U+0000' {
            $out = "pay`u{1F600}.csv" | New-BptbConfirmUrl @confirm -Key $key -InputCharset gbk -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidCharsetText,*'
            $err[0].Exception.Message | Should -Match 'file_name.*U\+1F600'
            $err[0].Exception.Message | Should -Not -Match 'U\+0000'
        }

        It 'names the character gb2312 cannot write and the parameter it is in' {
            $out = "x`u{9555}.csv" | New-BptbConfirmUrl @confirm -Key $key -InputCharset gb2312 -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidCharsetText,*'
            $err[0].Exception.Message | Should -Match "file_name.*U\+9555 '`u{9555}'"
            $err[0].Exception.Message | Should -Not -Match 'byte'
        }

        It 'refuses a file name with an invisible character outside Cf, naming it' {
            $out = "pay`u{FE0F}.csv", "`u{2800}.csv" | New-BptbConfirmUrl @confirm -Key $key -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err.Count | Should -Be 2
            $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidFileName,*'
            $err[0].Exception.Message | Should -Match 'U\+FE0F'
            $err[1].Exception.Message | Should -Match 'U\+2800'
            '批量付款.csv' | New-BptbConfirmUrl @confirm -Key $key | Should -Not -BeNullOrEmpty
        }

        It 'refuses a file name that ends with a space, saying so' {
            $out = 'a.csv ' | New-BptbConfirmUrl @confirm -Key $key -ErrorVariable err -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -BeLike 'InvalidFileName,*'
            $err[0].Exception.Message | Should -Match 'ends with a space'
        }

        It 'refuses the gateway <Gateway> (rules 3-1: Alipay''s gateway only), without repeating a password' -ForEach @(
            @{ Gateway = 'https://mapi.alipay.com.evil.example/gateway.do' }
            @{ Gateway = 'https://mapi.alipay.com@evil.example/gateway.do' }
            @{ Gateway = 'https://user:secret@mapi.alipay.com/gateway.do' }
            @{ Gateway = 'https://mapi.alipay.com:8443/gateway.do' }
            @{ Gateway = 'https://mapi.alipay.com/other.do' }
        ) {
            $err = $null
            try { New-BptbConfirmUrl @confirm -FileName a.csv -Key $key -Gateway $Gateway -ErrorAction Stop } catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty
            $err.FullyQualifiedErrorId | Should -BeLike 'InvalidGateway,*'
            $err.Exception.Message | Should -Match 'Gateway'
            $err.Exception.Message | Should -Match 'Rules 3-1'
            ($err | Out-String) + $err.TargetObject | Should -Not -Match 'secret'
        }

        It 'accepts Alipay''s gateway with an upper-case host, in its one form' {
            (New-BptbConfirmUrl @confirm -FileName a.csv -Key $key -Gateway 'https://MAPI.ALIPAY.COM/gateway.do').Url | Should -BeLike 'https://mapi.alipay.com/gateway.do?*'
        }

        It 'names a missing key file, a non-key and a public key given as private' {
            { New-BptbConfirmUrl @confirm -FileName a.csv -PrivateKeyPath (Join-Path $TestDrive 'nope.pem') } | Should -Throw -ErrorId 'KeyFileNotFound,*'
            Set-Content (Join-Path $TestDrive 'junk.pem') 'hello'
            { New-BptbConfirmUrl @confirm -FileName a.csv -PrivateKeyPath (Join-Path $TestDrive 'junk.pem') } | Should -Throw -ErrorId 'InvalidKey,*'
            { New-BptbConfirmUrl @confirm -FileName a.csv -PrivateKeyPath (Join-Path $vectors 'rsa1024.pub.pem') } | Should -Throw '*is a public key*'
        }

        It 'refuses an empty MD5 key without showing a key' {
            $bad = ConvertTo-SecureString 'short key 123' -AsPlainText -Force
            { New-BptbConfirmUrl @confirm -FileName a.csv -Key $bad } | Should -Throw -ErrorId 'InvalidKey,*'
            try { New-BptbConfirmUrl @confirm -FileName a.csv -Key $bad } catch { $_.ToString() | Should -Not -Match 'short key' }
        }
    }

    It 'never shows the MD5 key in verbose output' {
        $verbose = New-BptbConfirmUrl @confirm -FileName 'a.csv' -Key $key -Verbose 4>&1 | Where-Object { $_ -is [Management.Automation.VerboseRecord] }
        $verbose | Should -Not -BeNullOrEmpty
        ($verbose | Out-String) | Should -Match 'Sign string'
        ($verbose | Out-String) | Should -Not -Match $plainKey
    }
}

Describe 'Test-BptbNotification' {
    BeforeAll {
        $good = New-SignedNotification (New-NotifyBody)
    }

    It 'verifies a genuine notification and types its fields' {
        $r = $good | Test-BptbNotification -Key $key
        $r.IsValid | Should -BeTrue
        $r.Kind | Should -Be 'Notify'
        $r.NotifyTime | Should -Be ([datetime]'2010-11-30 14:29:00')
        $r.FileName | Should -Be 'pay1.csv'
        $r.Parameters['flag'] | Should -Be 'bptb_result_file'
    }

    It 'reports a tampered, unsigned or downgraded notification as invalid with a reason' {
        $results = @(
            $good.Replace('pay1.csv', 'pay2.csv')
            (New-NotifyBody) + '&sign_type=MD5'
        ) | Test-BptbNotification -Key $key
        $results.IsValid | Should -Be @($false, $false)
        $results[0].Reason | Should -Be 'signature does not verify'
        $results[1].Reason | Should -Be 'missing sign'
        ($good | Test-BptbNotification -PublicKeyPath (Join-Path $vectors 'rsa1024.pub.pem')).Reason | Should -Match 'downgrade'
    }

    It 'gives one error or one result per line, and every other line its result' {
        $log = Join-Path $TestDrive 'callbacks.log'
        $lines = [Collections.Generic.List[string]]::new()
        1..20 | ForEach-Object { $lines.Add((New-SignedNotification (New-NotifyBody -FileName "f$_.csv" -NotifyId "id$_"))) }
        $lines.Insert(5, '')
        $lines.Insert(10, "`u{1}`u{2}binary`u{0}junk")
        $lines.Insert(15, 'a=' + ('x' * 1MB))
        $lines.Insert(18, 'a=1&a=2&sign=x&sign_type=MD5')
        Set-Content $log $lines
        $results = Get-Content $log | Test-BptbNotification -Key $key -ErrorVariable err -ErrorAction SilentlyContinue
        ($results | Where-Object IsValid).Count | Should -Be 20
        ($results | Where-Object { -not $_.IsValid }).Count | Should -Be 1
        $err.Count | Should -Be 3
        $err | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'InputUnreadable,*' }
        ($err | Where-Object { $_.Exception.Message -match 'binary' }).Exception.Message | Should -Not -Match "`u{1}"
    }

    It 'gives a one-line reason when a value holds a line break' {
        $r = New-SignedNotification ((New-NotifyBody).Replace('pay_date=20101130', 'pay_date=20101130%0Aforged')) | Test-BptbNotification -Key $key
        $r.IsValid | Should -BeFalse
        $r.Reason | Should -Not -Match '[\r\n]'
        $r.Reason | Should -Match 'pay_date'
        "$r" | Should -Not -Match '[\r\n]'
        $r.Reason | Should -Match '\\u\{000A\}forged'
    }

    It 'judges a signed callback by its signature whatever its file name, but a line break in it' {
        # A file uploaded some other way may carry a name the request rules refuse: its signed result must not be lost.
        $odd, $broken, $amp, $chinese = "a%E2%80%AEvsc.exe.csv", 'a%0A.csv', 'A%26B.csv', '%E6%89%B9%E9%87%8F%E4%BB%98%E6%AC%BE.csv' |
            ForEach-Object { New-SignedNotification (New-NotifyBody -FileName $_) } | Test-BptbNotification -Key $key
        $odd.IsValid | Should -BeTrue
        $broken.IsValid | Should -BeFalse
        $broken.Reason | Should -Match 'file_name.*U\+000A'
        $amp.IsValid | Should -BeTrue
        $amp.FileName | Should -Be 'A&B.csv'
        $chinese.IsValid | Should -BeTrue
        $chinese.FileName | Should -Be '批量付款.csv'
    }

    It 'answers with booleans under -Quiet' {
        $good, $good.Replace('pay1', 'pay9') | Test-BptbNotification -Key $key -Quiet | Should -Be @($true, $false)
    }

    It 'checks the partner when asked' {
        $return = New-SignedNotification 'file_name=a.csv&is_success=F&partner=2088000000000001&result_code=USER_PASS_ERROR'
        ($return | Test-BptbNotification -Key $key -Partner 2088000000000001).IsValid | Should -BeTrue
        ($return | Test-BptbNotification -Key $key -Partner $partner).Reason | Should -Match 'not the expected partner'
        ($return | Test-BptbNotification -Key $key).IsSuccess | Should -BeFalse
    }

    It 'verifies openssl RSA and DSA signatures from key files and bare base64' {
        $message = Get-Content -Raw (Join-Path $vectors 'message.utf8.txt')
        foreach ($k in 'rsa2048', 'dsa1024') {
            $sig = (Get-Content -Raw (Join-Path $vectors "$k.utf8.sig.b64")).Trim()
            $h = [ordered]@{}
            foreach ($pair in $message.Split('&')) { $i = $pair.IndexOf('='); $h[$pair.Substring(0, $i)] = $pair.Substring($i + 1) }
            $h['sign_type'] = $k.Substring(0, 3).ToUpper()
            $h['sign'] = $sig
            ($h | Test-BptbNotification -PublicKeyPath (Join-Path $vectors "$k.pub.pem")).IsValid | Should -BeTrue -Because $k
            $bare = (Get-Content (Join-Path $vectors "$k.pub.pem") | Where-Object { $_ -notmatch '^-----' }) -join ''
            ($h | Test-BptbNotification -PublicKey $bare).IsValid | Should -BeTrue -Because "$k bare"
        }
    }

    It 'refuses -SignType that no given key can verify' {
        { $good | Test-BptbNotification -Key $key -SignType RSA } | Should -Throw -ErrorId 'SignTypeMismatch,*'
    }
}

Describe 'Invoke-BptbNotifyVerify' {
    BeforeEach {
        $gw = Start-BptbMockGateway -Partner $partner
    }
    AfterEach {
        $gw | Stop-BptbMockGateway
    }

    It 'verifies piped notifications and carries them along' {
        $id = $gw.IssueNotifyId()
        $result = New-SignedNotification (New-NotifyBody -NotifyId $id) | Test-BptbNotification -Key $key |
            Where-Object IsValid | Invoke-BptbNotifyVerify -Partner $partner -Gateway $gw.Url
        $result.Verified | Should -BeTrue
        $result.NotifyId | Should -Be $id
        $result.Notification.FileName | Should -Be 'pay1.csv'
    }

    It 'treats <Body> as not verified' -ForEach @(
        @{ Body = 'false' }, @{ Body = 'True' }, @{ Body = 'true\nmore' }, @{ Body = '<html>error</html>' }
        @{ Body = "`u{FEFF}true" }, @{ Body = "true`u{3000}\n" }, @{ Body = '  true' }, @{ Body = 'true' + (' ' * 4092) + 'false' }
    ) {
        $gw.AddFault("body:$Body")
        $r = $gw.IssueNotifyId() | Invoke-BptbNotifyVerify -Partner $partner -Gateway $gw.Url
        $r.Verified | Should -BeFalse
    }

    It 'retries a 500 and a reset connection, then succeeds' {
        $gw.AddFault('status:500'); $gw.AddFault('reset')
        $r = $gw.IssueNotifyId() | Invoke-BptbNotifyVerify -Partner $partner -Gateway $gw.Url -MaximumRetryCount 2 -RetryIntervalSec 0
        $r.Verified | Should -BeTrue
        $r.Attempts | Should -Be 3
    }

    It 'reports a slow server as an error naming the notify id, and the others go on' {
        $gw.AddFault('delay:5'); $gw.AddFault('delay:5')
        $ok = $gw.IssueNotifyId()
        $results = 'slow-one', $ok | Invoke-BptbNotifyVerify -Partner $partner -Gateway $gw.Url -TimeoutSec 1 -MaximumRetryCount 1 -RetryIntervalSec 0 -ThrottleLimit 1 -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'NotifyVerifyFailed,*'
        $err[0].Exception.Message | Should -Match 'slow-one'
        $err[0].TargetObject | Should -Be 'slow-one'
        $results.NotifyId | Should -Be $ok
        $results.Verified | Should -BeTrue
    }

    It 'ends within -TimeoutSec per attempt when the gateway sends headers and stalls the body' {
        # A bare server on 127.0.0.1: headers with a Content-Length, two bytes of body, then silence (at most 60 s).
        if (-not ('BptbStallingServer' -as [type])) {
            Add-Type -TypeDefinition @'
using System;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
public sealed class BptbStallingServer : IDisposable
{
    private readonly TcpListener _listener = new TcpListener(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new CancellationTokenSource();
    public int Connections;
    public BptbStallingServer() { _listener.Start(); Task.Run(Accept); }
    public int Port { get { return ((IPEndPoint)_listener.LocalEndpoint).Port; } }
    private async Task Accept()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient c;
            try { c = await _listener.AcceptTcpClientAsync(_stop.Token); } catch { return; }
            Interlocked.Increment(ref Connections);
            _ = Serve(c);
        }
    }
    private async Task Serve(TcpClient c)
    {
        using (c)
        {
            try
            {
                var s = c.GetStream();
                var buf = new byte[8192];
                int n = 0;
                while (n < 4 || Encoding.ASCII.GetString(buf, n - 4, 4) != "\r\n\r\n")
                {
                    int r = await s.ReadAsync(buf, n, buf.Length - n, _stop.Token);
                    if (r == 0) return;
                    n += r;
                }
                byte[] head = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\ntr");
                await s.WriteAsync(head, 0, head.Length, _stop.Token);
                await Task.Delay(TimeSpan.FromSeconds(60), _stop.Token);
            }
            catch { }
        }
    }
    public void Dispose() { _stop.Cancel(); _listener.Stop(); }
}
'@
        }
        $server = [BptbStallingServer]::new()
        try {
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $job = Start-ThreadJob -ArgumentList $ModulePath, $partner, $server.Port {
                param($module, $partner, $port)
                Import-Module $module
                'stalled-id' | Invoke-BptbNotifyVerify -Partner $partner -Gateway "http://127.0.0.1:$port/gateway.do" -TimeoutSec 3 -MaximumRetryCount 1 -RetryIntervalSec 0 -ErrorVariable err -ErrorAction SilentlyContinue
                $err
            }
            $null = Wait-Job $job -Timeout 30
            $watch.Stop()
            $job.State | Should -Be 'Completed' -Because "the call must end within 3 s x 2 attempts, not run for $($watch.Elapsed)"
            $err = @(Receive-Job $job)
            $err.Count | Should -Be 1
            $err[0].FullyQualifiedErrorId | Should -BeLike 'NotifyVerifyFailed,*'
            $err[0].Exception.Message | Should -Match 'stalled-id.*2 attempts.*no answer within 3 s'
            $server.Connections | Should -Be 2
            # TimeoutSec * (retries + 1) plus a margin for importing the module in the job and a busy machine.
            $watch.Elapsed.TotalSeconds | Should -BeLessThan (3 * 2 + 5)
        } finally {
            if ($job) { Stop-Job $job -ErrorAction SilentlyContinue; Remove-Job $job -Force -ErrorAction SilentlyContinue }
            $server.Dispose()
        }
    }

    It 'runs many at once under -ThrottleLimit and answers each id once' {
        $ids = 1..60 | ForEach-Object { $gw.IssueNotifyId() }
        $results = $ids | Invoke-BptbNotifyVerify -Partner $partner -Gateway $gw.Url -ThrottleLimit 16
        $results.Count | Should -Be 60
        ($results | Where-Object Verified).Count | Should -Be 60
        ($results.NotifyId | Sort-Object -Unique).Count | Should -Be 60
    }

    It 'refuses a partner with a trailing newline before asking anything' {
        { 'x' | Invoke-BptbNotifyVerify -Partner "$partner`n" -Gateway $gw.Url } | Should -Throw -ErrorId 'InvalidPartner,*'
        $gw.Requests.Count | Should -Be 0
    }

    It 'refuses plain http to a host that is not loopback' {
        { 'x' | Invoke-BptbNotifyVerify -Partner $partner -Gateway 'http://mapi.alipay.com/gateway.do' } | Should -Throw -ErrorId 'InvalidGateway,*'
    }

    It 'refuses an https gateway that is not Alipay''s (rules 3-1), asking nothing' {
        { 'x' | Invoke-BptbNotifyVerify -Partner $partner -Gateway 'https://mapi.alipay.com.evil.example/gateway.do' } | Should -Throw -ErrorId 'InvalidGateway,*'
        $gw.Requests.Count | Should -Be 0
    }
}
