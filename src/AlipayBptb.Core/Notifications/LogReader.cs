using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace AlipayBptb.Core.Notifications;

/// <summary>One line of a callback log, where it came from, and how far into the file reading has got.</summary>
public readonly struct LogLine
{
    public LogLine(string text, long number, long bytesRead)
        : this(text, number, bytesRead, null)
    {
    }

    public LogLine(string text, long number, long bytesRead, string? problem)
    {
        Text = text;
        Number = number;
        BytesRead = bytesRead;
        Problem = problem;
    }

    /// <summary>The line without its line break; when <see cref="Problem"/> is set, only its first characters.</summary>
    public string Text { get; }

    /// <summary>1 for the first line; only '\n' ends a line, as grep -n counts.</summary>
    public long Number { get; }

    /// <summary>Bytes of the file (compressed bytes for .gz) read so far, for progress.</summary>
    public long BytesRead { get; }

    /// <summary>Why the reader did not take the line (it is longer than any notification can be), or null.</summary>
    public string? Problem { get; }
}

/// <summary>A .gz log that does not decompress to its end: cut off, or damaged at its end.</summary>
public sealed class LogTruncatedException : IOException
{
    public LogTruncatedException(string path, string message)
        : base(message)
    {
        Path = path;
    }

    public string Path { get; }
}

/// <summary>
/// Streams the lines of a callback log: the receiver's log, access logs, or one query string or body per
/// line; gzip-compressed files (by their magic bytes, whatever the name) are decompressed on the fly and
/// checked against their trailer. Bytes that are not valid UTF-8 become U+FFFD, which the parameter reader
/// reports as binary, one line at a time; a byte order mark selects UTF-16 or UTF-32 instead, as
/// StreamReader does.
/// </summary>
/// <remarks>
/// Lines are cut at '\n' bytes in a pooled buffer, so memory stays bounded whatever the file holds: a line
/// longer than <see cref="MaxLineBytes"/> is counted and skipped, not kept. A plain file may still be being
/// written: a last line with no '\n' is left unread (<see cref="UnterminatedLength"/>) for the next run,
/// where it will be whole. A .gz file is complete by nature: its last line is read without a '\n'.
/// </remarks>
public sealed class LogReader : IDisposable
{
    /// <summary>
    /// Longer lines are skipped with a <see cref="LogLine.Problem"/>. No encoding read here takes more than
    /// 4 bytes for a character, so a longer line certainly holds more than the
    /// <see cref="ParameterReader.MaxInputLength"/> characters the parameter reader takes; shorter ones are
    /// decoded and left to its rule, as before.
    /// </summary>
    public const int MaxLineBytes = 4 * ParameterReader.MaxInputLength;

    // Reads are at least this large: fewer system calls, and the buffer is moved at most once per read.
    private const int ReadSize = 64 * 1024;

    // Enough bytes of a skipped line for its error to show the 80 characters Describe shows, in any encoding.
    private const int PrefixBytes = 320;

    private static readonly Encoding Utf8 = new UTF8Encoding(false, false);

    private readonly FileStream _file;
    private readonly Stream _content;
    private readonly GzipCheck? _gzip;
    private byte[] _buffer;

    // _buffer[_start.._end) is read and not yet taken; no line break is in [_start.._scan).
    private int _start;
    private int _end;
    private int _scan;

    // Offset in the (decompressed) content of _buffer[0].
    private long _bufferOffset;

    // For .gz: compressed bytes read by the last fill (FileStream.Position is a call through its layers, per line).
    private long _compressedRead;

    private long _number;
    private bool _eof;
    private bool _finished;
    private bool _encodingKnown;

    // The text's encoding: code units of _unit bytes; a line break is a unit whose byte at _low is '\n' and
    // whose other bytes are 0 (the position of the low byte: 0 little-endian, _unit - 1 big-endian).
    private Encoding _encoding = Utf8;
    private int _unit = 1;
    private int _low;

    // A line longer than MaxLineBytes being skipped: its bytes so far and its first characters.
    private bool _skipping;
    private long _skipped;
    private string _skippedPrefix = string.Empty;

    private LogReader(string path, FileStream file)
    {
        Path = path;
        _file = file;
        Length = file.Length;
        bool gzip = Length >= 2 && file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
        file.Position = 0;
        if (gzip)
        {
            _gzip = new GzipCheck();
            _content = new GZipStream(new GzipMemberTap(file, _gzip.AddCandidate), CompressionMode.Decompress);
        }
        else
        {
            _content = file;
        }
        // A line up to the limit, and room for a full read after it.
        _buffer = ArrayPool<byte>.Shared.Rent(MaxLineBytes + 2 * ReadSize);
    }

    /// <summary>Opens a log to read; the file may be written to (or renamed) while it is read.</summary>
    public static LogReader Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
        try
        {
            return new LogReader(path, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The lines of a log as <see cref="TryRead"/> gives them, with the same exceptions. A plain file's last
    /// line without a '\n' is not among them, and nothing says it was there: to learn of it, read with
    /// <see cref="Open"/> and look at <see cref="UnterminatedLength"/>.
    /// </summary>
    public static IEnumerable<LogLine> Read(string path)
    {
        using LogReader reader = Open(path);
        while (reader.TryRead(out LogLine line))
        {
            yield return line;
        }
    }

    public string Path { get; }

    /// <summary>The file's length when it was opened, in bytes as stored (compressed for .gz).</summary>
    public long Length { get; }

    public bool IsGzip => _gzip != null;

    /// <summary>Lines read so far, including the skipped ones.</summary>
    public long LinesRead => _number;

    /// <summary>
    /// After the end of a plain file: the length in bytes of a last line that has no '\n' yet, left unread
    /// (its number is <see cref="LinesRead"/> + 1); 0 when the file ends with a line break.
    /// </summary>
    public long UnterminatedLength { get; private set; }

    /// <summary>Bytes of the file read so far: taken lines for a plain file, compressed bytes for .gz.</summary>
    public long BytesRead => _gzip != null ? _compressedRead : _bufferOffset + _start;

    /// <summary>
    /// Reads the next line; false at the end. Throws <see cref="LogTruncatedException"/> at the end of a .gz
    /// file whose data stops short of its trailer (after every whole line before that point was returned),
    /// <see cref="InvalidDataException"/> for compressed data that cannot be decompressed, and the usual I/O
    /// exceptions.
    /// </summary>
    public bool TryRead(out LogLine line)
    {
        if (_finished)
        {
            line = default;
            return false;
        }
        if (!_encodingKnown)
        {
            DetectEncoding();
        }
        while (true)
        {
            int lineBreak = _unit == 1 ? FindNewline() : FindNewlineUnit();
            if (lineBreak >= 0)
            {
                line = Take(lineBreak, lineBreak + _unit);
                return true;
            }
            // One unit more than the limit may be the '\r' of a "\r\n" still to come.
            if (!_skipping && _end - _start > MaxLineBytes + _unit)
            {
                _skipping = true;
                _skipped = 0;
                _skippedPrefix = _encoding.GetString(_buffer, _start, PrefixBytes);
            }
            if (_eof)
            {
                return Finish(out line);
            }
            if (_skipping)
            {
                // Drop what was looked at, in whole code units so that units stay aligned, but keep the last
                // unit: it may be the '\r' of the "\r\n" that ends the line, which is no part of its length.
                int drop = ((_scan - _start) / _unit - 1) * _unit;
                if (drop > 0)
                {
                    _skipped += drop;
                    _start += drop;
                }
            }
            Fill();
        }
    }

    public void Dispose()
    {
        _content.Dispose();
        _file.Dispose();
        byte[] buffer = _buffer;
        _buffer = Array.Empty<byte>();
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // The index of the next '\n' in the buffer, or -1 (then everything up to _end has been looked at).
    private int FindNewline()
    {
        int i = _buffer.AsSpan(_scan, _end - _scan).IndexOf((byte)'\n');
        if (i < 0)
        {
            _scan = _end;
            return -1;
        }
        return _scan + i;
    }

    // The same for UTF-16 and UTF-32: a '\n' byte only counts at the low byte of a unit whose other bytes are 0.
    private int FindNewlineUnit()
    {
        while (true)
        {
            int i = _buffer.AsSpan(_scan, _end - _scan).IndexOf((byte)'\n');
            if (i < 0)
            {
                _scan = _end;
                return -1;
            }
            int at = _scan + i;
            int unitStart = at - (at - _start) % _unit;
            if (at - unitStart == _low)
            {
                if (unitStart + _unit > _end)
                {
                    // The rest of the unit is not read yet: look at this byte again after the next read.
                    _scan = at;
                    return -1;
                }
                if (IsUnit(unitStart, '\n'))
                {
                    return unitStart;
                }
            }
            _scan = at + 1;
        }
    }

    private bool IsUnit(int at, char c)
    {
        for (int k = 0; k < _unit; k++)
        {
            if (_buffer[at + k] != (k == _low ? (byte)c : 0))
            {
                return false;
            }
        }
        return true;
    }

    // Takes the line in [_start, end) and moves past it to next; "\r\n" counts as a break, a lone '\r' does not.
    private LogLine Take(int end, int next)
    {
        _number++;
        if (next > end && end - _start >= _unit && (_unit == 1 ? _buffer[end - 1] == (byte)'\r' : IsUnit(end - _unit, '\r')))
        {
            end -= _unit;
        }
        string text;
        string? problem = null;
        long length = (_skipping ? _skipped : 0) + (end - _start);
        if (length > MaxLineBytes)
        {
            // Whether the line was skipped or (its '\n' already read) is still whole in the buffer: one rule.
            problem = $"the line is {length} bytes long; a notification or return is at most {ParameterReader.MaxInputLength} characters";
            text = _skipping ? _skippedPrefix : _encoding.GetString(_buffer, _start, PrefixBytes);
        }
        else
        {
            text = end > _start ? Decode(_start, end - _start) : string.Empty;
        }
        _skipping = false;
        _skipped = 0;
        _skippedPrefix = string.Empty;
        _start = next;
        _scan = next;
        return new LogLine(text, _number, BytesRead, problem);
    }

    // After a read fails, the reader is at its end: nothing after the failure is guessed at.
    private bool Stop()
    {
        _eof = true;
        _finished = true;
        return true;
    }

    private string Decode(int start, int count)
    {
#if NET8_0_OR_GREATER
        // Log lines are ASCII (their parameters percent-encoded): widening them is cheaper than decoding UTF-8.
        if (_unit == 1 && Ascii.IsValid(new ReadOnlySpan<byte>(_buffer, start, count)))
        {
            return string.Create(count, (_buffer, start), static (chars, line) => Ascii.ToUtf16(line._buffer.AsSpan(line.start, chars.Length), chars, out _));
        }
#endif
        return _encoding.GetString(_buffer, start, count);
    }

    private void Fill()
    {
        if (_buffer.Length - _end < ReadSize)
        {
            // Move the unfinished line to the front; it is at most MaxLineBytes and a unit, so a full read fits after it.
            int keep = _end - _start;
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, keep);
            _bufferOffset += _start;
            _scan -= _start;
            _end = keep;
            _start = 0;
        }
        int n;
        try
        {
            n = _content.Read(_buffer, _end, _buffer.Length - _end);
        }
        catch (InvalidDataException ex) when (_gzip != null && Stop())
        {
            throw new InvalidDataException($"{Path}: the gzip data is damaged after {_gzip.Total} decompressed bytes (line {_number + 1}): {ex.Message}", ex);
        }
        catch when (Stop())
        {
            throw;
        }
        if (n == 0)
        {
            _eof = true;
            return;
        }
        if (_gzip != null)
        {
            _gzip.Update(_buffer, _end, n);
            _compressedRead = _file.Position;
        }
        _end += n;
    }

    // A byte order mark, as StreamReader reads one: UTF-8's is dropped, UTF-16's and UTF-32's select them.
    private void DetectEncoding()
    {
        while (_end < 4 && !_eof)
        {
            Fill();
        }
        _encodingKnown = true;
        ReadOnlySpan<byte> b = _buffer.AsSpan(0, _end);
        int bom = 0;
        if (b.Length >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
        {
            bom = 3;
        }
        else if (b.Length >= 4 && b[0] == 0xFF && b[1] == 0xFE && b[2] == 0 && b[3] == 0)
        {
            (bom, _unit, _low, _encoding) = (4, 4, 0, new UTF32Encoding(false, false, false));
        }
        else if (b.Length >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xFE && b[3] == 0xFF)
        {
            (bom, _unit, _low, _encoding) = (4, 4, 3, new UTF32Encoding(true, false, false));
        }
        else if (b.Length >= 2 && b[0] == 0xFF && b[1] == 0xFE)
        {
            (bom, _unit, _low, _encoding) = (2, 2, 0, new UnicodeEncoding(false, false, false));
        }
        else if (b.Length >= 2 && b[0] == 0xFE && b[1] == 0xFF)
        {
            (bom, _unit, _low, _encoding) = (2, 2, 1, new UnicodeEncoding(true, false, false));
        }
        _start = bom;
        _scan = bom;
    }

    // At the end of the data: a plain file's unfinished last line stays unread; a .gz file must end with the
    // trailer of what it decompressed to, and then its last line counts without a '\n'.
    private bool Finish(out LogLine line)
    {
        line = default;
        if (_finished)
        {
            return false;
        }
        _finished = true;
        long pending = (_skipping ? _skipped : 0) + (_end - _start);
        if (_gzip == null)
        {
            UnterminatedLength = _skipping || _end > _start ? pending : 0;
            return false;
        }
        string? problem = _gzip.Finish(_file);
        if (problem != null)
        {
            string cut = _skipping || _end > _start ? $"; line {_number + 1}, {pending} bytes without a line break, was not read" : string.Empty;
            throw new LogTruncatedException(Path, $"{Path}: the gzip file is truncated or damaged after line {_number}: {problem}{cut}.");
        }
        if (_skipping || _end > _start)
        {
            line = Take(_end, _end);
            return true;
        }
        return false;
    }
}
