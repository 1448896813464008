using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Fits;

/// <summary>A 2-D array read from a .npy file: <c>Data[r*Cols + c]</c> (C order); a 1-D array has Rows = 1.</summary>
public sealed record NpyArray<T>(T[] Data, int Rows, int Cols) where T : unmanaged;

/// <summary>
/// numpy's .npy format (NEP 1): writes version 1.0, little-endian <c>&lt;f4</c> / <c>&lt;f8</c>,
/// C order, 2-D, header padded so the data starts on a 64-byte boundary (as numpy ≥ 1.9
/// does). Reads versions 1–3, <c>&lt;f4 &lt;f8 &gt;f4 &gt;f8</c>, 1-D or 2-D, C order.
/// Writes are atomic (temporary file, then rename).
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Writes a rows × cols float32 array (<c>data[r*cols + c]</c>).</summary>
    public static void Write(string path, ReadOnlySpan<float> data, int rows, int cols) =>
        WriteCore(path, MemoryMarshal.AsBytes(Check(data, rows, cols)), "<f4", rows, cols);

    /// <summary>Writes a rows × cols float64 array (<c>data[r*cols + c]</c>).</summary>
    public static void Write(string path, ReadOnlySpan<double> data, int rows, int cols) =>
        WriteCore(path, MemoryMarshal.AsBytes(Check(data, rows, cols)), "<f8", rows, cols);

    /// <summary>Reads a float array (float64 files are rounded to float32).</summary>
    public static NpyArray<float> ReadFloat(string path)
    {
        var (bytes, descr, rows, cols, offset) = Load(path);
        var dst = new float[(long)rows * cols];
        if (descr[1..] == "f4") Copy(bytes.AsSpan(offset), MemoryMarshal.AsBytes(dst.AsSpan()), descr[0] == '>', 4);
        else
        {
            var tmp = new double[dst.Length];
            Copy(bytes.AsSpan(offset), MemoryMarshal.AsBytes(tmp.AsSpan()), descr[0] == '>', 8);
            for (int i = 0; i < dst.Length; i++) dst[i] = (float)tmp[i];
        }
        return new NpyArray<float>(dst, rows, cols);
    }

    /// <summary>Reads a double array (float32 files are widened exactly).</summary>
    public static NpyArray<double> ReadDouble(string path)
    {
        var (bytes, descr, rows, cols, offset) = Load(path);
        var dst = new double[(long)rows * cols];
        if (descr[1..] == "f8") Copy(bytes.AsSpan(offset), MemoryMarshal.AsBytes(dst.AsSpan()), descr[0] == '>', 8);
        else
        {
            var tmp = new float[dst.Length];
            Copy(bytes.AsSpan(offset), MemoryMarshal.AsBytes(tmp.AsSpan()), descr[0] == '>', 4);
            for (int i = 0; i < dst.Length; i++) dst[i] = tmp[i];
        }
        return new NpyArray<double>(dst, rows, cols);
    }

    /// <summary>The header text numpy writes, padded with blanks and a final newline.</summary>
    internal static string Header(string descr, int rows, int cols)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows.ToString(CultureInfo.InvariantCulture)}, {cols.ToString(CultureInfo.InvariantCulture)}), }}";
        int total = Magic.Length + 2 + 2 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        return dict + new string(' ', pad) + "\n";
    }

    private static ReadOnlySpan<T> Check<T>(ReadOnlySpan<T> data, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if ((long)rows * cols > data.Length)
            throw new ArgumentException($"A {rows}×{cols} array needs {(long)rows * cols} values; {data.Length} were given.");
        return data[..(rows * cols)];
    }

    private static void WriteCore(string path, ReadOnlySpan<byte> nativeBytes, string descr, int rows, int cols)
    {
        string header = Header(descr, rows, cols);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string tmp = IO.AtomicFile.TempPathFor(full); // the one temp-name pattern, swept after a dead run
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                fs.Write(Magic);
                fs.Write([1, 0]);
                Span<byte> len = stackalloc byte[2];
                BinaryPrimitives.WriteUInt16LittleEndian(len, checked((ushort)header.Length));
                fs.Write(len);
                fs.Write(Encoding.ASCII.GetBytes(header));
                if (BitConverter.IsLittleEndian) fs.Write(nativeBytes);
                else throw new PlatformNotSupportedException("Writing .npy on a big-endian machine is not implemented.");
                // as IO.AtomicFile: the temporary name and the rename keep a killed run from leaving a
                // partial file; an fsync per file is not needed for that, and the ePSF stage writes
                // thousands of small arrays (16,000 on the original's default config: 10 s of fsync)
                fs.Flush(flushToDisk: false);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static readonly Regex DescrRx = new(@"'descr'\s*:\s*'([<>|=]?)([a-zA-Z]\d*)'", RegexOptions.CultureInvariant);
    private static readonly Regex FortranRx = new(@"'fortran_order'\s*:\s*(True|False)", RegexOptions.CultureInvariant);
    private static readonly Regex ShapeRx = new(@"'shape'\s*:\s*\(([^)]*)\)", RegexOptions.CultureInvariant);

    private static (byte[] Bytes, string Descr, int Rows, int Cols, int Offset) Load(string path)
    {
        if (!File.Exists(path))
            throw new Tract7dtException(ErrorCodes.FileNotFound, $".npy file not found: '{path}'.");
        byte[] b = File.ReadAllBytes(path);
        if (b.Length < 10 || !b.AsSpan(0, 6).SequenceEqual(Magic))
            throw Invalid(path, "it does not start with the .npy magic string \\x93NUMPY");
        int major = b[6];
        int headerLen, start;
        if (major == 1) { headerLen = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(8)); start = 10; }
        else if (major is 2 or 3 && b.Length >= 12) { headerLen = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8))); start = 12; }
        else throw Invalid(path, $"format version {major}.{b[7]} is not supported (1.0–3.0 are)");
        if (start + headerLen > b.Length) throw Invalid(path, "the header is longer than the file");
        string h = Encoding.UTF8.GetString(b, start, headerLen);

        var dm = DescrRx.Match(h);
        var fm = FortranRx.Match(h);
        var sm = ShapeRx.Match(h);
        if (!dm.Success || !fm.Success || !sm.Success) throw Invalid(path, $"its header '{h.Trim()}' lacks descr, fortran_order or shape");
        string order = dm.Groups[1].Value is "" or "=" or "|" ? (BitConverter.IsLittleEndian ? "<" : ">") : dm.Groups[1].Value;
        string kind = dm.Groups[2].Value;
        if (kind is not ("f4" or "f8"))
            throw Invalid(path, $"its dtype '{dm.Groups[1].Value}{kind}' is not float32 or float64; save it with .astype(np.float32)");
        if (fm.Groups[1].Value == "True")
            throw Invalid(path, "it is stored in Fortran order; save it with np.ascontiguousarray(a)");
        var dims = sm.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (dims.Length is < 1 or > 2)
            throw Invalid(path, $"its shape ({sm.Groups[1].Value}) is not 1-D or 2-D");
        var n = dims.Select(d => int.Parse(d, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
        int rows = n.Length == 2 ? n[0] : 1, cols = n[^1];
        long need = (long)rows * cols * (kind == "f4" ? 4 : 8);
        int offset = start + headerLen;
        if (b.Length - offset < need)
            throw new Tract7dtException(ErrorCodes.NpyTruncated,
                $".npy file '{path}' is truncated: its {rows}×{cols} {kind} array needs {need} data bytes but only {b.Length - offset} follow the header. Write it again.");
        return (b, order + kind, rows, cols, offset);
    }

    private static void Copy(ReadOnlySpan<byte> src, Span<byte> dst, bool bigEndian, int size)
    {
        src[..dst.Length].CopyTo(dst);
        if (bigEndian == BitConverter.IsLittleEndian)
        {
            if (size == 4) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, int>(dst), MemoryMarshal.Cast<byte, int>(dst));
            else BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, long>(dst), MemoryMarshal.Cast<byte, long>(dst));
        }
    }

    private static Tract7dtException Invalid(string path, string why) =>
        new(ErrorCodes.NpyInvalid, $"'{path}' is not a .npy file this reader supports: {why}.");
}
