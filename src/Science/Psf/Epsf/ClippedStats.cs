namespace Tract7dt.Science.Psf.Epsf;

/// <summary>
/// Median and sigma clipping on small scratch buffers, as astropy's <c>SigmaClip</c>
/// (centre = median, spread = population standard deviation, no growth) computes them.
/// Every routine works in place on a caller-owned span and allocates nothing.
/// </summary>
public static class ClippedStats
{
    /// <summary>
    /// Median of the values (mean of the two middle ones for an even count); NaN for an
    /// empty span. Reorders <paramref name="values"/>; all values must be finite.
    /// </summary>
    public static double MedianInPlace(Span<double> values)
    {
        int n = values.Length;
        if (n == 0) return double.NaN;
        values.Sort();
        return (n & 1) == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
    }

    /// <summary>
    /// Sigma-clips <paramref name="values"/> in place and returns the number of survivors,
    /// which are moved to the front (in unspecified order). Non-finite values are dropped
    /// first. Each of at most <paramref name="maxIters"/> rounds computes the median m and
    /// the population standard deviation s of the current survivors and keeps
    /// <c>m − σ·s ≤ v ≤ m + σ·s</c>; it stops early when a round removes nothing.
    /// With σ = +∞, or s = 0 (bounds NaN in astropy), nothing is removed.
    /// </summary>
    public static int SigmaClipInPlace(Span<double> values, double sigma, int maxIters)
    {
        int n = 0;
        for (int i = 0; i < values.Length; i++)
            if (double.IsFinite(values[i])) values[n++] = values[i];
        if (double.IsPositiveInfinity(sigma)) return n;
        for (int iter = 0; iter < maxIters && n > 0; iter++)
        {
            Span<double> cur = values[..n];
            double med = MedianInPlace(cur);
            double mean = 0;
            for (int i = 0; i < n; i++) mean += cur[i];
            mean /= n;
            double ss = 0;
            for (int i = 0; i < n; i++) { double d = cur[i] - mean; ss += d * d; }
            double std = Math.Sqrt(ss / n);
            double lo = med - sigma * std, hi = med + sigma * std;
            if (!(std > 0) || !double.IsFinite(lo) || !double.IsFinite(hi)) return n;
            int kept = 0;
            for (int i = 0; i < n; i++)
                if (cur[i] >= lo && cur[i] <= hi) cur[kept++] = cur[i];
            if (kept == n) return n;
            n = kept;
        }
        return n;
    }
}
