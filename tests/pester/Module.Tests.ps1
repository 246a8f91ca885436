#requires -Modules Pester
# The module as the gallery delivers it: isolated dependencies, help, error codes, formats, installation.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-Module $ModulePath -Force
    $commands = Get-Command -Module AlipayBptb -CommandType Cmdlet
}

Describe 'Dependency isolation' {
    It 'signs and verifies with RSA and DSA after another BouncyCastle version was loaded first' {
        $packages = if ($env:ALIPAYBPTB_NUGET_PACKAGES) { $env:ALIPAYBPTB_NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
        $old = Get-ChildItem (Join-Path $packages 'bouncycastle.cryptography/2.4.0/lib') -Recurse -Filter BouncyCastle.Cryptography.dll |
            Where-Object FullName -Match 'net6.0' | Select-Object -First 1
        $old | Should -Not -BeNullOrEmpty -Because 'the build restores BouncyCastle.Cryptography 2.4.0 for this test'
        $vectors = Join-Path $PSScriptRoot '../vectors'
        $r = Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$($old.FullName)'
`$before = [Diagnostics.FileVersionInfo]::GetVersionInfo([Org.BouncyCastle.Security.SecureRandom].Assembly.Location).FileVersion
Import-Module '$ModulePath'
`$pw = ConvertTo-SecureString 'pay-123456' -AsPlainText -Force
foreach (`$k in 'rsa2048', 'dsa1024') {
    # The merchant's key signs the request (BouncyCastle parses it); the local gateway verifies it, answers
    # with a return signed by its own generated key, which Test-BptbNotification verifies.
    `$gw = Start-BptbMockGateway -Partner 2088002464631181 -PublicKeyPath "$vectors/`$k.pub.pem" -PaymentPassword `$pw
    Add-BptbMockPaymentFile `$gw "$vectors/sample-payment-file-gbk.csv" -FileName a.csv -UploadedAt (Get-Date).AddMinutes(-6) | Out-Null
    `$c = New-BptbConfirmUrl -Partner 2088002464631181 -Email 123@abc.com -FileName a.csv -ReturnUrl http://127.0.0.1:9/r -PrivateKeyPath "$vectors/`$k.pk8.pem" -Gateway `$gw.Url |
        Confirm-BptbMockPayment -PaymentPassword `$pw
    `$alipay = if (`$k -eq 'rsa2048') { `$gw.AlipayPublicKey } else { `$gw.AlipayDsaPublicKey }
    `$ok = `$c.IsSuccess -and (`$c.ReturnUrl | Test-BptbNotification -PublicKey `$alipay).IsValid
    `$gw | Stop-BptbMockGateway
    "`$k=`$ok"
}
"before=`$before"
"loaded=" + (([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'BouncyCastle.Cryptography' } | ForEach-Object { [Diagnostics.FileVersionInfo]::GetVersionInfo(`$_.Location).FileVersion }) -join ',')
"@
        $r.Output | Should -Match 'rsa2048=True'
        $r.Output | Should -Match 'dsa1024=True'
        $r.Output | Should -Match 'before=2\.4\.'
        $r.Output | Should -Match 'loaded=.*2\.4\..*,.*2\.7\.|loaded=.*2\.7\..*,.*2\.4\.'
        $r.ExitCode | Should -Be 0 -Because $r.Output
    }

    It 'serves its own copies to itself only, never to another module asking PowerShell''s context for the same name' {
        # Another module (here: a plain Assembly.Load in PowerShell's context) asks for BouncyCastle by name. The
        # module's resolver must not answer with its own copy from its folder (of a version that module was not
        # built against); its core must still load and sign.
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
`$null = New-BptbConfirmUrl -Partner 2088002464631181 -Email a@b.com -FileName a.csv -ReturnUrl http://x.example/r -PrivateKeyPath '$(Join-Path $PSScriptRoot '../vectors/rsa1024.pk8.pem')'
try { `$a = [Reflection.Assembly]::Load('BouncyCastle.Cryptography'); "served=`$([Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$a).Name)" } catch [IO.FileNotFoundException] { 'served=nothing' }
try { `$a = [Reflection.Assembly]::Load('AlipayBptb.Core'); "core=`$([Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$a).Name)" } catch { "core=`$(`$_.Exception.Message)" }
"@
        $r.Output | Should -Match 'served=nothing'
        $r.Output | Should -Match 'core=AlipayBptb'
    }

    It 'loads its dependencies into their own context, not PowerShell''s' {
        $request = New-BptbConfirmUrl -Partner 2088002464631181 -Email a@b.com -FileName a.csv -ReturnUrl http://x.example/r -Key (ConvertTo-SecureString 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4' -AsPlainText -Force)
        [Runtime.Loader.AssemblyLoadContext]::GetLoadContext($request.GetType().Assembly).Name | Should -Be 'AlipayBptb'
        $bouncy = [Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ 'AlipayBptb' | ForEach-Object Assemblies | Where-Object { $_.GetName().Name -eq 'BouncyCastle.Cryptography' }
        # A DSA key: BouncyCastle parses it (RSA keys in the forms .NET reads no longer need BouncyCastle on PowerShell 7).
        $null = New-BptbConfirmUrl -Partner 2088002464631181 -Email a@b.com -FileName a.csv -ReturnUrl http://x.example/r -PrivateKeyPath (Join-Path $PSScriptRoot '../vectors/dsa1024.pk8.pem')
        $bouncy = [Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -EQ 'AlipayBptb' | ForEach-Object Assemblies | Where-Object { $_.GetName().Name -eq 'BouncyCastle.Cryptography' }
        $bouncy | Should -Not -BeNullOrEmpty
    }

    It 'touches nothing heavy at import' {
        # pwsh's multicore-JIT start-up profile preloads assemblies an earlier pwsh used (BouncyCastle
        # among them, once a test has signed), so the test asks whether the module's core was loaded:
        # nothing of it (key parsing, HttpClient, BouncyCastle's use) runs before a cmdlet needs it.
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
'core=' + [bool]([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'AlipayBptb.Core' })
"@
        $r.Output | Should -Match 'core=False'
    }

    It 'loads Npgsql only for a PostgreSQL ledger, never for a file' {
        $log = Join-Path $TestDrive 'npgsql.log'
        Set-Content $log 'notify_id=1'
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
`$k = ConvertTo-SecureString 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4' -AsPlainText -Force
`$null = Test-BptbNotification -Path '$log' -Key `$k -ErrorAction SilentlyContinue | Register-BptbNotification -Ledger '$(Join-Path $TestDrive 'npgsql.db')'
'npgsql=' + [bool]([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'Npgsql' })
"@
        $r.Output | Should -Match 'npgsql=False'
    }
}

Describe 'Help' {
    It 'gives <Name> a synopsis, a description, two examples and every parameter a description, in a fresh pwsh' -ForEach @(
        Get-Command -Module AlipayBptb -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } }
    ) {
        $r = Invoke-FreshPwsh @"
Import-Module '$ModulePath'
`$h = Get-Help $Name -Full
`$common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
[pscustomobject]@{
    Synopsis = [string]`$h.Synopsis
    Description = (`$h.Description | Out-String).Trim()
    Examples = @(`$h.Examples.Example).Count
    Undescribed = @((Get-Command $Name).Parameters.Values | Where-Object { `$_.Name -notin `$common -and -not (`$_.Attributes | Where-Object { `$_ -is [Parameter] -and `$_.DontShow }) } |
        Where-Object { -not ((`$h.Parameters.Parameter | Where-Object Name -EQ `$_.Name).Description | Out-String).Trim() } | ForEach-Object Name)
} | ConvertTo-Json -Compress
"@
        $help = $r.Output | ConvertFrom-Json
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$Name \[" -Because 'a synopsis that repeats the syntax means no help was found'
        $help.Description | Should -Not -BeNullOrEmpty
        $help.Examples | Should -BeGreaterOrEqual 2
        $help.Undescribed | Should -BeNullOrEmpty
    }

    It 'names and places every exported cmdlet in about_AlipayBptb' {
        # The list in LONG DESCRIPTION: one indented line per cmdlet under the step it belongs to.
        $text = Get-Help about_AlipayBptb | Out-String
        $cmdlets = @((Get-Module AlipayBptb).ExportedCmdlets.Keys)
        $cmdlets.Count | Should -BeGreaterOrEqual 17
        $missing = $cmdlets | Where-Object { $text -notmatch "(?m)^\s+$([regex]::Escape($_))\s" }
        $missing | Should -BeNullOrEmpty -Because 'every cmdlet a user can call has its place in the overview'
    }

    It 'stops the build on incomplete help sources and names every problem of every cmdlet, not only the first' {
        $docs = Join-Path $TestDrive 'docs'
        Copy-Item -Recurse (Join-Path $PSScriptRoot '../../docs/en-US') $docs
        # The first cmdlet in order documents a parameter under a wrong name; a later one loses its synopsis,
        # another a parameter's description and an example's code.
        $edit = { param($name, $pattern, $replacement) $f = Join-Path $docs "$name.md"; Set-Content -LiteralPath $f -Encoding utf8 -Value ((Get-Content -Raw -LiteralPath $f -Encoding utf8) -replace $pattern, $replacement) }
        & $edit 'Add-BptbMockPaymentFile' '(?m)^### -Email$' '### -EmailAddress'
        & $edit 'Start-BptbMockGateway' '(?m)^## SYNOPSIS$' '## SUMMARY'
        & $edit 'Test-BptbNotification' '(?ms)^(### -Key\r?\n).*?(?=^### )' '$1'
        & $edit 'Test-BptbNotification' '(?ms)(^### Example 2[^\n]*\n).*?(?=^### |^## )' "`$1`nNo code here.`n`n"
        $r = Invoke-FreshPwsh @"
try { & '$(Join-Path $PSScriptRoot '../../tools/Build-Help.ps1')' -ModulePath '$ModulePath' -DocsPath '$docs' -OutputPath '$(Join-Path $TestDrive 'help')' }
catch { `$_.Exception.Message; exit 1 }
"@
        $r.ExitCode | Should -Not -Be 0
        $r.Output | Should -Match 'Add-BptbMockPaymentFile: parameter -Email has no description'
        $r.Output | Should -Match 'Add-BptbMockPaymentFile: documents -EmailAddress, which the cmdlet does not have'
        $r.Output | Should -Match "Start-BptbMockGateway: section '## SYNOPSIS' is missing or empty"
        $r.Output | Should -Match 'Test-BptbNotification: parameter -Key has no description'
        $r.Output | Should -Match "Test-BptbNotification: 'Example 2[^']*' has no code block"
        Join-Path $TestDrive 'help' | Should -Not -Exist
    }

    It 'has an about_AlipayBptb topic covering the flow, the duties and the failures' {
        $text = Get-Help about_AlipayBptb | Out-String
        $text | Should -Match 'THE CONFIRM FLOW'
        $text | Should -Match 'success'
        $text | Should -Match 'Deduplicate'
        $text | Should -Match 'notify_id'
        $text | Should -Match 'charset'
        $text | Should -Match 'Decoding twice'
    }
}

Describe 'Get-BptbErrorCode' {
    It 'lists every code of spec 10.1 and 10.2, the sample of 5.2, the special codes of rules 3-1 and the upload spec''s 8.1 to 8.3' {
        $all = Get-BptbErrorCode
        $all.Count | Should -Be 61
        $upload = ($all | Where-Object Interface -EQ 'bptb_pay_file_confirm').Code
        foreach ($c in 'FILE_NAME_REPEAT', 'FREEZE_DETAIL_LIMIT', 'MONEY_FORMAT_ERROR', 'FILE_ZIP_LIMIT', 'PAY_USER_INFO_ERROR') { $upload | Should -Contain $c }
        ($all | Where-Object Interface -EQ 'bptb_user_confirm').Code | Should -Contain 'USER_PASS_ERROR'
        ($all | Where-Object Interface -EQ 'both').Code | Should -Contain 'ILLEGAL_SIGN'
        ($all | Where-Object Section -EQ '10.2').Code | Should -Contain 'SYSTEM_ERROR'
        ($all | Where-Object Section -EQ '5.2').Code | Should -Be 'USER_CONFIRM_SUCCESS'
        ($all | Where-Object StopAll).Code | Sort-Object | Should -Be @('GENERIC_FAILURE', 'SYSTEM_ERROR', 'UNKNOWN_EXCEPTION')
        $all | ForEach-Object { $_.Meaning | Should -Not -BeNullOrEmpty; $_.Description | Should -Not -BeNullOrEmpty; $_.Action | Should -Not -BeNullOrEmpty }
    }

    It 'finds codes by name and wildcard, and names an unknown one' {
        (Get-BptbErrorCode USER_PASS_ERROR).Meaning | Should -Match '支付密码错误'
        (Get-BptbErrorCode 'ILLEGAL_*').Count | Should -BeGreaterThan 10
        Get-BptbErrorCode NO_SUCH_CODE -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'ErrorCodeNotFound,*'
    }

    It 'says to stop everything on the special codes of rules 3-1, in its default view too' {
        $e = Get-BptbErrorCode UNKNOWN_EXCEPTION, GENERIC_FAILURE, SYSTEM_ERROR
        $e.Count | Should -Be 3
        $e | ForEach-Object { $_.StopAll | Should -BeTrue; $_.Action | Should -Match 'Stop ALL further operations.*customer\.balance\.query' }
        $lines = (Get-BptbErrorCode SYSTEM_ERROR, USER_PASS_ERROR | Out-String -Width 250) -split "`n" | Where-Object { $_.Trim() }
        $lines[0] | Should -Match '\bStopAll\b'
        ($lines | Where-Object { $_ -match '^SYSTEM_ERROR\s' }) | Should -Match '^SYSTEM_ERROR\s+10\.2\s+both\s+True\s'
        ($lines | Where-Object { $_ -match '^USER_PASS_ERROR\s' }) | Should -Match '^USER_PASS_ERROR\s+10\.1\s+bptb_user_confirm\s+False\s'
    }

    It 'explains a failed return in its default view' {
        $key = ConvertTo-SecureString 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4' -AsPlainText -Force
        $body = 'file_name=a.csv&is_success=F&partner=2088002464631181&result_code=ACCOUNT_NOT_CONSISTENT'
        $md5 = [BitConverter]::ToString([Security.Cryptography.MD5]::HashData([Text.Encoding]::UTF8.GetBytes((ConvertTo-BptbSignString $body) + 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4'))).Replace('-', '').ToLower()
        $r = "$body&sign_type=MD5&sign=$md5" | Test-BptbNotification -Key $key
        $r.IsValid | Should -BeTrue
        $r.ResultDescription | Should -Match 'payer account of the upload and the email given differ'
        ($r | Out-String -Width 200) | Should -Match 'payer account of the upload'
        ($r | Get-BptbErrorCode).Code | Should -Be 'ACCOUNT_NOT_CONSISTENT'
    }
}

Describe 'Formats' {
    It 'shows <Type> as a table led by what matters' -ForEach @(
        @{ Type = 'ConfirmRequest'; Make = { New-BptbConfirmUrl -Partner 2088002464631181 -Email a@b.com -FileName a.csv -ReturnUrl http://x.example/r -Key (ConvertTo-SecureString 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4' -AsPlainText -Force) }; Header = '^\s*FileName\s+SignType\s+Url' }
        @{ Type = 'NotificationResult'; Make = { 'a=1&sign=x&sign_type=MD5' | Test-BptbNotification -Key (ConvertTo-SecureString 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4' -AsPlainText -Force) }; Header = '^\s*IsValid\s+Kind\s+FileName\s+Event\s+New\s+Result\s+Reason' }
        @{ Type = 'ErrorCode'; Make = { Get-BptbErrorCode SYSTEM_ERROR }; Header = '^\s*Code\s+Section\s+Interface\s+StopAll\s+Meaning\s+Description' }
        @{ Type = 'UploadedPaymentFile'; Make = { $g = Start-BptbMockGateway -Partner 2088002464631181; try { Add-BptbMockPaymentFile $g (Join-Path $PSScriptRoot '../vectors/sample-payment-file-gbk.csv') -UploadedAt (Get-Date).AddMinutes(-6) } finally { $g | Stop-BptbMockGateway } }; Header = '^\s*FileName\s+Email\s+TotalCount' }
        @{ Type = 'PaymentFileReport'; Make = { Test-BptbPaymentFile (Join-Path $PSScriptRoot '../vectors/sample-payment-file-gbk.csv') }; Header = '^\s*FileName\s+IsValid\s+Count\s+Total' }
        @{ Type = 'NotifyReceiver'; Make = { $r = Start-BptbNotifyReceiver -LogPath (Join-Path $TestDrive 'f.log'); $r | Stop-BptbNotifyReceiver; $r }; Header = '^\s*IsRunning\s+Received\s+Url' }
    ) {
        $obj = & $Make
        $obj.PSObject.TypeNames[0] | Should -BeLike "AlipayBptb.*.$Type"
        $lines = ($obj | Out-String -Width 250) -split "`n" | Where-Object { $_.Trim() }
        $lines[0] | Should -Match $Header
    }
}

Describe 'A one-shot script (issue 13)' {
    It 'signs and checks with RSA key files without loading BouncyCastle or the format views, and still shows its objects' {
        # A scheduled task: import, sign one request, check one callback. Loading BouncyCastle for a key the platform
        # reads, or PowerShell's format table for output nobody sees, was most of what the module cost such a script.
        $vectors = Join-Path $PSScriptRoot '../vectors'
        $r = Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModulePath'
`$u = New-BptbConfirmUrl -Partner 2088002464631181 -Email a@b.com -FileName a.csv -ReturnUrl http://x.example/r -PrivateKeyPath '$vectors/rsa2048.pk8.pem'
`$message = [IO.File]::ReadAllText('$vectors/message.utf8.txt')
`$h = [ordered]@{}
foreach (`$pair in `$message.Split('&')) { `$i = `$pair.IndexOf('='); `$h[`$pair.Substring(0, `$i)] = `$pair.Substring(`$i + 1) }
`$h['sign_type'] = 'RSA'
`$h['sign'] = [IO.File]::ReadAllText('$vectors/rsa2048.utf8.sig.b64').Trim()
"valid=`$(`$h | Test-BptbNotification -PublicKeyPath '$vectors/rsa2048.pub.pem' -Quiet)"
"bouncycastle=`$([bool]([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'BouncyCastle.Cryptography' }))"
"views=`$([bool](Get-FormatData -TypeName AlipayBptb.Core.Notifications.NotificationResult))"
(`$u | Out-String -Width 250).Trim()
`$null = `$h | Test-BptbNotification -PublicKeyPath '$vectors/rsa2048.pub.pem'
"views after a result object=`$([bool](Get-FormatData -TypeName AlipayBptb.Core.Notifications.NotificationResult))"
"@ -Environment @{ XDG_CACHE_HOME = (Join-Path $TestDrive 'cache') } # no start-up JIT profile of earlier runs, which preloads what they used
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'valid=True'
        $r.Output | Should -Match 'bouncycastle=False'
        $r.Output | Should -Match 'views=False'
        $r.Output | Should -Match '(?m)^FileName\s+SignType\s+Url'
        $r.Output | Should -Match 'views after a result object=True'
    }
}

Describe 'The demo' {
    It 'runs the whole batch on the embedded defaults and says every step behaved as the spec says' {
        # The README's first command; nothing else runs it, so a behaviour change it relied on went unseen once.
        $demo = Join-Path $PSScriptRoot '../../demo/demo.ps1'
        $r = Invoke-FreshPwsh "& '$demo' -ModulePath '$ModulePath'; exit `$LASTEXITCODE"
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'Demo completed: every step behaved as the spec says'
        $r.Output | Should -Match 'Logged and answered 400'
    }
}

Describe 'Manifest' {
    BeforeAll { $manifest = Import-PowerShellDataFile (Join-Path $ModulePath 'AlipayBptb.psd1') }

    It 'exports cmdlets explicitly and nothing else' {
        $manifest.CmdletsToExport | Should -Not -Contain '*'
        $manifest.CmdletsToExport.Count | Should -Be $commands.Count
        $manifest.FunctionsToExport.Count | Should -Be 0
        $manifest.AliasesToExport.Count | Should -Be 0
        $manifest.VariablesToExport.Count | Should -Be 0
    }

    It 'declares both editions, PowerShell 5.1, and gallery metadata' {
        $manifest.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $manifest.PowerShellVersion | Should -Be '5.1'
        $manifest.PrivateData.PSData.Tags | Should -Contain 'Alipay'
        $manifest.PrivateData.PSData.ProjectUri | Should -Not -BeNullOrEmpty
        $manifest.PrivateData.PSData.LicenseUri | Should -Not -BeNullOrEmpty
        $manifest.PrivateData.PSData.ReleaseNotes | Should -Not -BeNullOrEmpty
    }

    It 'carries the version of Directory.Build.props, the one place it is kept' {
        $props = [xml](Get-Content -Raw (Join-Path $PSScriptRoot '../../Directory.Build.props'))
        $manifest.ModuleVersion | Should -Be (@($props.Project.PropertyGroup.Version) -ne $null)[0]
        (Get-Module AlipayBptb).Version.ToString() | Should -Be $manifest.ModuleVersion
    }
}

Describe 'Installation from a repository' {
    BeforeAll {
        $package = $env:ALIPAYBPTB_PACKAGE
        $repo = Join-Path $TestDrive 'repo'
        $null = New-Item -ItemType Directory $repo
        if ($package) { Copy-Item $package $repo }
    }

    It 'has a package from build.ps1 package' {
        $package | Should -Exist
        Split-Path -Leaf $package | Should -Match '^AlipayBptb\.\d+\.\d+\.\d+\.nupkg$'
    }

    It 'carries SQLite''s natives once, for the platforms PowerShell runs on only' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($package)
        try { $natives = @($zip.Entries.FullName -match '(^|/)runtimes/' | Sort-Object) } finally { $zip.Dispose() }
        $expected = @('win-x64', 'win-x86', 'win-arm64' | ForEach-Object { "bin/net8.0/runtimes/$_/native/e_sqlite3.dll" }) +
            @('linux-x64', 'linux-arm64', 'linux-arm', 'linux-musl-x64', 'linux-musl-arm64' | ForEach-Object { "bin/net8.0/runtimes/$_/native/libe_sqlite3.so" }) +
            @('osx-x64', 'osx-arm64' | ForEach-Object { "bin/net8.0/runtimes/$_/native/libe_sqlite3.dylib" })
        $natives | Should -Be @($expected | Sort-Object)
    }

    It 'installs with <Installer>, imports by name, runs a cmdlet and keeps a ledger with the SQLite it ships, under a fresh HOME' -ForEach @(
        @{ Installer = 'Install-Module'; Script = "Register-PSRepository -Name BptbTest -SourceLocation '{0}' -InstallationPolicy Trusted; Install-Module AlipayBptb -Repository BptbTest -Scope CurrentUser" }
        @{ Installer = 'Install-PSResource'; Script = "Register-PSResourceRepository -Name BptbTest -Uri '{0}' -Trusted; Install-PSResource AlipayBptb -Repository BptbTest -Scope CurrentUser" }
    ) {
        $home2 = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory $home2
        $install = $Script -f $repo
        # The ledger: three signed notifications registered, then read back, with the installed copy's e_sqlite3.
        $log = Join-Path $home2 'callbacks.log'
        New-NotificationLog -Path $log -Count 3
        $db = Join-Path $home2 'bptb.db'
        $r = Invoke-FreshPwsh -Environment @{ HOME = $home2; XDG_DATA_HOME = $null; XDG_CONFIG_HOME = $null; XDG_CACHE_HOME = $null; PSModulePath = $null } -Script @"
`$ErrorActionPreference = 'Stop'
$install
`$m = Get-Module -ListAvailable AlipayBptb
"base=`$(`$m.ModuleBase)"
Import-Module AlipayBptb
"code=`$((Get-BptbErrorCode USER_PASS_ERROR).Code)"
`$key = ConvertTo-SecureString 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4' -AsPlainText -Force
"new=`$(@(Test-BptbNotification -Path '$log' -Key `$key | Register-BptbNotification -Ledger '$db' | Where-Object IsNewEvent).Count)"
"batches=`$(@(Get-BptbBatchStatus -Ledger '$db' | Where-Object ResultNotified).Count)"
if (`$IsLinux) { "native=`$(@(Get-Content /proc/`$PID/maps | Where-Object { `$_ -match 'e_sqlite3' } | ForEach-Object { (`$_ -split '\s+', 6)[5] } | Select-Object -Unique) -join ',')" }
"@
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match ([regex]::Escape("base=$home2"))
        $r.Output | Should -Match 'code=USER_PASS_ERROR'
        $r.Output | Should -Match 'new=3\b'
        $r.Output | Should -Match 'batches=3\b'
        if ($IsLinux) { $r.Output | Should -Match ('native=' + [regex]::Escape($home2) + '\S*/runtimes/linux-[^/]+/native/libe_sqlite3\.so') }
    }
}
