using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Mock;

// Notifications (spec 6, 7.2): posted to notify_url and resent on the spec's schedule until the answer is "success".
public sealed partial class LocalGateway
{
    private static readonly TimeSpan[] RetrySchedule =
    {
        TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1),
        TimeSpan.FromHours(2), TimeSpan.FromHours(6), TimeSpan.FromHours(15),
    };

    // A connection per notification, as a notification server would open: receivers in tests come and go on
    // ports the system hands out again, where a kept-alive connection would meet a reset.
    private static readonly HttpClient Delivery = new(new HttpClientHandler { AllowAutoRedirect = false, UseProxy = false })
    {
        Timeout = TimeSpan.FromSeconds(15),
        DefaultRequestHeaders = { ConnectionClose = true },
    };

    /// <summary>Waits until every notification is delivered or given up; false on timeout.</summary>
    public bool WaitForDeliveries(TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (PendingDeliveries > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            Thread.Sleep(20);
        }
        return true;
    }

    private void StartDelivery(PendingConfirm confirm, bool balanceShort)
    {
        if (string.IsNullOrEmpty(confirm.NotifyUrl))
        {
            return; // no notify_url, no notification (spec 3 (4))
        }
        string notifyId = IssueNotifyId();
        string notifyType = balanceShort ? "bptb_unfreeze_notify" : "bptb_result_notify";
        DateTime beijing = DateTime.UtcNow.AddHours(8);
        var p = new ParameterList(9);
        p.TryAdd("notify_type", notifyType);
        p.TryAdd("notify_time", beijing.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
        p.TryAdd("notify_id", notifyId);
        p.TryAdd("pay_date", beijing.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture));
        p.TryAdd("flag", balanceShort ? "bptb_unfreeze_file" : "bptb_result_file");
        p.TryAdd("file_name", confirm.FileName);
        string body = SignedQuery(p, confirm.SignType, confirm.Charset);
        Interlocked.Increment(ref _deliveriesInFlight);
        _ = Task.Run(() => DeliverAsync(confirm.NotifyUrl!, body, notifyId, confirm.FileName, notifyType, confirm.Charset));
    }

    // Spec 7.2 (7): until the answer is exactly "success", resend the same notification (same notify_id)
    // after 2m, 10m, 10m, 1h, 2h, 6h and 15h: 8 deliveries in about 25 hours, scaled by TimeFactor.
    private async Task DeliverAsync(string url, string body, string notifyId, string fileName, string notifyType, BptbCharset charset)
    {
        try
        {
            for (int attempt = 1; attempt <= RetrySchedule.Length + 1; attempt++)
            {
                if (attempt > 1)
                {
                    TimeSpan wait = TimeSpan.FromTicks((long)(RetrySchedule[attempt - 2].Ticks * _options.TimeFactor));
                    await Task.Delay(wait, _host.Stopping).ConfigureAwait(false);
                }
                int status = 0;
                string response;
                bool accepted = false;
                try
                {
                    using var content = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
                    content.Headers.TryAddWithoutValidation("Content-Type", "application/x-www-form-urlencoded; charset=" + charset.Name);
                    using HttpResponseMessage answer = await Delivery.PostAsync(url, content, _host.Stopping).ConfigureAwait(false);
                    status = (int)answer.StatusCode;
                    // Judged on the bytes, exactly the 7 of "success" (spec 7.2 (7)): reading them as text would drop
                    // a byte order mark, or decode UTF-16, and pass an answer Alipay resends for.
                    byte[] bytes = await answer.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                    accepted = status == 200 && bytes.Length == 7 && Encoding.ASCII.GetString(bytes) == "success";
                    response = Encoding.GetEncoding("ISO-8859-1").GetString(bytes); // each byte one character, so what was wrong shows
                }
                catch (Exception ex) when (ex is HttpRequestException || ex is IOException || (ex is TaskCanceledException && !_host.Stopping.IsCancellationRequested))
                {
                    response = ex.GetType().Name + ": " + ex.Message;
                }
                _deliveries.Enqueue(new NotificationDelivery(notifyId, fileName, notifyType, attempt, DateTime.UtcNow, url, status,
                    response.Length > 200 ? response.Substring(0, 200) : response, accepted));
                if (accepted)
                {
                    // Spec 7.2 (12): once the merchant has answered "success", the notify_id is no longer valid,
                    // so notify_verify answers false for it from now on.
                    _notifyIds.TryRemove(notifyId, out _);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the gateway stopped: pending deliveries end with it
        }
        finally
        {
            Interlocked.Decrement(ref _deliveriesInFlight);
        }
    }
}
