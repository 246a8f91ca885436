using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.PaymentFiles;

/// <summary>
/// Checks a payment file before it is uploaded, by every rule of the upload spec (4.3 the file, 8.1 its error codes,
/// 8.4 the T0 banks) and of its usage rules (section 4), so that a clerk fixes the file before Alipay refuses it or
/// fails its payments. Never throws for bad content: what is wrong comes back as problems, each naming row and column.
/// </summary>
public static class PaymentFileChecker
{
    private const int MaxProblems = 1000;
    private const long MaxInnerFileBytes = 50L * 1024 * 1024;

    // Columns of row 2 and of the detail rows (spec 4.3, in file order).
    private const int DateColumn = 0, TotalColumn = 1, CountColumn = 2, EmailColumn = 3;
    private const int SerialColumn = 0, NameColumn = 1, AccountColumn = 2, BankColumn = 3, ProvinceColumn = 4, CityColumn = 5,
        BranchColumn = 6, AmountColumn = 7, FlagColumn = 8, RemarkColumn = 9;

    /// <summary>
    /// Checks <paramref name="content"/>, uploaded as <paramref name="fileName"/> (its name only: the extension picks
    /// the format). When <paramref name="email"/> is given, row 2's 支付宝账号 must be that account; with
    /// <see cref="BusinessType.T0"/>, every bank must take T0 payments for the row's 对公对私标志.
    /// </summary>
    public static PaymentFileReport Check(string fileName, byte[] content, string? email = null, BusinessType businessType = BusinessType.T1)
    {
        fileName ??= string.Empty;
        var problems = new Problems();
        var rows = new List<PaymentRow>();
        if (content == null)
        {
            problems.Add(null, null, "UPLOAD_FILE_NULL", "There is no file content to check (UPLOAD_FILE_NULL).");
            return Report(fileName, Array.Empty<byte>(), problems, rows, null);
        }
        string? extension = CheckName(fileName, problems);
        if (extension == null)
        {
            return Report(fileName, content, problems, rows, null);
        }
        byte[] sheetBytes = content;
        if (extension == ".zip")
        {
            (string? innerName, byte[]? inner) = Unzip(content, problems);
            if (inner == null)
            {
                return Report(fileName, content, problems, rows, null);
            }
            extension = Path.GetExtension(innerName!).ToLowerInvariant();
            sheetBytes = inner;
        }
        if (sheetBytes.Length == 0)
        {
            problems.Add(null, null, "SHEET1_IS_NULL", "The file is empty (SHEET1_IS_NULL): it needs the summary rows and at least one payment (spec 4.3).");
            return Report(fileName, content, problems, rows, null);
        }
        List<SheetRow>? sheet;
        HashSet<(int Row, int Column)>? formulas = null;
        var readProblems = new List<PaymentFileProblem>();
        if (extension == ".csv")
        {
            sheet = CsvSheet.Read(sheetBytes, readProblems);
        }
        else
        {
            sheet = XlsSheet.Read(sheetBytes, readProblems, out bool otherSheet);
            if (sheet != null)
            {
                formulas = BiffFormulas.FirstSheet(sheetBytes);
                if (otherSheet)
                {
                    readProblems.Add(new PaymentFileProblem(null, null, "EXTRA_SHEET",
                        "The workbook has data on a sheet other than the first: Alipay reads sheet1 only; keep one sheet (rules 4-1)."));
                }
                CheckXlsText(sheet, readProblems);
            }
        }
        foreach (PaymentFileProblem p in readProblems)
        {
            problems.Add(p);
        }
        if (sheet == null)
        {
            return Report(fileName, content, problems, rows, null);
        }
        Summary summary = CheckSheet(sheet, formulas, email, businessType, problems, rows);
        return Report(fileName, content, problems, rows, summary);
    }

    private static PaymentFileReport Report(string fileName, byte[] content, Problems problems, List<PaymentRow> rows, Summary? s)
    {
        // File-wide problems first, then by row; the sort is stable, so the order found stays within a row.
        PaymentFileProblem[] sorted = problems.List.OrderBy(p => p.Row ?? 0).ToArray();
        return new PaymentFileReport(fileName, content, sorted, rows, s?.Date, s?.Total, s?.Count, s?.Email);
    }

    // spec 8.1: FILE_NAME_NULL, FILE_NAME_TO_LONG, FILE_TYPE_ERROR; then the shared file-name rule (no folder, no hidden
    // characters, no spaces around it) as FILE_NAME_C. Returns the lower-case extension, or null when the format is unknown.
    private static string? CheckName(string fileName, Problems problems)
    {
        if (fileName.Trim().Length == 0)
        {
            problems.Add(null, null, "FILE_NAME_NULL", "The file name is empty: give the name the file is uploaded under (FILE_NAME_NULL).");
            return null;
        }
        if (fileName.Length > 100)
        {
            problems.Add(null, null, "FILE_NAME_TO_LONG", $"The file name is {fileName.Length} characters long: Alipay takes at most 100 (FILE_NAME_TO_LONG); shorten it.");
        }
        string extension = Path.GetExtension(fileName.Trim()).ToLowerInvariant();
        if (extension != ".csv" && extension != ".xls" && extension != ".zip")
        {
            problems.Add(null, null, "FILE_TYPE_ERROR",
                $"The file '{PaymentFieldRules.Show(fileName)}' is not .csv, .xls or .zip, the only formats Alipay takes (FILE_TYPE_ERROR); an .xlsx must be saved as \"Excel 97-2003 Workbook (*.xls)\" or CSV.");
            return null;
        }
        if (fileName.Length <= 100)
        {
            try
            {
                FieldRules.FileName(fileName);
            }
            catch (FieldRuleException ex)
            {
                problems.Add(null, null, "FILE_NAME_C", ex.Message);
            }
        }
        return extension;
    }

    // spec 8.1: a .zip holds exactly one .csv or .xls (FILE_ZIP_LIMIT), and not nothing (ZIP_INFILE_NULL).
    private static (string?, byte[]?) Unzip(byte[] content, Problems problems)
    {
        try
        {
            using var archive = new ZipArchive(new MemoryStream(content, false), ZipArchiveMode.Read);
            ZipArchiveEntry[] files = archive.Entries.Where(e => e.Name.Length > 0).ToArray();
            if (files.Length == 0)
            {
                problems.Add(null, null, "ZIP_INFILE_NULL", "The .zip archive holds no file (ZIP_INFILE_NULL): put the payment file (.csv or .xls) in it.");
                return (null, null);
            }
            if (files.Length > 1)
            {
                string names = string.Join(", ", files.Take(5).Select(e => e.FullName)) + (files.Length > 5 ? ", …" : string.Empty);
                problems.Add(null, null, "FILE_ZIP_LIMIT", $"The .zip archive holds {files.Length} files ({names}): Alipay takes exactly one .csv or .xls in it (FILE_ZIP_LIMIT).");
                return (null, null);
            }
            ZipArchiveEntry entry = files[0];
            string ext = Path.GetExtension(entry.Name).ToLowerInvariant();
            if (ext != ".csv" && ext != ".xls")
            {
                problems.Add(null, null, "FILE_ZIP_LIMIT", $"The .zip archive holds '{PaymentFieldRules.Show(entry.FullName)}', not a .csv or .xls file (FILE_ZIP_LIMIT).");
                return (null, null);
            }
            if (entry.Length > MaxInnerFileBytes)
            {
                problems.Add(null, null, "FILE_TOO_LARGE", $"The file in the .zip archive is {entry.Length} bytes: far more than 3,000 payments need; check it is the right file.");
                return (null, null);
            }
            using Stream stream = entry.Open();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return (entry.Name, buffer.ToArray());
        }
        catch (Exception ex) when (ex is InvalidDataException || ex is IOException || ex is NotSupportedException || ex is ArgumentException)
        {
            problems.Add(null, null, "FILE_TYPE_ERROR", $"The file is not a readable .zip archive ({ex.Message.Trim()}) (FILE_TYPE_ERROR).");
            return (null, null);
        }
    }

    // Text in an .xls is Unicode; Alipay keeps it in GBK, as it does a .csv (rules 4-1).
    private static void CheckXlsText(List<SheetRow> sheet, List<PaymentFileProblem> problems)
    {
        BptbCharset gbk = BptbCharset.Get("gbk");
        foreach (SheetRow row in sheet)
        {
            for (int c = 0; c < row.Cells.Length; c++)
            {
                string cell = row.Cells[c];
                bool ascii = true;
                foreach (char ch in cell)
                {
                    ascii &= ch < 0x80;
                }
                if (ascii)
                {
                    continue;
                }
                try
                {
                    gbk.Encoding.GetByteCount(cell);
                }
                catch (System.Text.EncoderFallbackException)
                {
                    string? column = CsvSheet.ColumnName(row.Number, c);
                    problems.Add(new PaymentFileProblem(row.Number, column, "NOT_GBK",
                        $"Row {row.Number}, {column ?? "column " + (c + 1)}: '{PaymentFieldRules.Show(cell)}' has a character outside GBK (an emoji or a rare character), which Alipay cannot keep; replace it (rules 4-1)."));
                }
            }
        }
    }

    private sealed class Summary
    {
        public DateTime? Date;
        public decimal? Total;
        public int? Count;
        public string? Email;
    }

    private static Summary CheckSheet(List<SheetRow> sheet, HashSet<(int Row, int Column)>? formulas, string? email, BusinessType businessType,
        Problems problems, List<PaymentRow> rows)
    {
        var summary = new Summary();
        if (sheet.All(r => r.IsBlank))
        {
            problems.Add(null, null, "SHEET1_IS_NULL", "The file (or its first sheet) is empty (SHEET1_IS_NULL): it needs the summary rows and at least one payment (spec 4.3).");
            return summary;
        }
        SheetRow Row(int i) => i < sheet.Count ? sheet[i] : new SheetRow(i + 1, Array.Empty<string>());

        // Row 1, the summary's header: "文件头列数必须大于 3 列" (spec 8.1 FILE_INFO_FORMAT_ERROR).
        SheetRow header = Row(0);
        if (header.UsedWidth < 4)
        {
            problems.Add(1, null, "FILE_INFO_FORMAT_ERROR",
                $"Row 1 has {header.UsedWidth} column(s): the header needs at least 4 ({string.Join(", ", PaymentFileColumns.SummaryHeader)}) (FILE_INFO_FORMAT_ERROR, spec 4.3).");
        }

        // Row 2, the summary (spec 4.3, 8.1 REQUEST_PARAMS_ERROR and MONEY_FORMAT_ERROR).
        SheetRow sum = Row(1);
        string dateText = sum[DateColumn];
        // A four-digit year from 1000 on: "00111123" parses as the year 11, which no batch is dated (and the writer refuses).
        if (dateText.Length == 8 && dateText.All(c => c >= '0' && c <= '9')
            && DateTime.TryParseExact(dateText, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTime date) && date.Year >= 1000)
        {
            summary.Date = date;
        }
        else
        {
            problems.Add(2, PaymentFileColumns.Date, "REQUEST_PARAMS_ERROR",
                $"Row 2, {PaymentFileColumns.Date}: '{PaymentFieldRules.Show(dateText)}' is not a date written yyyyMMdd, e.g. 20120618 (REQUEST_PARAMS_ERROR); Alipay fails the whole file.");
        }
        string totalText = sum[TotalColumn];
        if (formulas != null && formulas.Contains((1, TotalColumn)))
        {
            problems.Add(2, PaymentFileColumns.Total, "FORMULA_FORMAT_ERROR",
                $"Row 2, {PaymentFileColumns.Total}: the cell is a formula; Alipay takes no formula there: type the total as text (FORMULA_FORMAT_ERROR).");
        }
        else if (sum.IsNumeric(TotalColumn))
        {
            problems.Add(2, PaymentFileColumns.Total, "MONEY_FORMAT_ERROR",
                $"Row 2, {PaymentFileColumns.Total}: the cell is a number, not text: format the cell as text and type the total, e.g. 12.50 (rules 4-1).");
        }
        bool totalIsFormula = formulas != null && formulas.Contains((1, TotalColumn));
        if (totalIsFormula)
        {
            // What the cell shows is a cached result (or nothing, from tools that do not compute): not checked further.
        }
        else if (PaymentFieldRules.Amount(totalText, out decimal total) is { } totalFault)
        {
            problems.Add(2, PaymentFileColumns.Total, totalFault.Code, $"Row 2, {PaymentFileColumns.Total}: {totalFault.Reason}; Alipay fails the whole file.");
        }
        else
        {
            summary.Total = total;
        }
        string countText = sum[CountColumn];
        if (countText.Length > 0 && countText.Length <= 9 && countText.All(c => c >= '0' && c <= '9')
            && int.Parse(countText, NumberStyles.None, CultureInfo.InvariantCulture) is int count && count > 0)
        {
            summary.Count = count;
        }
        else
        {
            problems.Add(2, PaymentFileColumns.Count, "REQUEST_PARAMS_ERROR",
                $"Row 2, {PaymentFileColumns.Count}: '{PaymentFieldRules.Show(countText)}' is not a whole number above 0 in half-width digits (REQUEST_PARAMS_ERROR).");
        }
        string account = sum[EmailColumn];
        summary.Email = account.Length == 0 ? null : account;
        if (account.Length == 0)
        {
            problems.Add(2, PaymentFileColumns.Email, "REQUEST_PARAMS_ERROR",
                $"Row 2, {PaymentFileColumns.Email}: is empty: give the paying Alipay account (REQUEST_PARAMS_ERROR).");
        }
        else if (PaymentFieldRules.Account(account) is { } accountFault)
        {
            problems.Add(2, PaymentFileColumns.Email, "REQUEST_PARAMS_ERROR", $"Row 2, {PaymentFileColumns.Email}: {accountFault} (REQUEST_PARAMS_ERROR)");
        }
        else if (email != null && !string.Equals(account, email, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add(2, PaymentFileColumns.Email, "REQUEST_PARAMS_ERROR",
                $"Row 2, {PaymentFileColumns.Email}: '{PaymentFieldRules.Show(account)}' is not the uploading account '{PaymentFieldRules.Show(email)}': they must be the same (REQUEST_PARAMS_ERROR).");
        }

        // Row 3, the detail header: the spec's ten columns.
        SheetRow detailHeader = Row(2);
        if (detailHeader.UsedWidth < PaymentFileColumns.DetailHeader.Length)
        {
            problems.Add(3, null, "FILE_INFO_FORMAT_ERROR",
                $"Row 3 has {detailHeader.UsedWidth} column(s): the payment header needs the {PaymentFileColumns.DetailHeader.Length} columns of spec 4.3 ({string.Join(", ", PaymentFileColumns.DetailHeader)}) (FILE_INFO_FORMAT_ERROR).");
        }

        // The payments, from row 4.
        BptbCharset gbk = BptbCharset.Get("gbk");
        int detailCount = 0;
        decimal detailSum = 0m;
        bool everyAmountRead = true;
        for (int i = 3; i < sheet.Count; i++)
        {
            SheetRow r = sheet[i];
            if (r.IsBlank)
            {
                continue; // an empty row (Excel writes ",,,,,,,,," for a formatted one) is no payment
            }
            detailCount++;
            int n = r.Number;
            int width = r.UsedWidth;
            if (width < 9)
            {
                problems.Add(n, null, "FILE_INFO_FORMAT_ERROR",
                    $"Row {n} has {width} column(s): a payment needs 9 ({string.Join(", ", PaymentFileColumns.DetailHeader.Take(9))}) and may add {PaymentFileColumns.Remark} (spec 4.3).");
                everyAmountRead = false;
                continue;
            }
            if (width > PaymentFileColumns.DetailHeader.Length)
            {
                problems.Add(n, null, "EXTRA_COLUMN",
                    $"Row {n} has a value in column {width}, past {PaymentFileColumns.Remark} (column 10): a comma inside a value splits it; remove commas from the values (rules 4-1).");
            }
            // A control or invisible character (a NUL, a bidi override, a zero-width space) makes the name or account
            // a person reads differ from what is paid; the writer refuses them, and so does the check.
            for (int col = 0; col < PaymentFileColumns.DetailHeader.Length; col++)
            {
                string cell = r[col];
                int hidden = InputText.FindHidden(cell);
                if (hidden >= 0)
                {
                    problems.Add(n, PaymentFileColumns.DetailHeader[col], "HIDDEN_CHARACTER",
                        $"Row {n}, {PaymentFileColumns.DetailHeader[col]}: '{PaymentFieldRules.Show(cell)}' holds {InputText.DescribeHidden(cell, hidden)}, which has no place in a payment file: what a person reads is not what is paid; remove it.");
                }
            }
            string bank = r[BankColumn];
            Fault(problems, n, PaymentFileColumns.SerialNumber, PaymentFieldRules.Serial(r[SerialColumn]));
            Fault(problems, n, PaymentFileColumns.AccountName, PaymentFieldRules.AccountName(r[NameColumn]));
            if (r.IsNumeric(AccountColumn))
            {
                problems.Add(n, PaymentFileColumns.AccountNumber, "ACCOUNT_NUMBER_FORMAT",
                    $"Row {n}, {PaymentFileColumns.AccountNumber}: the cell is a number, not text: Excel keeps only 15 digits of a number; format the column as text and type the account number again.");
            }
            else
            {
                Fault(problems, n, PaymentFileColumns.AccountNumber, PaymentFieldRules.AccountNumber(r[AccountColumn], bank));
            }
            Fault(problems, n, PaymentFileColumns.Bank, PaymentFieldRules.Bank(bank));
            if (r.IsNumeric(AmountColumn))
            {
                problems.Add(n, PaymentFileColumns.Amount, "MONEY_FORMAT_ERROR",
                    $"Row {n}, {PaymentFileColumns.Amount}: the cell is a number, not text: format the cell as text and type the amount, e.g. 12.50 (rules 4-1).");
            }
            FieldFault? amountFault = PaymentFieldRules.Amount(r[AmountColumn], out decimal amount);
            Fault(problems, n, PaymentFileColumns.Amount, amountFault);
            FieldFault? flagFault = PaymentFieldRules.Flag(r[FlagColumn], out AccountFlag flag);
            Fault(problems, n, PaymentFileColumns.Flag, flagFault);
            Fault(problems, n, PaymentFileColumns.Remark, PaymentFieldRules.Remark(r[RemarkColumn], gbk));
            if (businessType == BusinessType.T0 && flagFault == null && bank.Length > 0)
            {
                Fault(problems, n, PaymentFileColumns.Bank, PaymentFieldRules.T0(bank, flag));
            }
            if (amountFault == null)
            {
                detailSum += amount;
            }
            else
            {
                everyAmountRead = false;
            }
            if (amountFault == null && flagFault == null)
            {
                rows.Add(new PaymentRow
                {
                    SerialNumber = r[SerialColumn],
                    AccountName = r[NameColumn],
                    AccountNumber = r[AccountColumn],
                    Bank = bank,
                    Province = r[ProvinceColumn],
                    City = r[CityColumn],
                    Branch = r[BranchColumn],
                    Amount = amount,
                    Flag = flag,
                    Remark = r[RemarkColumn],
                    Row = n,
                });
            }
        }

        // The batch as a whole (spec 4.3: totals must match; spec 8.1 FREEZE_DETAIL_LIMIT).
        if (detailCount == 0)
        {
            problems.Add(null, null, "SHEET1_IS_NULL", "The file has no payment rows (from row 4) (SHEET1_IS_NULL, spec 4.3).");
        }
        if (detailCount > PaymentFieldRules.MaxRows)
        {
            problems.Add(null, null, "FREEZE_DETAIL_LIMIT",
                $"The file has {detailCount} payments: a batch takes at most {PaymentFieldRules.MaxRows} (FREEZE_DETAIL_LIMIT); split it into several files.");
        }
        if (summary.Count is int c && detailCount > 0 && c != detailCount)
        {
            problems.Add(2, PaymentFileColumns.Count, "COUNT_MISMATCH",
                $"Row 2, {PaymentFileColumns.Count}: says {c}, but the file has {detailCount} payment row(s): they must be equal, or Alipay fails the whole batch (spec 4.3).");
        }
        if (summary.Total is decimal t && everyAmountRead && detailCount > 0 && t != detailSum)
        {
            problems.Add(2, PaymentFileColumns.Total, "TOTAL_MISMATCH",
                $"Row 2, {PaymentFileColumns.Total}: says {PaymentFieldRules.FormatAmount(t)}, but the payments add up to {PaymentFieldRules.FormatAmount(detailSum)}: they must be equal, or Alipay fails the whole batch (spec 4.3).");
        }
        return summary;
    }

    private static void Fault(Problems problems, int row, string column, FieldFault? fault)
    {
        if (fault is { } f)
        {
            problems.Add(row, column, f.Code, $"Row {row}, {column}: {f.Reason}.");
        }
    }

    // Collects problems, at most MaxProblems of them: a file of garbage gives one screen of them, and one more line
    // that says how many more there were.
    private sealed class Problems
    {
        private int _dropped;

        public List<PaymentFileProblem> List { get; } = new();

        public void Add(int? row, string? column, string code, string message) => Add(new PaymentFileProblem(row, column, code, message));

        public void Add(PaymentFileProblem problem)
        {
            if (List.Count < MaxProblems)
            {
                List.Add(problem);
                return;
            }
            _dropped++;
            if (_dropped == 1)
            {
                List.Add(new PaymentFileProblem(null, null, "TOO_MANY_PROBLEMS", "More problems were found than are listed here; fix these and check again."));
            }
        }
    }
}
