using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.Json;
using AlipayBptb.Core.Notifications;
using Xunit;

namespace AlipayBptb.Tests;

public sealed class LogReaderTests : IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(false, false);
    private readonly string _dir = Directory.CreateTempSubdirectory("alipaybptb-logreader-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed record Outcome(List<LogLine> Lines, long Unterminated, Exception? Error)
    {
        public string[] Texts => Lines.Select(l => l.Text).ToArray();
        public long[] Numbers => Lines.Select(l => l.Number).ToArray();
    }

    private static Outcome Read(string path)
    {
        var lines = new List<LogLine>();
        using var reader = LogReader.Open(path);
        try
        {
            while (reader.TryRead(out LogLine line))
            {
                lines.Add(line);
            }
        }
        catch (Exception ex) when (ex is IOException || ex is InvalidDataException)
        {
            Assert.False(reader.TryRead(out _), "nothing more after the error");
            return new Outcome(lines, reader.UnterminatedLength, ex);
        }
        return new Outcome(lines, reader.UnterminatedLength, null);
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Write(string name, string text) => Write(name, Utf8.GetBytes(text));

    // What gzip -n writes for no data (.NET's GZipStream writes nothing at all for no data).
    private static readonly byte[] EmptyGzipMember = { 0x1F, 0x8B, 0x08, 0, 0, 0, 0, 0, 0, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

    private static byte[] GzipNet(byte[] data, CompressionLevel level = CompressionLevel.Optimal)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, level, leaveOpen: true))
        {
            gz.Write(data, 0, data.Length);
        }
        return ms.ToArray();
    }

    // The text of tests/vectors/gzip (see make-gzip-vectors.sh), line i of 3000.
    private static string GzipVectorLine(int i) => $"{i:D5} {new string("abcdefghij"[i % 10], i % 97)} pay_date=20261125&notify_id=n{i:D10}";

    private static string[] GzipVectorLines => Enumerable.Range(1, 3000).Select(GzipVectorLine).ToArray();

    private static JsonElement CrcVectors => JsonDocument.Parse(File.ReadAllText(Path.Combine(Vectors.Dir, "gzip", "crc32.json"))).RootElement;

    // --- CRC-32 -------------------------------------------------------------------------------------------

    [Fact]
    public void Crc32_agrees_with_zlib_on_the_check_value_and_on_a_megabyte_in_any_chunking()
    {
        Assert.Equal(CrcVectors.GetProperty("check").GetString(), Crc32.Compute(Encoding.ASCII.GetBytes("123456789")).ToString("x8"));
        byte[] pattern = Enumerable.Range(0, 1 << 20).Select(i => (byte)((i * 7 + 3) % 251)).ToArray();
        string expected = CrcVectors.GetProperty("pattern").GetString()!;
        Assert.Equal(expected, Crc32.Compute(pattern).ToString("x8"));
        Assert.Equal(expected, Crc32.Final(Crc32.AppendTable(Crc32.Initial, pattern)).ToString("x8"));
        foreach (int chunk in new[] { 1, 7, 63, 64, 65, 1000, 65536 })
        {
            uint state = Crc32.Initial;
            for (int at = 0; at < pattern.Length; at += chunk)
            {
                state = Crc32.Append(state, pattern.AsSpan(at, Math.Min(chunk, pattern.Length - at)));
            }
            Assert.Equal(expected, Crc32.Final(state).ToString("x8"));
        }
    }

    [Fact]
    public void Crc32_folding_agrees_with_the_table_for_every_length_alignment_and_state()
    {
        var random = new Random(12);
        var data = new byte[1200];
        random.NextBytes(data);
        for (int length = 0; length <= 1100; length++)
        {
            int offset = length % 17;
            uint state = (uint)random.Next() ^ ((uint)random.Next() << 16);
            Assert.Equal(Crc32.AppendTable(state, data.AsSpan(offset, length)), Crc32.Append(state, data.AsSpan(offset, length)));
        }
    }

    [Fact]
    public void Crc32_equals_the_trailer_the_gzip_tool_wrote()
    {
        byte[] gz = File.ReadAllBytes(Path.Combine(Vectors.Dir, "gzip", "lines.log.gz"));
        byte[] text = Utf8.GetBytes(string.Concat(GzipVectorLines.Select(l => l + "\n")));
        Assert.Equal(CrcVectors.GetProperty("allLength").GetInt32(), text.Length);
        uint crc = Crc32.Compute(text);
        Assert.Equal(CrcVectors.GetProperty("all").GetString(), crc.ToString("x8"));
        Assert.Equal(crc, BitConverter.ToUInt32(gz, gz.Length - 8));
        Assert.Equal((uint)text.Length, BitConverter.ToUInt32(gz, gz.Length - 4));
    }

    // --- lines ----------------------------------------------------------------------------------------------

    [Fact]
    public void Only_newline_ends_a_line_crlf_loses_its_cr_and_a_lone_cr_stays_in_the_text()
    {
        // As grep -n counts: four lines, not five (StreamReader.ReadLine took the lone '\r' as a break).
        var r = Read(Write("cr.log", "a=1\rb=2\nc=3\r\n\nd=4\n"));
        Assert.Equal(new[] { "a=1\rb=2", "c=3", "", "d=4" }, r.Texts);
        Assert.Equal(new long[] { 1, 2, 3, 4 }, r.Numbers);
        Assert.Equal(0, r.Unterminated);
        Assert.Null(r.Error);
    }

    [Theory]
    [InlineData("x=1\ny=2", new[] { "x=1" }, 3)]
    [InlineData("x=1\ny=2\r", new[] { "x=1" }, 4)]
    [InlineData("x=1\r\n", new[] { "x=1" }, 0)]
    [InlineData("abc", new string[0], 3)]
    [InlineData("", new string[0], 0)]
    [InlineData("\n", new[] { "" }, 0)]
    public void A_plain_files_last_line_without_a_newline_is_left_unread(string content, string[] lines, long unterminated)
    {
        var r = Read(Write("partial.log", content));
        Assert.Equal(lines, r.Texts);
        Assert.Equal(unterminated, r.Unterminated);
        Assert.Null(r.Error);
    }

    [Fact]
    public void A_line_still_being_written_is_read_by_the_next_run_once_it_has_its_newline()
    {
        string path = Write("growing.log", "a=1\nb=");
        var first = Read(path);
        Assert.Equal(new[] { "a=1" }, first.Texts);
        Assert.Equal(2, first.Unterminated);
        File.AppendAllText(path, "2\n");
        var second = Read(path);
        Assert.Equal(new[] { "a=1", "b=2" }, second.Texts);
        Assert.Equal(0, second.Unterminated);
    }

    [Fact]
    public void Read_enumerates_what_TryRead_gives_and_closes_the_file()
    {
        string path = Write("enumerate.log", "a=1\r\nb=2\nc=");
        Assert.Equal(new[] { "a=1", "b=2" }, LogReader.Read(path).Select(l => l.Text));
        File.Delete(path);
        string gz = Write("enumerate.log.gz", GzipNet(Utf8.GetBytes("a=1\n")).AsSpan(0, 12).ToArray());
        Assert.Throws<LogTruncatedException>(() => LogReader.Read(gz).ToList());
    }

    [Fact]
    public void Bytes_read_grow_with_each_line_and_end_at_the_length()
    {
        string path = Write("bytes.log", "a=1\nbb=22\r\nccc=333\n");
        using var reader = LogReader.Open(path);
        var seen = new List<long>();
        while (reader.TryRead(out LogLine line))
        {
            seen.Add(line.BytesRead);
        }
        Assert.Equal(new long[] { 4, 11, 19 }, seen);
        Assert.Equal(19, reader.Length);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_become_replacement_characters_as_before()
    {
        byte[] line = { (byte)'a', (byte)'=', 0xFF, 0xC3, (byte)'&', (byte)'b', (byte)'=', 0xE4, 0xB8 };
        var r = Read(Write("binary.log", line.Concat(new[] { (byte)'\n' }).Concat(line).Concat(new[] { (byte)'\r', (byte)'\n' }).ToArray()));
        string expected = new UTF8Encoding(false, false).GetString(line);
        Assert.Contains('\uFFFD', expected);
        Assert.Equal(new[] { expected, expected }, r.Texts);
    }

    [Fact]
    public void A_utf8_byte_order_mark_is_dropped()
    {
        var r = Read(Write("bom.log", new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Utf8.GetBytes("a=1\nb=2\n")).ToArray()));
        Assert.Equal(new[] { "a=1", "b=2" }, r.Texts);
    }

    [Theory]
    [InlineData("utf-16")]
    [InlineData("utf-16BE")]
    [InlineData("utf-32")]
    [InlineData("utf-32BE")]
    public void A_byte_order_mark_selects_utf16_or_utf32_as_StreamReader_did(string name)
    {
        // 'Ċ' (U+010A) and 'ਊ' (U+0A0A) hold 0x0A bytes that are no line break; '😀' is a surrogate pair.
        Encoding encoding = Encoding.GetEncoding(name);
        string text = "a=1\r\nb=Ċਊ\rc=😀\n\nd=4";
        byte[] bytes = encoding.GetPreamble().Concat(encoding.GetBytes(text)).ToArray();
        var r = Read(Write("wide.log", bytes));
        Assert.Equal(new[] { "a=1", "b=Ċਊ\rc=😀", "" }, r.Texts);
        Assert.Equal(new long[] { 1, 2, 3 }, r.Numbers);
        Assert.Equal(encoding.GetByteCount("d=4"), r.Unterminated);

        var gz = Read(Write("wide.log.gz", GzipNet(bytes)));
        Assert.Equal(new[] { "a=1", "b=Ċਊ\rc=😀", "", "d=4" }, gz.Texts);
    }

    [Fact]
    public void Lines_of_every_length_around_the_limit_and_the_buffer_edges_are_cut_exactly()
    {
        const int max = LogReader.MaxLineBytes;
        var random = new Random(7);
        int[] lengths = { 0, 1, 2, 100, 65535, 65536, 65537, 131072, max - 1, max, max + 1, max + 2, 300000, 524288, 524289, 1000000, 3 };
        var expected = new List<(string Text, bool TooLong, int Length)>();
        var file = new MemoryStream();
        for (int round = 0; round < 3; round++)
        {
            foreach (int length in lengths.OrderBy(_ => random.Next()))
            {
                var sb = new StringBuilder(length);
                for (int i = 0; i < length; i++)
                {
                    sb.Append((char)('a' + random.Next(26)));
                }
                string text = sb.ToString();
                byte[] bytes = Utf8.GetBytes(text + (random.Next(2) == 0 ? "\n" : "\r\n"));
                file.Write(bytes, 0, bytes.Length);
                expected.Add((text, length > max, length));
            }
        }
        var r = Read(Write("edges.log", file.ToArray()));
        Assert.Null(r.Error);
        Assert.Equal(expected.Count, r.Lines.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            LogLine line = r.Lines[i];
            Assert.Equal(i + 1, line.Number);
            if (expected[i].TooLong)
            {
                Assert.Equal($"the line is {expected[i].Length} bytes long; a notification or return is at most 65536 characters", line.Problem);
                Assert.StartsWith(line.Text, expected[i].Text, StringComparison.Ordinal);
                Assert.True(line.Text.Length >= 80);
            }
            else
            {
                Assert.Null(line.Problem);
                Assert.True(expected[i].Text == line.Text, $"line {i + 1} ({expected[i].Length} bytes) differs");
            }
        }
    }

    [Fact]
    public void A_300_MB_line_is_one_problem_read_in_bounded_memory_and_the_lines_after_it_are_read()
    {
        string path = Path.Combine(_dir, "huge.log");
        const long huge = 300L * 1024 * 1024;
        using (var f = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            f.Write(Utf8.GetBytes("a=1\n"));
            var chunk = new byte[1 << 20];
            Array.Fill(chunk, (byte)'x');
            chunk[0] = (byte)'b';
            chunk[1] = (byte)'=';
            f.Write(chunk);
            Array.Fill(chunk, (byte)'y');
            for (long written = chunk.Length; written < huge; written += chunk.Length)
            {
                f.Write(chunk);
            }
            f.Write(Utf8.GetBytes("\r\nc=3\nd=4\n"));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        var r = Read(path);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Null(r.Error);
        Assert.Equal(new long[] { 1, 2, 3, 4 }, r.Numbers);
        Assert.Equal($"the line is {huge} bytes long; a notification or return is at most 65536 characters", r.Lines[1].Problem);
        Assert.StartsWith("b=xxxx", r.Lines[1].Text, StringComparison.Ordinal);
        Assert.Equal(new[] { "c=3", "d=4" }, r.Texts.Skip(2));
        // StreamReader.ReadLine built the whole line: 600 MB of UTF-16 and more for the growing builder.
        Assert.True(allocated < 8 * 1024 * 1024, $"{allocated} bytes allocated to read a {huge}-byte line");
    }

    [Fact]
    public void An_overlong_last_line_is_left_unread_in_a_plain_file_and_one_problem_in_a_gz_file()
    {
        byte[] bytes = Utf8.GetBytes("a=1\n" + new string('z', LogReader.MaxLineBytes + 10));
        var plain = Read(Write("long-tail.log", bytes));
        Assert.Equal(new[] { "a=1" }, plain.Texts);
        Assert.Equal(LogReader.MaxLineBytes + 10, plain.Unterminated);

        var gz = Read(Write("long-tail.log.gz", GzipNet(bytes)));
        Assert.Null(gz.Error);
        Assert.Equal(2, gz.Lines.Count);
        Assert.Equal($"the line is {LogReader.MaxLineBytes + 10} bytes long; a notification or return is at most 65536 characters", gz.Lines[1].Problem);
    }

    // --- gzip -----------------------------------------------------------------------------------------------

    [Fact]
    public void Files_the_gzip_tool_made_read_whole_one_member_or_two()
    {
        foreach (string name in new[] { "lines.log.gz", "lines.multi.gz" })
        {
            var r = Read(Path.Combine(Vectors.Dir, "gzip", name));
            Assert.Null(r.Error);
            Assert.Equal(GzipVectorLines, r.Texts);
            Assert.Equal(0, r.Unterminated);
        }
    }

    [Fact]
    public void A_gz_files_last_line_without_newline_is_read_and_an_empty_gz_file_is_fine()
    {
        var r = Read(Write("tail.log.gz", GzipNet(Utf8.GetBytes("a=1\nb=2\r\nc=3"))));
        Assert.Null(r.Error);
        Assert.Equal(new[] { "a=1", "b=2", "c=3" }, r.Texts);
        Assert.Equal(0, r.Unterminated);

        var empty = Read(Write("empty.log.gz", EmptyGzipMember));
        Assert.Null(empty.Error);
        Assert.Empty(empty.Lines);
    }

    public static IEnumerable<object[]> GzipFiles() => new[]
    {
        new object[] { "lines.log.gz" },
        new object[] { "lines.multi.gz" },
        new object[] { "net" },
    };

    [Theory]
    [MemberData(nameof(GzipFiles))]
    public void A_truncated_gz_file_gives_the_lines_before_the_cut_and_then_an_error(string source)
    {
        string[] all = GzipVectorLines;
        byte[] whole = source == "net"
            ? GzipNet(Utf8.GetBytes(string.Concat(all.Select(l => l + "\n"))), CompressionLevel.Fastest)
            : File.ReadAllBytes(Path.Combine(Vectors.Dir, "gzip", source));
        int firstMember = source == "lines.multi.gz" ? CrcVectors.GetProperty("firstMemberLength").GetInt32() : -1;
        var cuts = new SortedSet<int> { 2, 3, 9, 10, 11, 12, 20, 100, whole.Length / 3, whole.Length / 2, whole.Length - 9, whole.Length - 8, whole.Length - 7, whole.Length - 4, whole.Length - 1 };
        if (firstMember > 0)
        {
            cuts.UnionWith(new[] { firstMember - 1, firstMember + 1, firstMember + 2, firstMember + 5, firstMember + 10 });
        }
        foreach (int cut in cuts)
        {
            string path = Write($"cut{cut}.log.gz", whole.AsSpan(0, cut).ToArray());
            var r = Read(path);
            var error = Assert.IsType<LogTruncatedException>(r.Error);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
            Assert.Equal(path, error.Path);
            // Only whole lines, exactly as written, each in its place.
            Assert.Equal(all.Take(r.Lines.Count), r.Texts);
            Assert.Equal(Enumerable.Range(1, r.Lines.Count).Select(n => (long)n), r.Numbers);
            if (cut >= whole.Length - 8)
            {
                Assert.Equal(all.Length, r.Lines.Count);
            }
        }
        if (firstMember > 0)
        {
            // Cut exactly after a whole member: a valid gzip file of that member alone.
            var r = Read(Write("member.log.gz", whole.AsSpan(0, firstMember).ToArray()));
            Assert.Null(r.Error);
            Assert.Equal(all.Take(1000), r.Texts);
        }
    }

    [Fact]
    public void Zero_padding_after_the_trailer_is_accepted_anything_else_is_an_error()
    {
        byte[] gz = File.ReadAllBytes(Path.Combine(Vectors.Dir, "gzip", "lines.log.gz"));
        var padded = Read(Write("padded.log.gz", gz.Concat(new byte[10240]).ToArray()));
        Assert.Null(padded.Error);
        Assert.Equal(3000, padded.Lines.Count);

        // What follows could be a member cut off in its first bytes.
        foreach (byte[] extra in new[] { new byte[] { 0x1F }, new byte[] { 0x1F, 0x8B }, new byte[] { (byte)'x', (byte)'y', (byte)'z' } })
        {
            var r = Read(Write("extra.log.gz", gz.Concat(extra).ToArray()));
            Assert.IsType<LogTruncatedException>(r.Error);
            Assert.Equal(3000, r.Lines.Count);
        }
    }

    [Fact]
    public void A_damaged_trailer_is_an_error()
    {
        byte[] gz = File.ReadAllBytes(Path.Combine(Vectors.Dir, "gzip", "lines.log.gz"));
        for (int at = gz.Length - 8; at < gz.Length; at++)
        {
            byte[] bad = (byte[])gz.Clone();
            bad[at] ^= 0x01;
            var r = Read(Write("bad.log.gz", bad));
            Assert.NotNull(r.Error);
            Assert.Contains("bad.log.gz", r.Error!.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Members_made_by_dotnet_including_an_empty_one_and_header_lookalikes_read_whole()
    {
        // Stored (uncompressed) blocks put the bytes of a member header, 8 bytes after something that looks
        // like a trailer, into the compressed stream: candidates that are no boundary.
        byte[] lookalike = { 0x01, 0x02, 0x03, 0x04, 0x10, 0, 0, 0, 0x1F, 0x8B, 0x08, 0x00 };
        string line1 = "a=1&junk=" + Encoding.Latin1.GetString(lookalike) + "\n";
        byte[] first = Encoding.Latin1.GetBytes(line1 + line1);
        byte[] second = Utf8.GetBytes("b=2\n");
        byte[] file = GzipNet(first, CompressionLevel.NoCompression)
            .Concat(EmptyGzipMember)
            .Concat(GzipNet(second, CompressionLevel.SmallestSize))
            .Concat(GzipNet(first, CompressionLevel.NoCompression))
            .ToArray();
        var r = Read(Write("members.log.gz", file));
        Assert.Null(r.Error);
        Assert.Equal(5, r.Lines.Count);
        Assert.Equal("b=2", r.Lines[2].Text);
    }

    [Fact]
    public void A_lookalike_after_eight_zero_bytes_reads_as_an_empty_member_and_splits_nothing()
    {
        // Eight zero bytes are the trailer of an empty member: such a candidate matches wherever a member starts.
        byte[] zeros = { 0, 0, 0, 0, 0, 0, 0, 0, 0x1F, 0x8B, 0x08, 0x00 };
        byte[] first = Encoding.Latin1.GetBytes(Encoding.Latin1.GetString(zeros) + "\na=1\n" + Encoding.Latin1.GetString(zeros) + "\n");
        byte[] file = GzipNet(first, CompressionLevel.NoCompression)
            .Concat(GzipNet(Utf8.GetBytes("b=2\n")))
            .Concat(EmptyGzipMember)
            .Concat(GzipNet(first, CompressionLevel.NoCompression))
            .ToArray();
        var r = Read(Write("zeros.log.gz", file));
        Assert.Null(r.Error);
        Assert.Equal(new[] { "a=1", "b=2", "a=1" }, r.Texts.Where(t => t.StartsWith("a=", StringComparison.Ordinal) || t.StartsWith("b=", StringComparison.Ordinal)));
        Assert.Equal(7, r.Lines.Count);
    }

    [Fact]
    public void More_lookalikes_than_are_tracked_still_leave_a_single_member_file_exact()
    {
        var sb = new StringBuilder();
        byte[] lookalike = { 0x01, 0x02, 0x03, 0x04, 0x10, 0, 0, 0, 0x1F, 0x8B, 0x08, 0x00 };
        string junk = Encoding.Latin1.GetString(lookalike);
        for (int i = 0; i < GzipCheck.MaxCandidates + 100; i++)
        {
            sb.Append("a=").Append(i).Append(junk).Append('\n');
        }
        byte[] data = Encoding.Latin1.GetBytes(sb.ToString());
        byte[] gz = GzipNet(data, CompressionLevel.NoCompression);
        var r = Read(Write("many.log.gz", gz));
        Assert.Null(r.Error);
        Assert.Equal(GzipCheck.MaxCandidates + 100, r.Lines.Count);
        var cut = Read(Write("many-cut.log.gz", gz.AsSpan(0, gz.Length - 3).ToArray()));
        Assert.IsType<LogTruncatedException>(cut.Error);
    }

    [Fact]
    public void The_tap_finds_every_header_lookalike_whatever_the_read_sizes()
    {
        var random = new Random(3);
        var data = new byte[20000];
        random.NextBytes(data);
        // Back to back from the first place one can be, at the end, and one with a reserved flag bit set.
        foreach (int at in new[] { 8, 12, 16, 20, 30, 500, 4090, 4094, 9999, 19996 })
        {
            data[at] = 0x1F;
            data[at + 1] = 0x8B;
            data[at + 2] = 0x08;
            data[at + 3] = (byte)(at == 30 ? 0xE0 : at % 2 == 0 ? 0x00 : 0x1F);
        }
        var expected = new List<(long, uint, uint)>();
        for (int at = 8; at + 4 <= data.Length; at++)
        {
            if (data[at] == 0x1F && data[at + 1] == 0x8B && data[at + 2] == 0x08 && (data[at + 3] & 0xE0) == 0)
            {
                expected.Add((at, BitConverter.ToUInt32(data, at - 8), BitConverter.ToUInt32(data, at - 4)));
            }
        }
        Assert.True(expected.Count >= 9);
        Assert.DoesNotContain(expected, e => e.Item1 == 30);
        foreach (int maxRead in new[] { 1, 2, 3, 5, 11, 12, 13, 23, 4096, 20000 })
        {
            var found = new List<(long, uint, uint)>();
            using var tap = new GzipMemberTap(new MemoryStream(data), (p, c, s) => found.Add((p, c, s)));
            var buffer = new byte[maxRead];
            while (tap.Read(buffer, 0, random.Next(1, maxRead + 1)) > 0)
            {
            }
            Assert.Equal(expected, found);
        }
    }
}
