using Tract7dt.Science.Fits;

namespace Tract7dt.Tests.Wcs;

/// <summary>Small hand-made headers for the analytic, alignment and error tests.</summary>
internal static class WcsTestHeaders
{
    /// <summary>7DT pixel scale, 0.505"/px, in degrees.</summary>
    public const double Scale = 0.505 / 3600.0;

    /// <summary>A plain TAN header with a CD matrix (north up, east left).</summary>
    public static FitsHeader TanCd(double crval1 = 150.0, double crval2 = 2.0, double crpix1 = 4788.5, double crpix2 = 3194.5)
    {
        var h = new FitsHeader();
        h.Set("NAXIS", 2);
        h.Set("NAXIS1", 9576);
        h.Set("NAXIS2", 6388);
        h.Set("CTYPE1", "RA---TAN");
        h.Set("CTYPE2", "DEC--TAN");
        h.Set("CRVAL1", crval1);
        h.Set("CRVAL2", crval2);
        h.Set("CRPIX1", crpix1);
        h.Set("CRPIX2", crpix2);
        h.Set("CD1_1", -Scale);
        h.Set("CD1_2", 0.0);
        h.Set("CD2_1", 0.0);
        h.Set("CD2_2", Scale);
        return h;
    }

    /// <summary>The same geometry written as CDELT + PC.</summary>
    public static FitsHeader TanPc()
    {
        var h = TanCd();
        foreach (var k in new[] { "CD1_1", "CD1_2", "CD2_1", "CD2_2" }) h.Remove(k);
        h.Set("CDELT1", -Scale);
        h.Set("CDELT2", Scale);
        h.Set("PC1_1", 1.0);
        h.Set("PC1_2", 0.0);
        h.Set("PC2_1", 0.0);
        h.Set("PC2_2", 1.0);
        return h;
    }
}
