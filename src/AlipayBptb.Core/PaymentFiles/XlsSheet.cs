using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using ExcelDataReader;

namespace AlipayBptb.Core.PaymentFiles;

/// <summary>
/// Reads the first sheet of an .xls payment file (Excel 97-2003, BIFF; spec 4.2 names this format) through
/// ExcelDataReader, as cells of text: numbers as their shortest invariant text (flagged as numbers, since the rules
/// want amounts and account numbers in text cells), dates as yyyyMMdd.
/// </summary>
internal static class XlsSheet
{
    static XlsSheet()
    {
        // ExcelDataReader asks for code page 1252 (and older files' own code pages); .NET (Core) has them only once
        // the provider is registered. Harmless on .NET Framework.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
    }

    public static List<SheetRow>? Read(byte[] content, List<PaymentFileProblem> problems, out bool otherSheetHasData)
    {
        otherSheetHasData = false;
        var rows = new List<SheetRow>();
        try
        {
            using var stream = new MemoryStream(content, false);
            using IExcelDataReader reader = ExcelReaderFactory.CreateBinaryReader(stream, new ExcelReaderConfiguration { LeaveOpen = false });
            int number = 0;
            while (reader.Read())
            {
                number++;
                int width = reader.FieldCount;
                var cells = new string[width];
                var numeric = new bool[width];
                for (int i = 0; i < width; i++)
                {
                    cells[i] = Text(reader.GetValue(i), out numeric[i]);
                }
                rows.Add(new SheetRow(number, cells, numeric));
            }
            while (!otherSheetHasData && reader.NextResult())
            {
                while (reader.Read())
                {
                    for (int i = 0; i < reader.FieldCount; i++)
                    {
                        if (reader.GetValue(i) is { } v && !(v is string s && s.Length == 0))
                        {
                            otherSheetHasData = true;
                        }
                    }
                    if (otherSheetHasData)
                    {
                        break;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever ExcelDataReader throws for a damaged or foreign file (its HeaderException, InvalidFormatException,
            // or an index error deep in a broken record) means the same to the user: not a readable .xls.
            problems.Add(new PaymentFileProblem(null, null, "FILE_TYPE_ERROR",
                $"The file is not a readable Excel 97-2003 (.xls) workbook ({ex.Message.Trim()}): save it from Excel as \"Excel 97-2003 Workbook (*.xls)\" or as CSV in GBK (spec 4.2)."));
            return null;
        }
        return rows;
    }

    private static string Text(object? value, out bool numeric)
    {
        numeric = false;
        switch (value)
        {
            case null:
                return string.Empty;
            case string s:
                return s;
            case double d:
                numeric = true;
                return Math.Abs(d) < 1e15 && d == Math.Floor(d)
                    ? d.ToString("0", CultureInfo.InvariantCulture)
                    : d.ToString("R", CultureInfo.InvariantCulture);
            case DateTime t:
                return t.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
            case bool b:
                return b ? "TRUE" : "FALSE";
            default:
                return Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
        }
    }
}
