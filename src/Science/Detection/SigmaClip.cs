namespace Tract7dt.Science.Detection;

/// <summary>
/// Iterative σ-clipping about the median with the population standard deviation, as
/// astropy's <c>SigmaClip(sigma, maxiters, cenfunc='median', stdfunc='std')</c>.
/// </summary>
public static class SigmaClip
{
    /// <summary>
    /// Clips <paramref name="values"/> in place: non-finite values are dropped, then up to
    /// <paramref name="maxIters"/> times the values outside
    /// [median − σ·std, median + σ·std] are removed, stopping early when none is.
    /// Survivors are moved to the front (order not kept); returns their count.
    /// σ = +∞ removes nothing; std = 0 removes nothing.
    /// </summary>
    public static int Clip(Span<float> values, double sigma, int maxIters = 5)
    {
        int n = 0;
        for (int i = 0; i < values.Length; i++)
            if (float.IsFinite(values[i])) values[n++] = values[i];
        for (int iter = 0; iter < maxIters && n > 0; iter++)
        {
            double med = Median(values[..n]);
            double mean = 0;
            for (int i = 0; i < n; i++) mean += values[i];
            mean /= n;
            double ss = 0;
            for (int i = 0; i < n; i++) { double d = values[i] - mean; ss += d * d; }
            double std = Math.Sqrt(ss / n);
            double lo = med - sigma * std, hi = med + sigma * std;
            int m = 0;
            for (int i = 0; i < n; i++)
            {
                float v = values[i];
                // A NaN bound (σ·std = ∞·0) keeps everything, as in astropy.
                if (!(v < lo) && !(v > hi)) values[m++] = v;
            }
            if (m == n) break;
            n = m;
        }
        return n;
    }

    /// <summary>Median of the span (sorted in place); mean of the middle pair for even length; NaN if empty.</summary>
    public static double Median(Span<float> values)
    {
        int n = values.Length;
        if (n == 0) return double.NaN;
        values.Sort();
        return (n & 1) == 1 ? values[n / 2] : 0.5 * ((double)values[n / 2 - 1] + values[n / 2]);
    }
}

/// <summary>Outcome of <see cref="AnnulusBackground.Estimate"/>.</summary>
/// <param name="Value">Background level (image units); 0 on fallback.</param>
/// <param name="AnnulusPixels">Usable annulus pixels before clipping.</param>
/// <param name="RIn">Inner radius actually used (px).</param>
/// <param name="ROut">Outer radius actually used (px).</param>
/// <param name="Ok">False when fewer than minPix pixels were usable ("fallback_zero").</param>
public readonly record struct LocalBackground(double Value, int AnnulusPixels, double RIn, double ROut, bool Ok);

/// <summary>
/// The ePSF stage's per-star local background: the σ-clipped median of a stamp's pixels in
/// an annulus around the star.
/// </summary>
public static class AnnulusBackground
{
    /// <summary>
    /// Estimates the background in the annulus r_in² ≤ (x − cx)² + (y − cy)² ≤ r_out²
    /// (float32 arithmetic, pixel centres at integers) of a stamp of nx × ny pixels.
    /// Radii are clamped as the pipeline does: r_out to [2, max(2, min((nx−1)/2, (ny−1)/2) − 1)],
    /// r_in to [0, max(0, r_out − 1)]. Pixels count when the data are finite and, if
    /// <paramref name="weight"/> is given, the weight is finite and > 0.
    /// </summary>
    /// <param name="sigma">Clipping σ (astropy convention, population std).</param>
    /// <param name="maxIters">Clipping iterations [5].</param>
    /// <param name="minPix">Minimum usable pixels, before and after clipping.</param>
    public static LocalBackground Estimate(ReadOnlySpan<float> stamp, int nx, int ny, double cx, double cy,
        double rIn, double rOut, double sigma, int minPix, ReadOnlySpan<float> weight = default, int maxIters = 5)
    {
        ImageChecks.Shape(stamp.Length, nx, ny, "AnnulusBackground");
        ImageChecks.Optional(weight.Length, stamp.Length, "AnnulusBackground", "weight");
        double rMax = Math.Max(2.0, Math.Min((nx - 1) / 2.0, (ny - 1) / 2.0) - 1.0);
        double ro = Math.Clamp(rOut, 2.0, rMax);
        double ri = Math.Clamp(rIn, 0.0, Math.Max(0.0, ro - 1.0));
        float ri2 = (float)ri * (float)ri, ro2 = (float)ro * (float)ro;
        float fcx = (float)cx, fcy = (float)cy;

        float[] buf = System.Buffers.ArrayPool<float>.Shared.Rent(stamp.Length);
        try
        {
            int n = 0;
            for (int j = 0; j < ny; j++)
            {
                float dy = j - fcy;
                for (int i = 0; i < nx; i++)
                {
                    float dx = i - fcx;
                    float d2 = dx * dx + dy * dy;
                    if (d2 < ri2 || d2 > ro2) continue;
                    int idx = j * nx + i;
                    float v = stamp[idx];
                    if (!float.IsFinite(v)) continue;
                    if (!weight.IsEmpty && !(float.IsFinite(weight[idx]) && weight[idx] > 0)) continue;
                    buf[n++] = v;
                }
            }
            if (n < minPix || n == 0) return new LocalBackground(0, n, ri, ro, false);
            int kept = SigmaClip.Clip(buf.AsSpan(0, n), sigma, maxIters);
            if (kept < minPix || kept == 0) return new LocalBackground(0, n, ri, ro, false);
            return new LocalBackground(SigmaClip.Median(buf.AsSpan(0, kept)), n, ri, ro, true);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(buf);
        }
    }
}
