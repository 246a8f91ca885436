using System;
using System.Collections.Generic;
using System.IO;

namespace AlipayBptb.Core.Notifications;

/// <summary>
/// Checks that a .gz log was decompressed to its end: GZipStream returns end-of-data, with no error, when
/// the compressed bytes stop early, so a truncated log (a copy cut off, a disk that filled up) would read as
/// a shorter valid one. The check is RFC 1952's own: the CRC-32 and the length mod 2^32 of the decompressed
/// data must be the trailer that ends the file.
/// </summary>
/// <remarks>
/// Several gzip members one after another (cat a.gz b.gz) are one valid file, which .NET (Core) decompresses
/// as the concatenation of the members; each trailer covers only its own member. So member boundaries are
/// tracked: <see cref="GzipMemberTap"/> sees the compressed bytes and reports every place where a member
/// header may start (1F 8B 08 and a valid flag byte) with the 8 bytes before it, which would be the previous
/// member's trailer. A candidate is taken as a boundary when the decompressed data since the last boundary
/// has exactly that length and CRC-32 (a false match is a 2^-32 chance); the last member is then checked
/// against the end of the file. A member of 4 GiB or more is found too (the length is mod 2^32: a candidate
/// is checked again every 4 GiB). If more than <see cref="MaxCandidates"/> unresolved candidates pile up
/// (compressed data full of header look-alikes), later ones are not tracked: a single-member file still
/// checks exactly, a multi-member one may then be reported although intact, never the other way round.
/// A runtime that stops after the first member (.NET Framework's GZipStream) leaves the data after it
/// undecompressed; the last trailer then does not match, and that is reported as well.
/// Zero bytes after the trailer (block padding) are accepted, as gzip -t does; anything else after it could
/// be a member cut short in its header, and is reported. Two cuts cannot be seen, as nothing is missing
/// then: one exactly between members, and one inside the all-zero trailer of a last member that holds no
/// data (zeros before the cut then read as that trailer).
/// </remarks>
internal sealed class GzipCheck
{
    /// <summary>Bounds the memory a file full of header look-alikes can take (about 100 KB).</summary>
    internal const int MaxCandidates = 4096;

    private const long FourGiB = 1L << 32;

    // How far back from the end of the file the trailer is looked for, past zero padding.
    private const int TailWindow = 64 * 1024;

    private readonly List<Candidate> _pending = new();
    private uint _state = Crc32.Initial;
    private long _memberStart;
    private long _total;
    private bool _overflow;
    private long _lastPosition = -1;

    /// <summary>Decompressed bytes seen so far.</summary>
    public long Total => _total;

    /// <summary>Members whose end has been found so far, plus the one being read (members with no data are not counted).</summary>
    public int Members { get; private set; } = 1;

    /// <summary>Called by the tap for each place a member could begin, in file order (the order boundaries are settled in).</summary>
    public void AddCandidate(long position, uint crc, uint size)
    {
        System.Diagnostics.Debug.Assert(position > _lastPosition, "candidates come in file order");
        _lastPosition = position;
        if (_pending.Count >= MaxCandidates)
        {
            _overflow = true;
            return;
        }
        _pending.Add(new Candidate(crc, size, Arm(_memberStart + size)));
        CheckHere();
    }

    /// <summary>Takes the next decompressed bytes, in order.</summary>
    public void Update(byte[] data, int offset, int count)
    {
        while (true)
        {
            long next = NextTarget();
            if (next > _total + count)
            {
                _state = Crc32.Append(_state, new ReadOnlySpan<byte>(data, offset, count));
                _total += count;
                return;
            }
            int upTo = (int)(next - _total);
            _state = Crc32.Append(_state, new ReadOnlySpan<byte>(data, offset, upTo));
            _total = next;
            offset += upTo;
            count -= upTo;
            CheckHere();
        }
    }

    /// <summary>
    /// After the last decompressed byte: null when the file ends with the trailer of the last member
    /// (zero padding after it allowed), else what is wrong.
    /// </summary>
    public string? Finish(Stream file)
    {
        uint crc = Crc32.Final(_state);
        uint size = unchecked((uint)(_total - _memberStart));
        long length = file.Length;
        int window = (int)Math.Min(length, TailWindow);
        var tail = new byte[window];
        file.Seek(length - window, SeekOrigin.Begin);
        int got = 0;
        while (got < window)
        {
            int n = file.Read(tail, got, window - got);
            if (n == 0)
            {
                break;
            }
            got += n;
        }
        if (got == window)
        {
            int zeros = 0;
            while (zeros < window && tail[window - 1 - zeros] == 0)
            {
                zeros++;
            }
            for (int pad = 0; pad <= zeros && window - pad >= 8; pad++)
            {
                int at = window - pad - 8;
                if (ReadUInt32(tail, at) == crc && ReadUInt32(tail, at + 4) == size)
                {
                    return null;
                }
            }
        }
        string members = Members > 1 ? $" (in the last of {Members} gzip members)" : string.Empty;
        string untracked = _overflow ? $"; more than {MaxCandidates} places looked like gzip member headers, so member boundaries may have been missed" : string.Empty;
        return $"the file does not end with the gzip trailer of the data it decompresses to: {_total} bytes{members}, CRC-32 {crc:x8}, length {size}{untracked}";
    }

    private static uint ReadUInt32(byte[] b, int at) => b[at] | (uint)b[at + 1] << 8 | (uint)b[at + 2] << 16 | (uint)b[at + 3] << 24;

    // The decompressed offset a candidate is checked at: where the current member would end if the
    // candidate's trailer were its own; offsets already passed come round again 4 GiB later.
    private long Arm(long target)
    {
        while (target < _total)
        {
            target += FourGiB;
        }
        return target;
    }

    private long NextTarget()
    {
        long next = long.MaxValue;
        foreach (Candidate c in _pending)
        {
            next = Math.Min(next, c.Target);
        }
        return next;
    }

    // Settles every candidate whose offset is the current one.
    private void CheckHere()
    {
        for (int i = 0; i < _pending.Count; i++)
        {
            Candidate c = _pending[i];
            if (c.Target != _total)
            {
                continue;
            }
            if (Crc32.Final(_state) == c.Crc && _total == _memberStart)
            {
                // An empty member (its trailer is eight zero bytes), or a look-alike with such bytes before it:
                // either way no data is split here. Candidates before it stay: one of them may be where the
                // current member really ends (a.gz, empty.gz, b.gz: the empty member's trailer is seen first).
                _pending.RemoveAt(i);
                i--;
            }
            else if (Crc32.Final(_state) == c.Crc)
            {
                // A member ends here. Earlier candidates lay inside it; later ones are measured from here.
                Members++;
                _memberStart = _total;
                _state = Crc32.Initial;
                _pending.RemoveRange(0, i + 1);
                for (int j = 0; j < _pending.Count; j++)
                {
                    Candidate later = _pending[j];
                    _pending[j] = new Candidate(later.Crc, later.Size, Arm(_memberStart + later.Size));
                }
                i = -1;
            }
            else
            {
                _pending[i] = new Candidate(c.Crc, c.Size, c.Target + FourGiB);
            }
        }
    }

    private readonly struct Candidate
    {
        public Candidate(uint crc, uint size, long target)
        {
            Crc = crc;
            Size = size;
            Target = target;
        }

        public uint Crc { get; }
        public uint Size { get; }
        public long Target { get; }
    }
}

/// <summary>
/// Passes a .gz file's bytes to GZipStream and reports (to <see cref="GzipCheck.AddCandidate"/>) each place where a further
/// gzip member may begin: bytes 1F 8B 08 (magic, deflate) and a flag byte with its reserved bits clear,
/// with the 8 bytes before them. Every byte is seen in the order GZipStream reads it, so a boundary is known
/// before any data of the member after it comes out.
/// </summary>
internal sealed class GzipMemberTap : Stream
{
    // A candidate spans the 8 trailer bytes, 1F 8B 08 and the flag byte: 12 bytes.
    private const int TrailerLength = 8;
    private const int HeaderProbe = 4;
    private const int Span = TrailerLength + HeaderProbe;

    private readonly Stream _inner;
    private readonly Action<long, uint, uint> _report;

    // The last Span - 1 bytes read: a candidate still missing its last byte lies wholly in them.
    private readonly byte[] _tail = new byte[Span - 1];
    private int _tailLength;

    // The tail followed by the start of the newest read, to find candidates across the seam.
    private readonly byte[] _seam = new byte[2 * (Span - 1)];
    private long _position;

    /// <param name="report">Takes the position of the 1F byte, and the CRC-32 and length the 8 bytes before it hold.</param>
    public GzipMemberTap(Stream inner, Action<long, uint, uint> report)
    {
        _inner = inner;
        _report = report;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = _inner.Read(buffer, offset, count);
        Scan(new ReadOnlySpan<byte>(buffer, offset, n));
        return n;
    }

#if NET8_0_OR_GREATER
    public override int Read(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        Scan(buffer.Slice(0, n));
        return n;
    }
#endif

    internal void Scan(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0)
        {
            return;
        }
        long start = _position;

        // Candidates that end in this read but begin before its 9th byte: found in tail + first bytes.
        int head = Math.Min(data.Length, Span - 1);
        _tail.AsSpan(0, _tailLength).CopyTo(_seam);
        data.Slice(0, head).CopyTo(_seam.AsSpan(_tailLength));
        int seamLength = _tailLength + head;
        for (int k = TrailerLength; k + HeaderProbe <= seamLength; k++)
        {
            // k + 3 >= _tailLength: the candidate's last byte is new, so it was not complete (and seen) before.
            if (k + HeaderProbe - 1 >= _tailLength && IsHeader(_seam, k))
            {
                Report(start - _tailLength + k, _seam.AsSpan(k - TrailerLength, TrailerLength));
            }
        }

        // Candidates wholly inside this read.
        int from = TrailerLength;
        while (from + HeaderProbe <= data.Length)
        {
            int i = data.Slice(from, data.Length - from - (HeaderProbe - 1)).IndexOf((byte)0x1F);
            if (i < 0)
            {
                break;
            }
            int at = from + i;
            if (IsHeader(data, at))
            {
                Report(start + at, data.Slice(at - TrailerLength, TrailerLength));
            }
            from = at + 1;
        }

        // Keep the last bytes of everything read so far.
        if (data.Length >= _tail.Length)
        {
            data.Slice(data.Length - _tail.Length).CopyTo(_tail);
            _tailLength = _tail.Length;
        }
        else
        {
            int keep = Math.Min(_tailLength, _tail.Length - data.Length);
            _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail);
            data.CopyTo(_tail.AsSpan(keep));
            _tailLength = keep + data.Length;
        }
        _position += data.Length;
    }

    // Magic, method 8 (deflate, the only one RFC 1952 defines), and FLG bits 5-7 clear as the RFC requires.
    private static bool IsHeader(ReadOnlySpan<byte> b, int at) =>
        b[at] == 0x1F && b[at + 1] == 0x8B && b[at + 2] == 0x08 && (b[at + 3] & 0xE0) == 0;

    private void Report(long position, ReadOnlySpan<byte> trailer)
    {
        uint crc = trailer[0] | (uint)trailer[1] << 8 | (uint)trailer[2] << 16 | (uint)trailer[3] << 24;
        uint size = trailer[4] | (uint)trailer[5] << 8 | (uint)trailer[6] << 16 | (uint)trailer[7] << 24;
        _report(position, crc, size);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
