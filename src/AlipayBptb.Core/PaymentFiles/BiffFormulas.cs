using System;
using System.Collections.Generic;
using System.Text;

namespace AlipayBptb.Core.PaymentFiles;

/// <summary>
/// Finds the formula cells of an .xls file's first sheet, which ExcelDataReader does not tell (it gives the cached
/// value). Alipay refuses a formula in the total cell (spec 8.1 FORMULA_FORMAT_ERROR). Reads the compound file
/// (OLE2) far enough to get the Workbook stream, then walks its BIFF records. Never throws: null when the file cannot
/// be walked (ExcelDataReader reports an unreadable file on its own).
/// </summary>
internal static class BiffFormulas
{
    private const uint EndOfChain = 0xFFFFFFFE;

    /// <summary>The (0-based row, 0-based column) of every FORMULA record of the first worksheet.</summary>
    public static HashSet<(int Row, int Column)>? FirstSheet(byte[] file)
    {
        try
        {
            byte[]? workbook = WorkbookStream(file);
            return workbook == null ? null : Walk(workbook);
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException || ex is ArgumentException || ex is OverflowException)
        {
            return null;
        }
    }

    private static HashSet<(int, int)>? Walk(byte[] wb)
    {
        // Globals: the first BOUNDSHEET (0x0085) of a worksheet gives where that sheet's BOF starts.
        int pos = 0;
        long sheetStart = -1;
        while (pos + 4 <= wb.Length)
        {
            int type = U16(wb, pos);
            int size = U16(wb, pos + 2);
            if (type == 0x0085 && pos + 4 + 6 <= wb.Length && wb[pos + 4 + 5] == 0)
            {
                sheetStart = U32(wb, pos + 4);
                break;
            }
            if (type == 0x000A)
            {
                break; // end of the globals
            }
            pos += 4 + size;
        }
        if (sheetStart < 0 || sheetStart >= wb.Length)
        {
            return null;
        }
        var found = new HashSet<(int, int)>();
        pos = (int)sheetStart;
        while (pos + 4 <= wb.Length)
        {
            int type = U16(wb, pos);
            int size = U16(wb, pos + 2);
            if (type == 0x0006 && pos + 8 <= wb.Length)
            {
                found.Add((U16(wb, pos + 4), U16(wb, pos + 6)));
            }
            if (type == 0x000A)
            {
                break;
            }
            pos += 4 + size;
        }
        return found;
    }

    private static byte[]? WorkbookStream(byte[] f)
    {
        if (f.Length < 512 || U32(f, 0) != 0xE011CFD0 || U32(f, 4) != 0xE11AB1A1)
        {
            return null;
        }
        int sectorShift = U16(f, 0x1E);
        int miniShift = U16(f, 0x20);
        if (sectorShift < 9 || sectorShift > 12 || miniShift != 6)
        {
            return null;
        }
        int sectorSize = 1 << sectorShift;
        int sectorCount = (f.Length - sectorSize + sectorSize - 1) / sectorSize;
        uint firstDir = U32(f, 0x30);
        uint miniCutoff = U32(f, 0x38);
        uint firstMiniFat = U32(f, 0x3C);
        uint firstDifat = U32(f, 0x44);

        // The FAT: its sectors are listed by the header's 109 DIFAT entries, then by the DIFAT chain.
        var fatSectors = new List<uint>();
        for (int i = 0; i < 109; i++)
        {
            uint s = U32(f, 0x4C + (4 * i));
            if (s < 0xFFFFFFFA)
            {
                fatSectors.Add(s);
            }
        }
        uint difat = firstDifat;
        for (int guard = 0; difat < 0xFFFFFFFA && guard < sectorCount; guard++)
        {
            int off = Offset(difat, sectorShift);
            int per = (sectorSize / 4) - 1;
            for (int i = 0; i < per; i++)
            {
                uint s = U32(f, off + (4 * i));
                if (s < 0xFFFFFFFA)
                {
                    fatSectors.Add(s);
                }
            }
            difat = U32(f, off + (4 * per));
        }
        var fat = new uint[fatSectors.Count * sectorSize / 4];
        for (int i = 0; i < fatSectors.Count; i++)
        {
            int off = Offset(fatSectors[i], sectorShift);
            for (int k = 0; k < sectorSize / 4; k++)
            {
                fat[(i * sectorSize / 4) + k] = U32(f, off + (4 * k));
            }
        }

        byte[] dir = Chain(f, fat, firstDir, sectorShift, long.MaxValue, sectorCount);
        uint rootStart = EndOfChain;
        long rootSize = 0;
        uint start = EndOfChain;
        long size = -1;
        for (int e = 0; e + 128 <= dir.Length; e += 128)
        {
            int nameBytes = U16(dir, e + 64);
            if (nameBytes < 2 || nameBytes > 64)
            {
                continue;
            }
            string name = Encoding.Unicode.GetString(dir, e, nameBytes - 2);
            byte kind = dir[e + 66];
            if (kind == 5)
            {
                rootStart = U32(dir, e + 116);
                rootSize = U32(dir, e + 120);
            }
            else if (kind == 2 && size < 0 && (name.Equals("Workbook", StringComparison.OrdinalIgnoreCase) || name.Equals("Book", StringComparison.OrdinalIgnoreCase)))
            {
                start = U32(dir, e + 116);
                size = U32(dir, e + 120);
            }
        }
        if (size < 0)
        {
            return null;
        }
        if (size >= miniCutoff)
        {
            return Chain(f, fat, start, sectorShift, size, sectorCount);
        }
        // A small stream lives in the mini stream (the root entry's data), in 64-byte mini sectors chained by the mini FAT.
        byte[] miniStream = Chain(f, fat, rootStart, sectorShift, rootSize, sectorCount);
        byte[] miniFatBytes = Chain(f, fat, firstMiniFat, sectorShift, long.MaxValue, sectorCount);
        var miniFat = new uint[miniFatBytes.Length / 4];
        for (int i = 0; i < miniFat.Length; i++)
        {
            miniFat[i] = U32(miniFatBytes, 4 * i);
        }
        var result = new byte[size];
        uint m = start;
        long done = 0;
        for (int guard = 0; done < size && m < miniFat.Length && guard <= miniFat.Length; guard++)
        {
            int n = (int)Math.Min(64, size - done);
            Buffer.BlockCopy(miniStream, (int)m * 64, result, (int)done, n);
            done += n;
            m = miniFat[m];
        }
        return done == size ? result : null;
    }

    private static byte[] Chain(byte[] f, uint[] fat, uint start, int shift, long size, int sectorCount)
    {
        int sectorSize = 1 << shift;
        using var parts = new System.IO.MemoryStream();
        uint s = start;
        for (int guard = 0; s < fat.Length && guard <= sectorCount && parts.Length < size; guard++)
        {
            int off = Offset(s, shift);
            int n = (int)Math.Min(sectorSize, Math.Min(size - parts.Length, f.Length - off));
            if (n <= 0)
            {
                break;
            }
            parts.Write(f, off, n);
            s = fat[s];
        }
        return parts.ToArray();
    }

    private static int Offset(uint sector, int shift) => checked((int)((sector + 1) << shift));

    private static int U16(byte[] b, int i) => b[i] | (b[i + 1] << 8);

    private static uint U32(byte[] b, int i) => (uint)(b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));
}
