namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// Display limits of the per-patch pictures (docs/fitting.md §11): robust percentile
/// limits for data and model panels, symmetric limits for residuals.
/// </summary>
public static class DisplayLimits
{
    private const double MinSpan = 1e-6;

    /// <summary>Percentile <paramref name="p"/> (0–100) of the finite values, linear interpolation (NumPy's default); NaN if none.</summary>
    public static double Percentile(ReadOnlySpan<float> values, double p)
    {
        var v = Finite(values);
        return v.Length == 0 ? double.NaN : Sorted(v, p);
    }

    /// <summary>(lo, hi) at percentiles <paramref name="pLo"/>, <paramref name="pHi"/>; null → automatic (no finite values).
    /// A span under 1e-6 widens to the finite min..max, then to ±0.5.</summary>
    public static (double Lo, double Hi)? Robust(ReadOnlySpan<float> values, double pLo, double pHi)
    {
        var v = Finite(values);
        if (v.Length == 0) return null;
        double lo = Sorted(v, pLo), hi = Sorted(v, pHi);
        if (!double.IsFinite(lo) || !double.IsFinite(hi)) return null;
        if (hi - lo < MinSpan) { lo = v[0]; hi = v[^1]; }
        if (hi - lo < MinSpan) { lo -= 0.5; hi += 0.5; }
        return (lo, hi);
    }

    /// <summary>(−a, a) with a the <paramref name="pAbs"/> percentile of |r| (then max |r|, then 1 when too small).</summary>
    public static (double Lo, double Hi)? Symmetric(ReadOnlySpan<float> residual, double pAbs)
    {
        var v = Finite(residual);
        if (v.Length == 0) return null;
        for (int i = 0; i < v.Length; i++) v[i] = Math.Abs(v[i]);
        Array.Sort(v);
        double a = Interpolate(v, pAbs);
        if (!double.IsFinite(a) || a < MinSpan) a = v[^1];
        if (!double.IsFinite(a) || a < MinSpan) a = 1;
        return (-a, a);
    }

    private static double[] Finite(ReadOnlySpan<float> values)
    {
        int n = 0;
        foreach (float x in values) if (float.IsFinite(x)) n++;
        var v = new double[n];
        n = 0;
        foreach (float x in values) if (float.IsFinite(x)) v[n++] = x;
        Array.Sort(v);
        return v;
    }

    private static double Sorted(double[] sorted, double p) => Interpolate(sorted, p);

    private static double Interpolate(double[] sorted, double p)
    {
        double pos = Math.Clamp(p, 0, 100) / 100.0 * (sorted.Length - 1);
        int i = (int)Math.Floor(pos);
        if (i >= sorted.Length - 1) return sorted[^1];
        double f = pos - i;
        return sorted[i] + (sorted[i + 1] - sorted[i]) * f;
    }
}
