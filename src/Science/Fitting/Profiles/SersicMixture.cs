namespace Tract7dt.Science.Fitting.Profiles;

/// <summary>One tabulated range of Sersic indices: grid points and per-component amplitudes / variances.</summary>
internal sealed record SersicRange(double Lo, double Hi, double[] Grid, double[,] Amplitudes, double[,] Variances);

/// <summary>
/// Sersic profile mixtures as a function of the index n (docs/fitting.md §14.6): per range,
/// not-a-knot cubic splines through the tabulated amplitudes and log-variances, evaluated at
/// n clamped to [<see cref="MinN"/>, <see cref="MaxN"/>]; normalised; a delta core added for
/// n &gt; 1; components sorted by variance.
/// </summary>
public static class SersicMixture
{
    /// <summary>Lower end of the tabulated (and fitted) Sersic index range.</summary>
    public const double MinN = 0.29;

    /// <summary>Upper end of the tabulated (and fitted) Sersic index range.</summary>
    public const double MaxN = 6.3;

    private sealed record RangeSplines(SersicRange Range, CubicSplineNotAKnot[] Amp, CubicSplineNotAKnot[] LogVar);

    private static readonly RangeSplines[] s_ranges = SersicTables.Ranges.Select(BuildSplines).ToArray();
    private static readonly CubicSplineNotAKnot s_core = new(SersicTables.CoreN, SersicTables.CoreValue);

    // Small per-thread cache: a fit evaluates the same few n values over and over.
    [ThreadStatic] private static (double N, ProfileMixture M)[]? t_cache;
    [ThreadStatic] private static int t_next;

    /// <summary>The unit-r_e mixture for Sersic index <paramref name="n"/> (clamped to [0.29, 6.3]).</summary>
    public static ProfileMixture Get(double n)
    {
        var cache = t_cache ??= new (double, ProfileMixture)[6];
        for (int i = 0; i < cache.Length; i++)
            if (cache[i].M is not null && cache[i].N.Equals(n)) return cache[i].M;
        var m = Compute(n);
        cache[t_next] = (n, m);
        t_next = (t_next + 1) % cache.Length;
        return m;
    }

    internal static ProfileMixture Compute(double n)
    {
        if (double.IsNaN(n)) throw new ArgumentOutOfRangeException(nameof(n), "Sersic index is NaN");
        RangeSplines r;
        if (n <= MinN) { n = MinN; r = s_ranges[0]; }
        else if (n >= MaxN) { n = MaxN; r = s_ranges[^1]; }
        else r = s_ranges.First(s => s.Range.Lo <= n && n < s.Range.Hi);

        int k = r.Amp.Length;
        var amps = new double[k + (n > 1 ? 1 : 0)];
        var vars = new double[amps.Length];
        double sum = 0;
        for (int i = 0; i < k; i++) { amps[i] = r.Amp[i].Evaluate(n); sum += amps[i]; vars[i] = Math.Exp(r.LogVar[i].Evaluate(n)); }
        for (int i = 0; i < k; i++) amps[i] /= sum;
        if (n > 1)
        {
            double core = s_core.Evaluate(n);
            double s2 = 0;
            for (int i = 0; i < k; i++) s2 += amps[i];
            for (int i = 0; i < k; i++) amps[i] *= (1.0 - core) / s2;
            amps[k] = core; vars[k] = 0;
        }
        Array.Sort(vars, amps);
        return new ProfileMixture(amps, vars);
    }

    private static RangeSplines BuildSplines(SersicRange r)
    {
        int k = r.Amplitudes.GetLength(1), g = r.Grid.Length;
        var amp = new CubicSplineNotAKnot[k];
        var lv = new CubicSplineNotAKnot[k];
        for (int c = 0; c < k; c++)
        {
            var ya = new double[g];
            var yv = new double[g];
            for (int i = 0; i < g; i++) { ya[i] = r.Amplitudes[i, c]; yv[i] = Math.Log(r.Variances[i, c]); }
            amp[c] = new CubicSplineNotAKnot(r.Grid, ya);
            lv[c] = new CubicSplineNotAKnot(r.Grid, yv);
        }
        return new RangeSplines(r, amp, lv);
    }
}
