using System;
using System.Collections.Generic;

namespace AlipayBptb.Core.PaymentFiles;

/// <summary>The banks that take T0 (same-day) payments, for personal and for company accounts (spec 8.4, table 8-4).</summary>
public static class T0Banks
{
    // Bank name -> (对私, 对公). Every other bank takes T1 only (spec 8.4).
    private static readonly Dictionary<string, (bool Personal, bool Corporate)> Table = new(StringComparer.Ordinal)
    {
        ["中国工商银行"] = (true, true),
        ["招商银行"] = (true, true),
        ["中国农业银行"] = (true, true),
        ["杭州银行"] = (true, true),
        ["中国建设银行"] = (true, true),
        ["农信银资金清算中心"] = (true, false),
        ["广发银行"] = (true, true),
        ["交通银行"] = (true, true),
        ["上海浦东发展银行"] = (false, true),
        ["中国民生银行"] = (true, true),
        ["中国光大银行"] = (false, true),
        ["中国银行"] = (true, true),
        ["中信银行"] = (false, true),
    };

    /// <summary>The bank names of table 8-4, as written there.</summary>
    public static IEnumerable<string> Names => Table.Keys;

    /// <summary>True when <paramref name="bank"/> (exactly as table 8-4 writes it) pays T0 to accounts of <paramref name="flag"/>.</summary>
    public static bool Supports(string bank, AccountFlag flag)
        => Table.TryGetValue(bank, out var t) && (flag == AccountFlag.Personal ? t.Personal : flag == AccountFlag.Corporate && t.Corporate);
}
