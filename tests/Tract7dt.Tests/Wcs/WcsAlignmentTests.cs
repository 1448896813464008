using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Wcs;
using Xunit;

namespace Tract7dt.Tests.Wcs;

/// <summary><c>checks.require_wcs_alignment</c> with <c>checks.wcs_tolerance.*</c>.</summary>
public class WcsAlignmentTests
{
    private static readonly WcsTolerance Defaults = WcsTolerance.Default;

    private static TanWcs Wcs(FitsHeader h) => TanWcs.FromHeader(h);

    private static FitsHeader With(FitsHeader h, string key, object value)
    {
        var c = h.Clone();
        c.Set(key, value);
        return c;
    }

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        Assert.Equal(new WcsTolerance(1e-6, 1e-6, 1e-9, 1e-9), Defaults);
    }

    [Theory]
    [InlineData("tan_cd")]
    [InlineData("tan_pc")]
    [InlineData("tan_crota")]
    [InlineData("tan_sip")]
    [InlineData("tpv")]
    public void Identical_headers_pass_even_with_zero_tolerance(string name)
    {
        var h = WcsGolden.Load(name).Header;
        Assert.Null(WcsAlignment.Compare(Wcs(h), Wcs(h.Clone()), new WcsTolerance(0, 0, 0, 0)));
        WcsAlignment.Require(Wcs(h), Wcs(h.Clone()), Defaults, "b.fits", "a.fits");
    }

    [Theory]
    // key, base value, delta inside tolerance, delta outside, tolerance key
    [InlineData("CRVAL1", 150.0, 0.9e-6, 1.1e-6, "crval")]
    [InlineData("CRVAL2", 2.0, 0.9e-6, 1.1e-6, "crval")]
    [InlineData("CRPIX1", 4788.5, 0.9e-6, 1.1e-6, "crpix")]
    [InlineData("CRPIX2", 3194.5, 0.9e-6, 1.1e-6, "crpix")]
    [InlineData("CD1_1", -WcsTestHeaders.Scale, 0.9e-9, 1.1e-9, "cd")]
    [InlineData("CD1_2", 0.0, 0.9e-9, 1.1e-9, "cd")]
    [InlineData("CD2_1", 0.0, 0.9e-9, 1.1e-9, "cd")]
    [InlineData("CD2_2", WcsTestHeaders.Scale, 0.9e-9, 1.1e-9, "cd")]
    public void Each_cd_header_tolerance_is_applied_to_its_keyword(string key, double value, double inside, double outside, string tolKey)
    {
        var reference = Wcs(WcsTestHeaders.TanCd());
        Assert.Null(WcsAlignment.Compare(reference, Wcs(With(WcsTestHeaders.TanCd(), key, value + inside)), Defaults));
        var m = WcsAlignment.Compare(reference, Wcs(With(WcsTestHeaders.TanCd(), key, value + outside)), Defaults);
        Assert.NotNull(m);
        Assert.Equal(key, m!.Keyword);
        Assert.Equal("checks.wcs_tolerance." + tolKey, m.ToleranceKey);
        string text = m.Describe();
        Assert.Contains(key, text);
        Assert.Contains(m.ReferenceValue, text);
        Assert.Contains(m.CandidateValue, text);
        Assert.Contains("checks.wcs_tolerance." + tolKey, text);
    }

    [Theory]
    [InlineData("CDELT1", -WcsTestHeaders.Scale, "cdelt")]
    [InlineData("CDELT2", WcsTestHeaders.Scale, "cdelt")]
    [InlineData("PC1_1", 1.0, "cd")]
    [InlineData("PC2_1", 0.0, "cd")]
    public void Pc_headers_compare_cdelt_and_pc(string key, double value, string tolKey)
    {
        var reference = Wcs(WcsTestHeaders.TanPc());
        Assert.Null(WcsAlignment.Compare(reference, Wcs(With(WcsTestHeaders.TanPc(), key, value + 0.9e-9)), Defaults));
        var m = WcsAlignment.Compare(reference, Wcs(With(WcsTestHeaders.TanPc(), key, value + 1.1e-9)), Defaults);
        Assert.Equal(key, m?.Keyword);
        Assert.Equal("checks.wcs_tolerance." + tolKey, m!.ToleranceKey);
        // A looser configured tolerance lets the same difference through.
        Assert.Null(WcsAlignment.Compare(reference, Wcs(With(WcsTestHeaders.TanPc(), key, value + 1.1e-9)),
            new WcsTolerance(CDelt: 1e-8, Cd: 1e-8)));
    }

    [Fact]
    public void Crota_header_is_compared_through_its_pc_matrix()
    {
        var h = WcsTestHeaders.TanPc();
        foreach (var k in new[] { "PC1_1", "PC1_2", "PC2_1", "PC2_2" }) h.Remove(k);
        h.Set("CROTA2", 10.0);
        var a = Wcs(h);
        Assert.Null(WcsAlignment.Compare(a, Wcs(With(h, "CROTA2", 10.0 + 1e-8)), Defaults));   // ΔPC ≈ 1.7e-10
        var m = WcsAlignment.Compare(a, Wcs(With(h, "CROTA2", 10.0 + 1e-6)), Defaults);        // ΔPC ≈ 1.7e-8
        Assert.StartsWith("PC", m?.Keyword);
    }

    [Fact]
    public void Cd_against_pc_always_differs()
    {
        // Same geometry, different header form: the check (like the original) refuses it.
        var m = WcsAlignment.Compare(Wcs(WcsTestHeaders.TanCd()), Wcs(WcsTestHeaders.TanPc()), new WcsTolerance(1, 1, 1, 1));
        Assert.Equal("CD/PC", m?.Keyword);
        Assert.Null(m!.ToleranceKey);
    }

    [Fact]
    public void Different_ctype_fails_naming_the_keyword()
    {
        var sip = With(WcsTestHeaders.TanCd(), "CTYPE1", "RA---TAN-SIP");
        sip.Set("CTYPE2", "DEC--TAN-SIP");
        var m = WcsAlignment.Compare(Wcs(WcsTestHeaders.TanCd()), Wcs(sip), Defaults);
        Assert.Equal("CTYPE1", m?.Keyword);
        Assert.Equal("'RA---TAN'", m!.ReferenceValue);
        Assert.Equal("'RA---TAN-SIP'", m.CandidateValue);
        Assert.Contains("must be identical", m.Describe());
    }

    [Fact]
    public void Nan_never_passes()
    {
        // A NaN cannot come from a header (the reader refuses it) but can from code.
        var a = Wcs(WcsTestHeaders.TanCd());
        var b = new TanWcs("RA---TAN", "DEC--TAN", double.NaN, 2.0, 4788.5, 3194.5, a.Linear);
        Assert.Equal("CRVAL1", WcsAlignment.Compare(a, b, new WcsTolerance(double.PositiveInfinity, 1, 1, 1))?.Keyword);
    }

    [Fact]
    public void Require_throws_naming_files_keyword_values_and_tolerance()
    {
        var a = Wcs(WcsTestHeaders.TanCd());
        var b = Wcs(With(WcsTestHeaders.TanCd(), "CRPIX2", 3194.5 + 0.25));
        var e = Assert.Throws<Tract7dtException>(() => WcsAlignment.Require(a, b, Defaults, "images/m425.fits", "images/m400.fits"));
        Assert.Equal(ErrorCodes.WcsMismatch, e.Code);
        Assert.StartsWith("WCS mismatch with reference: images/m425.fits", e.Message);
        Assert.Contains("images/m400.fits", e.Message);
        Assert.Contains("CRPIX2 = 3194.75", e.Message);
        Assert.Contains("reference 3194.5", e.Message);
        Assert.Contains("checks.wcs_tolerance.crpix = 1E-06", e.Message);
    }

    [Fact]
    public void Sip_coefficients_are_not_compared()
    {
        var h = WcsGolden.Load("tan_sip").Header;
        Assert.Null(WcsAlignment.Compare(Wcs(h), Wcs(With(h, "A_2_0", 1e-5)), Defaults));
    }
}
