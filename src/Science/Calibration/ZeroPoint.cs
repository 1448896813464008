namespace Tract7dt.Science.Calibration;

/// <summary>One star's zero-point estimate in one band (docs/pipeline.md §10.3).</summary>
/// <param name="GaiaSourceId">Gaia DR3 source_id, as text.</param>
/// <param name="GaiaMag">GaiaXP synthetic AB magnitude m in the band.</param>
/// <param name="Flux">Fitted flux F (zp_ref-scaled system), &gt; 0.</param>
/// <param name="FluxErr">σ_F, or NaN.</param>
/// <param name="Zp">m + 2.5 log10 F.</param>
/// <param name="ZpErr">K σ_F / F, or NaN.</param>
public sealed record ZpStar(string GaiaSourceId, double GaiaMag, double Flux, double FluxErr, double Zp, double ZpErr);

/// <summary>The zero point of one band and the stars behind it.</summary>
/// <param name="Band">Band name.</param>
/// <param name="Used">Stars that entered the clipping (converged).</param>
/// <param name="Kept">Per used star: survived the clipping.</param>
/// <param name="NonConverged">Stars left out because their fit did not converge (for the plot and counts).</param>
/// <param name="ClipSigma">The clipping threshold k used.</param>
/// <param name="ZpMedian">ZP_b: weighted median of kept stars with valid errors, else the plain median.</param>
/// <param name="ZpErrMad">σ_ZP = 1.4826 · median |zp_i − ZP_b| over kept stars (the stars' scatter).</param>
public sealed record BandZeroPoint(string Band, IReadOnlyList<ZpStar> Used, IReadOnlyList<bool> Kept,
    IReadOnlyList<ZpStar> NonConverged, double ClipSigma, double ZpMedian, double ZpErrMad)
{
    public int NKept => Kept.Count(k => k);

    public int NClipped => Kept.Count - NKept;
}

/// <summary>Zero-point arithmetic of ComputeZp (docs/pipeline.md §10.3–§10.6).</summary>
public static class ZeroPoint
{
    /// <summary>K = 2.5 / ln 10: magnitude error per unit relative flux error.</summary>
    public const double K = 1.0857362047581294;

    /// <summary>A star's estimate, or null when m, F are unusable (m or F non-finite, F ≤ 0).</summary>
    public static ZpStar? Star(string gaiaId, double mag, double flux, double fluxErr)
    {
        if (!double.IsFinite(mag) || !double.IsFinite(flux) || flux <= 0) return null;
        double sf = double.IsFinite(fluxErr) ? fluxErr : double.NaN;
        double zpErr = double.IsFinite(sf) && sf > 0 ? K * sf / flux : double.NaN;
        return new ZpStar(gaiaId, mag, flux, sf, mag + 2.5 * Math.Log10(flux), zpErr);
    }

    /// <summary>
    /// Clips the used stars and computes the band's zero point; null when no star is used or
    /// none survives the clipping.
    /// </summary>
    /// <param name="refMagErr">Error of a reference magnitude [mag] (ours, <c>zp.ref_mag_err</c>): the
    /// weights are 1/(σ_zp² + refMagErr²). With the photometric error alone (refMagErr = 0, the
    /// original) a bright star's σ_zp of a few 1e-4 mag outweighs every other star by orders of
    /// magnitude, and the weighted median is that one star's zero point, Gaia error and all.</param>
    public static BandZeroPoint? Compute(string band, IReadOnlyList<ZpStar> used, IReadOnlyList<ZpStar> nonConverged,
        double clipSigma, int clipMaxIters, double refMagErr = 0)
    {
        if (used.Count == 0) return null;
        var z = used.Select(s => s.Zp).ToArray();
        var keep = RobustStats.MadClip(z, clipSigma, clipMaxIters);
        var keptIdx = Enumerable.Range(0, used.Count).Where(i => keep[i]).ToArray();
        if (keptIdx.Length == 0) return null;

        var valid = keptIdx.Where(i => double.IsFinite(used[i].ZpErr) && used[i].ZpErr > 0).ToArray();
        double centre;
        var weights = valid.Select(i => 1.0 / (used[i].ZpErr * used[i].ZpErr + refMagErr * refMagErr)).ToArray();
        if (valid.Length > 0 && weights.Sum() > 0)
            centre = RobustStats.WeightedMedian(valid.Select(i => z[i]).ToArray(), weights);
        else
            centre = RobustStats.Median(keptIdx.Select(i => z[i]).ToArray());

        double mad = RobustStats.Median(keptIdx.Select(i => Math.Abs(z[i] - centre)).ToArray());
        return new BandZeroPoint(band, used, keep, nonConverged, clipSigma, centre, RobustStats.MadToSigma * mad);
    }

    /// <summary>MAG = ZP − 2.5 log10 F (NaN unless F finite and &gt; 0).</summary>
    public static double Magnitude(double zp, double flux) =>
        double.IsFinite(flux) && flux > 0 ? zp - 2.5 * Math.Log10(flux) : double.NaN;

    /// <summary>MAGERR = sqrt((K σ_F/F)² + σ_ZP²) (NaN unless F, σ_F finite and &gt; 0).</summary>
    public static double MagnitudeError(double zpErr, double flux, double fluxErr) =>
        double.IsFinite(flux) && flux > 0 && double.IsFinite(fluxErr) && fluxErr > 0
            ? Math.Sqrt(Math.Pow(K * fluxErr / flux, 2) + zpErr * zpErr)
            : double.NaN;
}
