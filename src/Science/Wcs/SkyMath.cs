namespace Tract7dt.Science.Wcs;

/// <summary>Great-circle helpers for catalog matching. Angles in degrees.</summary>
public static class SkyMath
{
    /// <summary>
    /// Angular separation of two sky positions in degrees, by Vincenty's formula
    /// (atan2 of the cross- and dot-product magnitudes): accurate for every separation,
    /// from 0 (no loss of precision as with arccos) to 180° (none as with haversine).
    /// NaN if any input is NaN.
    /// </summary>
    public static double SeparationDeg(double ra1, double dec1, double ra2, double dec2)
    {
        var (sd1, cd1) = Angles.SinCosDeg(dec1);
        var (sd2, cd2) = Angles.SinCosDeg(dec2);
        var (sdr, cdr) = Angles.SinCosDeg(ra2 - ra1);
        double a = cd2 * sdr;
        double b = cd1 * sd2 - sd1 * cd2 * cdr;
        double num = Math.Sqrt(a * a + b * b);
        double den = sd1 * sd2 + cd1 * cd2 * cdr;
        return Math.Atan2(num, den) * Angles.RadToDeg;
    }

    /// <summary><see cref="SeparationDeg"/> in arcseconds.</summary>
    public static double SeparationArcsec(double ra1, double dec1, double ra2, double dec2) =>
        SeparationDeg(ra1, dec1, ra2, dec2) * 3600.0;
}
