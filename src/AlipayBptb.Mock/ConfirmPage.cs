using System.Globalization;
using System.Net;
using System.Text;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Rules;

namespace AlipayBptb.Mock;

/// <summary>The mock gateway's pages: the confirm page of spec figure 2-2, and error pages that carry the code.</summary>
internal static class ConfirmPage
{
    private const string Style = "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px}"
        + ".invalid{background:#fdd}.warning{color:#a00;margin:1em 0}.error{color:#fff;background:#c00;padding:4px}";

    public static string Render(UploadedPaymentFile file, string email, string token, string? error)
    {
        var sb = new StringBuilder(4096);
        sb.Append("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>支付宝 - 确认批量付款信息</title><style>")
          .Append(Style).Append("</style></head><body><h1>确认批量付款信息</h1>");
        sb.Append("<p id=\"file-name\">文件名: ").Append(H(file.FileName)).Append("</p>");
        sb.Append("<p id=\"batch-total\">总金额: <span id=\"total-amount\">").Append(file.TotalAmount.ToString("0.00", CultureInfo.InvariantCulture))
          .Append("</span> 元, 总笔数: <span id=\"total-count\">").Append(file.TotalCount.ToString(CultureInfo.InvariantCulture)).Append("</span></p>");
        sb.Append("<table id=\"details\"><tr><th>商户流水号</th><th>收款人姓名</th><th>收款人账号</th><th>银行省份</th><th>银行城市</th><th>银行名称</th><th>银行支行</th><th>付款金额(元)</th><th>校验</th></tr>");
        foreach (PaymentDetail d in file.Details)
        {
            sb.Append(d.IsValid ? "<tr>" : "<tr class=\"invalid\">");
            foreach (string cell in new[] { d.Serial, d.Name, d.Account, d.Province, d.City, d.Bank, d.Branch, d.Amount.ToString("0.00", CultureInfo.InvariantCulture) })
            {
                sb.Append("<td>").Append(H(cell)).Append("</td>");
            }
            sb.Append("<td>").Append(d.IsValid ? "通过" : H(d.Problem!)).Append("</td></tr>");
        }
        sb.Append("</table>");
        sb.Append("<p id=\"total\">合计: ").Append(file.PayableAmount.ToString("0.00", CultureInfo.InvariantCulture)).Append(" 元</p>");
        bool someInvalid = false;
        foreach (PaymentDetail d in file.Details)
        {
            someInvalid |= !d.IsValid;
        }
        if (someInvalid)
        {
            sb.Append("<p class=\"warning\" id=\"validation-warning\">文件明细校验部分未通过, 如果继续付款, 只能待校验通过的明细付款。</p>");
        }
        if (error != null)
        {
            sb.Append("<p class=\"error\" id=\"error-code\" data-code=\"").Append(H(error)).Append("\">")
              .Append(H(ErrorCode.Find(error)?.Meaning ?? error)).Append(" (").Append(H(error)).Append(")</p>");
        }
        sb.Append("<h2>输入支付密码, 确认付款</h2><form method=\"post\" action=\"/gateway.do/confirm\" accept-charset=\"utf-8\">")
          .Append("<input type=\"hidden\" name=\"token\" value=\"").Append(H(token)).Append("\">")
          .Append("<p>账户名: <span id=\"account\">").Append(H(email)).Append("</span></p>")
          .Append("<p><label for=\"payPassword\">支付密码:</label> <input type=\"password\" id=\"payPassword\" name=\"password\" autocomplete=\"off\"></p>")
          .Append("<p><button type=\"submit\" id=\"confirmButton\">确认</button></p></form></body></html>");
        return sb.ToString();
    }

    public static string RenderError(string code)
    {
        ErrorCode? e = ErrorCode.Find(code);
        return "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>支付宝 - 错误 " + H(code) + "</title><style>" + Style
            + "</style></head><body><h1>错误</h1><p class=\"error\" id=\"error-code\" data-code=\"" + H(code) + "\">" + H(code) + "</p><p>"
            + H(e?.Meaning ?? string.Empty) + "</p><p>" + H(e?.Description ?? string.Empty) + "</p></body></html>";
    }

    private static string H(string text) => WebUtility.HtmlEncode(text);
}
