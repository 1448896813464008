namespace Tract7dt.Science.Catalog;

/// <summary>Source model chosen for a catalogue row.</summary>
public enum SourceModel
{
    /// <summary>Point source.</summary>
    Star,
    /// <summary>Exponential disk (Sérsic n = 1).</summary>
    Exp,
    /// <summary>de Vaucouleurs (Sérsic n = 4).</summary>
    Dev,
    /// <summary>Sérsic with a free index.</summary>
    Sersic,
}

/// <summary>
/// How the input catalogue's optional columns set a fit's starting values (docs/inputs.md §5.3).
/// Angles in degrees; radii in native image pixels.
/// </summary>
public static class CatalogConventions
{
    /// <summary>Clip range of the initial axis ratio b/a.</summary>
    public const double MinAxisRatio = 0.1, MaxAxisRatio = 1.0;
    /// <summary>Clip range of a catalogue <c>Re</c> (pixels).</summary>
    public const double MinRe = 0.3, MaxRe = 100.0;
    /// <summary>b/a for every source when the catalogue has no <c>ELL</c> column.</summary>
    public const double AxisRatioWithoutEll = 0.8;

    /// <summary>
    /// Model for a TYPE text: upper-cased (invariant), not trimmed; STAR, EXP, DEV, SERSIC map
    /// to their models; anything else (GAL, empty, " STAR", null) gives <paramref name="fallback"/>
    /// (<c>patch_run.gal_model</c>).
    /// </summary>
    public static SourceModel ModelFor(string? typeText, SourceModel fallback) =>
        typeText?.ToUpperInvariant() switch
        {
            "STAR" => SourceModel.Star,
            "EXP" => SourceModel.Exp,
            "DEV" => SourceModel.Dev,
            "SERSIC" => SourceModel.Sersic,
            _ => fallback,
        };

    /// <summary>The model of a <c>patch_run.gal_model</c> setting.</summary>
    public static SourceModel FromGalModel(Config.GalModel m) => m switch
    {
        Config.GalModel.Star => SourceModel.Star,
        Config.GalModel.Exp => SourceModel.Exp,
        Config.GalModel.Dev => SourceModel.Dev,
        _ => SourceModel.Sersic,
    };

    /// <summary>
    /// Initial b/a: 0.8 without an ELL column; a missing/NaN ELL counts as 0 (round);
    /// else 1 − ELL clipped to [0.1, 1].
    /// </summary>
    public static double AxisRatio(bool hasEllColumn, double ell)
    {
        if (!hasEllColumn) return AxisRatioWithoutEll;
        if (double.IsNaN(ell)) ell = 0;
        return Math.Clamp(1.0 - ell, MinAxisRatio, MaxAxisRatio);
    }

    /// <summary>
    /// The fitter's angle φ (deg, counter-clockwise from +y) from THETA (deg, counter-clockwise
    /// from +x, SExtractor THETA_IMAGE): THETA − 90 for THETA ≥ 0, THETA + 90 below. Without a
    /// THETA column φ = 0 (major axis along +y); a missing THETA counts as 0 (along +x).
    /// </summary>
    public static double PhiDeg(bool hasThetaColumn, double theta)
    {
        if (!hasThetaColumn) return 0.0;
        if (double.IsNaN(theta)) theta = 0;
        return theta >= 0 ? theta - 90.0 : theta + 90.0;
    }

    /// <summary>
    /// Initial half-light radius (pixels): without an Re column, <paramref name="reFallbackPix"/>;
    /// a non-finite Re becomes the fallback; then clipped to [0.3, 100].
    /// </summary>
    public static double InitialRe(bool hasReColumn, double re, double reFallbackPix)
    {
        if (!hasReColumn) return reFallbackPix;
        if (!double.IsFinite(re)) re = reFallbackPix;
        return Math.Clamp(re, MinRe, MaxRe);
    }

    /// <summary>A usable flux prior (finite and &gt; 0), else NaN (use aperture photometry).</summary>
    public static double UsableFlux(double flux) => double.IsFinite(flux) && flux > 0 ? flux : double.NaN;
}
