using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Hosting;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Mock;

// bptb_user_confirm (spec 4, 5, 10.1): the checks before the confirm page, the password session, the signed return.
public sealed partial class LocalGateway
{
    /// <summary>Rules 4-1: confirm at least 5 minutes after the upload...</summary>
    public static readonly TimeSpan ConfirmNotBefore = TimeSpan.FromMinutes(5);

    /// <summary>...and within 15 days of it.</summary>
    public static readonly TimeSpan ConfirmNotAfter = TimeSpan.FromDays(15);

    /// <summary>How long after an upload a confirmation is accepted, in this gateway's clock (5 minutes × TimeFactor).</summary>
    public TimeSpan ConfirmDelay => Scaled(ConfirmNotBefore);

    // Spec 4 and 10.1: the checks Alipay makes before it shows the confirm page. Security failures get an
    // error page (Alipay does not call back an unauthenticated return_url); business failures go back to
    // return_url as a signed return with is_success=F and the code.
    private async Task ConfirmRequestAsync(HttpExchange context, ParameterList p, string? readProblem, string? charsetName, BptbCharset charset)
    {
        string? fileName = p["file_name"];
        if (charsetName == null || !BptbCharset.TryGet(charsetName, out _))
        {
            await ErrorPageAsync(context, ConfirmRequestBuilder.Service, fileName, "ILLEGAL_CHARSET").ConfigureAwait(false);
            return;
        }
        if (readProblem != null)
        {
            await ErrorPageAsync(context, ConfirmRequestBuilder.Service, fileName, "ILLEGAL_ARGUMENT").ConfigureAwait(false);
            return;
        }
        if (!string.Equals(p["partner"], Partner, StringComparison.Ordinal))
        {
            await ErrorPageAsync(context, ConfirmRequestBuilder.Service, fileName, "ILLEGAL_PARTNER").ConfigureAwait(false);
            return;
        }
        if (!SignTypes.TryParse(p["sign_type"] ?? string.Empty, out SignType signType))
        {
            await ErrorPageAsync(context, ConfirmRequestBuilder.Service, fileName, "ILLEGAL_SIGN_TYPE").ConfigureAwait(false);
            return;
        }
        if (!_requestVerifiers.TryGetValue(signType, out Signer? verifier))
        {
            await ErrorPageAsync(context, ConfirmRequestBuilder.Service, fileName, "ILLEGAL_SECURITY_PROFILE").ConfigureAwait(false);
            return;
        }
        bool signed;
        lock (verifier)
        {
            signed = !string.IsNullOrEmpty(p["sign"]) && verifier.Verify(SignString.Build(p), charset, p["sign"]!).IsValid;
        }
        if (!signed)
        {
            await ErrorPageAsync(context, ConfirmRequestBuilder.Service, fileName, "ILLEGAL_SIGN").ConfigureAwait(false);
            return;
        }
        string? email = p["email"];
        string? returnUrl = p["return_url"];
        if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(fileName) || string.IsNullOrEmpty(returnUrl))
        {
            await ErrorPageAsync(context, ConfirmRequestBuilder.Service, fileName, "ILLEGAL_ARGUMENT").ConfigureAwait(false);
            return;
        }
        var confirm = new PendingConfirm(fileName!, email!, returnUrl!, p["notify_url"], signType, charset);
        string? failure = !_files.TryGetValue(fileName!, out UploadedFile? file) ? "FILE_NOT_EXIST"
            // Rules 4-1: the file's details are checked for about 5 minutes after the upload, and a file is kept
            // for confirmation 15 days: before and after, Alipay finds no file to confirm.
            : DateTime.UtcNow - file.File.UploadedAt < Scaled(ConfirmNotBefore) ? "FILE_NOT_EXIST"
            : DateTime.UtcNow - file.File.UploadedAt > Scaled(ConfirmNotAfter) ? "FILE_NOT_EXIST"
            : !IsAccount(email!) ? "USER_NOT_EXIST"
            : !string.Equals(file.Email, email, StringComparison.OrdinalIgnoreCase) ? "ACCOUNT_NOT_CONSISTENT"
            : file.Confirmed ? "USER_CONFIRM_SUCC"
            : file.File.AllDetailsFail ? "DETAIL_VALIDATED_FAIL"
            : null;
        if (failure != null)
        {
            Record(context, ConfirmRequestBuilder.Service, null, fileName, failure);
            await Redirect(context, ReturnUrl(confirm, false, failure));
            return;
        }
        string token = Guid.NewGuid().ToString("N");
        _pending[token] = confirm;
        Record(context, ConfirmRequestBuilder.Service, null, fileName, "page");
        await WriteAsync(context, 200, ConfirmPage.Render(file!.File, email!, token, error: null), "text/html").ConfigureAwait(false);
    }

    private async Task ConfirmAsync(HttpExchange context, string body)
    {
        ParameterList form = ParameterReader.Read(body.Length == 0 ? "token=" : body, BptbCharset.Utf8).Parameters;
        string token = form["token"] ?? string.Empty;
        if (!_pending.TryGetValue(token, out PendingConfirm? confirm))
        {
            await ErrorPageAsync(context, "confirm", null, "SESSION_TIMEOUT").ConfigureAwait(false);
            return;
        }
        UploadedFile file = _files[confirm.FileName];
        if (!string.Equals(form["password"], _options.PaymentPassword, StringComparison.Ordinal))
        {
            Record(context, "confirm", null, confirm.FileName, "USER_PASS_ERROR");
            await WriteAsync(context, 200, ConfirmPage.Render(file.File, confirm.Email, token, "USER_PASS_ERROR"), "text/html").ConfigureAwait(false);
            return;
        }
        _pending.TryRemove(token, out _);
        bool first;
        lock (file)
        {
            first = !file.Confirmed;
            file.Confirmed = true;
        }
        if (!first)
        {
            // Two pages for one file, both confirmed: the second is told the batch was confirmed already.
            Record(context, "confirm", null, confirm.FileName, "USER_CONFIRM_SUCC (again)");
            await Redirect(context, ReturnUrl(confirm, false, "USER_CONFIRM_SUCC"));
            return;
        }
        Record(context, "confirm", null, confirm.FileName, "USER_CONFIRM_SUCC");
        // The batch is paid from the balance; short of it, it waits for a top-up (spec 7.3: bptb_unfreeze_notify).
        bool balanceShort;
        lock (_waiting)
        {
            decimal amount = file.File.PayableAmount;
            balanceShort = _balance.HasValue && (amount > _balance.Value || _waiting.Count > 0);
            if (balanceShort)
            {
                _waiting.Add((confirm, amount));
            }
            else if (_balance.HasValue)
            {
                _balance -= amount;
            }
        }
        StartDelivery(confirm, balanceShort);
        await Redirect(context, ReturnUrl(confirm, true, "USER_CONFIRM_SUCC"));
    }

    private string ReturnUrl(PendingConfirm confirm, bool success, string resultCode)
    {
        var p = new ParameterList(6);
        p.TryAdd("file_name", confirm.FileName);
        p.TryAdd("is_success", success ? "T" : "F");
        p.TryAdd("partner", Partner);
        p.TryAdd("result_code", resultCode);
        return confirm.ReturnUrl + "?" + SignedQuery(p, confirm.SignType, confirm.Charset);
    }

    private async Task ErrorPageAsync(HttpExchange context, string service, string? fileName, string code)
    {
        Record(context, service, null, fileName, code);
        await WriteAsync(context, 200, ConfirmPage.RenderError(code), "text/html").ConfigureAwait(false);
    }

    private sealed class PendingConfirm
    {
        public PendingConfirm(string fileName, string email, string returnUrl, string? notifyUrl, SignType signType, BptbCharset charset)
        {
            FileName = fileName;
            Email = email;
            ReturnUrl = returnUrl;
            NotifyUrl = notifyUrl;
            SignType = signType;
            Charset = charset;
        }

        public string FileName { get; }
        public string Email { get; }
        public string ReturnUrl { get; }
        public string? NotifyUrl { get; }
        public SignType SignType { get; }
        public BptbCharset Charset { get; }
    }
}
