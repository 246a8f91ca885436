using System;

namespace AlipayBptb.Core.Signing;

/// <summary>A key that cannot be used: missing, not a key, encrypted, or of the wrong kind. The message never holds key material.</summary>
public sealed class KeyFormatException : FormatException
{
    public KeyFormatException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
