namespace AlipayBptb.Core.PaymentFiles;

/// <summary>
/// The column names of a payment file (spec 4.3), as the official sample writes them. The cmdlets use them as
/// parameter aliases, so that a spreadsheet's own headers bind by name.
/// </summary>
public static class PaymentFileColumns
{
    // Row 1, the summary's header, and the summary's columns in row 2.
    public const string Date = "日期";
    public const string Total = "总金额";
    public const string Count = "总笔数";
    public const string Email = "支付宝账号(Email)";

    /// <summary>The spec's table spells it 支付宝帐号（Email）: full-width parentheses and 帐.</summary>
    public const string EmailSpec = "支付宝帐号（Email）";

    // Row 3, the detail header, in file order.
    public const string SerialNumber = "商户流水号";
    public const string AccountName = "收款银行户名";

    /// <summary>收款银行账号 as the sample writes it; the spec's table writes 收款银行帐号 (<see cref="AccountNumberSpec"/>).</summary>
    public const string AccountNumber = "收款银行账号";
    public const string AccountNumberSpec = "收款银行帐号";

    /// <summary>收款卡户银行 as the official sample spells it; the spec's table says 收款开户银行 (<see cref="BankSpec"/>).</summary>
    public const string Bank = "收款卡户银行";
    public const string BankSpec = "收款开户银行";
    public const string Province = "收款银行所在省份";
    public const string City = "收款银行所在市";
    public const string Branch = "收款支行名称";
    public const string Amount = "金额";
    public const string Flag = "对公对私标志";
    public const string Remark = "备注";

    /// <summary>Row 1 as the sample writes it: the four summary names.</summary>
    public static readonly string[] SummaryHeader = { Date, Total, Count, Email };

    /// <summary>Row 3 as the sample writes it: the ten detail names in file order.</summary>
    public static readonly string[] DetailHeader = { SerialNumber, AccountName, AccountNumber, Bank, Province, City, Branch, Amount, Flag, Remark };
}
