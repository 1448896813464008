using Tract7dt.Science.Fits;
using Tract7dt.Science.Wcs;

namespace Tract7dt.Science.Patches;

/// <summary>
/// The seeing FWHM a band's header gives, in pixels, for the fallback PSF
/// (docs/fitting.md §3.3; README.md, Differences #13: the documented units): <c>PEEING</c>
/// [pix] when the keyword exists, else <c>SEEING</c> [arcsec] divided by the WCS pixel scale [arcsec/pix].
/// </summary>
public static class HeaderSeeing
{
    /// <summary>The FWHM [pix], or null when the header gives no finite positive value.</summary>
    public static double? FwhmPix(FitsHeader header, TanWcs? wcs)
    {
        if (header.Contains("PEEING"))
        {
            double? p = header.GetDouble("PEEING");
            return p is { } v && double.IsFinite(v) && v > 0 ? v : null;
        }
        if (header.GetDouble("SEEING") is { } s && double.IsFinite(s) && s > 0 && wcs is not null)
        {
            double scale = wcs.MeanPixelScaleArcsec();
            if (double.IsFinite(scale) && scale > 0) return s / scale;
        }
        return null;
    }
}
