# Shared by the Pester files: where the built module is, and a fresh pwsh to run things in (tools/FreshPwsh.ps1).

$script:ModulePath = if ($env:ALIPAYBPTB_MODULE) { $env:ALIPAYBPTB_MODULE } else { Join-Path $PSScriptRoot '../../out/AlipayBptb' }

# Invoke-FreshPwsh: a script in a new pwsh (the same PowerShell as this one), its exit code and everything it wrote.
. (Join-Path $PSScriptRoot '../../tools/FreshPwsh.ps1')

# Writes $Count MD5-signed bptb notifications, one query string a line, numbered from $Start (notify ids
# and file names follow the number), signed here with .NET's MD5, independently of the module.
function New-NotificationLog {
    # -Files: how many payment files the notifications spread over (0: a file of its own for each). -HexIds: notify ids
    # like Alipay's (32 hex digits, in no order) instead of n0000000001, n0000000002...
    param([Parameter(Mandatory)][string] $Path, [int] $Start = 1, [int] $Count = 1000, [string] $Key = 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4', [int] $Files = 0,
        [switch] $HexIds)
    if (-not ('BptbTestLog' -as [type])) {
        Add-Type -TypeDefinition @'
using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
public static class BptbTestLog
{
    public static void Write(string path, int start, int count, string key, int files, bool hexIds)
    {
        using (var w = new StreamWriter(path, false, new UTF8Encoding(false)))
        {
            w.NewLine = "\n";
            for (int i = start; i < start + count; i++)
            {
                string id = hexIds ? Convert.ToHexString(MD5.HashData(BitConverter.GetBytes(i))).ToLowerInvariant() : "n" + i.ToString("D10");
                string file = "batch-" + (files > 0 ? i % files : i).ToString("D7") + ".csv";
                string signString = "file_name=" + file + "&flag=bptb_result_file&notify_id=" + id + "&notify_time=2026-11-25 10:00:00&notify_type=bptb_result_notify&pay_date=20261125";
                string sign = Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(signString + key))).ToLowerInvariant();
                w.WriteLine("notify_type=bptb_result_notify&notify_time=2026-11-25+10%3A00%3A00&notify_id=" + id + "&pay_date=20261125&flag=bptb_result_file&file_name=" + file + "&sign_type=MD5&sign=" + sign);
            }
        }
    }
}
'@
    }
    [BptbTestLog]::Write($Path, $Start, $Count, $Key, $Files, $HexIds.IsPresent)
}

# Signs a callback's parameters (given unencoded, key=value&...) with the test MD5 key, independently of the
# module: the sign string of spec 8.1 by hand, .NET's MD5. Spaces go on the wire as '+'.
function New-SignedCallback {
    param([Parameter(Mandatory)][string] $Body, [string] $Key = 'k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4')
    $pairs = [string[]]($Body -split '&')
    [Array]::Sort($pairs, [StringComparer]::Ordinal)
    $hash = [Security.Cryptography.MD5]::HashData([Text.Encoding]::UTF8.GetBytes(($pairs -join '&') + $Key))
    $Body.Replace(' ', '+') + '&sign_type=MD5&sign=' + [Convert]::ToHexString($hash).ToLowerInvariant()
}

# Unmounts a tmpfs a test mounted. A handle the runtime has not yet closed (a finalizer, a file mapping) can keep it
# busy for a moment: collect, retry for a few seconds, then detach it lazily so that the test drive can go.
function Dismount-TestTmpfs([string] $Path) {
    [GC]::Collect()
    [GC]::WaitForPendingFinalizers()
    for ($i = 0; $i -lt 20; $i++) {
        umount $Path 2>$null
        if ($LASTEXITCODE -eq 0) { return }
        Start-Sleep -Milliseconds 250
    }
    umount -l $Path
}
