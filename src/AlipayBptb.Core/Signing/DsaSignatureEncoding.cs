using System;

namespace AlipayBptb.Core.Signing;

/// <summary>
/// Converts DSA signatures between the DER <c>SEQUENCE { INTEGER r, INTEGER s }</c> that Java's SHA1withDSA
/// and openssl write, and the fixed-width r||s (IEEE P1363) that the platform's DSA takes.
/// </summary>
public static class DsaSignatureEncoding
{
    public static byte[] P1363ToDer(byte[] p1363)
    {
        int half = p1363.Length / 2;
        byte[] r = Integer(p1363, 0, half);
        byte[] s = Integer(p1363, half, half);
        int bodyLength = r.Length + s.Length;
        byte[] der = new byte[2 + bodyLength];
        der[0] = 0x30;
        der[1] = (byte)bodyLength; // r and s are at most 33 bytes each with q of 256 bits: short form suffices
        Buffer.BlockCopy(r, 0, der, 2, r.Length);
        Buffer.BlockCopy(s, 0, der, 2 + r.Length, s.Length);
        return der;
    }

    /// <summary>Reads a DER signature strictly: one SEQUENCE of two positive INTEGERs that fit q, nothing after it.</summary>
    public static bool TryDerToP1363(byte[] der, int qLength, out byte[] p1363)
    {
        p1363 = Array.Empty<byte>();
        int pos = 0;
        if (!ReadHeader(der, ref pos, 0x30, out int seqLength) || pos + seqLength != der.Length)
        {
            return false;
        }
        var result = new byte[2 * qLength];
        if (!ReadInteger(der, ref pos, result, 0, qLength) || !ReadInteger(der, ref pos, result, qLength, qLength))
        {
            return false;
        }
        if (pos != der.Length)
        {
            return false;
        }
        p1363 = result;
        return true;
    }

    private static byte[] Integer(byte[] source, int offset, int length)
    {
        int start = offset;
        int end = offset + length;
        while (start < end - 1 && source[start] == 0)
        {
            start++;
        }
        bool pad = (source[start] & 0x80) != 0;
        int contentLength = end - start + (pad ? 1 : 0);
        byte[] tlv = new byte[2 + contentLength];
        tlv[0] = 0x02;
        tlv[1] = (byte)contentLength;
        Buffer.BlockCopy(source, start, tlv, 2 + (pad ? 1 : 0), end - start);
        return tlv;
    }

    private static bool ReadHeader(byte[] der, ref int pos, byte tag, out int length)
    {
        length = 0;
        if (pos + 2 > der.Length || der[pos] != tag)
        {
            return false;
        }
        int first = der[pos + 1];
        pos += 2;
        if (first < 0x80)
        {
            length = first;
        }
        else if (first == 0x81 && pos < der.Length && der[pos] >= 0x80)
        {
            length = der[pos];
            pos++;
        }
        else
        {
            return false; // longer or non-minimal lengths never occur in a DSA signature
        }
        return pos + length <= der.Length;
    }

    private static bool ReadInteger(byte[] der, ref int pos, byte[] target, int targetOffset, int width)
    {
        if (!ReadHeader(der, ref pos, 0x02, out int length) || length == 0)
        {
            return false;
        }
        int start = pos;
        int end = pos + length;
        pos = end;
        if ((der[start] & 0x80) != 0)
        {
            return false; // negative
        }
        if (der[start] == 0 && length > 1 && (der[start + 1] & 0x80) == 0)
        {
            return false; // non-minimal leading zero
        }
        while (start < end && der[start] == 0)
        {
            start++;
        }
        int significant = end - start;
        if (significant == 0 || significant > width)
        {
            return false; // r and s are in [1, q-1]
        }
        Buffer.BlockCopy(der, start, target, targetOffset + width - significant, significant);
        return true;
    }
}
