namespace Tract7dt.Science.Calibration;

/// <summary>
/// The robust statistics of the zero-point stage (docs/pipeline.md §10.4–§10.5), exact:
/// median (mean of the two middle values for an even count), MAD-based iterative
/// clipping, and the "lower" weighted median.
/// </summary>
public static class RobustStats
{
    /// <summary>σ ≈ 1.4826·MAD for a Gaussian.</summary>
    public const double MadToSigma = 1.4826;

    /// <summary>Median of the finite values (NaN when there are none). Does not modify the input.</summary>
    public static double Median(ReadOnlySpan<double> values)
    {
        var buf = new List<double>(values.Length);
        foreach (var v in values) if (double.IsFinite(v)) buf.Add(v);
        if (buf.Count == 0) return double.NaN;
        buf.Sort();
        int n = buf.Count;
        return (n & 1) == 1 ? buf[n / 2] : 0.5 * (buf[n / 2 - 1] + buf[n / 2]);
    }

    /// <summary>Median of the finite values of a list.</summary>
    public static double MedianOf(List<double> values) => Median(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(values));

    /// <summary>1.4826·MAD of the finite values (NaN when there are none): a Gaussian's σ.</summary>
    public static double ScatterOf(List<double> values)
    {
        double m = MedianOf(values);
        var dev = new List<double>(values.Count);
        foreach (var v in values) if (double.IsFinite(v)) dev.Add(Math.Abs(v - m));
        return MadToSigma * MedianOf(dev);
    }

    /// <summary>
    /// Iterative MAD clipping: up to <paramref name="maxIters"/> times, with the kept values'
    /// median and σ = 1.4826·MAD, keep every finite point with |z − med| ≤ k·σ (evaluated
    /// on all points, so clipped points may return); stop when fewer than 3 are kept, σ ≤ 0,
    /// or the mask no longer changes. Returns the kept mask.
    /// </summary>
    public static bool[] MadClip(ReadOnlySpan<double> z, double k, int maxIters)
    {
        var keep = new bool[z.Length];
        for (int i = 0; i < z.Length; i++) keep[i] = double.IsFinite(z[i]);
        var kept = new List<double>(z.Length);
        var dev = new double[z.Length];
        for (int it = 0; it < maxIters; it++)
        {
            kept.Clear();
            for (int i = 0; i < z.Length; i++) if (keep[i]) kept.Add(z[i]);
            if (kept.Count < 3) break;
            double med = Median(kept.ToArray());
            for (int i = 0; i < kept.Count; i++) dev[i] = Math.Abs(kept[i] - med);
            double sigma = MadToSigma * Median(dev.AsSpan(0, kept.Count));
            if (!(sigma > 0)) break;
            bool changed = false;
            for (int i = 0; i < z.Length; i++)
            {
                bool nk = double.IsFinite(z[i]) && Math.Abs(z[i] - med) <= k * sigma;
                if (nk != keep[i]) changed = true;
                dev[i] = 0;
                keep[i] = nk;
            }
            if (!changed) break;
        }
        return keep;
    }

    /// <summary>
    /// Lower weighted median: sort by value, cumulative weights C_j (sequential double sums),
    /// H = C_n / 2, return the value at the first j with C_j ≥ H (the last if none).
    /// </summary>
    public static double WeightedMedian(ReadOnlySpan<double> values, ReadOnlySpan<double> weights)
    {
        if (values.Length != weights.Length) throw new ArgumentException("values and weights differ in length");
        if (values.Length == 0) return double.NaN;
        var order = new int[values.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var v = values.ToArray();
        Array.Sort(order, (a, b) => v[a] != v[b] ? v[a].CompareTo(v[b]) : a.CompareTo(b));
        var cum = new double[order.Length];
        double c = 0;
        for (int j = 0; j < order.Length; j++) { c += weights[order[j]]; cum[j] = c; }
        double half = c / 2;
        for (int j = 0; j < cum.Length; j++)
            if (cum[j] >= half) return v[order[j]];
        return v[order[^1]];
    }
}
