using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Tract7dt.Science.Fits;

/// <summary>
/// Writes a FITS file atomically: everything goes to a temporary file in the target's
/// folder, renamed over the target by <see cref="Commit"/>; disposing without committing
/// deletes the temporary file, so a killed or failed writer never leaves a partial file
/// under the final name. The first image is the primary HDU, later ones IMAGE extensions.
/// Rows can be streamed (<see cref="BeginImage"/> + <see cref="WriteRows(ReadOnlySpan{float})"/>)
/// so a large image never has to be in memory at once.
/// </summary>
/// <remarks>
/// BITPIX −32 (float32), −64 (float64) and 16 (int16) are written, big-endian, without
/// BSCALE/BZERO. Structural keywords of a user header (SIMPLE, BITPIX, NAXISn, EXTEND,
/// PCOUNT, GCOUNT, BSCALE, BZERO, BLANK, CHECKSUM, DATASUM) are ignored: the writer
/// derives them from the data.
/// </remarks>
public sealed partial class FitsWriter : IDisposable
{
    private const int BlockSize = 2880;
    private const int ChunkPixels = 1 << 16;

    private readonly string _path;
    private readonly string _tempPath;
    private FileStream? _out;
    private readonly byte[] _buffer = new byte[ChunkPixels * 8];
    private int _hduCount;
    private int _bitpix, _width;
    private long _pixelsLeft;
    private long _dataBytes;
    private bool _committed;

    private FitsWriter(string path)
    {
        _path = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(_path)!;
        Directory.CreateDirectory(dir);
        // named as every atomic writer of ours names its temporary file, so that the leftovers of
        // a run that died are found and removed by the next (IO.AtomicFile.CleanStaleTempsUnder)
        _tempPath = IO.AtomicFile.TempPathFor(_path);
        _out = new FileStream(_tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
    }

    /// <summary>Starts writing <paramref name="path"/> (via a temporary file in the same folder).</summary>
    public static FitsWriter Create(string path) => new(path);

    /// <summary>Writes a primary HDU without data (NAXIS = 0), for files whose images are all extensions.</summary>
    public void AddEmptyPrimary(FitsHeader? header = null)
    {
        if (_hduCount != 0) throw new InvalidOperationException("The primary HDU has already been written.");
        WriteHeader(8, 0, 0, header, naxis: 0);
        _hduCount = 1;
    }

    /// <summary>
    /// Starts an image HDU of <paramref name="width"/> × <paramref name="height"/> pixels;
    /// then call WriteRows until all rows are written.
    /// </summary>
    /// <param name="bitpix">−32, −64 or 16.</param>
    public void BeginImage(int bitpix, int width, int height, FitsHeader? header = null)
    {
        EnsureOpen();
        if (_pixelsLeft != 0)
            throw new InvalidOperationException($"The previous image HDU still needs {_pixelsLeft} pixels.");
        if (bitpix is not (-32 or -64 or 16))
            throw new ArgumentOutOfRangeException(nameof(bitpix), bitpix, "The writer supports BITPIX -32, -64 and 16.");
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(height);
        WriteHeader(bitpix, width, height, header, naxis: 2);
        _hduCount++;
        _bitpix = bitpix;
        _width = width;
        _pixelsLeft = (long)width * height;
        _dataBytes = 0;
        if (_pixelsLeft == 0) FinishData();
    }

    /// <summary>Appends whole rows (a multiple of the width) to a −32 or −64 image.</summary>
    public void WriteRows(ReadOnlySpan<float> pixels)
    {
        CheckRows(pixels.Length, -32, -64);
        for (int start = 0; start < pixels.Length; start += ChunkPixels)
        {
            var src = pixels.Slice(start, Math.Min(ChunkPixels, pixels.Length - start));
            int bytes;
            if (_bitpix == -32)
            {
                var dst = MemoryMarshal.Cast<byte, int>(_buffer.AsSpan(0, src.Length * 4));
                BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<float, int>(src), dst);
                bytes = src.Length * 4;
            }
            else
            {
                for (int i = 0; i < src.Length; i++)
                    BinaryPrimitives.WriteDoubleBigEndian(_buffer.AsSpan(8 * i, 8), src[i]);
                bytes = src.Length * 8;
            }
            Emit(bytes, src.Length);
        }
    }

    /// <summary>Appends whole rows to a −64 image (or a −32 image, rounding to float32).</summary>
    public void WriteRows(ReadOnlySpan<double> pixels)
    {
        CheckRows(pixels.Length, -64, -32);
        for (int start = 0; start < pixels.Length; start += ChunkPixels)
        {
            var src = pixels.Slice(start, Math.Min(ChunkPixels, pixels.Length - start));
            int bpp = _bitpix == -64 ? 8 : 4;
            for (int i = 0; i < src.Length; i++)
            {
                if (bpp == 8) BinaryPrimitives.WriteDoubleBigEndian(_buffer.AsSpan(8 * i, 8), src[i]);
                else BinaryPrimitives.WriteSingleBigEndian(_buffer.AsSpan(4 * i, 4), (float)src[i]);
            }
            Emit(src.Length * bpp, src.Length);
        }
    }

    /// <summary>Appends whole rows to a 16-bit integer image.</summary>
    public void WriteRows(ReadOnlySpan<short> pixels)
    {
        CheckRows(pixels.Length, 16, 16);
        for (int start = 0; start < pixels.Length; start += ChunkPixels)
        {
            var src = pixels.Slice(start, Math.Min(ChunkPixels, pixels.Length - start));
            var dst = MemoryMarshal.Cast<byte, short>(_buffer.AsSpan(0, src.Length * 2));
            BinaryPrimitives.ReverseEndianness(src, dst);
            Emit(src.Length * 2, src.Length);
        }
    }

    /// <summary>Writes a whole float32 image HDU (BITPIX −32); <paramref name="data"/> is [y*width + x].</summary>
    public void WriteImage(ReadOnlySpan<float> data, int width, int height, FitsHeader? header = null)
    {
        CheckSize(data.Length, width, height);
        BeginImage(-32, width, height, header);
        if (data.Length > 0) WriteRows(data[..(width * height)]);
    }

    /// <summary>Writes a whole float64 image HDU (BITPIX −64).</summary>
    public void WriteImage(ReadOnlySpan<double> data, int width, int height, FitsHeader? header = null)
    {
        CheckSize(data.Length, width, height);
        BeginImage(-64, width, height, header);
        if (data.Length > 0) WriteRows(data[..(width * height)]);
    }

    /// <summary>Writes a whole int16 image HDU (BITPIX 16, no scaling).</summary>
    public void WriteImage(ReadOnlySpan<short> data, int width, int height, FitsHeader? header = null)
    {
        CheckSize(data.Length, width, height);
        BeginImage(16, width, height, header);
        if (data.Length > 0) WriteRows(data[..(width * height)]);
    }

    /// <summary>Flushes to disk and renames the temporary file over the target path.</summary>
    /// <exception cref="InvalidOperationException">No HDU was written, or the last image is incomplete.</exception>
    public void Commit()
    {
        EnsureOpen();
        if (_hduCount == 0) throw new InvalidOperationException("Nothing was written: a FITS file needs at least a primary HDU.");
        if (_pixelsLeft != 0) throw new InvalidOperationException($"The last image HDU still needs {_pixelsLeft} pixels.");
        _out!.Flush(flushToDisk: true);
        _out.Dispose();
        _out = null;
        File.Move(_tempPath, _path, overwrite: true);
        _committed = true;
    }

    public void Dispose()
    {
        try
        {
            // on a full disk the final flush throws here; the write that failed first has already
            // thrown (or Commit would have), so this one is not reported over it
            _out?.Dispose();
        }
        catch (IOException) { }
        finally
        {
            _out = null;
            if (!_committed)
            {
                try { File.Delete(_tempPath); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    /// <summary>Writes <paramref name="path"/> as a single float32 image (atomically).</summary>
    public static void WriteImage(string path, ReadOnlySpan<float> data, int width, int height, FitsHeader? header = null)
    {
        using var w = Create(path);
        w.WriteImage(data, width, height, header);
        w.Commit();
    }

    /// <summary>Writes <paramref name="path"/> as a single float64 image (atomically).</summary>
    public static void WriteImage(string path, ReadOnlySpan<double> data, int width, int height, FitsHeader? header = null)
    {
        using var w = Create(path);
        w.WriteImage(data, width, height, header);
        w.Commit();
    }

    /// <summary>Writes <paramref name="path"/> as a single int16 image (atomically).</summary>
    public static void WriteImage(string path, ReadOnlySpan<short> data, int width, int height, FitsHeader? header = null)
    {
        using var w = Create(path);
        w.WriteImage(data, width, height, header);
        w.Commit();
    }

    /// <summary>The header records (80 characters each, END included) the writer emits.</summary>
    internal static List<string> BuildHeader(bool primary, int bitpix, int width, int height, FitsHeader? header, int naxis = 2)
    {
        var rec = new List<string>();
        void Add(string key, object value, string comment) =>
            FitsHeaderFormatter.Format(new FitsCard(key, value, comment), rec);
        if (primary) Add("SIMPLE", true, "conforms to FITS standard");
        else Add("XTENSION", "IMAGE", "image extension");
        Add("BITPIX", (long)bitpix, "array data type");
        Add("NAXIS", (long)naxis, "number of array dimensions");
        if (naxis == 2)
        {
            Add("NAXIS1", (long)width, "pixels per row (x)");
            Add("NAXIS2", (long)height, "rows (y)");
        }
        if (primary) Add("EXTEND", true, "");
        else
        {
            Add("PCOUNT", 0L, "number of parameters");
            Add("GCOUNT", 1L, "number of groups");
        }
        if (header is not null)
        {
            var user = new List<string>();
            foreach (var c in header)
                if (!FitsHeaderFormatter.IsStructural(c.Key.ToUpperInvariant()))
                    FitsHeaderFormatter.Format(c, user);
            // fitsverify warns about CONTINUE cards without the LONGSTRN keyword (HEASARC convention).
            if (!header.Contains("LONGSTRN") && user.Any(r => r.StartsWith("CONTINUE  ", StringComparison.Ordinal)))
                Add("LONGSTRN", "OGIP 1.0", "The OGIP long string convention may be used");
            rec.AddRange(user);
        }
        rec.Add("END".PadRight(80));
        return rec;
    }

    private void WriteHeader(int bitpix, int width, int height, FitsHeader? header, int naxis)
    {
        EnsureOpen();
        var records = BuildHeader(_hduCount == 0, bitpix, width, height, header, naxis);
        int blocks = (records.Count * 80 + BlockSize - 1) / BlockSize;
        var sb = new StringBuilder(blocks * BlockSize);
        foreach (var r in records) sb.Append(r);
        sb.Append(' ', blocks * BlockSize - sb.Length); // header padding is ASCII blanks
        _out!.Write(Encoding.ASCII.GetBytes(sb.ToString()));
    }

    private void CheckRows(int count, int bitpixA, int bitpixB)
    {
        EnsureOpen();
        if (_hduCount == 0 || _pixelsLeft == 0)
            throw new InvalidOperationException("Call BeginImage before WriteRows (or the image is already complete).");
        if (_bitpix != bitpixA && _bitpix != bitpixB)
            throw new InvalidOperationException($"This image HDU has BITPIX {_bitpix}; these pixels need BITPIX {bitpixA}.");
        if (_width == 0 || count % _width != 0)
            throw new ArgumentException($"WriteRows takes whole rows: {count} pixels is not a multiple of the width {_width}.");
        if (count > _pixelsLeft)
            throw new ArgumentException($"{count} pixels given but only {_pixelsLeft} remain in this image.");
    }

    private static void CheckSize(int length, int width, int height)
    {
        if ((long)width * height > length)
            throw new ArgumentException($"The image is {width}×{height} = {(long)width * height} pixels but only {length} were given.");
    }

    private void Emit(int bytes, int pixels)
    {
        _out!.Write(_buffer, 0, bytes);
        _dataBytes += bytes;
        _pixelsLeft -= pixels;
        if (_pixelsLeft == 0) FinishData();
    }

    /// <summary>Pads the data to a multiple of 2880 bytes with zeros (FITS 4.0 §3.3.2).</summary>
    private void FinishData()
    {
        int pad = (int)((BlockSize - _dataBytes % BlockSize) % BlockSize);
        if (pad > 0) _out!.Write(new byte[pad]);
    }

    private void EnsureOpen()
    {
        if (_out is null) throw new ObjectDisposedException(nameof(FitsWriter), _committed ? "The file is already committed." : null);
    }
}
