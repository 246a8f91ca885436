using System;
#if NET8_0_OR_GREATER
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
#endif

namespace AlipayBptb.Core.Notifications;

/// <summary>
/// CRC-32 as gzip's trailer holds it (IEEE 802.3, reflected polynomial 0xEDB88320), for checking .gz logs.
/// Written out because netstandard2.0 has none and the System.IO.Hashing package would be a dependency for
/// 40 lines. Slicing-by-8 tables: a byte-at-a-time table does ~0.5 GB/s, which would add half a second to
/// every million gzip-compressed log lines; eight tables do about 2 GB/s. On x86 with carry-less multiply
/// (net8.0), blocks of 64 bytes and more are folded with PCLMULQDQ, as zlib does, at over 10 GB/s: the check
/// then costs next to nothing beside decompressing.
/// </summary>
internal static class Crc32
{
    /// <summary>The running state before any byte; <see cref="Final"/> of it is the CRC of no data, 0.</summary>
    public const uint Initial = 0xFFFFFFFFu;

    private static readonly uint[] Table = BuildTable();

    public static uint Final(uint state) => state ^ 0xFFFFFFFFu;

    /// <summary>The CRC-32 of <paramref name="data"/> (what zlib.crc32 gives).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Final(Append(Initial, data));

    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
#if NET8_0_OR_GREATER
        if (data.Length >= 64 && Pclmulqdq.IsSupported && Sse41.IsSupported)
        {
            int folded = data.Length & ~15;
            state = Fold(state, data.Slice(0, folded));
            data = data.Slice(folded);
        }
#endif
        return AppendTable(state, data);
    }

    /// <summary>The table-driven computation alone, whatever the processor (tests compare the two).</summary>
    internal static uint AppendTable(uint state, ReadOnlySpan<byte> data)
    {
        uint[] t = Table;
        uint crc = state;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            uint lo = crc ^ (data[i] | (uint)data[i + 1] << 8 | (uint)data[i + 2] << 16 | (uint)data[i + 3] << 24);
            crc = t[0x700 + (lo & 0xFF)] ^ t[0x600 + ((lo >> 8) & 0xFF)] ^ t[0x500 + ((lo >> 16) & 0xFF)] ^ t[0x400 + (lo >> 24)]
                ^ t[0x300 + data[i + 4]] ^ t[0x200 + data[i + 5]] ^ t[0x100 + data[i + 6]] ^ t[data[i + 7]];
        }
        for (; i < data.Length; i++)
        {
            crc = t[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
        }
        return crc;
    }

#if NET8_0_OR_GREATER
    // Folding by carry-less multiplication (Intel, "Fast CRC Computation for Generic Polynomials Using
    // PCLMULQDQ", 2009), with the constants and steps of zlib's and Chromium's crc32_sse42_simd_ for the
    // reflected IEEE polynomial: four 128-bit lanes are folded 64 bytes at a time, then into one, then
    // reduced to 32 bits (Barrett). Takes and returns the running state, as AppendTable does;
    // data.Length is a multiple of 16, at least 64.
    private static uint Fold(uint state, ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        Vector128<ulong> k1k2 = Vector128.Create(0x0154442bd4UL, 0x01c6e41596UL);
        Vector128<ulong> k3k4 = Vector128.Create(0x01751997d0UL, 0x00ccaa009eUL);
        Vector128<ulong> k5k0 = Vector128.Create(0x0163cd6124UL, 0UL);
        Vector128<ulong> poly = Vector128.Create(0x01db710641UL, 0x01f7011641UL);
        Vector128<ulong> low32 = Vector128.Create(0xFFFFFFFFUL, 0xFFFFFFFFUL);

        Vector128<ulong> x1 = Vector128.LoadUnsafe(ref p, 0).AsUInt64() ^ Vector128.CreateScalar(state).AsUInt64();
        Vector128<ulong> x2 = Vector128.LoadUnsafe(ref p, 16).AsUInt64();
        Vector128<ulong> x3 = Vector128.LoadUnsafe(ref p, 32).AsUInt64();
        Vector128<ulong> x4 = Vector128.LoadUnsafe(ref p, 48).AsUInt64();
        nuint i = 64;
        for (; length - i >= 64; i += 64)
        {
            x1 = Pclmulqdq.CarrylessMultiply(x1, k1k2, 0x11) ^ Pclmulqdq.CarrylessMultiply(x1, k1k2, 0x00) ^ Vector128.LoadUnsafe(ref p, i).AsUInt64();
            x2 = Pclmulqdq.CarrylessMultiply(x2, k1k2, 0x11) ^ Pclmulqdq.CarrylessMultiply(x2, k1k2, 0x00) ^ Vector128.LoadUnsafe(ref p, i + 16).AsUInt64();
            x3 = Pclmulqdq.CarrylessMultiply(x3, k1k2, 0x11) ^ Pclmulqdq.CarrylessMultiply(x3, k1k2, 0x00) ^ Vector128.LoadUnsafe(ref p, i + 32).AsUInt64();
            x4 = Pclmulqdq.CarrylessMultiply(x4, k1k2, 0x11) ^ Pclmulqdq.CarrylessMultiply(x4, k1k2, 0x00) ^ Vector128.LoadUnsafe(ref p, i + 48).AsUInt64();
        }
        x1 = Pclmulqdq.CarrylessMultiply(x1, k3k4, 0x11) ^ Pclmulqdq.CarrylessMultiply(x1, k3k4, 0x00) ^ x2;
        x1 = Pclmulqdq.CarrylessMultiply(x1, k3k4, 0x11) ^ Pclmulqdq.CarrylessMultiply(x1, k3k4, 0x00) ^ x3;
        x1 = Pclmulqdq.CarrylessMultiply(x1, k3k4, 0x11) ^ Pclmulqdq.CarrylessMultiply(x1, k3k4, 0x00) ^ x4;
        for (; length - i >= 16; i += 16)
        {
            x1 = Pclmulqdq.CarrylessMultiply(x1, k3k4, 0x11) ^ Pclmulqdq.CarrylessMultiply(x1, k3k4, 0x00) ^ Vector128.LoadUnsafe(ref p, i).AsUInt64();
        }

        // 128 bits to 64.
        x2 = Pclmulqdq.CarrylessMultiply(x1, k3k4, 0x10);
        x1 = Sse2.ShiftRightLogical128BitLane(x1, 8) ^ x2;
        x2 = Sse2.ShiftRightLogical128BitLane(x1, 4);
        x1 = Pclmulqdq.CarrylessMultiply(x1 & low32, k5k0, 0x00) ^ x2;

        // Barrett reduction to 32 bits.
        x2 = Pclmulqdq.CarrylessMultiply(x1 & low32, poly, 0x10);
        x2 = Pclmulqdq.CarrylessMultiply(x2 & low32, poly, 0x00);
        x1 ^= x2;
        return Sse41.Extract(x1.AsUInt32(), 1);
    }
#endif

    // Table k (at k * 256) advances a byte followed by k zero bytes, so eight bytes are folded in at once.
    private static uint[] BuildTable()
    {
        var t = new uint[8 * 256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            t[n] = c;
        }
        for (int n = 0; n < 256; n++)
        {
            for (int k = 1; k < 8; k++)
            {
                uint prev = t[(k - 1) * 256 + n];
                t[k * 256 + n] = t[prev & 0xFF] ^ (prev >> 8);
            }
        }
        return t;
    }
}
