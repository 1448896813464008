using Tract7dt.Science.Numerics;

namespace Tract7dt.Science.Detection;

/// <summary>
/// Masks of bright sources for background estimation (the ePSF stage's cell background,
/// keys <c>epsf.background_source_mask_sigma</c> and <c>epsf.background_mask_dilate</c>).
/// Masks are bytes, non-zero = masked, row-major like the image.
/// </summary>
public static class SourceMask
{
    /// <summary>
    /// Dilates <paramref name="mask"/> in place <paramref name="iterations"/> times with the
    /// 3×3 square (8-neighbour) element, pixels outside the image counting as unmasked
    /// (no wrap-around). Equal to masking every pixel within Chebyshev distance
    /// <paramref name="iterations"/> of a masked one; done as two separable passes, O(W·H).
    /// </summary>
    public static void Dilate8(Span<byte> mask, int width, int height, int iterations)
    {
        ImageChecks.Shape(mask.Length, width, height, "SourceMask.Dilate8");
        if (iterations <= 0) return;
        var line = new byte[Math.Max(width, height)];
        var dist = new int[line.Length];
        for (int y = 0; y < height; y++)
        {
            Span<byte> row = mask.Slice(y * width, width);
            row.CopyTo(line);
            DilateLine(line.AsSpan(0, width), row, dist, iterations);
        }
        var col = new byte[height];
        var outCol = new byte[height];
        for (int x = 0; x < width; x++)
        {
            for (int y = 0; y < height; y++) col[y] = mask[y * width + x];
            DilateLine(col, outCol, dist, iterations);
            for (int y = 0; y < height; y++) mask[y * width + x] = outCol[y];
        }
    }

    /// <summary>1-D dilation by radius r: dst[i] = 1 iff some src[j] ≠ 0 with |i − j| ≤ r.</summary>
    private static void DilateLine(ReadOnlySpan<byte> src, Span<byte> dst, int[] dist, int r)
    {
        int n = src.Length;
        int last = int.MinValue / 2;
        for (int i = 0; i < n; i++)
        {
            if (src[i] != 0) last = i;
            dist[i] = i - last; // distance to the nearest set pixel on the left
        }
        last = int.MaxValue / 2;
        for (int i = n - 1; i >= 0; i--)
        {
            if (src[i] != 0) last = i;
            int d = Math.Min(dist[i], last - i);
            dst[i] = (byte)(d <= r ? 1 : 0);
        }
    }

    /// <summary>
    /// The cell-background work mask of the ePSF stage: pixels that are bad, plus the
    /// sources found by a simple cut, dilated. A pixel is "good" when not bad, its data
    /// and σ are finite and σ &gt; 0; with m and s the medians of the data and of σ over
    /// the good pixels, sources are the good pixels with data &gt; m + nsigma·s; they are
    /// dilated <paramref name="dilate"/> times (<see cref="Dilate8"/>) and OR-ed with the
    /// bad mask. Without good pixels, or when s is not finite and positive, the result
    /// is the bad mask.
    /// </summary>
    /// <param name="data">Image (image units).</param>
    /// <param name="sigma">Per-pixel noise σ (image units).</param>
    /// <param name="bad">Bad-pixel mask, or empty for none.</param>
    /// <param name="nsigma">Cut in units of the median σ (<c>background_source_mask_sigma</c>).</param>
    /// <param name="dilate">Dilation iterations (<c>background_mask_dilate</c>).</param>
    /// <param name="destination">Receives the mask (length W × H).</param>
    public static void Build(ReadOnlySpan<float> data, ReadOnlySpan<float> sigma, ReadOnlySpan<byte> bad,
        int width, int height, double nsigma, int dilate, Span<byte> destination)
    {
        ImageChecks.Shape(data.Length, width, height, "SourceMask.Build");
        ImageChecks.Required(sigma.Length, data.Length, "SourceMask.Build", "sigma");
        ImageChecks.Optional(bad.Length, data.Length, "SourceMask.Build", "bad");
        ImageChecks.Required(destination.Length, data.Length, "SourceMask.Build", "destination");
        int n = data.Length;
        bool hasBad = !bad.IsEmpty;

        // Good pixels are marked 1 in destination first (it is overwritten below).
        int ngood = 0;
        for (int i = 0; i < n; i++)
        {
            bool good = !(hasBad && bad[i] != 0) && float.IsFinite(data[i]) && float.IsFinite(sigma[i]) && sigma[i] > 0;
            destination[i] = (byte)(good ? 1 : 0);
            if (good) ngood++;
        }
        if (ngood > 0)
        {
            // image-sized and needed only for two medians: pooled rather than left to the large-object heap
            var pool = System.Buffers.ArrayPool<float>.Shared;
            float[] vals = pool.Rent(ngood), sigs = pool.Rent(ngood);
            double m, s;
            try
            {
                int k = 0;
                for (int i = 0; i < n; i++)
                    if (destination[i] != 0) { vals[k] = data[i]; sigs[k] = sigma[i]; k++; }
                m = ClippedStats.MedianInPlace(vals.AsSpan(0, ngood));
                s = ClippedStats.MedianInPlace(sigs.AsSpan(0, ngood));
            }
            finally
            {
                pool.Return(vals);
                pool.Return(sigs);
            }
            bool cutOk = double.IsFinite(s) && s > 0;
            double cut = m + nsigma * s;
            bool any = false;
            for (int i = 0; i < n; i++)
            {
                bool src = cutOk && destination[i] != 0 && data[i] > cut;
                destination[i] = (byte)(src ? 1 : 0);
                any |= src;
            }
            if (any) Dilate8(destination, width, height, dilate);
        }
        if (hasBad)
            for (int i = 0; i < n; i++) if (bad[i] != 0) destination[i] = 1;
    }
}
