using System;

namespace AlipayBptb.Mock;

/// <summary>One request the mock gateway received, and what it answered.</summary>
public sealed class GatewayRequestRecord
{
    internal GatewayRequestRecord(DateTime time, string method, string pathAndQuery, string service, string? notifyId, string? fileName, string answer)
    {
        Time = time;
        Method = method;
        PathAndQuery = pathAndQuery;
        Service = service;
        NotifyId = notifyId;
        FileName = fileName;
        Answer = answer;
    }

    public DateTime Time { get; }
    public string Method { get; }
    public string PathAndQuery { get; }

    /// <summary>The service asked for (notify_verify, bptb_user_confirm, or "confirm" for the password form).</summary>
    public string Service { get; }

    public string? NotifyId { get; }
    public string? FileName { get; }

    /// <summary>What was answered: a body, a result code, <c>page</c>, <c>status:NNN</c> or <c>reset</c>.</summary>
    public string Answer { get; }
}

/// <summary>One attempt to deliver an asynchronous notification to the merchant's notify_url.</summary>
public sealed class NotificationDelivery
{
    internal NotificationDelivery(string notifyId, string fileName, string notifyType, int attempt, DateTime time, string url, int status, string response, bool accepted)
    {
        NotifyId = notifyId;
        FileName = fileName;
        NotifyType = notifyType;
        Attempt = attempt;
        Time = time;
        Url = url;
        Status = status;
        Response = response;
        Accepted = accepted;
    }

    public string NotifyId { get; }
    public string FileName { get; }
    public string NotifyType { get; }

    /// <summary>1 for the first delivery, up to 8 (spec 7.2 (7)).</summary>
    public int Attempt { get; }

    public DateTime Time { get; }
    public string Url { get; }

    /// <summary>The HTTP status, or 0 when no answer came (refused, reset, timed out).</summary>
    public int Status { get; }

    public string Response { get; }

    /// <summary>True when the merchant answered exactly <c>success</c>: no more retries.</summary>
    public bool Accepted { get; }
}
