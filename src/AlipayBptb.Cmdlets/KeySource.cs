using System;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Commands;

/// <summary>Turns the key parameters every signing cmdlet shares into a signer, parsed once per pipeline.</summary>
internal static class KeySource
{
    /// <summary>The MD5 key from a SecureString; the plain characters live only as long as it takes to copy them.</summary>
    public static Signer Md5(SecureString key)
    {
        IntPtr ptr = Marshal.SecureStringToGlobalAllocUnicode(key);
        char[] chars = new char[key.Length];
        try
        {
            Marshal.Copy(ptr, chars, 0, chars.Length);
            return new Md5Signer(chars);
        }
        finally
        {
            Array.Clear(chars, 0, chars.Length);
            Marshal.ZeroFreeGlobalAllocUnicode(ptr);
        }
    }

    /// <summary>The plain text of a SecureString, for the mock gateway only (a test double that must compare it).</summary>
    public static string Plain(SecureString secret)
    {
        IntPtr ptr = Marshal.SecureStringToGlobalAllocUnicode(secret);
        try
        {
            return Marshal.PtrToStringUni(ptr, secret.Length);
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(ptr);
        }
    }

    public static Signer PrivateKey(PSCmdlet cmdlet, string? text, string? path)
    {
        return path != null
            ? KeyLoader.LoadPrivateKey(KeyLoader.ReadKeyFile(Resolve(cmdlet, path)), $"the key file '{path}'")
            : KeyLoader.LoadPrivateKey(text!, "the -PrivateKey value");
    }

    /// <summary>The verifying key of whichever key parameter was given (MD5 key, Alipay's public key or its file), or null.</summary>
    public static Signer? Verifier(PSCmdlet cmdlet, SecureString? key, string? publicKey, string? publicKeyPath) =>
        key != null ? Md5(key)
        : publicKey != null ? PublicKey(cmdlet, publicKey, null)
        : publicKeyPath != null ? PublicKey(cmdlet, null, publicKeyPath)
        : null;

    public static Signer PublicKey(PSCmdlet cmdlet, string? text, string? path)
    {
        return path != null
            ? KeyLoader.LoadPublicKey(KeyLoader.ReadKeyFile(Resolve(cmdlet, path)), $"the key file '{path}'")
            : KeyLoader.LoadPublicKey(text!, "the -PublicKey value");
    }

    /// <summary>Resolves a path as PowerShell users expect (relative to $PWD, ~ expanded), without requiring it to exist.</summary>
    public static string Resolve(PSCmdlet cmdlet, string path) =>
        cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>The terminating error for a key that cannot be used: nothing can proceed without it.</summary>
    public static ErrorRecord KeyError(Exception ex, object? target)
    {
        string id = ex.Message.Contains("does not exist") ? "KeyFileNotFound" : ex.Message.Contains("cannot be read") ? "KeyFileUnreadable" : "InvalidKey";
        ErrorCategory category = id == "KeyFileNotFound" ? ErrorCategory.ObjectNotFound : id == "KeyFileUnreadable" ? ErrorCategory.ReadError : ErrorCategory.InvalidData;
        return new ErrorRecord(ex, id, category, target)
        {
            ErrorDetails = new ErrorDetails(ex.Message)
            {
                RecommendedAction = "Give the key in one of the forms Get-Help about_AlipayBptb lists: PEM (PKCS#8, PKCS#1, DSA) or the bare base64 body.",
            },
        };
    }
}
