namespace Tract7dt.Science.Numerics;

/// <summary>
/// Median and sigma clipping on small scratch buffers, as astropy's <c>SigmaClip</c>
/// (centre = median, spread = population standard deviation, no growth) computes them.
/// Every routine works in place on a caller-owned span and allocates nothing.
/// The pipeline's one σ-clip and one median: detection, the ePSF stack, the per-star
/// annulus background and the cell statistics all use these, so they cannot drift apart.
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
    /// <see cref="MedianInPlace(Span{double})"/> of single-precision values, in double
    /// (the middle pair is averaged after widening, so no float rounding enters).
    /// </summary>
    public static double MedianInPlace(Span<float> values)
    {
        int n = values.Length;
        if (n == 0) return double.NaN;
        values.Sort();
        return (n & 1) == 1 ? values[n / 2] : 0.5 * ((double)values[n / 2 - 1] + values[n / 2]);
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

    /// <summary>
    /// The inverse-variance weighted mean of <paramref name="values"/> after a noise-aware
    /// clip, with every weight capped at the <paramref name="capRank"/>-th largest; NaN when
    /// nothing survives. Reorders both spans together.
    /// </summary>
    /// <param name="values">The values (non-finite ones are ignored).</param>
    /// <param name="invVar">Each value's inverse variance (≤ 0 or non-finite: ignored).</param>
    /// <param name="sigma">Clip threshold k; +∞ = no clipping.</param>
    /// <param name="capRank">No value weighs more than the capRank-th heaviest (1 = no cap).</param>
    /// <param name="scratch">At least as long as <paramref name="values"/>.</param>
    /// <remarks>
    /// <para>A value is clipped when |v − m| &gt; k·√(σ² + σ_m²), m the median of the values,
    /// σ = invVar^−½ its own error and σ_m = 1.253·1.4826·MAD/√n the median's. A plain
    /// standard-deviation clip cannot do this job: among n values one outlier lies at most
    /// (n−1)/√n standard deviations from the mean, so a 5σ clip of fewer than 26 stars never
    /// removes a neighbour's light from one stamp; and a MAD clip, whose scale is set by the
    /// faint stars' noise, keeps a faint neighbour in the stamp of the brightest star, which the
    /// weighted mean then lets through at full weight.</para>
    /// <para>The cap keeps the brightest star from carrying the node alone: whatever one stamp
    /// holds that the others do not (a neighbour below the clip, a defect) enters with at most a
    /// 1/capRank share, and the ePSF still samples the pixel phases of several stars.</para>
    /// </remarks>
    public static double ClippedWeightedMean(Span<double> values, Span<double> invVar, double sigma, int capRank,
                                             Span<double> scratch)
    {
        int n = 0;
        for (int i = 0; i < values.Length; i++)
            if (double.IsFinite(values[i]) && invVar[i] > 0 && double.IsFinite(invVar[i]))
            {
                values[n] = values[i]; invVar[n] = invVar[i]; n++;
            }
        if (n == 0) return double.NaN;
        if (n > 2 && !double.IsPositiveInfinity(sigma))
        {
            values[..n].CopyTo(scratch);
            double med = MedianInPlace(scratch[..n]);
            for (int i = 0; i < n; i++) scratch[i] = Math.Abs(values[i] - med);
            double sm = 1.253 * 1.4826 * MedianInPlace(scratch[..n]) / Math.Sqrt(n);
            double sm2 = sm * sm;
            int kept = 0;
            for (int i = 0; i < n; i++)
            {
                double d = values[i] - med;
                if (d * d <= sigma * sigma * (1.0 / invVar[i] + sm2)) { values[kept] = values[i]; invVar[kept] = invVar[i]; kept++; }
            }
            n = kept;
            if (n == 0) return double.NaN;
        }
        double cap = double.PositiveInfinity;
        if (capRank > 1 && n >= capRank)
        {
            invVar[..n].CopyTo(scratch);
            scratch[..n].Sort();
            cap = scratch[n - capRank];
        }
        double sw = 0, swv = 0;
        for (int i = 0; i < n; i++)
        {
            double w = Math.Min(invVar[i], cap);
            sw += w; swv += w * values[i];
        }
        return sw > 0 ? swv / sw : double.NaN;
    }
}
