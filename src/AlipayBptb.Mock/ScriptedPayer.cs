using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Mock;

/// <summary>What a payer saw when confirming through the mock gateway.</summary>
public sealed class MockConfirmation
{
    internal MockConfirmation(string url, string? resultCode, bool? isSuccess, string? returnUrl, int returnStatus, string? fileName)
    {
        Url = url;
        ResultCode = resultCode;
        IsSuccess = isSuccess;
        ReturnUrl = returnUrl;
        ReturnStatus = returnStatus;
        FileName = fileName;
    }

    /// <summary>The confirm URL that was opened.</summary>
    public string Url { get; }

    /// <summary>The result code: from the return, or from the gateway's error page (ILLEGAL_SIGN, USER_PASS_ERROR...).</summary>
    public string? ResultCode { get; }

    /// <summary>is_success of the return (T or F), or null when the payer never got back to the merchant.</summary>
    public bool? IsSuccess { get; }

    /// <summary>Where the browser was sent back to (the signed return), or null.</summary>
    public string? ReturnUrl { get; }

    /// <summary>The HTTP status the merchant's return_url answered, or 0 when not reached.</summary>
    public int ReturnStatus { get; }

    public string? FileName { get; }

    public override string ToString() => $"{FileName}: {ResultCode}";
}

/// <summary>
/// Does what a payer's browser does with a confirm URL on the mock gateway: opens the page, types the
/// payment password, confirms, and follows the redirect back to the merchant's return_url.
/// </summary>
public static class ScriptedPayer
{
    private static readonly Regex Token = new("name=\"token\" value=\"([^\"]+)\"", RegexOptions.CultureInvariant);
    private static readonly Regex ErrorCode = new("id=\"error-code\" data-code=\"([^\"]+)\"", RegexOptions.CultureInvariant);

    // A connection per request (Connection: close): local gateways and receivers come and go on ports the
    // system hands out again, and a kept-alive connection to one that stopped would meet its successor's reset.
    private static readonly HttpClient Client = new(new HttpClientHandler { AllowAutoRedirect = false, UseProxy = false })
    {
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestHeaders = { ConnectionClose = true },
    };

    public static async Task<MockConfirmation> ConfirmAsync(string confirmUrl, string password, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage page = await Client.GetAsync(confirmUrl, cancellationToken).ConfigureAwait(false);
        if (IsRedirect(page))
        {
            return await ReturnAsync(confirmUrl, page.Headers.Location!, cancellationToken).ConfigureAwait(false);
        }
        string html = await page.Content.ReadAsStringAsync().ConfigureAwait(false);
        Match token = Token.Match(html);
        if (!token.Success)
        {
            return new MockConfirmation(confirmUrl, ErrorCodeOf(html), null, null, 0, null);
        }
        var form = new FormUrlEncodedContent(new[]
        {
            new KeyValuePair<string, string>("token", token.Groups[1].Value),
            new KeyValuePair<string, string>("password", password),
        });
        var action = new Uri(new Uri(confirmUrl), "/gateway.do/confirm");
        using HttpResponseMessage confirmed = await Client.PostAsync(action, form, cancellationToken).ConfigureAwait(false);
        if (IsRedirect(confirmed))
        {
            return await ReturnAsync(confirmUrl, confirmed.Headers.Location!, cancellationToken).ConfigureAwait(false);
        }
        return new MockConfirmation(confirmUrl, ErrorCodeOf(await confirmed.Content.ReadAsStringAsync().ConfigureAwait(false)), null, null, 0, null);
    }

    private static bool IsRedirect(HttpResponseMessage r) => (int)r.StatusCode >= 300 && (int)r.StatusCode < 400 && r.Headers.Location != null;

    private static string? ErrorCodeOf(string html)
    {
        Match m = ErrorCode.Match(html);
        return m.Success ? WebUtility.HtmlDecode(m.Groups[1].Value) : null;
    }

    private static async Task<MockConfirmation> ReturnAsync(string confirmUrl, Uri location, CancellationToken cancellationToken)
    {
        // The charset of the return is the request's; the return's own parameters are ASCII or escaped.
        ParameterList p = ParameterReader.Read(location.OriginalString, BptbCharset.Utf8).Parameters;
        int status;
        try
        {
            using HttpResponseMessage merchant = await Client.GetAsync(location, cancellationToken).ConfigureAwait(false);
            status = (int)merchant.StatusCode;
        }
        catch (HttpRequestException)
        {
            status = 0;
        }
        bool? success = p["is_success"] switch { "T" => true, "F" => false, _ => null };
        return new MockConfirmation(confirmUrl, p["result_code"], success, location.OriginalString, status, p["file_name"]);
    }
}
