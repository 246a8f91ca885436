using System;

namespace AlipayBptb.Core.Ledger;

/// <summary>
/// One payment file sent with bptb_pay_file_confirm, as the ledger keeps it. Alipay takes the file name, without its
/// extension, as the batch's identity, and pays a second upload of the same payments under another name again
/// (pay_file_confirm rules 4-1): so the ledger keeps the name, the stem, the content's hash and each row's payee.
/// </summary>
public sealed class UploadRecord
{
    /// <summary>What the ledger knows of an upload's outcome. NotSent: no connection could be made, nothing left.</summary>
    public const string Accepted = "Accepted", Refused = "Refused", Unknown = "Unknown", NotSent = "NotSent";

    /// <summary>True when this upload stops the same batch from going again: Alipay took it, or may have.</summary>
    public bool Blocks => State is not (Refused or NotSent);

    public string FileName { get; set; } = string.Empty;

    /// <summary>The name without its extension, lower case: what a second upload must not repeat.</summary>
    public string Stem => StemOf(FileName);

    /// <summary>SHA-256 of the exact bytes sent, lowercase hex: the same content under another name is found by it.</summary>
    public string ContentSha256 { get; set; } = string.Empty;

    /// <summary>The digest sent with the file (digest_bptb_pay_file) and its type.</summary>
    public string Digest { get; set; } = string.Empty;

    public string DigestType { get; set; } = string.Empty;

    public int Rows { get; set; }

    public decimal Total { get; set; }

    public string? Email { get; set; }

    /// <summary><see cref="Accepted"/>, <see cref="Refused"/> or <see cref="Unknown"/> (sent, and no answer known: query it).</summary>
    public string State { get; set; } = Unknown;

    public string? Code { get; set; }

    public string? Message { get; set; }

    public DateTime Sent { get; set; }

    public DateTime? Answered { get; set; }

    /// <summary>What <paramref name="fileName"/> shares with this upload: "name (without its extension)", else "content".</summary>
    public string SharedWith(string fileName) => StemOf(FileName) == StemOf(fileName) ? "name (without its extension)" : "content";

    /// <summary>The stem of a file name: its name without the last extension, lower case (invariant).</summary>
    public static string StemOf(string fileName)
    {
        int dot = fileName.LastIndexOf('.');
        return (dot > 0 ? fileName.Substring(0, dot) : fileName).ToLowerInvariant();
    }
}

/// <summary>A payment row that repeats one of a batch uploaded before that has no result yet: paid twice if both go through.</summary>
public sealed class RepeatedPayment
{
    public RepeatedPayment(int row, string otherFile, int otherRow)
    {
        Row = row;
        OtherFile = otherFile;
        OtherRow = otherRow;
    }

    /// <summary>The payment's place in the file being checked (1 = its first payment, on the file's row 4).</summary>
    public int Row { get; }

    public string OtherFile { get; }

    /// <summary>The repeated payment's place in <see cref="OtherFile"/> (1 = its first payment).</summary>
    public int OtherRow { get; }

    /// <summary>"payment 2 repeats payment 5 of 'a.csv', which has no result yet: both would be paid".</summary>
    public override string ToString() => $"payment {Row} repeats payment {OtherRow} of '{OtherFile}', which has no result yet: both would be paid";
}
