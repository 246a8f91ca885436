using System;

namespace AlipayBptb.Core.Rules;

/// <summary>A value that breaks a field rule of the spec (partner, email, file name, URL); <see cref="ErrorId"/> is stable for scripts.</summary>
public sealed class FieldRuleException : ArgumentException
{
    private readonly string _message;

    public FieldRuleException(string errorId, string message, string parameterName) : base(message, parameterName)
    {
        ErrorId = errorId;
        _message = message;
    }

    public string ErrorId { get; }

    // The message alone: .NET Framework (Windows PowerShell 5.1) appends "Parameter name: X" on a second line,
    // and an error a sysadmin reads, or a log keeps, is one line naming the parameter already.
    public override string Message => _message;
}
