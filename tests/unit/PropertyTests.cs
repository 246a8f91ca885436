using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;
using CsCheck;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>
/// Properties over random inputs (CsCheck, shrinking to the smallest failing case): the reader, the sign string
/// and the verifier agree on every parameter set, and no restructuring of a genuine callback is valid unless it
/// reads back to the same parameters.
/// </summary>
public class PropertyTests
{
    private const string Md5Key = "k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";
    private const long Iterations = 2000;

    // Characters that stress the wire format ('&', '=', '%', '+', space) and both charsets (Chinese is in GBK).
    private static readonly Gen<char> ValueChar = Gen.Char["xyzXYZ019&=%+ -_./:~?#批量付款鎔"];
    private static readonly Gen<string> Value = Gen.String[ValueChar, 1, 24];
    private static readonly Gen<string> Key = Gen.String[Gen.Char["abcdefg_=&%+ 批"], 1, 10];
    private static readonly Gen<BptbCharset> Charset = Gen.OneOf(Gen.Const(BptbCharset.Utf8), Gen.Const(BptbCharset.Get("gbk")));

    private static string Encode(IEnumerable<KeyValuePair<string, string>> pairs, BptbCharset charset) =>
        string.Join("&", pairs.Select(p => PercentEncoding.Encode(p.Key, charset) + "=" + PercentEncoding.Encode(p.Value, charset)));

    private static List<KeyValuePair<string, string>> Pairs(ParameterList list) => list.ToList();

    [Fact]
    public void Any_parameter_set_encoded_in_its_charset_reads_back_the_same()
    {
        Gen<(KeyValuePair<string, string>[], BptbCharset)> sets = Gen.Select(
            Gen.Select(Key, Value, (k, v) => new KeyValuePair<string, string>(k, v)).Array[1, 12]
                .Select(a => a.GroupBy(p => p.Key, StringComparer.Ordinal).Select(g => g.First()).ToArray()),
            Charset);
        sets.Sample((pairs, charset) =>
        {
            ParameterRead read = ParameterReader.ReadQuery(Encode(pairs, charset), charset);
            Assert.Null(read.Problem);
            Assert.Equal(pairs, Pairs(read.Parameters));
        }, iter: Iterations);
    }

    // A genuine notification with random values in every field's format; the file name is free text that a request
    // could carry (FieldRules.FileName: no folder, so neither '/' nor ':'), as a genuine callback's is.
    private static readonly Gen<char> FileNameChar = Gen.Char["xyzXYZ019&=%+ -_.~?#批量付款鎔"];

    private static readonly Gen<ParameterList> Notification = Gen.Select(
        Gen.String[Gen.Char["abcdefABCDEF0123456789+/=_-"], 1, 40],
        Gen.DateTime[new DateTime(2000, 1, 1), new DateTime(2099, 12, 31)],
        Gen.Int[0, 1],
        Gen.String[FileNameChar, 1, 20],
        (id, time, type, file) =>
        {
            var p = new ParameterList();
            p.TryAdd("notify_type", type == 0 ? "bptb_result_notify" : "bptb_unfreeze_notify");
            p.TryAdd("notify_time", time.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture));
            p.TryAdd("notify_id", id);
            p.TryAdd("pay_date", time.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture));
            p.TryAdd("flag", type == 0 ? "bptb_result_file" : "bptb_unfreeze_file");
            p.TryAdd("file_name", (file.Trim().Length == 0 ? "f" : file.Trim()) + ".csv");
            return p;
        });

    private static List<KeyValuePair<string, string>> Signed(ParameterList p, BptbCharset charset)
    {
        using var signer = new Md5Signer(Md5Key);
        var pairs = Pairs(p);
        pairs.Add(new("sign", signer.Sign(SignString.Build(p), charset)));
        pairs.Add(new("sign_type", "MD5"));
        return pairs;
    }

    private static NotificationResult Verify(string body, BptbCharset charset)
    {
        using var verifier = new NotificationVerifier(new[] { new Md5Signer(Md5Key) }, null, null, charset);
        NotificationResult? r = verifier.Verify(body, out string? unreadable);
        Assert.Null(unreadable);
        return r!;
    }

    [Fact]
    public void Any_genuine_notification_signs_encodes_reads_and_verifies()
    {
        Gen.Select(Notification, Charset).Sample((p, charset) =>
        {
            NotificationResult r = Verify(Encode(Signed(p, charset), charset), charset);
            Assert.True(r.IsValid, r.Reason);
            Assert.Equal(p["notify_id"], r.NotifyId);
            Assert.Equal(p["file_name"], r.FileName);
        }, iter: Iterations);
    }

    private enum Restructuring
    {
        Merge,
        KeyAbsorbs,
        Split,
        ReEscape,
        Reorder,
        Duplicate,
        DropEmptyAdded,
    }

    // One restructuring of a signed parameter list, keeping the signature: what an attacker can do to a
    // genuine callback without the key.
    private static List<KeyValuePair<string, string>> Restructure(List<KeyValuePair<string, string>> signed, Restructuring how, int at)
    {
        var pairs = signed.Where(p => p.Key != "sign" && p.Key != "sign_type").OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        var tail = signed.Where(p => p.Key == "sign" || p.Key == "sign_type").ToList();
        int i = at % pairs.Count;
        switch (how)
        {
            case Restructuring.Merge when i + 1 < pairs.Count:
                // k1=v1&k2=v2 → one k1 whose value is "v1&k2=v2": the same sign string.
                pairs[i] = new(pairs[i].Key, pairs[i].Value + "&" + pairs[i + 1].Key + "=" + pairs[i + 1].Value);
                pairs.RemoveAt(i + 1);
                break;
            case Restructuring.KeyAbsorbs when i + 1 < pairs.Count:
                // k1=v1&k2=v2 → one key "k1=v1&k2" with the value v2: the same sign string.
                pairs[i] = new(pairs[i].Key + "=" + pairs[i].Value + "&" + pairs[i + 1].Key, pairs[i + 1].Value);
                pairs.RemoveAt(i + 1);
                break;
            case Restructuring.Split:
                // A value holding "&x=y" becomes two pairs: the same sign string.
                int amp = pairs[i].Value.IndexOf('&', StringComparison.Ordinal);
                int eq = amp < 0 ? -1 : pairs[i].Value.IndexOf('=', amp);
                if (eq > amp + 1)
                {
                    string value = pairs[i].Value;
                    pairs[i] = new(pairs[i].Key, value.Substring(0, amp));
                    pairs.Insert(i + 1, new(value.Substring(amp + 1, eq - amp - 1), value.Substring(eq + 1)));
                }
                break;
            case Restructuring.Reorder:
                pairs.Reverse();
                break;
            case Restructuring.Duplicate:
                pairs.Add(pairs[i]);
                break;
            case Restructuring.DropEmptyAdded:
                // An empty parameter is not signed, and must decide nothing.
                pairs.Insert(i, new("result_code", string.Empty));
                break;
        }
        return pairs.Concat(tail).ToList();
    }

    [Fact]
    public void No_restructuring_of_a_genuine_callback_is_valid_unless_it_reads_back_to_the_same_parameters()
    {
        Gen.Select(Notification, Charset, Gen.Enum<Restructuring>(), Gen.Int[0, 20], Gen.Bool).Sample((p, charset, how, at, escapeAll) =>
        {
            List<KeyValuePair<string, string>> signed = Signed(p, charset);
            List<KeyValuePair<string, string>> copy = Restructure(signed, how, at);
            string body = Encode(copy, charset);
            if (how == Restructuring.ReEscape || escapeAll)
            {
                // Every byte as %XX: the same parameters, written another way.
                body = string.Join("&", copy.Select(kv => EscapeAll(kv.Key, charset) + "=" + EscapeAll(kv.Value, charset)));
            }
            NotificationResult r = Verify(body, charset);
            var original = Pairs(p).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            var readBack = Pairs(r.RawParameters).Where(kv => kv.Value.Length > 0 && kv.Key != "sign" && kv.Key != "sign_type")
                .GroupBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
            bool same = original.Count == readBack.Count && original.All(kv => readBack.TryGetValue(kv.Key, out string? v) && v == kv.Value)
                && r.RawParameters.Count == copy.Count(kv => true) && copy.GroupBy(kv => kv.Key).All(g => g.Count() == 1);
            if (r.IsValid)
            {
                Assert.True(same, $"{how}: a restructured callback verified: {body}");
                Assert.Equal(p["notify_id"], r.NotifyId);
            }
            if (how is Restructuring.ReEscape or Restructuring.Reorder or Restructuring.DropEmptyAdded)
            {
                Assert.True(r.IsValid, $"{how} keeps the parameters, so it stays valid: {r.Reason}");
            }
        }, iter: Iterations);
    }

    private static string EscapeAll(string text, BptbCharset charset)
    {
        var sb = new StringBuilder();
        foreach (byte b in charset.GetBytes(text))
        {
            sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
