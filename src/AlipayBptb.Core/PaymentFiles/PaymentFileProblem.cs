namespace AlipayBptb.Core.PaymentFiles;

/// <summary>
/// Something in a payment file that Alipay would refuse or fail. <see cref="Code"/> is the spec's error code
/// (spec 8.1) where it has one, else a stable code of ours; <see cref="Message"/> is one line naming the row and column.
/// </summary>
public sealed class PaymentFileProblem
{
    public PaymentFileProblem(int? row, string? column, string? code, string message)
    {
        Row = row;
        Column = column;
        Code = code;
        Message = message;
    }

    /// <summary>The 1-based row of the file (of the sheet, for .xls), or null for the file as a whole.</summary>
    public int? Row { get; }

    /// <summary>The column's name as spec 4.3 gives it (e.g. 金额), or null.</summary>
    public string? Column { get; }

    public string? Code { get; }

    public string Message { get; }

    public override string ToString() => Code == null ? Message : $"{Code}: {Message}";
}
