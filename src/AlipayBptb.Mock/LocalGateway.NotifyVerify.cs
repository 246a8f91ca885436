using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using AlipayBptb.Core.Hosting;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Mock;

// notify_verify (spec 9): the ids this gateway issued, and the faults a test asks it to serve first.
public sealed partial class LocalGateway
{
    /// <summary>Makes a new notify id as Alipay would (34 hex digits) and remembers it as issued.</summary>
    public string IssueNotifyId()
    {
        string id = Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N").Substring(0, 2);
        _notifyIds[id] = Partner;
        return id;
    }

    /// <summary>Remembers a notify id as issued for this gateway's partner.</summary>
    public void AddNotifyId(string notifyId) => _notifyIds[notifyId] = Partner;

    public void AddFault(NotifyVerifyFault fault) => (fault.IsUploadFault ? _uploadFaults : _faults).Enqueue(fault);

    public void AddFault(string fault) => AddFault(NotifyVerifyFault.Parse(fault));

    private async Task NotifyVerifyAsync(HttpExchange context, ParameterList parameters)
    {
        string? notifyId = parameters["notify_id"];
        if (_faults.TryDequeue(out NotifyVerifyFault? fault))
        {
            switch (fault.Kind)
            {
                case NotifyVerifyFaultKind.Reset:
                    Record(context, "notify_verify", notifyId, null, "reset");
                    // Promise a body, send two bytes of it, then reset the connection.
                    await context.ResetAfterAsync(1024, new byte[] { (byte)'t', (byte)'r' }).ConfigureAwait(false);
                    return;
                case NotifyVerifyFaultKind.Status:
                    Record(context, "notify_verify", notifyId, null, "status:" + fault.Status);
                    await WriteAsync(context, fault.Status, "<html><body><h1>" + fault.Status + " Server Error</h1></body></html>", "text/html").ConfigureAwait(false);
                    return;
                case NotifyVerifyFaultKind.Body:
                    Record(context, "notify_verify", notifyId, null, fault.Body);
                    await WriteAsync(context, 200, fault.Body, "text/plain").ConfigureAwait(false);
                    return;
                case NotifyVerifyFaultKind.Delay:
                    await Task.Delay(fault.Delay, _host.Stopping).ConfigureAwait(false);
                    break;
            }
        }
        bool issued = notifyId != null && _notifyIds.TryGetValue(notifyId, out string? owner)
            && string.Equals(owner, parameters["partner"], StringComparison.Ordinal);
        string answer = issued ? "true" : "false";
        Record(context, "notify_verify", notifyId, null, answer);
        await WriteAsync(context, 200, answer, "text/plain").ConfigureAwait(false);
    }
}
