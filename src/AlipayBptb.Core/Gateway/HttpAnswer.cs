using System;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace AlipayBptb.Core.Gateway;

/// <summary>Reading Alipay's answer to a request: bounded in size and in time, whatever the server does.</summary>
internal static class HttpAnswer
{
    /// <summary>
    /// Reads at most <paramref name="maxBytes"/> of the body. The token must bound the body too: a gateway that sends
    /// its headers and then stalls would otherwise hold the attempt (and the pipeline) for as long as the connection
    /// lives. ReadAsStreamAsync takes no token on netstandard2.0, and not every response stream heeds the token given
    /// to ReadAsync, so the token also disposes the response and the stream, which closes the connection and ends a
    /// read in progress; what that read throws is then reported as the cancellation it is.
    /// </summary>
    public static async Task<(byte[] Buffer, int Length)> ReadBoundedAsync(HttpResponseMessage response, int maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[maxBytes];
        int total = 0;
        try
        {
            using CancellationTokenRegistration disposeResponse = cancellationToken.Register(static r => ((HttpResponseMessage)r!).Dispose(), response);
            using Stream stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
            using CancellationTokenRegistration disposeStream = cancellationToken.Register(static s => ((Stream)s!).Dispose(), stream);
            while (total < buffer.Length)
            {
                int n = await stream.ReadAsync(buffer, total, buffer.Length - total, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                total += n;
            }
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            throw new OperationCanceledException("The attempt's time ran out while the answer was read.", ex, cancellationToken);
        }
        cancellationToken.ThrowIfCancellationRequested();
        return (buffer, total);
    }
}
