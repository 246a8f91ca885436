using System;
using System.Collections.Generic;

namespace AlipayBptb.Core.PaymentFiles;

/// <summary>What <see cref="PaymentFileChecker.Check"/> found in a payment file: its summary, its rows and its problems.</summary>
public sealed class PaymentFileReport
{
    internal PaymentFileReport(string fileName, byte[] content, IReadOnlyList<PaymentFileProblem> problems, IReadOnlyList<PaymentRow> rows,
        DateTime? date, decimal? total, int? count, string? email)
    {
        FileName = fileName;
        Content = content;
        Problems = problems;
        Rows = rows;
        Date = date;
        Total = total;
        Count = count;
        Email = email;
    }

    public string FileName { get; }

    /// <summary>The file's full path, when it was read from one.</summary>
    public string? Path { get; set; }

    /// <summary>True when nothing was found that Alipay would refuse or fail.</summary>
    public bool IsValid => Problems.Count == 0;

    /// <summary>Every problem found, file-wide ones first, then in row order.</summary>
    public IReadOnlyList<PaymentFileProblem> Problems { get; }

    /// <summary>日期 of row 2, when it is a valid yyyyMMdd date.</summary>
    public DateTime? Date { get; }

    /// <summary>总金额 of row 2, when it is a valid amount.</summary>
    public decimal? Total { get; }

    /// <summary>总笔数 of row 2, when it is a positive integer.</summary>
    public int? Count { get; }

    /// <summary>支付宝账号(Email) of row 2, as written (null when empty).</summary>
    public string? Email { get; }

    /// <summary>
    /// The detail rows that could be read, in file order: those with enough columns whose 金额 and 对公对私标志 could
    /// be read (a row with another problem, such as a space in the name, is here, and its problem in <see cref="Problems"/>).
    /// </summary>
    public IReadOnlyList<PaymentRow> Rows { get; }

    /// <summary>The exact bytes checked (for a .zip, the archive): the upload sends these, and its digest is over them.</summary>
    public byte[] Content { get; }

    /// <summary>What is not a rule of the file but a risk of sending it: an earlier upload of its name or content, payments that repeat a batch without a result.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    private readonly List<string> _warnings = new();

    /// <summary>Adds a warning (see <see cref="Warnings"/>).</summary>
    public void AddWarning(string warning) => _warnings.Add(warning);

    public override string ToString() => $"{FileName}: {(IsValid ? "valid" : Problems.Count + " problem(s)")}";
}
