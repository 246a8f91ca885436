using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace AlipayBptb.Core.Notifications;

/// <summary>One line of a callback log, where it came from, and how far into the file reading has got.</summary>
public readonly struct LogLine
{
    public LogLine(string text, long number, long bytesRead)
    {
        Text = text;
        Number = number;
        BytesRead = bytesRead;
    }

    public string Text { get; }

    /// <summary>1 for the first line.</summary>
    public long Number { get; }

    /// <summary>Bytes of the file (compressed bytes for .gz) read so far, for progress.</summary>
    public long BytesRead { get; }
}

/// <summary>
/// Streams the lines of a callback log: the receiver's log, access logs, or one query string or body per
/// line; gzip-compressed files (by their magic bytes, whatever the name) are decompressed on the fly.
/// Bytes that are not UTF-8 become U+FFFD, which the parameter reader reports as binary, one line at a time.
/// </summary>
public static class LogReader
{
    public static IEnumerable<LogLine> Read(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
        bool gzip = file.Length >= 2 && file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
        file.Position = 0;
        using Stream content = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(content, new UTF8Encoding(false, false), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        long number = 0;
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            number++;
            yield return new LogLine(line, number, file.Position);
        }
    }
}
