namespace Tract7dt.Science.Fits;

/// <summary>
/// One header-data unit of a FITS file as found on disk: its parsed header, data layout
/// and where the data starts. Obtained from <see cref="FitsFile"/>; the pixels are read
/// through the file.
/// </summary>
public sealed class FitsHdu
{
    internal FitsHdu(int index, FitsHeader header, long headerOffset, long dataOffset)
    {
        Index = index;
        Header = header;
        HeaderOffset = headerOffset;
        DataOffset = dataOffset;
    }

    /// <summary>0 for the primary HDU, 1.. for extensions.</summary>
    public int Index { get; }

    /// <summary>The full parsed header, structural keywords included.</summary>
    public FitsHeader Header { get; }

    /// <summary>Byte offset of the first header block in the (decompressed) file.</summary>
    public long HeaderOffset { get; }

    /// <summary>Byte offset of the first data byte in the (decompressed) file.</summary>
    public long DataOffset { get; }

    /// <summary>Raw BITPIX: 8, 16, 32, 64 (integers, big-endian), -32, -64 (IEEE floats).</summary>
    public int Bitpix { get; internal init; }

    /// <summary>NAXIS1..NAXISn (FITS order: NAXIS1 varies fastest). Empty when NAXIS = 0.</summary>
    public IReadOnlyList<long> Axes { get; internal init; } = Array.Empty<long>();

    /// <summary>Data bytes, without the padding to 2880: |BITPIX|/8 × GCOUNT × (PCOUNT + ΠNAXISi).</summary>
    public long DataBytes { get; internal init; }

    /// <summary>null for the primary HDU; else the XTENSION value (e.g. <c>IMAGE</c>, <c>BINTABLE</c>).</summary>
    public string? Extension { get; internal init; }

    /// <summary>EXTNAME, or null.</summary>
    public string? Name => Header.GetString("EXTNAME");

    /// <summary>True for a tile-compressed image (a BINTABLE with ZIMAGE = T).</summary>
    public bool IsTileCompressed => Extension == "BINTABLE" && Header.GetBool("ZIMAGE") == true;

    /// <summary>True when this HDU holds an image array with data (primary or IMAGE extension, NAXIS ≥ 1).</summary>
    public bool HasImage => (Extension is null or "IMAGE") && Axes.Count > 0 && DataBytes > 0;

    /// <summary>NAXIS1: pixels per row (x), or 0.</summary>
    public int Width => Axes.Count >= 1 ? (int)Math.Min(Axes[0], int.MaxValue) : 0;

    /// <summary>NAXIS2: rows (y), or 0 (1 for a 1-D image).</summary>
    public int Height => Axes.Count >= 2 ? (int)Math.Min(Axes[1], int.MaxValue) : Axes.Count == 1 ? 1 : 0;

    /// <summary>Bytes per pixel, |BITPIX| / 8.</summary>
    public int BytesPerPixel => Math.Abs(Bitpix) / 8;

    /// <summary>Offset of the first byte after this HDU's data padding: where the next HDU starts.</summary>
    internal long NextOffset => DataOffset + (DataBytes + 2879) / 2880 * 2880;

    internal FitsScaling Scaling { get; init; }

    public override string ToString() =>
        $"HDU {Index} ({Extension ?? "PRIMARY"}{(Name is { } n ? " " + n : "")}) BITPIX={Bitpix} axes=[{string.Join(",", Axes)}]";
}
