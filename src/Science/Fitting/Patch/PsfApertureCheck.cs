namespace Tract7dt.Science.Fitting.Patch;

/// <summary>
/// Per point source and band, the PSF fit's flux over an aperture flux of the same star
/// (docs/algorithms.md, "Flux errors"): the measurement the catalogue's model error is
/// taken from.
/// <para>
/// The aperture is summed on the image with the fitted sky and every other source's fitted
/// model taken out, and divided by the share of the source's own model light inside it
/// (an aperture correction by the PSF model). A PSF model that is right at the star gives
/// a ratio of 1 within the pixels' noise; a star whose PSF differs from the model (width,
/// wings, a band misregistered) or whose fitted position is off shows it here, whatever
/// the cause. The noise of ln(ratio) is computed from the same pixels (the two fluxes share
/// them), so the scatter beyond it is the model's.
/// </para>
/// </summary>
internal static class PsfApertureCheck
{
    /// <summary>Aperture radius in FWHM of the source's own model: wide enough that the PSF's
    /// core shape hardly moves the aperture flux, small enough to keep its sky noise low.</summary>
    public const double ApertureFwhm = 3.0;

    /// <summary>Least S/N (statistical error) of a source for the check.</summary>
    public const double MinSnr = 20;

    /// <summary>Most light of the fitted neighbours inside the aperture, as a share of the
    /// star's: beyond, the check measures the neighbours' models as much as the star's.</summary>
    public const double MaxNeighbourLight = 0.1;

    /// <summary>The local sky annulus, in aperture radii (its pixels inside the patch image).</summary>
    public const double AnnulusInner = 1.5, AnnulusOuter = 2.5;

    /// <summary>Least unmasked pixels of the annulus for the check.</summary>
    public const int MinAnnulusPixels = 40;

    /// <summary>
    /// The ratio F_psf / F_ap and the σ of its logarithm from the pixels' noise for each
    /// source of one band (NaN where not measured: not a point source, too faint, a masked
    /// pixel or the patch edge inside the aperture, or a bright neighbour in it).
    /// </summary>
    /// <param name="factory">The patch's model factory (gives each source the PSF its fit had).</param>
    /// <param name="image">The band's image, its sky set to the fitted value.</param>
    /// <param name="kinds">Per source: the fitted type.</param>
    /// <param name="x">Per source: the position the band's flux was fitted at.</param>
    /// <param name="flux">Per source: the band's fitted flux.</param>
    /// <param name="fluxErr">Per source: its statistical error.</param>
    /// <param name="shape">Per source: (ln r_e, e1, e2, n), so that galaxies are modelled as fitted.</param>
    public static (double[] Ratio, double[] LnSigma) Measure(PatchModelFactory factory, PatchImage image,
        IReadOnlyList<SourceType> kinds, IReadOnlyList<(double X, double Y)> x, IReadOnlyList<double> flux,
        IReadOnlyList<double> fluxErr, IReadOnlyList<(double LogRe, double Ee1, double Ee2, double N)> shape,
        IReadOnlyList<bool> reported)
    {
        int ns = kinds.Count;
        var ratio = new double[ns];
        var lnSigma = new double[ns];
        Array.Fill(ratio, double.NaN);
        Array.Fill(lnSigma, double.NaN);
        var eligible = new bool[ns];
        var held = new SourceInit[ns];
        bool any = false;
        for (int i = 0; i < ns; i++)
        {
            double f = flux[i], e = fluxErr[i];
            eligible[i] = reported[i] && kinds[i] == SourceType.Point && double.IsFinite(f) && f > 0 && e > 0 && f / e >= MinSnr;
            any |= eligible[i];
            held[i] = new SourceInit(kinds[i], x[i].X, x[i].Y, [double.IsFinite(f) ? f : 0],
                shape[i].LogRe, shape[i].Ee1, shape[i].Ee2, shape[i].N, FixedPosition: true, Frozen: !eligible[i]);
        }
        if (!any) return (ratio, lnSigma);

        var im = image with { SkyFixed = true };
        var problem = factory([im], held);
        int w = im.Width, h = im.Height;
        var model = new float[w * h];
        problem.RenderModel(0, model);
        var perParameter = DerivativePatch.Of(problem);
        // One aperture for the patch's band, from its PSF stamp: the FWHM of each source's drawn
        // model (its area above half maximum) jumps with the sub-pixel phase on an undersampled
        // band (a 2.3-px PSF covers 4–6 pixels above half maximum), and the aperture with it.
        double bandFwhm = (im.Psf as Psf.Models.IPsf)?.Stamp is { } stamp && stamp.Width == stamp.Height
            ? Psf.Epsf.EpsfPostProcess.Fwhm(stamp.Values, stamp.Width, 1) : double.NaN;
        for (int j = 0; j < perParameter.Length; j++)
        {
            if (!PatchFitter.TryParseName(problem.ParameterName(j), out int src, out string leaf) || src < 0 || src >= ns
                || !eligible[src] || !leaf.StartsWith("brightness.", StringComparison.Ordinal) || perParameter[j].Count != 1) continue;
            var (r, s) = One(perParameter[j][0], im, model, flux[src], x[src].X, x[src].Y, bandFwhm);
            ratio[src] = r;
            lnSigma[src] = s;
        }
        return (ratio, lnSigma);
    }

    /// <summary>The check of one source from its unit-flux model <paramref name="d"/>.</summary>
    private static (double Ratio, double LnSigma) One(DerivativePatch d, PatchImage im, float[] model, double flux, double xc, double yc,
        double bandFwhm)
    {
        int w = im.Width, h = im.Height;
        var (px0, px1, py0, py1) = d.InImage(w, h);
        // without a PSF stamp: the model's FWHM from its area above half maximum (a point source: the PSF's)
        double peak = 0;
        for (int y = py0; y < py1; y++)
            for (int x = px0; x < px1; x++)
                peak = Math.Max(peak, d.Values[y * d.Width + x] * d.Scale);
        if (!(peak > 0)) return (double.NaN, double.NaN);
        int half = 0;
        for (int y = py0; y < py1; y++)
            for (int x = px0; x < px1; x++)
                if (d.Values[y * d.Width + x] * d.Scale >= 0.5 * peak) half++;
        double fwhm = double.IsFinite(bandFwhm) && bandFwhm > 0 ? bandFwhm : Math.Max(1.0, 2 * Math.Sqrt(half / Math.PI));
        double rAp = ApertureFwhm * fwhm;
        // the aperture must lie inside the image and the source's model patch
        if (xc - rAp < 0 || yc - rAp < 0 || xc + rAp > w - 1 || yc + rAp > h - 1) return (double.NaN, double.NaN);
        if (xc - rAp < d.X0 || yc - rAp < d.Y0 || xc + rAp > d.X0 + d.Width - 1 || yc + rAp > d.Y0 + d.Height - 1) return (double.NaN, double.NaN);

        // F = Σ a·data with a = w·D / Σ w·D² (the fit's sky-only weights, neighbours held);
        // A = Σ_ap (data − others − sky) / Σ_ap D
        double swdd = 0;
        for (int y = py0; y < py1; y++)
            for (int x = px0; x < px1; x++)
            {
                int k = (d.Y0 + y) * w + d.X0 + x;
                double e = im.InverseError[k], dv = d.Values[y * d.Width + x] * d.Scale;
                swdd += e * e * dv * dv;
            }
        if (!(swdd > 0)) return (double.NaN, double.NaN);
        double ap = 0, apModel = 0, others = 0, varF = 0, varA = 0, cov = 0;
        int apPixels = 0;
        for (int y = py0; y < py1; y++)
            for (int x = px0; x < px1; x++)
            {
                int k = (d.Y0 + y) * w + d.X0 + x;
                double e = im.InverseError[k];
                double dv = d.Values[y * d.Width + x] * d.Scale;
                double own = flux * dv;
                double ix = d.X0 + x - xc, iy = d.Y0 + y - yc;
                bool inAp = ix * ix + iy * iy <= rAp * rAp;
                if (inAp && !(e > 0)) return (double.NaN, double.NaN); // a masked pixel in the aperture
                if (!(e > 0)) continue;
                double var = 1 / (e * e) + Math.Max(0, model[k] - im.Sky) * im.SourceVariancePerCount;
                double a = e * e * dv / swdd;
                varF += a * a * var;
                if (!inAp) continue;
                ap += im.Data[k] - model[k] + own;
                apModel += dv;
                apPixels++;
                others += model[k] - im.Sky - own;
                varA += var;
                cov += a * var;
            }
        if (!(apModel > 0)) return (double.NaN, double.NaN);
        if (others > MaxNeighbourLight * flux * apModel) return (double.NaN, double.NaN);
        // The patch's one sky is wrong by a little at any one place (a gradient, a neighbour's
        // unmodelled halo), and the aperture's ~12× larger footprint than the PSF fit's turns
        // that into per cents: on sdss_8162 g, stars whose PSF flux matched the independent
        // aperture truth within 0.2 % checked 3–5 % high, and one such group moved the band's
        // model error from 0.8 to 1.5 %. So the aperture takes its sky from an annulus around
        // it, as aperture photometry does: the median of data − model (every source, its own
        // included) there, where only the sky's local error is left.
        double rIn = AnnulusInner * rAp, rOut = AnnulusOuter * rAp;
        var ring = new List<double>();
        double ringVar = 0;
        for (int y = Math.Max(0, (int)Math.Floor(yc - rOut)); y <= Math.Min(h - 1, (int)Math.Ceiling(yc + rOut)); y++)
            for (int x = Math.Max(0, (int)Math.Floor(xc - rOut)); x <= Math.Min(w - 1, (int)Math.Ceiling(xc + rOut)); x++)
            {
                double ix = x - xc, iy = y - yc, r2 = ix * ix + iy * iy;
                if (r2 < rIn * rIn || r2 > rOut * rOut) continue;
                int k = y * w + x;
                double e = im.InverseError[k];
                if (!(e > 0)) continue;
                ring.Add(im.Data[k] - model[k]);
                ringVar += 1 / (e * e) + Math.Max(0, model[k] - im.Sky) * im.SourceVariancePerCount;
            }
        if (ring.Count < MinAnnulusPixels) return (double.NaN, double.NaN);
        double localSky = Calibration.RobustStats.MedianOf(ring);
        // the median of n pixels scatters by √(π/2) × their mean σ / √n
        double skyVar = Math.PI / 2 * ringVar / ring.Count / ring.Count;
        ap -= localSky * apPixels;
        varA += apPixels * apPixels * skyVar;
        if (!(ap > 0)) return (double.NaN, double.NaN);
        double fAp = ap / apModel;
        varA /= apModel * apModel;
        cov /= apModel;
        double lnVar = varF / (flux * flux) + varA / (fAp * fAp) - 2 * cov / (flux * fAp);
        return (flux / fAp, Math.Sqrt(Math.Max(0, lnVar)));
    }
}
