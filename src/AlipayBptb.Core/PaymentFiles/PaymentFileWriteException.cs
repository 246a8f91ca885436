using System;

namespace AlipayBptb.Core.PaymentFiles;

/// <summary>
/// A value <see cref="PaymentFileWriter"/> cannot write into a payment file. <see cref="InputRow"/> is the 1-based
/// position in the rows given (0 for the summary: date, email, the number of rows); <see cref="Field"/> the column's
/// name as spec 4.3 gives it.
/// </summary>
public sealed class PaymentFileWriteException : Exception
{
    public PaymentFileWriteException(int inputRow, string field, string message, Exception? inner = null) : base(message, inner)
    {
        InputRow = inputRow;
        Field = field;
    }

    public int InputRow { get; }

    public string Field { get; }
}
