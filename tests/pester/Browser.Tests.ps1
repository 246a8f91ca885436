#requires -Modules Pester
# A real browser through the confirm loop: headless Chromium, driven over the WebDriver protocol by
# Debian's chromedriver, opens a confirm URL on the mock gateway, types the password, clicks confirm and
# lands on the merchant's return URL with valid parameters. The confirm page's screenshot is kept.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePath -Force
    $artifacts = Join-Path $PSScriptRoot '../../out/test-results'
    $null = New-Item -ItemType Directory -Force $artifacts
    $partner = '2088002464631181'
    $key = ConvertTo-SecureString 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4' -AsPlainText -Force
    $password = 'pay-123456'
    $gw = Start-BptbMockGateway -Partner $partner -Key $key -PaymentPassword (ConvertTo-SecureString $password -AsPlainText -Force) -TimeFactor 0.001
    $file = Add-BptbMockPaymentFile $gw (Join-Path $PSScriptRoot '../vectors/sample-payment-file-gbk.csv') -FileName '20111123-001.csv' -UploadedAt (Get-Date).AddMinutes(-6)
    $rcv = Start-BptbNotifyReceiver -LogPath (Join-Path $TestDrive 'callbacks.log') -Key $key
    $request = New-BptbConfirmUrl -Partner $partner -Email $file.Email -FileName $file.FileName -Key $key -Gateway $gw.Url `
        -ReturnUrl "$($rcv.Url)return" -NotifyUrl "$($rcv.Url)notify"

    $driverPort = & { $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $p = $l.LocalEndpoint.Port; $l.Stop(); $p }
    $driver = Start-Process chromedriver -ArgumentList "--port=$driverPort", '--allowed-ips=127.0.0.1' -PassThru -RedirectStandardOutput (Join-Path $TestDrive 'chromedriver.log')
    $base = "http://127.0.0.1:$driverPort"
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    do {
        Start-Sleep -Milliseconds 200
        $ready = try { (Invoke-RestMethod "$base/status" -TimeoutSec 2).value.ready } catch { $false }
    } until ($ready -or [DateTime]::UtcNow -gt $deadline)

    function Invoke-WebDriver([string] $Method, [string] $Path, $Body) {
        $json = if ($null -ne $Body) { $Body | ConvertTo-Json -Depth 6 -Compress } else { $null }
        (Invoke-RestMethod -Method $Method -Uri "$base$Path" -Body $json -ContentType 'application/json' -TimeoutSec 60).value
    }
    $elementKey = 'element-6066-11e4-a52e-4f735466cecf' # the W3C WebDriver element reference key
}

AfterAll {
    if ($session) { try { Invoke-WebDriver DELETE "/session/$session" $null } catch { } }
    if ($driver -and -not $driver.HasExited) { Stop-Process -Id $driver.Id -Force }
    $rcv | Stop-BptbNotifyReceiver
    $gw | Stop-BptbMockGateway
}

Describe 'The confirm page in headless Chromium' {
    It 'starts chromedriver' {
        $ready | Should -BeTrue -Because 'tools/setup.sh installs chromium and chromium-driver'
    }

    It 'opens the confirm URL, types the password, confirms, and lands on the return URL with valid parameters' {
        $profile = Join-Path $TestDrive 'chromium-profile'
        $caps = @{ capabilities = @{ alwaysMatch = @{ browserName = 'chrome'; 'goog:chromeOptions' = @{
            binary = '/usr/bin/chromium'
            args = @('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
                '--disable-background-networking', '--disable-component-update', '--disable-sync', "--user-data-dir=$profile", '--window-size=1200,900')
        } } } }
        $script:session = (Invoke-WebDriver POST '/session' $caps).sessionId
        $session | Should -Not -BeNullOrEmpty

        $null = Invoke-WebDriver POST "/session/$session/url" @{ url = $request.Url }
        (Invoke-WebDriver GET "/session/$session/title" $null) | Should -Match '确认批量付款信息'
        $field = (Invoke-WebDriver POST "/session/$session/element" @{ using = 'css selector'; value = '#payPassword' }).$elementKey
        $null = Invoke-WebDriver POST "/session/$session/element/$field/value" @{ text = $password }
        $png = Invoke-WebDriver GET "/session/$session/screenshot" $null
        [IO.File]::WriteAllBytes((Join-Path $artifacts 'confirm-page.png'), [Convert]::FromBase64String($png))

        $button = (Invoke-WebDriver POST "/session/$session/element" @{ using = 'css selector'; value = '#confirmButton' }).$elementKey
        $null = Invoke-WebDriver POST "/session/$session/element/$button/click" @{}
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        do { Start-Sleep -Milliseconds 100; $landed = Invoke-WebDriver GET "/session/$session/url" $null } until ($landed.StartsWith($rcv.Url) -or [DateTime]::UtcNow -gt $deadline)

        $landed | Should -BeLike "$($rcv.Url)return?*"
        $return = $landed | Test-BptbNotification -Key $key -Partner $partner
        $return.IsValid | Should -BeTrue -Because $return.Reason
        $return.IsSuccess | Should -BeTrue
        $return.ResultCode | Should -Be 'USER_CONFIRM_SUCC'
        $return.FileName | Should -Be '20111123-001.csv'
        (Join-Path $artifacts 'confirm-page.png') | Should -Exist
        (Get-Item (Join-Path $artifacts 'confirm-page.png')).Length | Should -BeGreaterThan 5000
    }

    It 'has the notification delivered and logged by the receiver' {
        $gw.WaitForDeliveries([TimeSpan]::FromSeconds(10)) | Should -BeTrue
        # The browser's own requests (a favicon) are logged too, and read as unreadable: not callbacks.
        $logged = Get-Content $rcv.LogPath | Test-BptbNotification -Key $key -ErrorAction SilentlyContinue
        ($logged | Where-Object Kind -EQ 'Notify').IsValid | Should -BeTrue
        ($logged | Where-Object Kind -EQ 'Return').IsValid | Should -BeTrue
    }
}
