namespace Tract7dt.Science.Fitting.Patch;

/// <summary>
/// The sources' own photon noise in the flux errors (docs/algorithms.md, "Flux errors").
/// <para>
/// The fit weights pixels by the sky noise alone (as the reference does, so that a bright
/// star's core is not down-weighted by its own noisy data), and the reference's error is the
/// inverse of that weighted Fisher information: right for faint sources, several times too
/// small for bright ones. The variance of a weighted least-squares flux under the true
/// noise V = σ_sky² + v_src is the sandwich (Σ w²D²V)/(Σ w D²)², w = 1/σ_sky², D the
/// source's unit-flux model; with the sky part taken out this is the reference's variance
/// times 1 + Σ w²D²v_src / Σ w D². v_src is the fitted model (sky excluded) times the band's
/// photon variance per count (scale/EGAIN), so it carries the neighbours' light too.
/// </para>
/// </summary>
public static class PhotonNoise
{
    /// <summary>Median (σ_total² − σ_sky²)/image over pixels brighter than 10 σ_sky: the band's
    /// photon variance per scaled count (scale/EGAIN), or 0 when no pixel says.</summary>
    public static double VariancePerCount(ReadOnlySpan<float> image, ReadOnlySpan<float> sigmaSky, ReadOnlySpan<float> sigmaTotal)
    {
        var r = new List<double>();
        for (int i = 0; i < image.Length; i++)
        {
            float d = image[i], s = sigmaSky[i], t = sigmaTotal[i];
            if (!float.IsFinite(d) || !float.IsFinite(s) || !float.IsFinite(t) || !(s > 0) || !(d > 10 * s)) continue;
            r.Add(((double)t * t - (double)s * s) / d);
        }
        if (r.Count == 0) return 0;
        double m = Calibration.RobustStats.MedianOf(r);
        return double.IsFinite(m) && m > 0 ? m : 0;
    }

    /// <summary>
    /// Per flux parameter (column, image) the factor 1 + Σ w²D²v / Σ w D² by which the
    /// reference's variance grows; 1 where the image has no photon-noise scale.
    /// </summary>
    public static double[] FluxVarianceFactors(IFitProblem problem, IReadOnlyList<PatchImage> images, IReadOnlyList<(int Col, int Image)> flux,
        List<DerivativePatch>[]? derivatives = null)
    {
        var factors = new double[flux.Count];
        Array.Fill(factors, 1.0);
        if (flux.Count == 0 || images.All(im => !(im.SourceVariancePerCount > 0))) return factors;

        int np = problem.ParameterCount;
        var p = new double[np];
        problem.GetParameters(p);
        // The sky of image k is the parameter named images.image{k}.sky.sky (PatchModelFactory).
        var skyIndex = new Dictionary<string, int>(images.Count, StringComparer.Ordinal);
        for (int k = 0; k < images.Count; k++) skyIndex[$"images.image{k}.sky.sky"] = k;
        // a sky held fixed is no parameter: it stays at the image's own level
        var sky = images.Select(im => im.Sky).ToArray();
        for (int j = 0; j < np; j++)
            if (skyIndex.TryGetValue(problem.ParameterName(j), out int k)) sky[k] = p[j];
        var srcVar = new float[images.Count][];
        for (int k = 0; k < images.Count; k++)
        {
            var im = images[k];
            if (!(im.SourceVariancePerCount > 0)) continue;
            var model = new float[im.Width * im.Height];
            problem.RenderModel(k, model);
            for (int i = 0; i < model.Length; i++) model[i] = (float)(Math.Max(0, model[i] - sky[k]) * im.SourceVariancePerCount);
            srcVar[k] = model;
        }

        var perParameter = derivatives ?? DerivativePatch.Of(problem); // the caller's, when it has them already
        for (int q = 0; q < flux.Count; q++)
        {
            var (col, _) = flux[q];
            double fisher = 0, extra = 0;
            foreach (var d in perParameter[col])
            {
                var v = srcVar[d.Image];
                if (v is null) continue;
                var im = images[d.Image];
                var e = im.InverseError;
                var (x0, x1, y0, y1) = d.InImage(im.Width, im.Height);
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++)
                    {
                        int pix = (d.Y0 + y) * im.Width + d.X0 + x;
                        double w = (double)e[pix] * e[pix];
                        if (!(w > 0)) continue;
                        double dv = d.Values[y * d.Width + x] * d.Scale;
                        fisher += w * dv * dv;
                        extra += w * w * dv * dv * v[pix];
                    }
            }
            if (fisher > 0 && double.IsFinite(extra)) factors[q] = 1 + extra / fisher;
        }
        return factors;
    }
}
