using System;
using System.Net;
using System.Net.Http;

namespace AlipayBptb.Core.Gateway;

/// <summary>The HTTP client the module talks to Alipay's gateway with, for the upload and for notify_verify alike.</summary>
internal static class GatewayHttpClient
{
    /// <summary>
    /// No redirects (one would send a signed upload, or the question and the trust in its answer, elsewhere),
    /// connections renewed every 5 minutes so that DNS changes are followed (rules 3-1: no DNS pinning), compressed
    /// answers read, and no timeout of its own: each caller bounds its whole attempt.
    /// </summary>
    public static HttpClient Create(int? maxConnectionsPerServer = null)
    {
#if NET
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
        };
        if (maxConnectionsPerServer is int most)
        {
            handler.MaxConnectionsPerServer = most;
        }
#else
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
        };
#endif
        return new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }
}
