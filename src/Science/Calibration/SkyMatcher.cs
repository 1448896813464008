namespace Tract7dt.Science.Calibration;

/// <summary>
/// Nearest-neighbour matching on the sphere: for each query position, the closest
/// reference position and its great-circle separation. Used for catalog ↔ Gaia matching
/// (docs/pipeline.md §4.2 step 7). References are bucketed in declination strips so a tile's
/// worth of sources matches in O(N log M) instead of O(N·M).
/// </summary>
public sealed class SkyMatcher
{
    private readonly double[] _ra, _dec;
    private readonly int[] _byDec;        // reference indices sorted by declination
    private readonly double[] _sortedDec;

    /// <param name="raDeg">Reference right ascensions, degrees.</param>
    /// <param name="decDeg">Reference declinations, degrees. Non-finite references never match.</param>
    public SkyMatcher(ReadOnlySpan<double> raDeg, ReadOnlySpan<double> decDeg)
    {
        _ra = raDeg.ToArray();
        _dec = decDeg.ToArray();
        _byDec = Enumerable.Range(0, _ra.Length)
            .Where(i => double.IsFinite(_ra[i]) && double.IsFinite(_dec[i]))
            .OrderBy(i => _dec[i]).ThenBy(i => i).ToArray();
        _sortedDec = _byDec.Select(i => _dec[i]).ToArray();
    }

    /// <summary>
    /// The nearest reference within <paramref name="radiusArcsec"/>, or −1. Ties go to the
    /// lower reference index, so the result does not depend on any ordering but the input's.
    /// </summary>
    public int Nearest(double raDeg, double decDeg, double radiusArcsec, out double separationArcsec)
    {
        separationArcsec = double.NaN;
        if (!double.IsFinite(raDeg) || !double.IsFinite(decDeg) || _byDec.Length == 0) return -1;
        double rDeg = radiusArcsec / 3600.0;
        int lo = LowerBound(_sortedDec, decDeg - rDeg);
        int best = -1;
        double bestSep = double.PositiveInfinity;
        for (int k = lo; k < _sortedDec.Length && _sortedDec[k] <= decDeg + rDeg; k++)
        {
            int j = _byDec[k];
            double sep = SeparationDeg(raDeg, decDeg, _ra[j], _dec[j]) * 3600.0;
            if (sep < bestSep || (sep == bestSep && j < best)) { bestSep = sep; best = j; }
        }
        if (best < 0 || bestSep > radiusArcsec) return -1;
        separationArcsec = bestSep;
        return best;
    }

    /// <summary>Great-circle separation in degrees (Vincenty's formula: accurate at all angles).</summary>
    public static double SeparationDeg(double ra1, double dec1, double ra2, double dec2)
    {
        const double d2r = Math.PI / 180.0;
        double l1 = ra1 * d2r, b1 = dec1 * d2r, l2 = ra2 * d2r, b2 = dec2 * d2r;
        double dl = l2 - l1;
        double sdl = Math.Sin(dl), cdl = Math.Cos(dl);
        double sb1 = Math.Sin(b1), cb1 = Math.Cos(b1), sb2 = Math.Sin(b2), cb2 = Math.Cos(b2);
        double num1 = cb2 * sdl, num2 = cb1 * sb2 - sb1 * cb2 * cdl;
        double den = sb1 * sb2 + cb1 * cb2 * cdl;
        return Math.Atan2(Math.Sqrt(num1 * num1 + num2 * num2), den) / d2r;
    }

    private static int LowerBound(double[] a, double v)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (a[mid] < v) lo = mid + 1; else hi = mid; }
        return lo;
    }
}
