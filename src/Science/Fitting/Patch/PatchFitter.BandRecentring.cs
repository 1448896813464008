using Tract7dt.Science.Fitting.Optimization;

namespace Tract7dt.Science.Fitting.Patch;

public static partial class PatchFitter
{
    /// <summary>
    /// Largest move of a point source's position in one band from its joint position, pixels;
    /// a refit that goes farther (onto a neighbour, a cosmic ray) is not used.
    /// </summary>
    internal const double MaxBandShiftPix = 1.0;

    /// <summary>
    /// Largest ratio of a refitted flux's variance with the source's position (and its refitted
    /// neighbours') marginalised to its variance with them held: 1 for an isolated star, whose
    /// flux and position are uncorrelated; a blend above it keeps the joint fit's values.
    /// </summary>
    internal const double MaxBlendVarianceRatio = 1.1;

    /// <summary>
    /// Refits, band by band, every point source bright in that band with its own position
    /// (docs/algorithms.md, "Band positions of bright stars").
    /// <para>Why: the joint fit gives a source one position for every band. Where a band's image
    /// is registered to the others only to ~0.1–0.5 px (each band from another telescope,
    /// resampled; or a star's own colour moving it by refraction), a bright star's PSF is drawn
    /// off its centre in that band and its flux comes out low: by 5–14 % at 0.3–0.5 px on an
    /// undersampled band. A faint star cannot be helped (its own-band position is noise, and a
    /// free position fits the noise, biasing the flux up), but a bright one measures its position
    /// in each band to ≲ 0.02 px.</para>
    /// <para>How: with the joint fit's values held (every other source, the sky), each point
    /// source with S/N ≥ <see cref="PatchFitSettings.BandRecentreSnr"/> in the band gets its
    /// position and that band's flux free, one fit per band. The flux, its error (with the
    /// source's photon noise as in the joint fit) replace the joint ones;
    /// the covariance-aware error keeps the joint fit's coupling to the neighbours and adds what
    /// the free position adds. A move beyond <see cref="MaxBandShiftPix"/> is not used, nor the
    /// refit of a blended star (<see cref="MaxBlendVarianceRatio"/>).</para>
    /// </summary>
    /// <returns>Per band and source, the move in pixels of the refitted sources (NaN for the
    /// others), or null when nothing was refitted (single band, or turned off).</returns>
    private static double[][]? RecentreInBands(ConstrainedOptimizer optimizer, PatchModelFactory factory, PatchImage[] images,
        SourceInit[] sources, Readback r, PatchFitSettings settings)
    {
        if (images.Length < 2 || !(settings.BandRecentreSnr > 0)) return null;
        int ns = sources.Length;
        var shifts = new double[images.Length][];
        r.BandX = new double[images.Length][];
        r.BandY = new double[images.Length][];
        for (int k = 0; k < images.Length; k++)
        {
            shifts[k] = new double[ns];
            Array.Fill(shifts[k], double.NaN);
            r.BandX[k] = new double[ns];
            r.BandY[k] = new double[ns];
            Array.Fill(r.BandX[k], double.NaN);
            Array.Fill(r.BandY[k], double.NaN);
            var eligible = new bool[ns];
            bool any = false;
            for (int i = 0; i < ns; i++)
            {
                // the S/N of the pixels alone (the fit's errors are statistical)
                double f = r.Flux[k][i], e = r.FluxErr[k][i];
                eligible[i] = r.Kind[i] == SourceType.Point && !sources[i].FixedPosition && !sources[i].Frozen
                              && double.IsFinite(f) && e > 0 && f / e >= settings.BandRecentreSnr;
                any |= eligible[i];
            }
            if (!any) continue;

            var image = images[k] with { Sky = r.Sky[k], SkyFixed = true };
            var one = new[] { image };
            var held = new SourceInit[ns];
            for (int i = 0; i < ns; i++)
            {
                double f = r.Flux[k][i];
                held[i] = new SourceInit(r.Kind[i], r.X[i], r.Y[i], [double.IsFinite(f) ? f : 0],
                    r.LogRe[i], r.Ee1[i], r.Ee2[i], r.N[i], sources[i].FixedPosition, Frozen: !eligible[i]);
            }
            var problem = factory(one, held);
            optimizer.Reset();
            RunLoop(optimizer, problem, settings);

            int np = problem.ParameterCount;
            var p = new double[np];
            problem.GetParameters(p);
            var x = new double[ns]; var y = new double[ns]; var flux = new double[ns];
            var fluxCol = new int[ns];
            Array.Fill(fluxCol, -1);
            for (int j = 0; j < np; j++)
            {
                if (!TryParseName(problem.ParameterName(j), out int src, out string leaf) || src < 0 || src >= ns || !eligible[src]) continue;
                if (leaf == "pos.x") x[src] = p[j];
                else if (leaf == "pos.y") y[src] = p[j];
                else if (leaf.StartsWith("brightness.", StringComparison.Ordinal)) { flux[src] = p[j]; fluxCol[src] = j; }
            }
            var cols = new List<(int Col, int Image)>();
            var who = new List<int>();
            for (int i = 0; i < ns; i++)
                if (fluxCol[i] >= 0) { cols.Add((fluxCol[i], 0)); who.Add(i); }
            var diag = new double[np];
            var marg = new double[cols.Count];
            double[] inflate;
            try
            {
                optimizer.Variances(problem, diag, cols.Select(c => c.Col).ToArray(), marg);
                inflate = PhotonNoise.FluxVarianceFactors(problem, one, cols);
            }
            catch (Exception ex) when (ex is ArithmeticException or InvalidOperationException)
            {
                continue; // the joint values stand
            }
            for (int q = 0; q < who.Count; q++)
            {
                int i = who[q];
                double dx = x[i] - r.X[i], dy = y[i] - r.Y[i], shift = Math.Sqrt(dx * dx + dy * dy);
                double v = diag[cols[q].Col];
                if (!(shift <= MaxBandShiftPix) || !double.IsFinite(flux[i]) || !(v > 0) || !double.IsFinite(v)) continue;
                // a blend: where the star's own position trades off against its flux (a neighbour
                // within about a FWHM), the band's position costs more flux precision than any
                // misregistration it could take out; the joint position, which every band
                // constrains, stands
                if (!(marg[q] <= MaxBlendVarianceRatio * v)) continue;
                double err = Math.Sqrt(v * inflate[q]);
                double before = r.FluxErr[k][i], cov = r.FluxErrCov[k][i];
                r.Flux[k][i] = flux[i];
                r.FluxErr[k][i] = err;
                if (double.IsFinite(cov)) r.FluxErrCov[k][i] = Math.Sqrt(cov * cov + Math.Max(0, err * err - before * before));
                shifts[k][i] = shift;
                r.BandX[k][i] = x[i];
                r.BandY[k][i] = y[i];
            }
        }
        return shifts;
    }
}
