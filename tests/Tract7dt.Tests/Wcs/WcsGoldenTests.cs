using Tract7dt.Science.Wcs;
using Xunit;
using Xunit.Abstractions;

namespace Tract7dt.Tests.Wcs;

/// <summary>
/// Our TAN / TAN-SIP / TPV against astropy's all_pix2world / all_world2pix (origin 0) on
/// 1205 pixel points and 1100 sky points per header, spread over the 9576×6388 frame and
/// 500 px beyond it.
/// </summary>
public class WcsGoldenTests(ITestOutputHelper output)
{
    /// <summary>Sky agreement, deg: the brief's bound. Both sides are double-precision
    /// evaluations of the same formulas, so the real differences are ~1e-13 deg.</summary>
    private const double SkyTolDeg = 1e-9;
    /// <summary>Pixel agreement: the brief's bound; astropy's inverse was run to 1e-12 px.</summary>
    private const double PixTol = 1e-6;
    /// <summary>Pixel scale: astropy prints the same formula; only rounding differs.</summary>
    private const double ScaleRelTol = 1e-12;

    public static IEnumerable<object[]> Cases() => WcsGolden.Names.Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Cases))]
    public void PixelToSky_matches_astropy(string name)
    {
        var g = WcsGolden.Load(name);
        var wcs = TanWcs.FromHeader(g.Header, name + ".json");
        var ra = new double[g.PixX.Length];
        var dec = new double[g.PixX.Length];
        wcs.PixelToSky(g.PixX, g.PixY, ra, dec);
        double worst = 0;
        for (int i = 0; i < ra.Length; i++)
        {
            // Compare on the sky: RA differences shrink by cos(dec) and wrap at 360.
            double dra = Math.IEEERemainder(ra[i] - g.PixRa[i], 360.0) * Math.Cos(dec[i] * Math.PI / 180);
            double ddec = dec[i] - g.PixDec[i];
            worst = Math.Max(worst, Math.Max(Math.Abs(dra), Math.Abs(ddec)));
            Assert.InRange(ra[i], 0.0, 360.0);
        }
        output.WriteLine($"{name}: worst sky difference {worst:E3} deg");
        Assert.True(worst <= SkyTolDeg, $"{name}: worst sky difference {worst:E3} deg");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SkyToPixel_matches_astropy(string name)
    {
        var g = WcsGolden.Load(name);
        var wcs = TanWcs.FromHeader(g.Header, name + ".json");
        var x = new double[g.SkyRa.Length];
        var y = new double[g.SkyRa.Length];
        wcs.SkyToPixel(g.SkyRa, g.SkyDec, x, y);
        double worst = 0;
        for (int i = 0; i < x.Length; i++)
            worst = Math.Max(worst, Math.Max(Math.Abs(x[i] - g.SkyX[i]), Math.Abs(y[i] - g.SkyY[i])));
        output.WriteLine($"{name}: worst sky->pixel difference {worst:E3} px");
        Assert.True(worst <= PixTol, $"{name}: worst pixel difference {worst:E3} px");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pixel_sky_pixel_round_trip_closes(string name)
    {
        var g = WcsGolden.Load(name);
        var wcs = TanWcs.FromHeader(g.Header);
        double worst = 0;
        for (int i = 0; i < g.PixX.Length; i++)
        {
            var (ra, dec) = wcs.PixelToSky(g.PixX[i], g.PixY[i]);
            var (x, y) = wcs.SkyToPixel(ra, dec);
            worst = Math.Max(worst, Math.Max(Math.Abs(x - g.PixX[i]), Math.Abs(y - g.PixY[i])));
        }
        output.WriteLine($"{name}: worst round trip {worst:E3} px");
        Assert.True(worst <= PixTol, $"{name}: worst round-trip error {worst:E3} px");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Projection_plane_pixel_scales_match_astropy(string name)
    {
        var g = WcsGolden.Load(name);
        var (s1, s2) = TanWcs.FromHeader(g.Header).ProjectionPlanePixelScalesArcsec();
        Assert.Equal(g.PixScaleArcsec[0], s1, g.PixScaleArcsec[0] * ScaleRelTol);
        Assert.Equal(g.PixScaleArcsec[1], s2, g.PixScaleArcsec[1] * ScaleRelTol);
    }
}
