using System.Buffers.Binary;
using System.Text;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Imaging;

namespace Tract7dt.Science.State;

/// <summary>
/// <c>state/saturated_pixels.bin</c>: every band's saturated pixels (raw ≥ SATURATE/2) in the
/// post-crop white frame, sparse, so AugmentGaia can apply the saturation cut to injected
/// Gaia stars without re-reading any image.
/// </summary>
/// <remarks>
/// Little-endian layout: magic <c>T7DSAT1\0</c> (8 bytes); int32 width, int32 height, int32
/// band count; per band: int32 UTF-8 name length, the name bytes, int64 count, then count
/// int64 linear indices y·width + x, sorted ascending.
/// </remarks>
public static class SaturatedPixelsFile
{
    private static readonly byte[] Magic = "T7DSAT1\0"u8.ToArray();

    /// <summary>Writes the file atomically.</summary>
    /// <param name="bands">Band names, in band order.</param>
    /// <param name="indices">Per band, sorted linear indices in the <paramref name="width"/>×<paramref name="height"/> frame.</param>
    public static void Write(string path, int width, int height, IReadOnlyList<string> bands, IReadOnlyList<long[]> indices)
    {
        if (bands.Count != indices.Count) throw new ArgumentException("one index array per band is needed", nameof(indices));
        IO.AtomicFile.Write(path, s =>
        {
            using var w = new BinaryWriter(s, Encoding.UTF8, leaveOpen: true); // BinaryWriter is little-endian
            w.Write(Magic);
            w.Write(width);
            w.Write(height);
            w.Write(bands.Count);
            for (int b = 0; b < bands.Count; b++)
            {
                var name = Encoding.UTF8.GetBytes(bands[b]);
                w.Write(name.Length);
                w.Write(name);
                w.Write((long)indices[b].Length);
                foreach (long i in indices[b]) w.Write(i);
            }
        });
    }

    /// <summary>Reads the file: per band (in band order) its name and saturated pixels.</summary>
    public static IReadOnlyList<(string Band, SaturatedPixels Pixels)> Read(string path)
    {
        if (!File.Exists(path))
            throw new Tract7dtException(ErrorCodes.MissingPrerequisite,
                $"Missing {path}: the LoadInputs stage has not run for this work_dir. Run 'tract7dt run' (or a step command that loads inputs) first.");
        byte[] bytes = File.ReadAllBytes(path);
        try
        {
            var r = new ReadOnlySpan<byte>(bytes);
            if (!r[..8].SequenceEqual(Magic)) throw new FormatException("bad magic");
            int pos = 8;
            int Int32(ReadOnlySpan<byte> s) { int v = BinaryPrimitives.ReadInt32LittleEndian(s.Slice(pos, 4)); pos += 4; return v; }
            long Int64(ReadOnlySpan<byte> s) { long v = BinaryPrimitives.ReadInt64LittleEndian(s.Slice(pos, 8)); pos += 8; return v; }
            int width = Int32(r), height = Int32(r), nb = Int32(r);
            if (width < 0 || height < 0 || nb < 0) throw new FormatException("negative size");
            var result = new List<(string, SaturatedPixels)>(nb);
            for (int b = 0; b < nb; b++)
            {
                int len = Int32(r);
                string name = Encoding.UTF8.GetString(r.Slice(pos, len));
                pos += len;
                long count = Int64(r);
                if (count < 0 || count > (bytes.Length - pos) / 8) throw new FormatException("bad count");
                var idx = new long[count];
                for (long i = 0; i < count; i++) idx[i] = Int64(r);
                result.Add((name, new SaturatedPixels(width, height, idx)));
            }
            return result;
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            throw new Tract7dtException(ErrorCodes.SaturatedPixelsFileInvalid,
                $"{path} is damaged ({e.Message}); delete it and rerun LoadInputs.", e);
        }
    }
}
