namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// IRAF/astropy ZScale display limits (docs/pipeline.md §12): a robust line through the sorted
/// sample of pixel values, its slope scaled by 1/contrast. Display only.
/// </summary>
public static class ZScale
{
    /// <summary>Limits (z1, z2) of the finite values; (0, 1) when none are finite.</summary>
    public static (double Z1, double Z2) Limits(ReadOnlySpan<float> values, int nSamples = 1000, double contrast = 0.25,
        double maxReject = 0.5, int minPixels = 5, double krej = 2.5, int maxIterations = 5)
    {
        var finite = new List<double>(Math.Min(values.Length, 4 * nSamples));
        int nFinite = 0;
        foreach (var v in values) if (float.IsFinite(v)) nFinite++;
        if (nFinite == 0) return (0, 1);
        int stride = (int)Math.Max(1, nFinite / (double)nSamples);
        int k = 0;
        foreach (var v in values)
        {
            if (!float.IsFinite(v)) continue;
            if (k++ % stride == 0 && finite.Count < nSamples) finite.Add(v);
        }
        finite.Sort();
        var s = finite.ToArray();
        int n = s.Length;
        int minpix = Math.Max(minPixels, (int)(n * maxReject));
        int grow = Math.Max(1, (int)(n * 0.01));
        var good = new bool[n];
        Array.Fill(good, true);
        int ngood = n, last = n + 1;
        double slope = 0, intercept = 0;
        for (int it = 0; it < maxIterations && ngood >= minpix && ngood < last; it++)
        {
            last = ngood;
            // Least-squares line through the good (index, value) pairs.
            double sx = 0, sy = 0, sxx = 0, sxy = 0; int m = 0;
            for (int i = 0; i < n; i++) if (good[i]) { sx += i; sy += s[i]; sxx += (double)i * i; sxy += i * s[i]; m++; }
            double den = m * sxx - sx * sx;
            slope = den != 0 ? (m * sxy - sx * sy) / den : 0;
            intercept = (sy - slope * sx) / m;
            double mean = 0, sq = 0;
            for (int i = 0; i < n; i++) if (good[i]) { double r = s[i] - (intercept + slope * i); mean += r; sq += r * r; }
            mean /= m;
            double std = Math.Sqrt(Math.Max(0, sq / m - mean * mean));
            var reject = new bool[n];
            for (int i = 0; i < n; i++) reject[i] = Math.Abs(s[i] - (intercept + slope * i)) > krej * std;
            // Grow the rejected set by a centred window.
            var grown = new bool[n];
            int half = grow / 2;
            for (int i = 0; i < n; i++)
                if (reject[i])
                    for (int j = Math.Max(0, i - half); j <= Math.Min(n - 1, i - half + grow - 1); j++) grown[j] = true;
            ngood = 0;
            for (int i = 0; i < n; i++) { good[i] = good[i] && !grown[i]; if (good[i]) ngood++; }
        }
        if (ngood < minpix) return (s[0], s[n - 1]);
        double sl = slope / contrast;
        int c = (n - 1) / 2;
        double median = (n & 1) == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
        return (Math.Max(s[0], median - (c - 1) * sl), Math.Min(s[n - 1], median + (n - c) * sl));
    }
}
