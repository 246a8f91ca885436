using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using AlipayBptb.Core.PaymentFiles;
using NPOI.HSSF.UserModel;
using NPOI.SS.UserModel;
using Xunit;
using static AlipayBptb.Tests.PaymentFileTestData;

namespace AlipayBptb.Tests;

/// <summary>.xls files made here with NPOI's HSSF (real Excel 97-2003 workbooks), and .zip archives around them.</summary>
public sealed class PaymentFileXlsZipTests
{
    private static readonly byte[] SampleCsv = System.IO.File.ReadAllBytes(Vectors.Path_("sample-payment-file-gbk.csv"));

    /// <summary>An .xls with the cells of a CSV text, every cell a text cell; <paramref name="edit"/> may change cells before saving.</summary>
    private static byte[] Xls(string csvText, Action<IWorkbook>? edit = null)
    {
        var book = new HSSFWorkbook();
        ISheet sheet = book.CreateSheet("Sheet1");
        string[] lines = csvText.Split(new[] { "\r\n" }, StringSplitOptions.RemoveEmptyEntries);
        for (int r = 0; r < lines.Length; r++)
        {
            IRow row = sheet.CreateRow(r);
            string[] cells = lines[r].Split(',');
            for (int c = 0; c < cells.Length; c++)
            {
                if (cells[c].Length > 0)
                {
                    row.CreateCell(c, CellType.String).SetCellValue(cells[c]);
                }
            }
        }
        edit?.Invoke(book);
        using var ms = new MemoryStream();
        book.Write(ms);
        return ms.ToArray();
    }

    private static byte[] Zip(params (string Name, byte[] Content)[] files)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, true))
        {
            foreach ((string name, byte[] content) in files)
            {
                ZipArchiveEntry e = zip.CreateEntry(name);
                if (name[name.Length - 1] != '/')
                {
                    using Stream s = e.Open();
                    s.Write(content);
                }
            }
        }
        return ms.ToArray();
    }

    private static string SampleText => Gbk.GetString(SampleCsv);

    private static object[] Shape(PaymentFileReport r)
        => new object[] { r.IsValid, r.Date!, r.Total!, r.Count!, r.Email!, string.Join("|", r.Rows.Select(x => $"{x.Row},{x.SerialNumber},{x.AccountName},{x.AccountNumber},{x.Bank},{x.Province},{x.City},{x.Branch},{x.Amount},{x.Flag},{x.Remark}")) };

    [Fact]
    public void An_xls_of_the_sample_reads_like_the_csv()
    {
        PaymentFileReport csv = PaymentFileChecker.Check("a.csv", SampleCsv);
        PaymentFileReport xls = PaymentFileChecker.Check("a.xls", Xls(SampleText));
        Valid(xls);
        Assert.Equal(Shape(csv), Shape(xls));
    }

    [Fact]
    public void An_xls_of_3000_rows_reads_like_the_csv()
    {
        byte[] csvBytes = Rows(3000);
        PaymentFileReport csv = PaymentFileChecker.Check("a.csv", csvBytes);
        PaymentFileReport xls = PaymentFileChecker.Check("a.xls", Xls(Gbk.GetString(csvBytes)));
        Valid(xls);
        Assert.Equal(Shape(csv), Shape(xls));
    }

    [Fact]
    public void An_xls_breaks_the_same_rules_as_a_csv()
    {
        string text = Text(Summary(total: "0.02", count: "2"), Detail(name: "王 建斌"), Detail(serial: "2", flag: "9"));
        PaymentFileReport csv = PaymentFileChecker.Check("a.csv", Gbk.GetBytes(text));
        PaymentFileReport xls = PaymentFileChecker.Check("a.xls", Xls(text));
        Assert.Equal(csv.Problems.Select(p => (p.Row, p.Column, p.Code)), xls.Problems.Select(p => (p.Row, p.Column, p.Code)));
    }

    [Fact]
    public void A_formula_in_the_total_cell_is_FORMULA_FORMAT_ERROR()
    {
        byte[] file = Xls(SampleText, b => b.GetSheetAt(0).GetRow(1).GetCell(1).SetCellFormula("0.01+0.01"));
        Only(PaymentFileChecker.Check("a.xls", file), 2, "总金额", "FORMULA_FORMAT_ERROR");
    }

    [Fact]
    public void A_formula_in_a_big_workbook_is_found_too()
    {
        byte[] file = Xls(Gbk.GetString(Rows(3000)), b => b.GetSheetAt(0).GetRow(1).GetCell(1).SetCellFormula("SUM(H4:H3003)"));
        Assert.True(file.Length > 100_000);
        Only(PaymentFileChecker.Check("a.xls", file), 2, "总金额", "FORMULA_FORMAT_ERROR");
    }

    [Fact]
    public void A_formula_elsewhere_is_not_the_total()
    {
        byte[] file = Xls(SampleText, b => b.GetSheetAt(0).GetRow(0).CreateCell(8).SetCellFormula("1+1"));
        Assert.DoesNotContain(PaymentFileChecker.Check("a.xls", file).Problems, p => p.Code == "FORMULA_FORMAT_ERROR");
    }

    [Fact]
    public void Amounts_and_account_numbers_in_number_cells_are_reported()
    {
        byte[] amount = Xls(SampleText, b => b.GetSheetAt(0).GetRow(3).GetCell(7).SetCellValue(0.01));
        Only(PaymentFileChecker.Check("a.xls", amount), 4, "金额", "MONEY_FORMAT_ERROR");
        byte[] account = Xls(SampleText, b => b.GetSheetAt(0).GetRow(4).GetCell(2).SetCellValue(6225885719900000d));
        Only(PaymentFileChecker.Check("a.xls", account), 5, "收款银行账号", "ACCOUNT_NUMBER_FORMAT");
    }

    [Fact]
    public void Numbers_elsewhere_read_as_their_digits()
    {
        byte[] file = Xls(SampleText, b =>
        {
            ISheet s = b.GetSheetAt(0);
            s.GetRow(1).GetCell(0).SetCellValue(20111123d);
            s.GetRow(1).GetCell(2).SetCellValue(2d);
            s.GetRow(3).GetCell(0).SetCellValue(1d);
            s.GetRow(3).GetCell(8).SetCellValue(2d);
        });
        PaymentFileReport r = PaymentFileChecker.Check("a.xls", file);
        Valid(r);
        Assert.Equal(("1", AccountFlag.Personal, 2), (r.Rows[0].SerialNumber, r.Rows[0].Flag, r.Count));
    }

    [Fact]
    public void Data_on_a_second_sheet_is_reported_an_empty_one_is_not()
    {
        Valid(PaymentFileChecker.Check("a.xls", Xls(SampleText, b => b.CreateSheet("Sheet2"))));
        byte[] file = Xls(SampleText, b => b.CreateSheet("Sheet2").CreateRow(0).CreateCell(0).SetCellValue("x"));
        Only(PaymentFileChecker.Check("a.xls", file), null, null, "EXTRA_SHEET");
    }

    [Fact]
    public void A_character_outside_GBK_in_an_xls_is_reported()
    {
        byte[] file = Xls(SampleText, b => b.GetSheetAt(0).GetRow(3).GetCell(9).SetCellValue("测试😀"));
        Only(PaymentFileChecker.Check("a.xls", file), 4, "备注", "NOT_GBK");
    }

    [Fact]
    public void A_csv_named_xls_is_not_a_workbook()
        => Only(PaymentFileChecker.Check("a.xls", SampleCsv), null, null, "FILE_TYPE_ERROR");

    [Fact]
    public void A_zip_with_one_csv_or_xls_is_checked_as_that_file()
    {
        byte[] zip = Zip(("BPTB_1.csv", SampleCsv));
        PaymentFileReport r = PaymentFileChecker.Check("BPTB_1.zip", zip);
        Valid(r);
        Assert.Same(zip, r.Content);
        Assert.Equal(2, r.Rows.Count);
        Valid(PaymentFileChecker.Check("b.zip", Zip(("folder/", Array.Empty<byte>()), ("folder/b.xls", Xls(SampleText)))));
        Only(PaymentFileChecker.Check("c.zip", Zip(("c.csv", Gbk.GetBytes(Text(Summary(total: "9.99"), Detail()))))), 2, "总金额", "TOTAL_MISMATCH");
    }

    [Fact]
    public void A_zip_with_no_file_is_ZIP_INFILE_NULL()
    {
        Only(PaymentFileChecker.Check("a.zip", Zip()), null, null, "ZIP_INFILE_NULL");
        Only(PaymentFileChecker.Check("a.zip", Zip(("empty/", Array.Empty<byte>()))), null, null, "ZIP_INFILE_NULL");
    }

    [Fact]
    public void A_zip_with_two_files_or_another_kind_is_FILE_ZIP_LIMIT()
    {
        Only(PaymentFileChecker.Check("a.zip", Zip(("a.csv", SampleCsv), ("b.csv", SampleCsv))), null, null, "FILE_ZIP_LIMIT");
        Only(PaymentFileChecker.Check("a.zip", Zip(("a.txt", SampleCsv))), null, null, "FILE_ZIP_LIMIT");
    }

    [Fact]
    public void A_zip_that_is_not_one_is_FILE_TYPE_ERROR()
        => Only(PaymentFileChecker.Check("a.zip", SampleCsv), null, null, "FILE_TYPE_ERROR");
}
