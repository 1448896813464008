namespace Tract7dt.Science.Calibration;

/// <summary>
/// The scatter of measurements beyond their own noise: values r_i with known errors σ_i are
/// taken as r_i ~ N(μ, σ_i² + s²), and s is the solution of
/// Σ (r_i − μ)² / (σ_i² + s²) = n − 1 with μ the weighted mean (Paule and Mandel's estimator
/// of the between-measurement variance); values farther than <c>clip</c>·√(σ_i² + s²) from μ
/// are left out, iterated to a fixed point.
/// <para>
/// Why not the robust scatter with the median noise taken out in quadrature: when the
/// noises differ from star to star and are of the size of s, that difference is dominated by
/// the noisiest stars and fell to 0 on one band of 21 stars whose real excess was 0.7 %. Here
/// each value weighs by its own noise.
/// </para>
/// </summary>
public static class ExcessScatter
{
    /// <summary>
    /// Estimates μ and s from the finite pairs with σ &gt; 0. Returns (n used, μ, s); s is 0 when the
    /// values scatter no more than their noise, NaN with fewer than two values.
    /// </summary>
    public static (int N, double Center, double Excess) Estimate(ReadOnlySpan<double> values, ReadOnlySpan<double> sigmas,
        double clip = 4.0, int maxIters = 50)
    {
        if (values.Length != sigmas.Length) throw new ArgumentException("values and sigmas differ in length");
        var r = new List<double>();
        var v = new List<double>();
        for (int i = 0; i < values.Length; i++)
            if (double.IsFinite(values[i]) && double.IsFinite(sigmas[i]) && sigmas[i] > 0)
            {
                r.Add(values[i]);
                v.Add(sigmas[i] * sigmas[i]);
            }
        if (r.Count < 2) return (r.Count, r.Count == 1 ? r[0] : double.NaN, double.NaN);

        // start from the robust picture: median centre, MAD scatter less the median noise
        double mu = RobustStats.MedianOf(r);
        double s2 = Math.Max(0, Math.Pow(RobustStats.ScatterOf(r), 2) - RobustStats.MedianOf(v));
        var keep = new bool[r.Count];
        int n = 0;
        for (int it = 0; it < maxIters; it++)
        {
            n = 0;
            for (int i = 0; i < r.Count; i++)
            {
                keep[i] = Math.Abs(r[i] - mu) <= clip * Math.Sqrt(v[i] + s2);
                if (keep[i]) n++;
            }
            if (n < 2) return (n, mu, double.NaN);
            double next = Solve(r, v, keep, n, out double muNext);
            bool done = Math.Abs(next - s2) <= 1e-12 + 1e-9 * s2 && Math.Abs(muNext - mu) <= 1e-12;
            s2 = next;
            mu = muNext;
            if (done) break;
        }
        return (n, mu, Math.Sqrt(s2));
    }

    /// <summary>The s² of the kept values (and their weighted mean at it).</summary>
    private static double Solve(List<double> r, List<double> v, bool[] keep, int n, out double mu)
    {
        double Mean(double s2)
        {
            double sw = 0, swr = 0;
            for (int i = 0; i < r.Count; i++)
                if (keep[i]) { double w = 1 / (v[i] + s2); sw += w; swr += w * r[i]; }
            return swr / sw;
        }
        // g(s²) = Σ (r − μ(s²))² / (v + s²) − (n − 1) falls with s²
        double G(double s2)
        {
            double m = Mean(s2), g = 0;
            for (int i = 0; i < r.Count; i++)
                if (keep[i]) g += (r[i] - m) * (r[i] - m) / (v[i] + s2);
            return g - (n - 1);
        }
        if (G(0) <= 0) { mu = Mean(0); return 0; }
        double hi = 1e-6;
        double spread = 0;
        for (int i = 0; i < r.Count; i++) if (keep[i]) spread = Math.Max(spread, Math.Abs(r[i]));
        while (G(hi) > 0 && hi < 1e6 * (1 + spread * spread)) hi *= 4;
        double lo = 0;
        for (int k = 0; k < 100; k++)
        {
            double mid = 0.5 * (lo + hi);
            if (G(mid) > 0) lo = mid; else hi = mid;
        }
        double s2 = 0.5 * (lo + hi);
        mu = Mean(s2);
        return s2;
    }
}
