using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Tract7dt.Science.Fits;

/// <summary>How raw pixel values become physical values: <c>BZERO + BSCALE × raw</c>, BLANK → NaN.</summary>
internal readonly record struct FitsScaling(int Bitpix, double BScale, double BZero, long? Blank)
{
    /// <summary>No BSCALE/BZERO: raw values are the physical values.</summary>
    public bool IsIdentity => BScale == 1 && BZero == 0;

    /// <summary>
    /// The unsigned-integer conventions (BSCALE = 1 and BZERO = 2^(BITPIX−1), or −128 for
    /// BITPIX 8): physical = raw with the sign bit flipped, exact in every integer width.
    /// </summary>
    public bool IsPseudoUnsigned => BScale == 1 && Bitpix switch
    {
        8 => BZero == -128,
        16 => BZero == 32768,
        32 => BZero == 2147483648.0,
        64 => BZero == 9223372036854775808.0,
        _ => false,
    };

    /// <summary>
    /// BLANK applies to integer data only (FITS 4.0 §4.4.2.5). Unlike astropy we honour
    /// BLANK = 0 and BLANK with the unsigned conventions (astropy 5.2 skips both).
    /// </summary>
    public bool HasBlank => Blank.HasValue && Bitpix > 0;

    /// <summary>
    /// astropy scales 8-, 16-bit integer and float32 data in float32 arithmetic (and wider
    /// types in float64); the float reader does the same so its values are astropy's bit for bit.
    /// </summary>
    public bool ScalesInSingle => Bitpix is 8 or 16 or -32;
}

/// <summary>
/// Converts big-endian raw FITS pixels to physical float/double values. One loop per
/// BITPIX, no allocation; the caller owns both buffers.
/// </summary>
internal static class FitsPixelDecoder
{
    /// <summary>
    /// Decodes <c>dst.Length</c> pixels from <paramref name="raw"/> (exactly
    /// <c>dst.Length × |BITPIX|/8</c> bytes). Values equal <c>(float)</c> of what astropy
    /// 5.2 returns as <c>hdu.data</c>.
    /// </summary>
    public static void Decode(ReadOnlySpan<byte> raw, Span<float> dst, in FitsScaling s)
    {
        int n = dst.Length;
        bool blank = s.HasBlank;
        long bv = s.Blank ?? 0;
        bool pseudo = s.IsPseudoUnsigned, identity = s.IsIdentity;
        float fs = (float)s.BScale, fz = (float)s.BZero;
        bool mul = s.BScale != 1, add = s.BZero != 0;
        switch (s.Bitpix)
        {
            case 8:
                for (int i = 0; i < n; i++)
                {
                    byte r = raw[i];
                    float v = pseudo ? (sbyte)(r ^ 0x80) : identity ? r : Single(r, fs, fz, mul, add);
                    dst[i] = blank && r == bv ? float.NaN : v;
                }
                break;
            case 16:
                for (int i = 0; i < n; i++)
                {
                    short r = BinaryPrimitives.ReadInt16BigEndian(raw.Slice(2 * i, 2));
                    float v = pseudo ? (ushort)(r ^ short.MinValue) : identity ? r : Single(r, fs, fz, mul, add);
                    dst[i] = blank && r == bv ? float.NaN : v;
                }
                break;
            case 32:
                for (int i = 0; i < n; i++)
                {
                    int r = BinaryPrimitives.ReadInt32BigEndian(raw.Slice(4 * i, 4));
                    float v = pseudo ? (uint)(r ^ int.MinValue) : identity ? r : (float)Double(r, s.BScale, s.BZero, mul, add);
                    dst[i] = blank && r == bv ? float.NaN : v;
                }
                break;
            case 64:
                for (int i = 0; i < n; i++)
                {
                    long r = BinaryPrimitives.ReadInt64BigEndian(raw.Slice(8 * i, 8));
                    float v = pseudo ? (ulong)(r ^ long.MinValue) : identity ? r : (float)Double(r, s.BScale, s.BZero, mul, add);
                    dst[i] = blank && r == bv ? float.NaN : v;
                }
                break;
            case -32:
                if (!raw.Overlaps(MemoryMarshal.AsBytes(dst)))
                    raw[..(4 * n)].CopyTo(MemoryMarshal.AsBytes(dst));
                DecodeFloat32InPlace(dst, s);
                break;
            case -64:
                for (int i = 0; i < n; i++)
                {
                    double r = BinaryPrimitives.ReadDoubleBigEndian(raw.Slice(8 * i, 8));
                    dst[i] = (float)(identity ? r : Double(r, s.BScale, s.BZero, mul, add));
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(s), s.Bitpix, "BITPIX");
        }
    }

    /// <summary>
    /// BITPIX −32 fast path: <paramref name="data"/> holds the raw big-endian bytes; swap
    /// them in place (vectorised) and scale in float32 as astropy does.
    /// </summary>
    public static void DecodeFloat32InPlace(Span<float> data, in FitsScaling s)
    {
        var ints = MemoryMarshal.Cast<float, int>(data);
        if (BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(ints, ints);
        if (s.IsIdentity) return;
        float fs = (float)s.BScale, fz = (float)s.BZero;
        bool mul = s.BScale != 1, add = s.BZero != 0;
        for (int i = 0; i < data.Length; i++) data[i] = Single(data[i], fs, fz, mul, add);
    }

    /// <summary>Decodes to double: <c>BZERO + BSCALE × raw</c> in double precision, BLANK → NaN.</summary>
    public static void Decode(ReadOnlySpan<byte> raw, Span<double> dst, in FitsScaling s)
    {
        int n = dst.Length;
        bool blank = s.HasBlank;
        long bv = s.Blank ?? 0;
        bool pseudo = s.IsPseudoUnsigned;
        bool mul = s.BScale != 1, add = s.BZero != 0;
        for (int i = 0; i < n; i++)
        {
            long ir = 0;
            double v;
            switch (s.Bitpix)
            {
                case 8: ir = raw[i]; v = pseudo ? (sbyte)(ir ^ 0x80) : Double(ir, s.BScale, s.BZero, mul, add); break;
                case 16: ir = BinaryPrimitives.ReadInt16BigEndian(raw.Slice(2 * i, 2)); v = pseudo ? ir + 32768 : Double(ir, s.BScale, s.BZero, mul, add); break;
                case 32: ir = BinaryPrimitives.ReadInt32BigEndian(raw.Slice(4 * i, 4)); v = pseudo ? ir + 2147483648L : Double(ir, s.BScale, s.BZero, mul, add); break;
                case 64: ir = BinaryPrimitives.ReadInt64BigEndian(raw.Slice(8 * i, 8)); v = pseudo ? (ulong)(ir ^ long.MinValue) : Double(ir, s.BScale, s.BZero, mul, add); break;
                case -32: v = Double(BinaryPrimitives.ReadSingleBigEndian(raw.Slice(4 * i, 4)), s.BScale, s.BZero, mul, add); break;
                case -64: v = Double(BinaryPrimitives.ReadDoubleBigEndian(raw.Slice(8 * i, 8)), s.BScale, s.BZero, mul, add); break;
                default: throw new ArgumentOutOfRangeException(nameof(s), s.Bitpix, "BITPIX");
            }
            dst[i] = blank && ir == bv && s.Bitpix > 0 ? double.NaN : v;
        }
    }

    // Multiply then add as two rounded operations, skipped when neutral, exactly as numpy's
    // in-place "data *= bscale; data += bzero" (no fused multiply-add: it would round once).
    private static float Single(float r, float fs, float fz, bool mul, bool add)
    {
        if (mul) r *= fs;
        if (add) r += fz;
        return r;
    }

    private static double Double(double r, double bs, double bz, bool mul, bool add)
    {
        if (mul) r *= bs;
        if (add) r += bz;
        return r;
    }
}
