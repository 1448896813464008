namespace Tract7dt.Science.Wcs;

/// <summary>
/// Absolute tolerances of the WCS alignment check (<c>checks.wcs_tolerance.*</c>); a
/// comparison passes when |a − b| ≤ tolerance (NaN never passes). A key missing from the
/// config mapping means tolerance 0 (the config loader fills this record).
/// </summary>
/// <param name="CrVal">CRVAL1/2, header units (deg). Default 1e-6.</param>
/// <param name="CrPix">CRPIX1/2, pixels. Default 1e-6.</param>
/// <param name="Cd">CD elements (deg/px), and PC elements when neither WCS has CD. Default 1e-9.</param>
/// <param name="CDelt">CDELT1/2 (deg/px), only when neither WCS has CD. Default 1e-9.</param>
public sealed record WcsTolerance(double CrVal = 1e-6, double CrPix = 1e-6, double Cd = 1e-9, double CDelt = 1e-9)
{
    /// <summary>The documented defaults.</summary>
    public static WcsTolerance Default { get; } = new();
}
