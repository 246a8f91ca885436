using System;
using System.Runtime.InteropServices;
using System.Security;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Cmdlets;

/// <summary>Secrets given as SecureString: turned into a signer, or (for the local gateway only) into text.</summary>
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
}
