using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.PaymentFiles;

/// <summary>
/// Writes a .csv payment file laid out exactly as the official sample (spec 4.3): row 1 the summary header, row 2 the
/// summary (date, total, count, email), row 3 the detail header, then one row a payment; GBK, CRLF after every row
/// (the last too), the two summary rows padded with empty columns to ten as the sample is. Total and count are computed
/// from the rows. Whatever the checker would refuse is refused here first, and then nothing is written.
/// </summary>
public static class PaymentFileWriter
{
    private const string LineEnd = "\r\n";
    private const string SummaryPadding = ",,,,,,";

    /// <summary>
    /// The file's bytes. Throws <see cref="PaymentFileWriteException"/> naming the 1-based input row (0 for the
    /// summary) and the field for a value that cannot be written: a character outside GBK, a comma, quote or line
    /// break, an amount not above 0 or with more than two decimals, a flag other than 1 or 2, or a field that breaks
    /// the checker's rules.
    /// </summary>
    public static byte[] Write(DateTime date, string email, IReadOnlyList<PaymentRow> rows)
    {
        rows ??= Array.Empty<PaymentRow>();
        BptbCharset gbk = BptbCharset.Get("gbk");
        email ??= string.Empty;
        if (PaymentFieldRules.Account(email) is { } accountFault)
        {
            throw new PaymentFileWriteException(0, PaymentFileColumns.Email, $"{PaymentFileColumns.Email}: {accountFault}");
        }
        if (rows.Count == 0 || rows.Count > PaymentFieldRules.MaxRows)
        {
            throw new PaymentFileWriteException(0, PaymentFileColumns.Count,
                $"{PaymentFileColumns.Count}: {rows.Count} payments given: a file holds 1 to {PaymentFieldRules.MaxRows} (FREEZE_DETAIL_LIMIT); split them into several files.");
        }
        if (date.Year < 1000 || date.Year > 9999)
        {
            throw new PaymentFileWriteException(0, PaymentFileColumns.Date, $"{PaymentFileColumns.Date}: the year {date.Year} cannot be written yyyyMMdd.");
        }

        using var body = new MemoryStream(rows.Count * 96);
        decimal total = 0m;
        for (int i = 0; i < rows.Count; i++)
        {
            int inputRow = i + 1;
            PaymentRow row = rows[i] ?? throw new PaymentFileWriteException(inputRow, string.Empty, $"Input row {inputRow}: no row given (null).");
            string bank = row.Bank ?? string.Empty;
            string[] fields =
            {
                Text(inputRow, PaymentFileColumns.SerialNumber, row.SerialNumber, PaymentFieldRules.Serial),
                Text(inputRow, PaymentFileColumns.AccountName, row.AccountName, PaymentFieldRules.AccountName),
                Text(inputRow, PaymentFileColumns.AccountNumber, row.AccountNumber, t => PaymentFieldRules.AccountNumber(t, bank)),
                Text(inputRow, PaymentFileColumns.Bank, bank, PaymentFieldRules.Bank),
                Text(inputRow, PaymentFileColumns.Province, row.Province, null),
                Text(inputRow, PaymentFileColumns.City, row.City, null),
                Text(inputRow, PaymentFileColumns.Branch, row.Branch, null),
                Number(inputRow, PaymentFileColumns.Amount, PaymentFieldRules.Amount(row.Amount), PaymentFieldRules.FormatAmount(row.Amount)),
                Number(inputRow, PaymentFileColumns.Flag, PaymentFieldRules.Flag(row.Flag), ((int)row.Flag).ToString(CultureInfo.InvariantCulture)),
                Text(inputRow, PaymentFileColumns.Remark, row.Remark, t => PaymentFieldRules.Remark(t, gbk)),
            };
            for (int f = 0; f < fields.Length; f++)
            {
                if (f > 0)
                {
                    body.WriteByte((byte)',');
                }
                byte[] bytes;
                try
                {
                    bytes = gbk.GetBytes(fields[f]);
                }
                catch (CharsetException ex)
                {
                    string field = PaymentFileColumns.DetailHeader[f];
                    throw new PaymentFileWriteException(inputRow, field,
                        $"Input row {inputRow}, {field}: '{PaymentFieldRules.Show(fields[f])}' cannot be written: {ex.Message} Payment files are GBK (rules 4-1); replace the character.", ex);
                }
                body.Write(bytes, 0, bytes.Length);
            }
            body.WriteByte((byte)'\r');
            body.WriteByte((byte)'\n');
            total += row.Amount;
        }

        string head = string.Join(",", PaymentFileColumns.SummaryHeader) + SummaryPadding + LineEnd
            + date.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "," + PaymentFieldRules.FormatAmount(total) + ","
            + rows.Count.ToString(CultureInfo.InvariantCulture) + "," + email + SummaryPadding + LineEnd
            + string.Join(",", PaymentFileColumns.DetailHeader) + LineEnd;
        byte[] headBytes;
        try
        {
            headBytes = gbk.GetBytes(head);
        }
        catch (CharsetException ex)
        {
            throw new PaymentFileWriteException(0, PaymentFileColumns.Email, $"{PaymentFileColumns.Email}: '{PaymentFieldRules.Show(email)}' cannot be written: {ex.Message}", ex);
        }
        var result = new byte[headBytes.Length + body.Length];
        Buffer.BlockCopy(headBytes, 0, result, 0, headBytes.Length);
        body.Position = 0;
        int read = body.Read(result, headBytes.Length, (int)body.Length);
        return read == body.Length ? result : throw new InvalidOperationException("short read from memory");
    }

    private static string Text(int inputRow, string field, string? value, Func<string, FieldFault?>? rule)
    {
        value ??= string.Empty;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            string? what = c == ',' ? "a comma" : c == '"' ? "a double quote" : c == '\r' || c == '\n' ? "a line break" : null;
            if (what != null)
            {
                throw new PaymentFileWriteException(inputRow, field,
                    $"Input row {inputRow}, {field}: '{PaymentFieldRules.Show(value)}' has {what} at position {i + 1}, which would split or break the CSV row (rules 4-1); remove it.");
            }
        }
        int hidden = InputText.FindHidden(value);
        if (hidden >= 0)
        {
            throw new PaymentFileWriteException(inputRow, field,
                $"Input row {inputRow}, {field}: '{PaymentFieldRules.Show(value)}' holds {InputText.DescribeHidden(value, hidden)}, which has no place in a payment file; remove it.");
        }
        if (rule?.Invoke(value) is { } fault)
        {
            throw new PaymentFileWriteException(inputRow, field, $"Input row {inputRow}, {field}: {fault.Reason} ({fault.Code}).");
        }
        return value;
    }

    private static string Number(int inputRow, string field, FieldFault? fault, string text)
        => fault is { } f ? throw new PaymentFileWriteException(inputRow, field, $"Input row {inputRow}, {field}: {f.Reason} ({f.Code}).") : text;
}
