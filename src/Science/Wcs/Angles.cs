namespace Tract7dt.Science.Wcs;

/// <summary>Degree-based trigonometry helpers shared by the WCS code.</summary>
internal static class Angles
{
    public const double DegToRad = Math.PI / 180.0;
    public const double RadToDeg = 180.0 / Math.PI;

    /// <summary>
    /// sin and cos of an angle in degrees, exact at multiples of 90° (so the default
    /// LONPOLE = 180° gives sin = 0, not 1.2e-16, and rotations stay exact).
    /// </summary>
    public static (double Sin, double Cos) SinCosDeg(double deg)
    {
        double r = Math.IEEERemainder(deg, 360.0);   // in [-180, 180]
        if (r == 0.0) return (0.0, 1.0);
        if (r == 90.0) return (1.0, 0.0);
        if (r == -90.0) return (-1.0, 0.0);
        if (r == 180.0 || r == -180.0) return (0.0, -1.0);
        return Math.SinCos(r * DegToRad);
    }

    /// <summary>Longitude wrapped into [0, 360).</summary>
    public static double Wrap360(double deg)
    {
        double r = deg % 360.0;
        if (r < 0) r += 360.0;
        return r >= 360.0 ? 0.0 : r;
    }
}
