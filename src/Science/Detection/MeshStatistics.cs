namespace Tract7dt.Science.Detection;

/// <summary>
/// Statistics of one background mesh, as Source Extractor defines them: a 2σ-clipped
/// mean/σ, then a histogram of the mesh's values whose clipped median and mean give the
/// mode estimate 2.5·median − 1.5·mean (or the median alone in crowded meshes).
/// </summary>
internal static class MeshStatistics
{
    /// <summary>Value marking a mesh with too few usable pixels (SEP's −BIG).</summary>
    public const float Bad = -1e30f;

    /// <summary>Most histogram levels per mesh.</summary>
    public const int MaxLevels = 4096;

    // Histogram levels per clipped pixel: sqrt(2/π)·5/4, from SExtractor's choice of
    // QUANTIF_NSIGMA = 5 and QUANTIF_AMIN: about one level per 1.25 "σ/√n".
    private const double LevelsPerPixel = 0.997355701003581;

    /// <summary>
    /// Estimates the background and rms of the pixels <c>[x0, x1) × [y0, y1)</c>.
    /// Masked pixels (mask byte ≠ 0) and values ≤ −1e30 or NaN are ignored. A mesh with
    /// fewer usable pixels than half its area gets <see cref="Bad"/> for both.
    /// </summary>
    /// <param name="histogram">Scratch of at least <see cref="MaxLevels"/> ints.</param>
    public static void Measure(ReadOnlySpan<float> data, int width, ReadOnlySpan<byte> mask,
        int x0, int x1, int y0, int y1, Span<int> histogram, out float back, out float sigma)
    {
        bool hasMask = !mask.IsEmpty;
        // Pass 1: plain mean and σ of the usable pixels.
        long n = 0;
        double sum = 0, sum2 = 0;
        for (int y = y0; y < y1; y++)
        {
            int row = y * width;
            for (int x = x0; x < x1; x++)
            {
                if (hasMask && mask[row + x] != 0) continue;
                float v = data[row + x];
                if (!(v > Bad)) continue;
                n++; sum += v; sum2 += (double)v * v;
            }
        }
        double area = (double)(x1 - x0) * (y1 - y0);
        if (n == 0 || n < 0.5 * area)
        {
            back = sigma = Bad;
            return;
        }
        double mean = sum / n;
        double var = sum2 / n - mean * mean;
        double sig = var > 0 ? Math.Sqrt(var) : 0;

        // Pass 2: the same within ±2σ.
        float lcut = (float)(mean - 2 * sig), hcut = (float)(mean + 2 * sig);
        n = 0; sum = sum2 = 0;
        for (int y = y0; y < y1; y++)
        {
            int row = y * width;
            for (int x = x0; x < x1; x++)
            {
                if (hasMask && mask[row + x] != 0) continue;
                float v = data[row + x];
                if (v < lcut || v > hcut || float.IsNaN(v)) continue;
                n++; sum += v; sum2 += (double)v * v;
            }
        }
        if (n == 0)
        {
            back = sigma = Bad;
            return;
        }
        mean = sum / n;
        var = sum2 / n - mean * mean;
        sig = var > 0 ? Math.Sqrt(var) : 0;

        // Histogram over all usable pixels (no cut): levels of width qscale from qzero.
        int nlevels = (int)(LevelsPerPixel * n + 1);
        if (nlevels > MaxLevels) nlevels = MaxLevels;
        float qscale = sig > 0 ? (float)(10 * sig / nlevels) : 1f;
        float qzero = (float)(mean - 5 * sig);
        float cste = 0.499999f - qzero / qscale;
        Span<int> h = histogram[..nlevels];
        h.Clear();
        for (int y = y0; y < y1; y++)
        {
            int row = y * width;
            for (int x = x0; x < x1; x++)
            {
                if (hasMask && mask[row + x] != 0) continue;
                float b = data[row + x] / qscale + cste;
                // trunc(b) ∈ [0, nlevels) ⇔ −1 < b < nlevels; NaN fails both.
                if (b > -1f && b < nlevels) h[(int)b]++;
            }
        }
        if (nlevels == 1)
        {
            // A single level (at most one pixel within ±2σ): no mode can be estimated, and
            // the clipped mean is the answer. (SExtractor/SEP here add that mean, in data
            // units, to qzero as if it were a level index, doubling the background of such
            // meshes, e.g. a 1×1 corner mesh when W mod bw = H mod bh = 1. We fix that.)
            back = (float)mean;
            sigma = 0f;
            return;
        }
        Mode(h, out double mode, out double rms);
        back = (float)(qzero + mode * qscale);
        sigma = (float)(rms * qscale);
    }

    /// <summary>
    /// Iterative 3σ-clipped median and mean of a histogram of at least two levels (in level
    /// units) and the mode estimate.
    /// </summary>
    internal static void Mode(ReadOnlySpan<int> h, out double mode, out double sigma)
    {
        int nm1 = h.Length - 1;
        int lo = 0, hi = nm1;
        double sig = 10.0 * nm1, sig1 = 1.0, mea = 0, med = 0;
        for (int iter = 0; iter < 100 && sig >= 0.1 && Math.Abs(sig / sig1 - 1.0) > 1e-4; iter++)
        {
            sig1 = sig;
            long lowSum = 0, highSum = 0, total = 0;
            double m1 = 0, m2 = 0;
            int a = lo, b = hi;
            for (int i = lo; i <= hi; i++)
            {
                // Two pointers walk in from both ends, each step feeding the lighter side,
                // so they meet at the median level.
                if (lowSum < highSum) lowSum += h[a++];
                else highSum += h[b--];
                int c = h[i];
                total += c;
                m1 += (double)c * i;
                m2 += (double)c * i * i;
            }
            if (b >= 0)
            {
                int den = Math.Max(h[a < h.Length ? a : nm1], h[b]);
                med = b + 0.5 + (den > 0 ? (double)(highSum - lowSum) / (2.0 * den) : 0.0);
            }
            else med = 0;
            if (total > 0)
            {
                mea = m1 / total;
                double v = m2 / total - mea * mea;
                sig = v > 0 ? Math.Sqrt(v) : 0;
            }
            else mea = sig = 0;
            double t = med - 3 * sig;
            lo = t > 0 ? (int)(t + 0.5) : 0;
            t = med + 3 * sig;
            hi = t < nm1 ? (t > 0 ? (int)(t + 0.5) : (int)(t - 0.5)) : nm1;
        }
        if (sig > 0)
            mode = Math.Abs((mea - med) / sig) < 0.3 ? 2.5 * med - 1.5 * mea : med;
        else
            mode = mea;
        sigma = sig;
    }
}
