using AlipayBptb.Core.Gateway;

namespace AlipayBptb.Cmdlets;

/// <summary>The result of asking Alipay whether one notification is genuine (spec 9).</summary>
public sealed class NotifyVerifyResult
{
    internal NotifyVerifyResult(NotifyVerifyResponse response, object? notification)
    {
        NotifyId = response.NotifyId;
        Verified = response.Verified;
        Response = response.Response;
        Attempts = response.Attempts;
        Notification = notification;
    }

    public string NotifyId { get; }

    /// <summary>True only when Alipay's whole answer was <c>true</c>, then nothing but ASCII white space (spec 9).</summary>
    public bool Verified { get; }

    /// <summary>The answer's body for reading: trailing white space trimmed, invisible characters escaped, bounded.</summary>
    public string Response { get; }

    public int Attempts { get; }

    /// <summary>The object that was piped in (such as a Test-BptbNotification result), or null.</summary>
    public object? Notification { get; }
}
