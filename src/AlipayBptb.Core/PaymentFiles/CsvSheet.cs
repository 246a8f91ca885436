using System;
using System.Collections.Generic;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.PaymentFiles;

/// <summary>
/// Reads a .csv payment file: GBK (rules 4-1), one row a line, fields split at commas. No quoting: Alipay's files
/// carry no commas, quotes or line breaks in a field (rules 4-1, 备注), so a quote is reported rather than undone.
/// </summary>
internal static class CsvSheet
{
    public static List<SheetRow>? Read(byte[] content, List<PaymentFileProblem> problems)
    {
        if (content.Length >= 3 && content[0] == 0xEF && content[1] == 0xBB && content[2] == 0xBF)
        {
            problems.Add(new PaymentFileProblem(null, null, "NOT_GBK",
                "The file is saved as UTF-8 (it begins with a UTF-8 byte order mark): Alipay reads payment files as GBK only; save it as GBK (ANSI / 中文简体) and check again (rules 4-1)."));
            return null;
        }
        if (IsUtf8WithNonAscii(content))
        {
            problems.Add(new PaymentFileProblem(null, null, "NOT_GBK",
                "The file is saved as UTF-8: Alipay reads payment files as GBK only and would garble its Chinese text; save it as GBK (ANSI / 中文简体) and check again (rules 4-1)."));
            return null;
        }
        BptbCharset gbk = BptbCharset.Get("gbk");
        var rows = new List<SheetRow>();
        int start = 0;
        int number = 0;
        bool quoteReported = false;
        while (start < content.Length)
        {
            // 0x0A and 0x0D never occur inside a GBK character (trail bytes are 0x40 and up), so the bytes split safely.
            int end = start;
            while (end < content.Length && content[end] != (byte)'\n' && content[end] != (byte)'\r')
            {
                end++;
            }
            number++;
            string line;
            try
            {
                line = gbk.GetString(content, start, end - start);
            }
            catch (CharsetException ex)
            {
                problems.Add(new PaymentFileProblem(number, null, "NOT_GBK",
                    $"Row {number} is not GBK text ({ex.Message}): save the file as GBK (ANSI / 中文简体) and check again (rules 4-1)."));
                return null;
            }
            string[] cells = line.Split(',');
            if (!quoteReported && line.IndexOf('"') >= 0)
            {
                quoteReported = true;
                int column = Array.FindIndex(cells, c => c.IndexOf('"') >= 0);
                problems.Add(new PaymentFileProblem(number, ColumnName(number, column), "CSV_QUOTE",
                    $"Row {number}, column {column + 1}: a double quote: Alipay splits rows at every comma and keeps quotes, so a quoted field is misread; remove quotes and commas from the values (rules 4-1)."));
            }
            rows.Add(new SheetRow(number, cells));
            if (end < content.Length && content[end] == (byte)'\r' && end + 1 < content.Length && content[end + 1] == (byte)'\n')
            {
                end++;
            }
            start = end + 1;
        }
        return rows;
    }

    internal static string? ColumnName(int row, int column)
    {
        if (column < 0)
        {
            return null;
        }
        if (row <= 2)
        {
            return column < PaymentFileColumns.SummaryHeader.Length ? PaymentFileColumns.SummaryHeader[column] : null;
        }
        return column < PaymentFileColumns.DetailHeader.Length ? PaymentFileColumns.DetailHeader[column] : null;
    }

    // GBK and UTF-8 overlap in ASCII only; a file of valid UTF-8 with multi-byte sequences in it is UTF-8 text for all
    // practical purposes (GBK Chinese that happens to be valid UTF-8 throughout is vanishingly rare past a few characters).
    private static bool IsUtf8WithNonAscii(byte[] b)
    {
        bool nonAscii = false;
        int i = 0;
        while (i < b.Length)
        {
            byte c = b[i];
            if (c < 0x80)
            {
                i++;
                continue;
            }
            int more = c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : -1;
            if (more < 0 || i + more >= b.Length)
            {
                return false;
            }
            for (int k = 1; k <= more; k++)
            {
                if ((b[i + k] & 0xC0) != 0x80)
                {
                    return false;
                }
            }
            // Overlong three-byte forms and surrogates are not UTF-8.
            if ((c == 0xE0 && b[i + 1] < 0xA0) || (c == 0xED && b[i + 1] >= 0xA0) || (c == 0xF0 && b[i + 1] < 0x90) || (c == 0xF4 && b[i + 1] >= 0x90))
            {
                return false;
            }
            nonAscii = true;
            i += more + 1;
        }
        return nonAscii;
    }
}
