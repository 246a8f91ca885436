using System;

namespace AlipayBptb.Core.Signing;

internal static class FixedTime
{
    /// <summary>Compares in time that depends on the length only, never on where the first difference is.</summary>
    public static bool AreEqual(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
#if NET
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(a, b);
#else
        if (a.Length != b.Length)
        {
            return false;
        }
        int diff = 0;
        for (int i = 0; i < a.Length; i++)
        {
            diff |= a[i] ^ b[i];
        }
        return diff == 0;
#endif
    }
}
