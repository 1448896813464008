using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Fits;

/// <summary>
/// A FITS file opened for reading: its HDUs (found lazily, in order) and their image
/// pixels, whole or as a sub-rectangle read by seeking so that only the window's rows are
/// touched. Plain and gzip-compressed (<c>.fits.gz</c>, detected by content) files.
/// </summary>
/// <remarks>
/// Pixel convention: 0-based; pixel (x, y) of a W×H image is element <c>[y*W + x]</c>,
/// x along NAXIS1. Values are physical: <c>BZERO + BSCALE × raw</c>, with BLANK → NaN.
/// Not thread-safe (one file position); open one <see cref="FitsFile"/> per thread.
/// </remarks>
public sealed class FitsFile : IDisposable
{
    private const int BlockSize = 2880;

    /// <summary>Full-row reads are done in chunks of about this many bytes (bounded buffer).</summary>
    private const int ChunkBytes = 1 << 20;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly long? _length;
    private readonly List<FitsHdu> _hdus = new();
    private bool _sawLast;

    private FitsFile(Stream stream, string name, bool leaveOpen, long? length)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _length = length;
        Name = name;
        GetHdu(0); // fail fast on a file that is not FITS
    }

    /// <summary>The path (or the name given for a stream), used in error messages.</summary>
    public string Name { get; }

    /// <summary>Opens a FITS file (plain or gzip-compressed) and reads its primary header.</summary>
    /// <exception cref="Tract7dtException">Missing file (T7D001), not FITS (T7D010), header without END (T7D011).</exception>
    public static FitsFile Open(string path)
    {
        if (!File.Exists(path))
            throw new Tract7dtException(ErrorCodes.FileNotFound, $"FITS file not found: '{path}'. Check the path (relative paths are resolved against the current folder).");
        // Unbuffered: we read whole blocks or whole window rows, so a stream buffer would
        // only make the reads larger than asked for.
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.RandomAccess);
        try
        {
            Span<byte> magic = stackalloc byte[2];
            int n = fs.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            fs.Position = 0;
            if (n == 2 && GzipSeekStream.IsGzip(magic))
            {
                fs.Dispose();
                var gz = new GzipSeekStream(() => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan));
                return new FitsFile(gz, path, leaveOpen: false, length: null);
            }
            return new FitsFile(fs, path, leaveOpen: false, length: fs.Length);
        }
        catch
        {
            fs.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads FITS from a seekable <paramref name="stream"/> (e.g. a memory stream or a
    /// counting wrapper); <paramref name="name"/> is used in error messages.
    /// </summary>
    public static FitsFile Open(Stream stream, string name, bool leaveOpen = false)
    {
        if (!stream.CanSeek || !stream.CanRead)
            throw new ArgumentException("FITS reading needs a readable, seekable stream.", nameof(stream));
        long? length = null;
        try { length = stream.Length; } catch (NotSupportedException) { }
        return new FitsFile(stream, name, leaveOpen, length);
    }

    /// <summary>Reads only the primary header of <paramref name="path"/> (no data is read).</summary>
    public static FitsHeader ReadPrimaryHeader(string path)
    {
        using var f = Open(path);
        return f.GetHdu(0).Header;
    }

    /// <summary>All HDUs (reads every header of the file).</summary>
    public IReadOnlyList<FitsHdu> Hdus
    {
        get
        {
            while (!_sawLast) TryScanNext();
            return _hdus;
        }
    }

    /// <summary>The HDU at <paramref name="index"/> (0 = primary), reading headers only up to it.</summary>
    /// <exception cref="Tract7dtException">T7D016 when the file has fewer HDUs.</exception>
    public FitsHdu GetHdu(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        while (_hdus.Count <= index && !_sawLast) TryScanNext();
        if (index >= _hdus.Count)
            throw new Tract7dtException(ErrorCodes.FitsHduNotFound,
                $"FITS file '{Name}' has {_hdus.Count} HDU(s) (0..{_hdus.Count - 1}); HDU {index} was asked for. Check the extension number.");
        return _hdus[index];
    }

    /// <summary>Reads the whole 2-D image of HDU <paramref name="hdu"/> as float32 (row-major, [y*W + x]).</summary>
    /// <remarks>Equals astropy 5.2's <c>hdu.data.astype(np.float32)</c> bit for bit (see <see cref="FitsScaling"/>).</remarks>
    public float[] ReadImage(int hdu = 0)
    {
        var h = RequireImage(hdu);
        var dst = new float[PixelCount(h)];
        ReadRegion<float>(h, 0, h.Width, 0, h.Height, dst);
        return dst;
    }

    /// <summary>Reads the whole 2-D image as float64; scaling is done in double precision.</summary>
    public double[] ReadImageDouble(int hdu = 0)
    {
        var h = RequireImage(hdu);
        var dst = new double[PixelCount(h)];
        ReadRegion<double>(h, 0, h.Width, 0, h.Height, dst);
        return dst;
    }

    /// <summary>
    /// Reads the window of columns [<paramref name="x0"/>, <paramref name="x1"/>) and rows
    /// [<paramref name="y0"/>, <paramref name="y1"/>) (0-based, half-open) into
    /// <paramref name="dst"/>, row-major: window pixel (x, y) goes to
    /// <c>dst[(y − y0)·(x1 − x0) + (x − x0)]</c>. Only those rows' bytes are read.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The window is empty-inverted or outside the image, or <paramref name="dst"/> is too short.</exception>
    public void ReadWindow(int hdu, int x0, int x1, int y0, int y1, Span<float> dst) =>
        ReadRegion(CheckWindow(hdu, x0, x1, y0, y1, dst.Length), x0, x1, y0, y1, dst);

    /// <summary>As <see cref="ReadWindow(int,int,int,int,int,Span{float})"/>, in double precision.</summary>
    public void ReadWindow(int hdu, int x0, int x1, int y0, int y1, Span<double> dst) =>
        ReadRegion(CheckWindow(hdu, x0, x1, y0, y1, dst.Length), x0, x1, y0, y1, dst);

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }

    // ---------------------------------------------------------------- image access

    private FitsHdu CheckWindow(int hdu, int x0, int x1, int y0, int y1, int dstLength)
    {
        var h = RequireImage(hdu);
        if (x0 < 0 || x1 > h.Width || x0 > x1 || y0 < 0 || y1 > h.Height || y0 > y1)
            throw new ArgumentOutOfRangeException(nameof(x0),
                $"Window x[{x0},{x1}) y[{y0},{y1}) is not inside the {h.Width}×{h.Height} image of HDU {hdu} of '{Name}'.");
        long need = (long)(x1 - x0) * (y1 - y0);
        if (dstLength < need)
            throw new ArgumentOutOfRangeException("dst", $"Destination holds {dstLength} pixels; the window needs {need}.");
        return h;
    }

    private long PixelCount(FitsHdu h)
    {
        long n = (long)h.Width * h.Height;
        if (n > Array.MaxLength)
            throw new Tract7dtException(ErrorCodes.FitsNotAnImage,
                $"The {h.Width}×{h.Height} image in HDU {h.Index} of '{Name}' is too large to read into one array; read it by windows (ReadWindow).");
        return n;
    }

    /// <summary>The HDU if it holds a whole 2-D image (not tile-compressed, every data byte present);
    /// else the coded error that says why not. Reads no pixels.</summary>
    public FitsHdu GetImageHdu(int index) => RequireImage(index);

    /// <summary>The HDU if it holds a 2-D image, else the error that says why not.</summary>
    private FitsHdu RequireImage(int index)
    {
        var h = GetHdu(index);
        if (h.IsTileCompressed)
            throw TileCompressed(h);
        if (h.Extension is not (null or "IMAGE"))
            throw new Tract7dtException(ErrorCodes.FitsNotAnImage,
                $"HDU {index} of FITS file '{Name}' is a {h.Extension} extension, not an image. Give the number of an image HDU.");
        if (h.Axes.Count == 0 || h.DataBytes == 0)
        {
            string hint = "";
            if (index == 0)
            {
                try
                {
                    if (_hdus.Count < 2) TryScanNext();
                    if (_hdus.Count > 1 && _hdus[1].IsTileCompressed) throw TileCompressed(_hdus[1]);
                    if (_hdus.Count > 1 && _hdus[1].HasImage) hint = " HDU 1 holds an image: read that HDU instead.";
                }
                catch (Tract7dtException e) when (e.Code != ErrorCodes.FitsTileCompressed) { }
            }
            throw new Tract7dtException(ErrorCodes.FitsNotAnImage,
                $"HDU {index} of FITS file '{Name}' holds no image data (NAXIS = {h.Axes.Count}).{hint}");
        }
        bool extraAxesAreOne = true;
        for (int i = 2; i < h.Axes.Count; i++) extraAxesAreOne &= h.Axes[i] == 1;
        if (h.Axes.Count < 2 || !extraAxesAreOne)
            throw new Tract7dtException(ErrorCodes.FitsNotAnImage,
                $"HDU {index} of FITS file '{Name}' has NAXIS = {h.Axes.Count} ({string.Join("×", h.Axes)}); a 2-D image is required.");
        if (h.Axes[0] > int.MaxValue || h.Axes[1] > int.MaxValue)
            throw new Tract7dtException(ErrorCodes.FitsNotAnImage,
                $"HDU {index} of FITS file '{Name}' is {h.Axes[0]}×{h.Axes[1]} pixels, more than this reader's 2^31−1 per axis.");
        if (_length is long len && h.DataOffset + h.DataBytes > len)
            throw Truncated(h, len);
        return h;
    }

    private Tract7dtException TileCompressed(FitsHdu h) => new(ErrorCodes.FitsTileCompressed,
        $"HDU {h.Index} of FITS file '{Name}' is a tile-compressed image (ZIMAGE = T, ZCMPTYPE = '{h.Header.GetString("ZCMPTYPE")}'), " +
        "which is not supported yet. Decompress it first, e.g. 'funpack file.fits.fz' or astropy's CompImageHDU, and give the plain FITS file.");

    private Tract7dtException Truncated(FitsHdu h, long have) => new(ErrorCodes.FitsTruncated,
        $"FITS file '{Name}' is truncated: HDU {h.Index} declares {h.DataBytes} data bytes starting at byte {h.DataOffset}, " +
        $"but the file {(have >= 0 ? $"has only {have} bytes" : "ends early")}. The copy or download is incomplete; fetch the file again.");

    /// <summary>
    /// Reads rows [y0, y1) × columns [x0, x1) of <paramref name="h"/> into <paramref name="dst"/>.
    /// Full-width windows are read in ~1 MB contiguous chunks; narrower ones row by row,
    /// seeking to each row's first window pixel.
    /// </summary>
    private void ReadRegion<T>(FitsHdu h, int x0, int x1, int y0, int y1, Span<T> dst) where T : unmanaged
    {
        int w = x1 - x0;
        if (w == 0 || y1 == y0) return;
        int bpp = h.BytesPerPixel;
        long rowBytes = (long)w * bpp;
        bool fullRows = x0 == 0 && x1 == h.Width;
        int rowsPerChunk = fullRows ? (int)Math.Clamp(ChunkBytes / rowBytes, 1, y1 - y0) : 1;
        var scaling = h.Scaling;
        // BITPIX −32 into float: read straight into the destination and swap in place.
        bool direct = typeof(T) == typeof(float) && h.Bitpix == -32;
        byte[]? rented = direct ? null : ArrayPool<byte>.Shared.Rent(checked((int)(rowsPerChunk * rowBytes)));
        try
        {
            for (int y = y0; y < y1; y += rowsPerChunk)
            {
                int k = Math.Min(rowsPerChunk, y1 - y);
                var target = dst.Slice((y - y0) * w, k * w);
                long offset = h.DataOffset + ((long)y * h.Width + x0) * bpp;
                if (direct)
                {
                    var f = MemoryMarshal.Cast<T, float>(target);
                    ReadExactAt(h, offset, MemoryMarshal.AsBytes(f));
                    FitsPixelDecoder.DecodeFloat32InPlace(f, scaling);
                    continue;
                }
                var raw = rented.AsSpan(0, (int)(k * rowBytes));
                ReadExactAt(h, offset, raw);
                if (typeof(T) == typeof(float))
                    FitsPixelDecoder.Decode(raw, MemoryMarshal.Cast<T, float>(target), scaling);
                else
                    FitsPixelDecoder.Decode(raw, MemoryMarshal.Cast<T, double>(target), scaling);
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void ReadExactAt(FitsHdu h, long offset, Span<byte> buffer)
    {
        if (_stream.Position != offset) _stream.Seek(offset, SeekOrigin.Begin);
        int got;
        try { got = _stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false); }
        catch (InvalidDataException e)
        {
            throw new Tract7dtException(ErrorCodes.FitsBadGzip,
                $"FITS file '{Name}' is gzip-compressed but its compressed data is corrupt ({e.Message}). Fetch the file again.", e);
        }
        if (got < buffer.Length) throw Truncated(h, _length ?? -1);
    }

    // ---------------------------------------------------------------- header scanning

    /// <summary>Reads the next HDU's header, or notes that there is none.</summary>
    private void TryScanNext()
    {
        if (_sawLast) return;
        int index = _hdus.Count;
        long offset = index == 0 ? 0 : _hdus[^1].NextOffset;
        if (index > 0 && _length is long len && offset >= len)
        {
            _sawLast = true;
            return;
        }
        var records = ReadHeaderRecords(index, offset, out long dataOffset);
        if (records is null)
        {
            _sawLast = true;
            return;
        }
        var header = new FitsHeader(FitsHeaderParser.Parse(records));
        _hdus.Add(BuildHdu(index, header, offset, dataOffset));
    }

    /// <summary>
    /// The header's 80-char records up to END (excluded), or null when there is no further
    /// HDU at <paramref name="offset"/> (end of file, or trailing bytes that are not an
    /// extension, which readers conventionally ignore).
    /// </summary>
    private List<string>? ReadHeaderRecords(int index, long offset, out long dataOffset)
    {
        var block = new byte[BlockSize];
        var records = new List<string>(36);
        long pos = offset;
        dataOffset = 0;
        try { _stream.Seek(offset, SeekOrigin.Begin); }
        catch (InvalidDataException e) { throw BadGzip(e); }
        while (true)
        {
            int n;
            try { n = _stream.ReadAtLeast(block, BlockSize, throwOnEndOfStream: false); }
            catch (InvalidDataException e) { throw BadGzip(e); }
            if (pos == offset)
            {
                string first = Encoding.Latin1.GetString(block, 0, Math.Min(n, 80));
                if (index == 0 && !(first.StartsWith("SIMPLE  =", StringComparison.Ordinal) && IsPrintable(block.AsSpan(0, Math.Min(n, 80)))))
                    throw new Tract7dtException(ErrorCodes.FitsNotFits,
                        $"'{Name}' is not a FITS file: it does not begin with the card 'SIMPLE  = T'" +
                        (n == 0 ? " (the file is empty)." : ".") + " Check that the path names a FITS image.");
                if (index > 0 && !first.StartsWith("XTENSION=", StringComparison.Ordinal))
                    return null;
            }
            int cards = n / 80;
            for (int k = 0; k < cards; k++)
            {
                string rec = Encoding.Latin1.GetString(block, k * 80, 80);
                if (FitsHeaderParser.IsEnd(rec))
                {
                    dataOffset = pos + BlockSize;
                    return records;
                }
                records.Add(rec);
            }
            if (n < BlockSize)
                throw new Tract7dtException(ErrorCodes.FitsHeaderWithoutEnd,
                    $"The header of HDU {index} of FITS file '{Name}' (starting at byte {offset}) has no END card before the end of the file; " +
                    "the file is truncated or was not written as FITS. Fetch or write it again.");
            pos += BlockSize;
        }
    }

    private Tract7dtException BadGzip(Exception e) => new(ErrorCodes.FitsBadGzip,
        $"FITS file '{Name}' is gzip-compressed but its compressed data is corrupt ({e.Message}). Fetch the file again.", e);

    private static bool IsPrintable(ReadOnlySpan<byte> s)
    {
        foreach (byte b in s) if (b is < 32 or > 126) return false;
        return true;
    }

    private FitsHdu BuildHdu(int index, FitsHeader header, long headerOffset, long dataOffset)
    {
        string? xt = index == 0 ? null : header.GetString("XTENSION")?.Trim();
        long bitpix = RequiredInt(header, "BITPIX", index);
        if (bitpix is not (8 or 16 or 32 or 64 or -32 or -64))
            throw new Tract7dtException(ErrorCodes.FitsUnsupportedBitpix,
                $"HDU {index} of FITS file '{Name}' has BITPIX = {bitpix}; only 8, 16, 32, 64, -32 and -64 are valid FITS values. The file is damaged or not standard FITS.");
        long naxis = RequiredInt(header, "NAXIS", index);
        if (naxis is < 0 or > 999)
            throw BadHeader(index, $"NAXIS = {naxis} is outside 0..999");
        var axes = new long[naxis];
        for (int i = 0; i < naxis; i++)
        {
            axes[i] = RequiredInt(header, "NAXIS" + (i + 1), index);
            if (axes[i] < 0) throw BadHeader(index, $"NAXIS{i + 1} = {axes[i]} is negative");
        }
        long pcount = header.GetInt("PCOUNT") ?? 0, gcount = header.GetInt("GCOUNT") ?? 1;
        if (pcount < 0 || gcount < 0) throw BadHeader(index, $"PCOUNT = {pcount}, GCOUNT = {gcount} must not be negative");
        long dataBytes = 0;
        if (naxis > 0)
        {
            // Random groups (primary, NAXIS1 = 0, GROUPS = T) leave NAXIS1 out of the product.
            bool groups = index == 0 && axes[0] == 0 && header.GetBool("GROUPS") == true;
            long prod = 1;
            for (int i = groups ? 1 : 0; i < naxis; i++) prod = checked(prod * axes[i]);
            dataBytes = checked(Math.Abs(bitpix) / 8 * gcount * (pcount + prod));
        }
        var scaling = new FitsScaling((int)bitpix, header.GetDouble("BSCALE") ?? 1.0, header.GetDouble("BZERO") ?? 0.0, header.GetInt("BLANK"));
        return new FitsHdu(index, header, headerOffset, dataOffset)
        {
            Bitpix = (int)bitpix,
            Axes = axes,
            DataBytes = dataBytes,
            Extension = xt,
            Scaling = scaling,
        };
    }

    private long RequiredInt(FitsHeader header, string key, int index) =>
        header.GetInt(key) ?? throw BadHeader(index, $"the mandatory keyword {key} is missing or not an integer (value: '{header.GetString(key) ?? "absent"}')");

    private Tract7dtException BadHeader(int index, string what) => new(ErrorCodes.FitsBadHeader,
        $"HDU {index} of FITS file '{Name}': {what}. The file is damaged or not standard FITS.");
}
