@{
    # A binary root module, one build for both editions; it loads its dependencies itself (ModuleInitializer).
    RootModule           = 'bin/AlipayBptb.Cmdlets.dll'
    ModuleVersion        = '0.0.0' # stamped by build.ps1 from Directory.Build.props
    GUID                 = '6f0c4c39-2b8e-4d0a-9a53-4e1f6d2b7a51'
    Author               = 'AlipayBptb contributors'
    CompanyName          = 'AlipayBptb contributors'
    Copyright            = '(c) AlipayBptb contributors. MIT licence.'
    Description          = "Alipay batch payment to bank accounts, the whole batch: write and check the GBK payment file, upload it (bptb_pay_file_confirm) guarded against a second upload, build the signed confirm request (bptb_user_confirm; MD5, RSA, DSA; utf-8, gbk, gb2312), receive and verify returns and notifications, ask notify_verify, and reconcile in an idempotency ledger."
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    # AlipayBptb.Format.ps1xml is loaded by the cmdlets on first use, not here: see ModuleFormats.cs.
    FormatsToProcess     = @()
    CmdletsToExport      = @(
        'Add-BptbMockPaymentFile'
        'Confirm-BptbMockPayment'
        'ConvertTo-BptbSignString'
        'Copy-BptbLedger'
        'Get-BptbBatchStatus'
        'Get-BptbErrorCode'
        'New-BptbConfirmUrl'
        'New-BptbPaymentFile'
        'Register-BptbNotification'
        'Send-BptbPaymentFile'
        'Test-BptbNotification'
        'Test-BptbPaymentFile'
        'Invoke-BptbNotifyVerify'
        'Start-BptbMockGateway'
        'Stop-BptbMockGateway'
        'Start-BptbNotifyReceiver'
        'Stop-BptbNotifyReceiver'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Alipay', 'Payment', 'bptb', 'Signature', 'RSA', 'DSA', 'MD5', 'Finance', 'PSEdition_Core', 'PSEdition_Desktop', 'Linux', 'Windows', 'MacOS')
            ProjectUri   = 'https://github.com/alipaybptb/AlipayBptb'
            LicenseUri   = 'https://github.com/alipaybptb/AlipayBptb/blob/main/LICENSE'
            ReleaseNotes = 'See CHANGELOG.md: https://github.com/alipaybptb/AlipayBptb/blob/main/CHANGELOG.md'
        }
    }
}
