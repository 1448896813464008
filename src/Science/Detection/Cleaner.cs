namespace Tract7dt.Science.Detection;

/// <summary>
/// SExtractor's cleaning: an object is removed when the extrapolated wings of a brighter
/// neighbour (a Moffat-like profile of index β from that neighbour's shape and mean
/// surface brightness) reach its own brightness level <see cref="ObjectStats.MThresh"/>
/// at its centre, i.e. when it is likely a spurious detection on that neighbour's wing.
/// </summary>
internal static class Cleaner
{
    // Only neighbours closer than 10·(aᵢ + aⱼ) are considered.
    private const float NeighbourScale2 = 100f;
    private const double MaxProfile = 1e10;

    public static List<ObjectStats> Clean(List<ObjectStats> objs, double beta)
    {
        int n = objs.Count;
        var amp = new double[n];
        var alpha = new double[n];
        for (int i = 0; i < n; i++)
        {
            var s = objs[i];
            double unitArea = Math.PI * s.A * s.B;
            amp[i] = s.CFlux / (2 * unitArea * s.AbCor);
            alpha[i] = (Math.Pow(amp[i] / s.Thresh, 1.0 / beta) - 1) * unitArea / s.NPix;
        }
        var removed = new bool[n];
        for (int i = 0; i < n; i++)
        {
            if (removed[i]) continue;
            var oi = objs[i];
            for (int j = i + 1; j < n; j++)
            {
                if (removed[j]) continue;
                var oj = objs[j];
                float dx = (float)(oi.X - oj.X), dy = (float)(oi.Y - oj.Y);
                float rlim = oi.A + oj.A;
                if (dx * dx + dy * dy > NeighbourScale2 * rlim * rlim) continue;
                // The fainter of the pair (by filtered flux) is tested against the wing of
                // the brighter one; note i can be removed and still remove later objects.
                if (oj.CFlux < oi.CFlux)
                {
                    if (Wing(oi, amp[i], alpha[i], beta, dx, dy) > oj.MThresh) removed[j] = true;
                }
                else
                {
                    if (Wing(oj, amp[j], alpha[j], beta, dx, dy) > oi.MThresh) removed[i] = true;
                }
            }
        }
        var kept = new List<ObjectStats>(n);
        for (int i = 0; i < n; i++) if (!removed[i]) kept.Add(objs[i]);
        return kept;
    }

    /// <summary>The profile of <paramref name="o"/> at offset (dx, dy); 0 unless it exceeds the object's own plateau test v &gt; 1.</summary>
    private static float Wing(ObjectStats o, double amp, double alpha, double beta, float dx, float dy)
    {
        double unit = o.Cxx * dx * dx + o.Cyy * dy * dy + o.Cxy * dx * dy;
        double v = 1 + alpha * unit;
        if (!(v > 1)) return float.NegativeInfinity;
        return (float)(v < MaxProfile ? amp * Math.Pow(v, -beta) : 0);
    }
}
