using System;

namespace AlipayBptb.Core.Gateway;

/// <summary>A request value that breaks a rule of the spec; <see cref="ErrorId"/> is stable for scripts.</summary>
public sealed class RequestValidationException : ArgumentException
{
    public RequestValidationException(string errorId, string message, string parameterName) : base(message, parameterName)
    {
        ErrorId = errorId;
    }

    public string ErrorId { get; }
}
