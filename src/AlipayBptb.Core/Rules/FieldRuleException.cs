using System;

namespace AlipayBptb.Core.Rules;

/// <summary>A value that breaks a field rule of the spec (partner, email, file name, URL); <see cref="ErrorId"/> is stable for scripts.</summary>
public sealed class FieldRuleException : ArgumentException
{
    public FieldRuleException(string errorId, string message, string parameterName) : base(message, parameterName)
    {
        ErrorId = errorId;
    }

    public string ErrorId { get; }
}
