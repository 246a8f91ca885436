namespace AlipayBptb.Core.Notifications;

/// <summary>What Alipay sent: the synchronous return (spec 5, via the browser) or the asynchronous notification (spec 6, server to server).</summary>
public enum NotificationKind
{
    Return,
    Notify,
}
