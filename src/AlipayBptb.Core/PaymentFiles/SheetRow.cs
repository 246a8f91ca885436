namespace AlipayBptb.Core.PaymentFiles;

/// <summary>One row of a payment file as cells of text, whatever the format it came in.</summary>
internal sealed class SheetRow
{
    public SheetRow(int number, string[] cells, bool[]? numeric = null)
    {
        Number = number;
        Cells = cells;
        Numeric = numeric;
    }

    /// <summary>1-based, counted as the file (or sheet) counts its rows.</summary>
    public int Number { get; }

    public string[] Cells { get; }

    /// <summary>For .xls: which cells held a number rather than text (null for .csv, where everything is text).</summary>
    public bool[]? Numeric { get; }

    public string this[int index] => index < Cells.Length ? Cells[index] : string.Empty;

    public bool IsNumeric(int index) => Numeric != null && index < Numeric.Length && Numeric[index];

    /// <summary>The number of cells up to the last one that is not empty.</summary>
    public int UsedWidth
    {
        get
        {
            int n = Cells.Length;
            while (n > 0 && Cells[n - 1].Length == 0)
            {
                n--;
            }
            return n;
        }
    }

    public bool IsBlank => UsedWidth == 0;
}
