using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Wcs;
using Xunit;

namespace Tract7dt.Tests.Wcs;

/// <summary>Headers we cannot use give a coded error naming the file and the keyword.</summary>
public class WcsHeaderErrorTests
{
    private const string File = "tile/m400.fits";

    private static Tract7dtException Fails(FitsHeader h, string code)
    {
        var e = Assert.Throws<Tract7dtException>(() => TanWcs.FromHeader(h, File));
        Assert.Equal(code, e.Code);
        Assert.Contains(File, e.Message);
        return e;
    }

    private static FitsHeader Tan() => WcsTestHeaders.TanCd();

    [Fact]
    public void No_ctype_is_a_missing_wcs()
    {
        var h = Tan();
        h.Remove("CTYPE1");
        h.Remove("CTYPE2");
        Assert.Contains("CTYPE1", Fails(h, ErrorCodes.WcsMissing).Message);
    }

    [Fact]
    public void Linear_axes_are_not_celestial()
    {
        var h = Tan();
        h.Set("CTYPE1", "PIXEL");
        h.Set("CTYPE2", "PIXEL");
        Assert.Contains("PIXEL", Fails(h, ErrorCodes.WcsMissing).Message);
    }

    [Theory]
    [InlineData("RA---SIN", "DEC--SIN")]
    [InlineData("RA---ZEA", "DEC--ZEA")]
    [InlineData("RA---TAN", "DEC--SIN")]
    [InlineData("RA---TPV-SIP", "DEC--TPV-SIP")]
    public void Other_projections_are_unsupported(string c1, string c2)
    {
        var h = Tan();
        h.Set("CTYPE1", c1);
        h.Set("CTYPE2", c2);
        Assert.Contains(c1, Fails(h, ErrorCodes.WcsUnsupported).Message);
    }

    [Fact]
    public void Latitude_first_is_unsupported()
    {
        var h = Tan();
        h.Set("CTYPE1", "DEC--TAN");
        h.Set("CTYPE2", "RA---TAN");
        Assert.Contains("latitude on axis 1", Fails(h, ErrorCodes.WcsUnsupported).Message);
    }

    [Fact]
    public void Non_degree_units_are_unsupported()
    {
        var h = Tan();
        h.Set("CUNIT1", "arcsec");
        Assert.Contains("CUNIT1 = 'arcsec'", Fails(h, ErrorCodes.WcsUnsupported).Message);
        h.Set("CUNIT1", "DEG");   // case does not matter
        TanWcs.FromHeader(h, File);
    }

    [Theory]
    [InlineData("CRVAL1")]
    [InlineData("CRVAL2")]
    [InlineData("CRPIX1")]
    [InlineData("CRPIX2")]
    public void Missing_reference_keywords_are_named(string key)
    {
        var h = Tan();
        h.Remove(key);
        Assert.Contains(key + " is absent", Fails(h, ErrorCodes.WcsBadKeyword).Message);
    }

    [Fact]
    public void Non_numeric_values_are_named_with_their_text()
    {
        var h = Tan();
        h.Set("CRPIX1", "abc");
        Assert.Contains("CRPIX1 = abc", Fails(h, ErrorCodes.WcsBadKeyword).Message);
        h = Tan();
        h.Set("CD1_1", null);
        Assert.Contains("CD1_1 = (undefined)", Fails(h, ErrorCodes.WcsBadKeyword).Message);
        h = Tan();
        h.Set("CRVAL2", 95.0);
        Assert.Contains("CRVAL2 = 95", Fails(h, ErrorCodes.WcsBadKeyword).Message);
    }

    [Fact]
    public void Quoted_and_fortran_numbers_are_accepted()
    {
        var h = Tan();
        h.Set("CRVAL1", "150.0");
        h.Set("CD2_2", WcsTestHeaders.Scale.ToString("E16", System.Globalization.CultureInfo.InvariantCulture).Replace('E', 'D'));
        var wcs = TanWcs.FromHeader(h, File);
        Assert.Equal(150.0, wcs.CrVal1);
        Assert.Equal(WcsTestHeaders.Scale, wcs.Linear.M22, 1e-18);
    }

    [Fact]
    public void No_pixel_scale_and_singular_matrices_are_refused()
    {
        var h = Tan();
        foreach (var k in new[] { "CD1_1", "CD1_2", "CD2_1", "CD2_2" }) h.Remove(k);
        Assert.Contains("CDELT1", Fails(h, ErrorCodes.WcsBadKeyword).Message);
        h.Set("CDELT1", 0.0);
        h.Set("CDELT2", 1e-4);
        Assert.Contains("CDELT1 = 0", Fails(h, ErrorCodes.WcsSingularMatrix).Message);
        h = Tan();
        h.Set("CD2_2", 0.0);
        Fails(h, ErrorCodes.WcsSingularMatrix);
    }

    [Fact]
    public void Sip_needs_both_polynomials_and_an_integer_order()
    {
        var h = Tan();
        h.Set("CTYPE1", "RA---TAN-SIP");
        h.Set("CTYPE2", "DEC--TAN-SIP");
        h.Set("A_ORDER", 2);
        h.Set("A_2_0", 1e-7);
        Assert.Contains("B_ORDER", Fails(h, ErrorCodes.WcsBadDistortion).Message);
        h.Set("B_ORDER", 2.5);
        Assert.Contains("B_ORDER = 2.5", Fails(h, ErrorCodes.WcsBadDistortion).Message);
        h.Set("B_ORDER", 2);
        Assert.NotNull(TanWcs.FromHeader(h, File).Sip);
    }

    [Fact]
    public void Tpv_without_linear_terms_is_degenerate()
    {
        var h = Tan();
        h.Set("CTYPE1", "RA---TPV");
        h.Set("CTYPE2", "DEC--TPV");
        Assert.Contains("PV1_1", Fails(h, ErrorCodes.WcsBadDistortion).Message);
        h.Set("PV1_1", 1.0);
        h.Set("PV2_1", 1.0);
        Assert.NotNull(TanWcs.FromHeader(h, File).Tpv);
        h.Set("A_ORDER", 2);
        h.Set("B_ORDER", 2);
        Assert.Contains("A_ORDER", Fails(h, ErrorCodes.WcsBadDistortion).Message);
    }

    [Fact]
    public void Pv_cards_with_a_tan_ctype_are_refused_with_a_hint()
    {
        // The pre-2012 SCAMP convention; astropy 5.2 rejects PV1_5 on a TAN axis.
        var h = Tan();
        h.Set("PV1_1", 1.0);
        h.Set("PV1_5", 1e-3);
        var e = Fails(h, ErrorCodes.WcsBadDistortion);
        Assert.Contains("PV1_1", e.Message);
        Assert.Contains("RA---TPV", e.Message);
    }

    [Fact]
    public void Without_a_file_name_the_message_says_the_header()
    {
        var h = Tan();
        h.Remove("CRVAL1");
        var e = Assert.Throws<Tract7dtException>(() => TanWcs.FromHeader(h));
        Assert.Contains("the FITS header", e.Message);
    }

    [Fact]
    public void Precedence_and_defaults_follow_wcslib()
    {
        // PC beats CD; CROTA2 only without PC/CD; LONPOLE default 180°.
        var h = WcsTestHeaders.TanPc();
        h.Set("CD1_1", 1.0);
        h.Set("CROTA2", 45.0);
        var w = TanWcs.FromHeader(h);
        Assert.Equal(WcsLinearForm.PcCdelt, w.Linear.Form);
        Assert.Equal(-WcsTestHeaders.Scale, w.Linear.M11);
        Assert.Equal(180.0, w.LonPole);
        Assert.Null(w.LonPoleGiven);
        // SIP coefficients without the -SIP suffix are applied (astropy does, with a warning).
        h = Tan();
        h.Set("A_ORDER", 2);
        h.Set("B_ORDER", 2);
        h.Set("A_2_0", 1e-6);
        Assert.NotNull(TanWcs.FromHeader(h).Sip);
    }
}
