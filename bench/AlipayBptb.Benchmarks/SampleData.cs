using System;
using System.Collections.Generic;
using System.Text;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Benchmarks;

/// <summary>A realistic bptb notification (spec 6) and the MD5 test vector of tests/vectors (md5.json, message.utf8.txt).</summary>
internal static class SampleData
{
    public const string Md5Key = "k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";

    /// <summary>MD5(utf-8 bytes of <see cref="VectorSignString"/> + <see cref="Md5Key"/>), computed independently (python hashlib).</summary>
    public const string VectorMd5Utf8 = "f8a44eaa417db0a74b37001ebbb6c753";

    public const string VectorSignString =
        "file_name=批量付款20101130.csv&flag=bptb_unfreeze_file&notify_id=dfbd26e612bddb4ad707efec0f0d8f3700"
        + "&notify_time=2009-08-12 11:08:32&notify_type=bptb_unfreeze_notify&pay_date=20101130";

    /// <summary>The notification's fields in the order Alipay posts them (not sorted), without sign and sign_type.</summary>
    public static KeyValuePair<string, string>[] NotificationFields() => new[]
    {
        Pair("notify_time", "2009-08-12 11:08:32"),
        Pair("notify_type", "bptb_unfreeze_notify"),
        Pair("notify_id", "dfbd26e612bddb4ad707efec0f0d8f3700"),
        Pair("pay_date", "20101130"),
        Pair("flag", "bptb_unfreeze_file"),
        Pair("file_name", "批量付款20101130.csv"),
    };

    /// <summary>A longer RSA/DSA-signed notification (partner, result fields) whose sign string is about 250 characters.</summary>
    public static ParameterList LongNotification()
    {
        ParameterList list = List(NotificationFields());
        list.TryAdd("partner", "2088002464631181");
        list.TryAdd("is_success", "T");
        list.TryAdd("result_code", "BATCH_FILE_UNFROZEN");
        return list;
    }

    public static ParameterList List(IEnumerable<KeyValuePair<string, string>> fields, string? sign = null, string? signType = null)
    {
        var list = new ParameterList();
        foreach (KeyValuePair<string, string> f in fields)
        {
            Add(list, f.Key, f.Value);
            if (f.Key == "notify_id" && sign != null)
            {
                Add(list, "sign_type", signType ?? "MD5");
                Add(list, "sign", sign);
            }
        }
        return list;
    }

    /// <summary>The form body / query string as posted: values percent-encoded in utf-8, a space as '+'.</summary>
    public static string Query(ParameterList list)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < list.Count; i++)
        {
            if (i > 0)
            {
                sb.Append('&');
            }
            sb.Append(list.KeyAt(i)).Append('=').Append(Uri.EscapeDataString(list.ValueAt(i)).Replace("%20", "+"));
        }
        return sb.ToString();
    }

    private static void Add(ParameterList list, string key, string value)
    {
        if (!list.TryAdd(key, value))
        {
            throw new InvalidOperationException($"duplicate sample parameter {key}");
        }
    }

    private static KeyValuePair<string, string> Pair(string key, string value) => new(key, value);
}
