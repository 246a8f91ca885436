namespace AlipayBptb.Core.PaymentFiles;

/// <summary>
/// One detail row of a payment file (spec 4.3), in file order. Anyone may make one (public setters) to hand to
/// <see cref="PaymentFileWriter"/>; <see cref="Row"/> is set by the reader only. A null string is written as empty.
/// </summary>
public sealed class PaymentRow
{
    /// <summary>商户流水号: optional, at most 22 characters (rules 4-1).</summary>
    public string SerialNumber { get; set; } = string.Empty;

    /// <summary>收款银行户名: required, no spaces (rules 4-1).</summary>
    public string AccountName { get; set; } = string.Empty;

    /// <summary>收款银行账号: required, up to 30 half-width digits; hyphens for 中国农业银行 only (rules 4-1).</summary>
    public string AccountNumber { get; set; } = string.Empty;

    /// <summary>收款开户银行 (the sample's 收款卡户银行): required.</summary>
    public string Bank { get; set; } = string.Empty;

    /// <summary>收款银行所在省份: optional.</summary>
    public string Province { get; set; } = string.Empty;

    /// <summary>收款银行所在市: optional.</summary>
    public string City { get; set; } = string.Empty;

    /// <summary>收款支行名称: optional.</summary>
    public string Branch { get; set; } = string.Empty;

    /// <summary>金额 in yuan: more than 0, at most two decimals.</summary>
    public decimal Amount { get; set; }

    /// <summary>对公对私标志.</summary>
    public AccountFlag Flag { get; set; }

    /// <summary>备注: optional, at most 256 GBK bytes, no '^' (rules 4-1).</summary>
    public string Remark { get; set; } = string.Empty;

    /// <summary>The 1-based row in the file it was read from (detail rows start at row 4); 0 for a row not read from a file.</summary>
    public int Row { get; internal set; }

    public override string ToString() => $"{SerialNumber} {AccountName} {Amount}";
}
