using System;

namespace AlipayBptb.Core.Signing;

/// <summary>Why a key cannot be used: the cmdlets choose their error id and category by it, never by the message.</summary>
public enum KeyProblem
{
    /// <summary>The key is not a usable key: not a key at all, encrypted, of the wrong kind or out of range.</summary>
    Invalid,

    /// <summary>The key file does not exist (or is a folder).</summary>
    FileNotFound,

    /// <summary>The key file exists but cannot be read (permissions, I/O, too large to be a key).</summary>
    FileUnreadable,
}

/// <summary>A key that cannot be used: missing, not a key, encrypted, or of the wrong kind. The message never holds key material.</summary>
public sealed class KeyFormatException : FormatException
{
    public KeyFormatException(string message, Exception? inner = null) : this(KeyProblem.Invalid, message, inner)
    {
    }

    public KeyFormatException(KeyProblem problem, string message, Exception? inner = null) : base(message, inner)
    {
        Problem = problem;
    }

    public KeyProblem Problem { get; }
}
