using System;
using System.Linq;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Tests;

/// <summary>Genuine callbacks for tests, signed with the tests' MD5 key.</summary>
internal static class TestCallbacks
{
    public const string Md5Key = "k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";

    /// <summary>A bptb_result_notify for <paramref name="file"/>, every field of spec 6.2, signed (sign and sign_type last).</summary>
    public static ParameterList Notification(string notifyId, string file)
    {
        var p = new ParameterList();
        p.TryAdd("notify_type", "bptb_result_notify");
        p.TryAdd("notify_time", "2026-11-26 10:00:00");
        p.TryAdd("notify_id", notifyId);
        p.TryAdd("pay_date", "20261126");
        p.TryAdd("flag", "bptb_result_file");
        p.TryAdd("file_name", file);
        return Signed(p);
    }

    /// <summary>A return (spec 5.2) for <paramref name="file"/>: is_success T or F with <paramref name="resultCode"/>, signed.</summary>
    public static ParameterList Return(string file, bool success, string resultCode)
    {
        var p = new ParameterList();
        p.TryAdd("file_name", file);
        p.TryAdd("is_success", success ? "T" : "F");
        p.TryAdd("partner", "2088002464631181");
        p.TryAdd("result_code", resultCode);
        return Signed(p);
    }

    // Signed with the tests' MD5 key as Alipay signs, sign and sign_type last.
    private static ParameterList Signed(ParameterList p)
    {
        using var s = new Md5Signer(Md5Key);
        p.TryAdd("sign", s.Sign(SignString.Build(p), BptbCharset.Utf8));
        p.TryAdd("sign_type", "MD5");
        return p;
    }

    /// <summary>The parameters as a form body, each value percent-encoded.</summary>
    public static string Body(ParameterList p) => string.Join("&", p.Select(kv => kv.Key + "=" + Uri.EscapeDataString(kv.Value)));
}
