using Tract7dt.Science.Config;
using Tract7dt.Science.Detection;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>Where a PSF star came from: a Gaia seed, a SEP detection, or a seed snapped to / near a detection.</summary>
public enum StarOrigin { Gaia, Sep, Both }

/// <summary>One selected PSF star in cell-local pixels (float32, as the original's table stores them).</summary>
/// <param name="Id">0..n−1 in selection order.</param>
public readonly record struct PsfStar(float X, float Y, int Id, StarOrigin Origin)
{
    /// <summary>The origin's text in plots and tables: <c>gaia</c>, <c>sep</c>, <c>both</c>.</summary>
    public string OriginName => Origin switch { StarOrigin.Gaia => "gaia", StarOrigin.Sep => "sep", _ => "both" };
}

/// <summary>
/// SEP candidates of one cell, local pixels: <see cref="X"/>/<see cref="Y"/>/<see cref="Q"/> in
/// the order seeds snap against (<c>cand_xy</c>), <see cref="FillOrder"/> the order of the
/// SEP fill pass (score descending).
/// </summary>
public sealed record StarCandidates(double[] X, double[] Y, double[] Q, int[] FillOrder)
{
    public static StarCandidates Empty { get; } = new([], [], [], []);

    public int Count => X.Length;
}

/// <summary>
/// PSF-star selection of one ePSF cell (docs/epsf.md §5): SEP candidates filtered by edge,
/// saturation and roundness; then Gaia seeds (bad pixel, saturation box, snapping, forced
/// S/N, separation) and the SEP fill pass (separation), up to <c>max_stars</c> with the
/// original's "+1" count quirk.
/// </summary>
public static class PsfStarSelector
{
    /// <summary>Radius of the forced aperture when the band has no usable FWHM, pixels.</summary>
    public const double DefaultForcedRadius = 3.0;

    /// <summary>
    /// Runs SEP on the (background-subtracted) cell and keeps the candidates of variant A
    /// (strictly inside by <c>need</c>, <c>peak &lt; S/div</c>, <c>b &gt; 0</c>, q in range), in
    /// SEP order, with the fill order sorted by SEP flux descending (stable). An extraction
    /// error means no candidates.
    /// </summary>
    /// <param name="saturationScaled">SATURATE·scale, or null when the band has none.</param>
    public static StarCandidates CandidatesVariantA(ReadOnlySpan<float> data, ReadOnlySpan<float> sigma, ReadOnlySpan<byte> bad,
        int width, int height, EpsfCellSettings s, double? saturationScaled)
    {
        SourceCatalog cat;
        try
        {
            cat = Extract(data, sigma, bad, width, height, s);
        }
        catch (Tract7dtException)
        {
            return StarCandidates.Empty;
        }
        int need = s.Need;
        double? thrSat = saturationScaled / s.Config.GaiaSeedSatDiv;
        var xs = new List<double>(); var ys = new List<double>(); var qs = new List<double>(); var score = new List<double>();
        for (int k = 0; k < cat.Count; k++)
        {
            double x = cat.X[k], y = cat.Y[k];
            if (!(need < x && x < width - need - 1 && need < y && y < height - need - 1)) continue;
            float peak = cat.Peak[k];
            if (thrSat is double t && float.IsFinite(peak) && peak >= t) continue;
            float b = cat.B[k];
            if (!(b > 0)) continue;
            double q = (double)cat.A[k] / b;
            if (!(q >= s.QMin && q <= s.QMax)) continue;
            xs.Add(x); ys.Add(y); qs.Add(q); score.Add(cat.Flux[k]);
        }
        var order = Enumerable.Range(0, xs.Count).ToArray();
        // stable descending by score: ties keep SEP order
        order = order.OrderByDescending(i => score[i]).ThenBy(i => i).ToArray();
        return new StarCandidates(xs.ToArray(), ys.ToArray(), qs.ToArray(), order);
    }

    /// <summary>
    /// Variant B (<c>background_subtract_patch = false</c>), once per band: SEP on the whole
    /// band image, candidates with finite position, <c>peak &lt; S/div</c> (or non-finite peak),
    /// q in range or not finite (only when some q is finite), sorted by score (flux, else
    /// peak, else 0) descending, ties by descending original index. Positions are band pixels.
    /// </summary>
    public static StarCandidates CandidatesVariantBBand(SourceCatalog cat, EpsfCellSettings s, double? saturationScaled)
    {
        double? thrSat = saturationScaled / s.Config.GaiaSeedSatDiv;
        var q = new double[cat.Count];
        bool anyFiniteQ = false;
        for (int k = 0; k < cat.Count; k++)
        {
            q[k] = cat.B[k] > 0 ? (double)cat.A[k] / cat.B[k] : double.NaN;
            anyFiniteQ |= double.IsFinite(q[k]);
        }
        var keep = new List<int>();
        for (int k = 0; k < cat.Count; k++)
        {
            if (!double.IsFinite(cat.X[k]) || !double.IsFinite(cat.Y[k])) continue;
            if (thrSat is double t && float.IsFinite(cat.Peak[k]) && !(cat.Peak[k] < t)) continue;
            if (anyFiniteQ && double.IsFinite(q[k]) && !(q[k] >= s.QMin && q[k] <= s.QMax)) continue;
            keep.Add(k);
        }
        double Score(int k) => float.IsFinite(cat.Flux[k]) ? cat.Flux[k] : float.IsFinite(cat.Peak[k]) ? cat.Peak[k] : 0.0;
        var sorted = keep.OrderByDescending(Score).ThenByDescending(k => k).ToArray();
        var order = Enumerable.Range(0, sorted.Length).ToArray();
        return new StarCandidates(sorted.Select(k => cat.X[k]).ToArray(), sorted.Select(k => cat.Y[k]).ToArray(),
            sorted.Select(k => q[k]).ToArray(), order);
    }

    /// <summary>Variant B, per cell: band candidates with <c>x0+need ≤ x &lt; x1−need−1</c> (same in y),
    /// in local pixels, keeping the sorted order.</summary>
    public static StarCandidates CandidatesVariantBCell(StarCandidates band, Imaging.PixelBox cell, int need)
    {
        var xs = new List<double>(); var ys = new List<double>(); var qs = new List<double>();
        for (int k = 0; k < band.Count; k++)
        {
            double x = band.X[k], y = band.Y[k];
            if (x >= cell.X0 + need && x < cell.X1 - need - 1 && y >= cell.Y0 + need && y < cell.Y1 - need - 1)
            {
                xs.Add(x - cell.X0); ys.Add(y - cell.Y0); qs.Add(band.Q[k]);
            }
        }
        return new StarCandidates(xs.ToArray(), ys.ToArray(), qs.ToArray(), Enumerable.Range(0, xs.Count).ToArray());
    }

    /// <summary>The SEP call of docs/epsf.md §5: thresh_sigma × σ map, bad mask, minarea, 32 levels, 0.001, cleaning.</summary>
    public static SourceCatalog Extract(ReadOnlySpan<float> data, ReadOnlySpan<float> sigma, ReadOnlySpan<byte> bad,
        int width, int height, EpsfCellSettings s) =>
        Extractor.Extract(data, width, height, s.Config.ThreshSigma, PixelNoise.StdDevMap(sigma), bad,
            new ExtractOptions { MinArea = s.Config.Minarea, DeblendNThresh = 32, DeblendCont = 0.001, Clean = true, CleanParam = 1.0 });

    /// <summary>
    /// Selects the cell's PSF stars.
    /// </summary>
    /// <param name="data">Cell image the seeds are tested on (background-subtracted in variant A).</param>
    /// <param name="sigma">Sky σ per pixel (+∞ on bad pixels).</param>
    /// <param name="bad">Bad-pixel mask.</param>
    /// <param name="seedX">Gaia seeds in the cell, local x (file order).</param>
    /// <param name="seedY">Gaia seeds in the cell, local y.</param>
    /// <param name="candidates">SEP candidates.</param>
    /// <param name="saturationScaled">SATURATE·scale, or null.</param>
    /// <param name="forcedRadius">Forced-aperture radius r_f, or null for <see cref="DefaultForcedRadius"/>.</param>
    public static IReadOnlyList<PsfStar> Select(ReadOnlySpan<float> data, ReadOnlySpan<float> sigma, ReadOnlySpan<byte> bad,
        int width, int height, ReadOnlySpan<float> seedX, ReadOnlySpan<float> seedY, StarCandidates candidates,
        EpsfCellSettings s, double? saturationScaled, double? forcedRadius)
    {
        var cfg = s.Config;
        var mode = cfg.PsfstarMode;
        int need = s.Need;
        int maxStars = cfg.MaxStars;
        double rm2 = cfg.GaiaMatchRPix * cfg.GaiaMatchRPix, dmin2 = cfg.MinSep * cfg.MinSep;
        double? thrSat = saturationScaled / cfg.GaiaSeedSatDiv;
        double r = forcedRadius is double rf && double.IsFinite(rf) && rf > 0 ? rf : DefaultForcedRadius;
        var picked = new List<(double X, double Y, StarOrigin O)>();

        bool Separated(double x, double y)
        {
            foreach (var p in picked)
                if ((x - p.X) * (x - p.X) + (y - p.Y) * (y - p.Y) < dmin2) return false;
            return true;
        }

        if (mode != PsfStarMode.Sep && seedX.Length > 0)
        {
            bool snap = cfg.GaiaSnapToSep; // mode ≠ sep here
            var used = new bool[candidates.Count];
            for (int k = 0; k < seedX.Length; k++)
            {
                double sx = seedX[k], sy = seedY[k];
                if (!(need < sx && sx < width - need - 1 && need < sy && sy < height - need - 1)) continue;
                int ix = (int)Math.Round(sx, MidpointRounding.ToEven), iy = (int)Math.Round(sy, MidpointRounding.ToEven);
                if (bad[iy * width + ix] != 0) continue;
                if (thrSat is double t && !SaturationBoxOk(data, bad, width, height, ix, iy, cfg.GaiaSeedSatR, t)) continue;
                if (SaturatedCore(bad, width, height, sx, sy, cfg.GaiaSeedSatR)) continue;

                double px = sx, py = sy;
                StarOrigin origin;
                int found = -1;
                if (snap)
                {
                    double best = double.PositiveInfinity;
                    for (int j = 0; j < candidates.Count; j++)
                    {
                        if (used[j]) continue;
                        double d2 = Sq(candidates.X[j] - sx) + Sq(candidates.Y[j] - sy);
                        if (d2 <= rm2 && d2 <= best) { best = d2; found = j; } // ties: the later candidate
                    }
                }
                if (found >= 0)
                {
                    used[found] = true; // marked even if the seed is rejected below
                    px = candidates.X[found]; py = candidates.Y[found];
                    origin = StarOrigin.Both;
                    double q = candidates.Q[found];
                    if (double.IsFinite(q) && !(q >= s.QMin && q <= s.QMax)) continue;
                }
                else
                {
                    origin = StarOrigin.Gaia;
                    for (int j = 0; j < candidates.Count; j++)
                        if (Sq(candidates.X[j] - sx) + Sq(candidates.Y[j] - sy) <= rm2) { origin = StarOrigin.Both; break; }
                }

                if (!ForcedSnrOk(data, sigma, bad, width, height, px, py, r, cfg.GaiaSnrMin)) continue;
                if (Separated(px, py)) picked.Add((px, py, origin));
                if (picked.Count >= maxStars) break;
            }
        }

        if (mode != PsfStarMode.Gaia)
        {
            foreach (int j in candidates.FillOrder)
            {
                double x = candidates.X[j], y = candidates.Y[j];
                if (SaturatedCore(bad, width, height, x, y, cfg.GaiaSeedSatR)) continue;
                if (Separated(x, y)) picked.Add((x, y, StarOrigin.Sep));
                if (picked.Count >= maxStars) break; // after the append: the original's +1 quirk
            }
        }

        var result = new PsfStar[picked.Count];
        for (int i = 0; i < picked.Count; i++) result[i] = new PsfStar((float)picked[i].X, (float)picked[i].Y, i, picked[i].O);
        return result;
    }

    private static double Sq(double v) => v * v;

    /// <summary>
    /// True when the (2R+1)² box around the rounded position holds a saturation-masked pixel
    /// (fix, ours): LoadInputs masks every pixel ≥ SATURATE/2, so SEP measures a saturated
    /// star's peak on its unmasked wings and the original's <c>peak &lt; SATURATE/div</c> test
    /// lets it through. Its core then carries no data, its stamp sum (the builder's
    /// normalisation) misses most of its light, and its wings enter the ePSF several times
    /// too bright.
    /// </summary>
    private static bool SaturatedCore(ReadOnlySpan<byte> bad, int width, int height, double x, double y, int radius)
    {
        int ix = (int)Math.Round(x, MidpointRounding.ToEven), iy = (int)Math.Round(y, MidpointRounding.ToEven);
        int x0 = Math.Max(0, ix - radius), x1 = Math.Min(width - 1, ix + radius);
        int y0 = Math.Max(0, iy - radius), y1 = Math.Min(height - 1, iy + radius);
        for (int yy = y0; yy <= y1; yy++)
            for (int xx = x0; xx <= x1; xx++)
                if (bad[yy * width + xx] == Imaging.FramePixels.BadSaturated) return true;
        return false;
    }

    /// <summary>Seed saturation box: the (2R+1)² box clipped to the cell must hold a good pixel and
    /// every good pixel must be below the threshold.</summary>
    private static bool SaturationBoxOk(ReadOnlySpan<float> data, ReadOnlySpan<byte> bad, int width, int height,
        int ix, int iy, int radius, double threshold)
    {
        int x0 = Math.Max(0, ix - radius), x1 = Math.Min(width - 1, ix + radius);
        int y0 = Math.Max(0, iy - radius), y1 = Math.Min(height - 1, iy + radius);
        bool any = false;
        double max = double.NegativeInfinity;
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
            {
                int k = y * width + x;
                if (bad[k] != 0) continue;
                any = true;
                if (data[k] > max) max = data[k]; // NaN never raises the maximum (nanmax-like)
            }
        return any && max < threshold;
    }

    /// <summary>Forced circular-aperture S/N test (SEP sum_circle, subpix 5): no flag, finite S/N ≥ minimum.</summary>
    private static bool ForcedSnrOk(ReadOnlySpan<float> data, ReadOnlySpan<float> sigma, ReadOnlySpan<byte> bad,
        int width, int height, double x, double y, double r, double snrMin)
    {
        ApertureSum a;
        try
        {
            a = Aperture.SumCircle(data, width, height, x, y, r, PixelNoise.StdDevMap(sigma), bad, 5);
        }
        catch (Tract7dtException)
        {
            return false;
        }
        double snr = a.FluxErr > 0 ? a.Flux / a.FluxErr : double.NegativeInfinity;
        return a.Flags == 0 && double.IsFinite(snr) && snr >= snrMin;
    }
}
