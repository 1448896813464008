using Tract7dt.Science.Fits;

namespace Tract7dt.Science.Imaging;

/// <summary>One band's input to <see cref="WhiteStackBuilder"/>: its FITS file (primary HDU) and calibration.</summary>
public sealed record WhiteStackBand(string Band, string Path, FrameCalibration Calibration);

/// <summary>
/// The result of the white-stack pass: the full-frame white stack and noise map, and each
/// band's saturated pixels in the crop frame.
/// </summary>
/// <param name="White">Full frame, row-major W×H: Σ w·I / Σ w (NaN where no band is good).</param>
/// <param name="Sigma">Full frame: sqrt(1/Σ w) (+∞ where no band is good).</param>
/// <param name="Saturated">Per band (input order): sorted linear indices y·Wc + x of saturated pixels in the crop frame.</param>
/// <param name="Signal">Per band (band order): what its pixels in the crop box hold, read in the same pass.</param>
public sealed record WhiteStackResult(float[] White, float[] Sigma, int Width, int Height, PixelBox Crop, long[][] Saturated,
    IReadOnlyList<BandSignal> Signal)
{

    /// <summary>Copies the crop box of a full-frame array (row-major) into a new array.</summary>
    public float[] CropOf(float[] full)
    {
        var c = new float[Crop.Width * Crop.Height];
        for (int y = 0; y < Crop.Height; y++)
            full.AsSpan((Crop.Y0 + y) * Width + Crop.X0, Crop.Width).CopyTo(c.AsSpan(y * Crop.Width, Crop.Width));
        return c;
    }
}

/// <summary>A band's raw pixels in the crop box: how many are finite, and their range.</summary>
public readonly record struct BandSignal(long Finite, double Min, double Max)
{
    /// <summary>No finite pixel, or every finite pixel the same value (a blank or zeroed image).</summary>
    public bool IsEmpty => Finite == 0 || Min == Max;

    public static BandSignal Of(ReadOnlySpan<float> raw)
    {
        long n = 0;
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (float v in raw)
        {
            if (!float.IsFinite(v)) continue;
            n++;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        return new BandSignal(n, lo, hi);
    }

    public BandSignal Plus(BandSignal o) => new(Finite + o.Finite, Math.Min(Min, o.Min), Math.Max(Max, o.Max));

    public static BandSignal None => new(0, double.PositiveInfinity, double.NegativeInfinity);
}

/// <summary>
/// Builds the white stack (docs/pipeline.md §3.5; README.md, Differences #12) in row chunks read straight from
/// each band's FITS file: a chunk is read, prepared (<see cref="FramePixels.Prepare"/>) and
/// accumulated band by band, so memory holds one chunk of one band per worker whatever the
/// number of bands. Saturated pixels are collected (sparse) in the same pass.
/// </summary>
public static class WhiteStackBuilder
{
    /// <param name="bands">Bands in band order (the accumulation order of the f32 sums).</param>
    /// <param name="width">Full-frame width (every band's NAXIS1).</param>
    /// <param name="height">Full-frame height.</param>
    /// <param name="crop">Crop box in full-frame pixels; saturated pixels are kept only inside it.</param>
    /// <param name="workers">Chunks processed in parallel (≥ 1); the result does not depend on it.</param>
    /// <param name="chunkDone">Called (from any thread) after each chunk with the number of chunks done and the total.</param>
    public static WhiteStackResult Build(IReadOnlyList<WhiteStackBand> bands, int width, int height, PixelBox crop,
        int workers, CancellationToken cancellation = default, Action<int, int>? chunkDone = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        int chunkRows = WhiteStack.ChunkRows(height);
        int nChunks = (height + chunkRows - 1) / chunkRows;
        var white = new float[(long)width * height];
        var sigma = new float[white.Length];
        // sat[chunk][band]: filled by one chunk each, concatenated in chunk order → sorted, deterministic.
        var sat = new List<long>[nChunks][];
        var signal = new BandSignal[nChunks][];
        int done = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers), CancellationToken = cancellation };
        Parallel.For(0, nChunks, options,
            () => new ChunkBuffers(chunkRows * width),
            (chunk, _, buf) =>
            {
                int y0 = chunk * chunkRows, y1 = Math.Min(height, y0 + chunkRows);
                int n = (y1 - y0) * width;
                var num = white.AsSpan(y0 * width, n);
                var den = sigma.AsSpan(y0 * width, n);
                sat[chunk] = new List<long>[bands.Count];
                signal[chunk] = new BandSignal[bands.Count];
                for (int b = 0; b < bands.Count; b++)
                {
                    cancellation.ThrowIfCancellationRequested();
                    var raw = buf.Raw.AsSpan(0, n);
                    using (var f = FitsFile.Open(bands[b].Path))
                        f.ReadWindow(0, 0, width, y0, y1, raw);
                    var inCrop = BandSignal.None;
                    for (int y = Math.Max(y0, crop.Y0); y < Math.Min(y1, crop.Y1); y++)
                        inCrop = inCrop.Plus(BandSignal.Of(raw.Slice((y - y0) * width + crop.X0, crop.Width)));
                    signal[chunk][b] = inCrop;
                    var scaled = buf.Scaled.AsSpan(0, n);
                    var sky = buf.SigmaSky.AsSpan(0, n);
                    var bad = buf.Bad.AsSpan(0, n);
                    FramePixels.Prepare(bands[b].Calibration, raw, scaled, sky, default, bad);
                    WhiteStack.Accumulate(scaled, sky, bad, num, den);
                    sat[chunk][b] = CollectSaturated(bad, width, y0, y1, crop);
                }
                WhiteStack.Finish(num, den);
                chunkDone?.Invoke(Interlocked.Increment(ref done), nChunks);
                return buf;
            },
            _ => { });

        var perBand = new long[bands.Count][];
        for (int b = 0; b < bands.Count; b++)
        {
            var all = new List<long>();
            for (int c = 0; c < nChunks; c++) all.AddRange(sat[c][b]);
            perBand[b] = all.ToArray();
        }
        var bandSignal = new BandSignal[bands.Count];
        for (int b = 0; b < bands.Count; b++)
        {
            bandSignal[b] = BandSignal.None;
            for (int c = 0; c < nChunks; c++) bandSignal[b] = bandSignal[b].Plus(signal[c][b]);
        }
        return new WhiteStackResult(white, sigma, width, height, crop, perBand, bandSignal);
    }

    /// <summary>Crop-frame linear indices of pixels flagged saturated in rows [y0, y1) of a block.</summary>
    private static List<long> CollectSaturated(ReadOnlySpan<byte> bad, int width, int y0, int y1, PixelBox crop)
    {
        var list = new List<long>();
        int ya = Math.Max(y0, crop.Y0), yb = Math.Min(y1, crop.Y1);
        for (int y = ya; y < yb; y++)
        {
            var row = bad.Slice((y - y0) * width + crop.X0, crop.Width);
            int hit = row.IndexOf(FramePixels.BadSaturated);
            if (hit < 0) continue; // most rows have no saturated pixel
            for (int x = hit; x < row.Length; x++)
                if ((row[x] & FramePixels.BadSaturated) != 0)
                    list.Add((long)(y - crop.Y0) * crop.Width + x);
        }
        return list;
    }

    private sealed class ChunkBuffers(int n)
    {
        public readonly float[] Raw = new float[n];
        public readonly float[] Scaled = new float[n];
        public readonly float[] SigmaSky = new float[n];
        public readonly byte[] Bad = new byte[n];
    }
}
