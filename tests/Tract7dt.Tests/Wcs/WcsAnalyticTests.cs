using Tract7dt.Science.Fits;
using Tract7dt.Science.Wcs;
using Xunit;

namespace Tract7dt.Tests.Wcs;

/// <summary>Closed-form checks of the TAN projection and the WCS utilities.</summary>
public class WcsAnalyticTests
{
    /// <summary>Double-precision evaluation of the same formula by a different route: a few ulp of 360°.</summary>
    private const double ExactDeg = 1e-12;
    /// <summary>Pixel-level identities (shift, write/read): rounding of ~5000-px offsets.</summary>
    private const double ExactPix = 1e-9;
    private const double D2R = Math.PI / 180.0;

    [Fact]
    public void Reference_pixel_maps_to_crval_for_every_golden_header()
    {
        foreach (var name in WcsGolden.Names)
        {
            var wcs = TanWcs.FromHeader(WcsGolden.Load(name).Header);
            var (x0, y0) = wcs.ReferencePixel;
            Assert.Equal(wcs.CrPix1 - 1, x0);   // 0-based API, 1-based CRPIX
            var (ra, dec) = wcs.PixelToSky(x0, y0);
            // TPV constant terms PV1_0/PV2_0 (deg) move the reference point by their length.
            double offset = wcs.Tpv is { } t ? Math.Sqrt(t.Pv1[0] * t.Pv1[0] + t.Pv2[0] * t.Pv2[0]) : 0.0;
            Assert.Equal(offset, SkyMath.SeparationDeg(ra, dec, wcs.CrVal1, wcs.CrVal2), ExactDeg);
        }
    }

    [Fact]
    public void Tan_at_equator_matches_the_gnomonic_formulae()
    {
        // CRVAL = (0, 0): ra = atan(ξ), dec = atan(η / sqrt(1 + ξ²)) with ξ, η in radians.
        var wcs = TanWcs.FromHeader(WcsTestHeaders.TanCd(0.0, 0.0, 1.0, 1.0));
        var rng = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            double x = rng.NextDouble() * 40000 - 20000, y = rng.NextDouble() * 40000 - 20000;
            double xi = -WcsTestHeaders.Scale * x * D2R, eta = WcsTestHeaders.Scale * y * D2R;
            double raExp = Math.Atan(xi) / D2R, decExp = Math.Atan(eta / Math.Sqrt(1 + xi * xi)) / D2R;
            var (ra, dec) = wcs.PixelToSky(x, y);
            Assert.Equal(raExp < 0 ? raExp + 360 : raExp, ra, ExactDeg);
            Assert.Equal(decExp, dec, ExactDeg);
            var (bx, by) = wcs.SkyToPixel(ra, dec);
            Assert.Equal(x, bx, ExactPix * 10);
            Assert.Equal(y, by, ExactPix * 10);
        }
    }

    [Fact]
    public void Tan_at_the_pole_puts_points_at_90_minus_atan_R()
    {
        var h = WcsTestHeaders.TanCd(30.0, 90.0, 1.0, 1.0);
        var wcs = TanWcs.FromHeader(h);
        Assert.Equal(0.0, wcs.LonPole);   // default φp is 0° when CRVAL2 = 90° (Paper II §2.4)
        foreach (var (x, y) in new[] { (1000.0, 0.0), (0.0, -5000.0), (3000.0, 4000.0) })
        {
            double r = WcsTestHeaders.Scale * Math.Sqrt(x * x + y * y) * D2R;
            var (_, dec) = wcs.PixelToSky(x, y);
            Assert.Equal(90.0 - Math.Atan(r) / D2R, dec, ExactDeg);
        }
        // With φp = 0 and δp = 90°, α = CRVAL1 + φ + 180°: +y (φ = 180°) lies along
        // RA = CRVAL1 and +x (east-left CD, φ = 270°) along CRVAL1 + 90° (astropy gives
        // 30° and 120° for these two pixels).
        Assert.Equal(30.0, wcs.PixelToSky(0.0, 1000.0).Ra, 1e-9);
        Assert.Equal(120.0, wcs.PixelToSky(1000.0, 0.0).Ra, 1e-9);
    }

    [Fact]
    public void Pixel_scale_at_a_point_follows_the_tan_solid_angle()
    {
        // A TAN pixel at distance R (rad) from the tangent point subtends s²·cos³θ = s²/(1+R²)^(3/2).
        var wcs = TanWcs.FromHeader(WcsTestHeaders.TanCd());
        double s = WcsTestHeaders.Scale * 3600.0;
        var (x0, y0) = wcs.ReferencePixel;
        Assert.Equal(s, wcs.PixelScaleArcsecAt(x0, y0), s * 1e-9);
        double x = 9575, y = 6387;
        double r = WcsTestHeaders.Scale * D2R * Math.Sqrt((x - x0) * (x - x0) + (y - y0) * (y - y0));
        double expected = s * Math.Pow(1 + r * r, -0.75);
        // Central differences over ±0.5 px: relative error ~ (0.5 px / distance)², far below 1e-9.
        Assert.Equal(expected, wcs.PixelScaleArcsecAt(x, y), s * 1e-9);
        Assert.NotEqual(s, expected, s * 1e-6);   // the projection effect is real at the corner
        Assert.Equal(s, wcs.MeanPixelScaleArcsec(), s * 1e-12);
    }

    [Fact]
    public void Pixel_scale_at_a_point_includes_sip_distortion()
    {
        var wcs = TanWcs.FromHeader(WcsGolden.Load("tan_sip").Header);
        // Away from CRPIX the SIP Jacobian changes the local scale by ~1e-4 relative.
        double corner = wcs.PixelScaleArcsecAt(0, 0);
        double flat = Math.Sqrt(Math.Abs(wcs.Linear.Determinant)) * 3600.0;
        var sip = wcs.Sip!;
        var (x0, y0) = wcs.ReferencePixel;
        sip.A.Evaluate(-x0, -y0, out double au, out double av);
        sip.B.Evaluate(-x0, -y0, out double bu, out double bv);
        double jac = Math.Abs((1 + au) * (1 + bv) - av * bu);
        double r2 = 0;
        {
            double u = -x0 + sip.A.Evaluate(-x0, -y0), v = -y0 + sip.B.Evaluate(-x0, -y0);
            double xi = (wcs.Linear.M11 * u + wcs.Linear.M12 * v) * D2R, eta = (wcs.Linear.M21 * u + wcs.Linear.M22 * v) * D2R;
            r2 = xi * xi + eta * eta;
        }
        double expected = flat * Math.Sqrt(jac) * Math.Pow(1 + r2, -0.75);
        Assert.Equal(expected, corner, flat * 1e-8);
    }

    [Theory]
    [InlineData("tan_cd")]
    [InlineData("tan_sip")]
    [InlineData("tpv")]
    public void Shift_gives_the_wcs_of_a_cropped_image(string name)
    {
        var wcs = TanWcs.FromHeader(WcsGolden.Load(name).Header);
        const double dx = 137, dy = 59;   // crop [59:, 137:]
        var crop = wcs.Shift(dx, dy);
        Assert.Equal(wcs.CrPix1 - dx, crop.CrPix1);
        Assert.Equal(wcs.CrPix2 - dy, crop.CrPix2);
        var rng = new Random(11);
        for (int i = 0; i < 100; i++)
        {
            double x = rng.NextDouble() * 9576, y = rng.NextDouble() * 6388;
            var (ra, dec) = wcs.PixelToSky(x, y);
            var (cra, cdec) = crop.PixelToSky(x - dx, y - dy);
            Assert.Equal(ra, cra, ExactDeg);
            Assert.Equal(dec, cdec, ExactDeg);
            var (cx, cy) = crop.SkyToPixel(ra, dec);
            Assert.Equal(x - dx, cx, ExactPix);
            Assert.Equal(y - dy, cy, ExactPix);
        }
    }

    [Theory]
    [InlineData("tan_cd")]
    [InlineData("tan_pc")]
    [InlineData("tan_crota")]
    [InlineData("tan_sip")]
    [InlineData("tpv")]
    public void WriteTo_then_FromHeader_reproduces_the_wcs(string name)
    {
        var g = WcsGolden.Load(name);
        var wcs = TanWcs.FromHeader(g.Header).Shift(25, 40);
        // Start from a header holding a contradicting WCS: every stale card must go.
        var h = WcsTestHeaders.TanCd();
        h.Set("PC1_1", 0.5);
        h.Set("A_ORDER", 2);
        h.Set("A_2_0", 1e-3);
        h.Set("PV1_7", 1.0);
        h.Set("FILTER", "m400");
        wcs.WriteTo(h);
        Assert.Equal("m400", h.GetString("FILTER"));
        var back = TanWcs.FromHeader(h, "written");
        Assert.Null(WcsAlignment.Compare(wcs, back, new WcsTolerance(0, 0, 0, 0)));
        Assert.Equal(wcs.Linear.Form, back.Linear.Form);
        for (int i = 0; i < 200; i++)
        {
            var (a, b) = wcs.PixelToSky(g.PixX[i], g.PixY[i]);
            var (c, d) = back.PixelToSky(g.PixX[i], g.PixY[i]);
            Assert.Equal(a, c);
            Assert.Equal(b, d);
        }
        if (wcs.Sip is not null)
        {
            Assert.EndsWith("-SIP", h.GetString("CTYPE1"));
            Assert.NotNull(back.Sip!.AP);
        }
        else
        {
            Assert.False(h.Contains("A_ORDER"));
        }
        if (wcs.Tpv is null) Assert.False(h.Contains("PV1_7"));
    }

    [Fact]
    public void Batch_transforms_validate_lengths_and_allow_in_place()
    {
        var wcs = TanWcs.FromHeader(WcsGolden.Load("tan_sip").Header);
        Assert.Throws<ArgumentException>(() => wcs.PixelToSky(new double[3], new double[3], new double[2], new double[3]));
        Assert.Throws<ArgumentException>(() => wcs.SkyToPixel(new double[3], new double[2], new double[3], new double[3]));
        wcs.PixelToSky(ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty, Span<double>.Empty, Span<double>.Empty);

        for (int n = 0; n <= 17; n++)
        {
            var a = new double[n];
            var b = new double[n];
            for (int i = 0; i < n; i++) { a[i] = 100 + 500 * i; b[i] = 6000 - 300 * i; }
            var x = (double[])a.Clone();
            var y = (double[])b.Clone();
            wcs.PixelToSky(a, b, a, b);   // in place: a, b now hold RA, Dec
            for (int i = 0; i < n; i++) Assert.Equal(wcs.PixelToSky(x[i], y[i]), (a[i], b[i]));
            wcs.SkyToPixel(a, b, a, b);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(x[i], a[i], ExactPix);
                Assert.Equal(y[i], b[i], ExactPix);
            }
        }
    }

    [Fact]
    public void Non_finite_and_unreachable_inputs_give_NaN()
    {
        var wcs = TanWcs.FromHeader(WcsGolden.Load("tan_sip").Header);
        var (r, d) = wcs.PixelToSky(double.NaN, 10);
        Assert.True(double.IsNaN(r) && double.IsNaN(d));
        var (x, y) = wcs.SkyToPixel(double.NaN, 0);
        Assert.True(double.IsNaN(x) && double.IsNaN(y));
        (x, y) = wcs.SkyToPixel(double.PositiveInfinity, 0);
        Assert.True(double.IsNaN(x) && double.IsNaN(y));
        // Antipode of the tangent point and a point 90° away: beyond / on the TAN horizon.
        (x, y) = wcs.SkyToPixel(wcs.CrVal1 + 180, -wcs.CrVal2);
        Assert.True(double.IsNaN(x) && double.IsNaN(y));
        (x, y) = wcs.SkyToPixel(wcs.CrVal1 + 90, 0);
        Assert.True(double.IsNaN(x) && double.IsNaN(y));
    }

    [Fact]
    public void Far_outside_the_sip_region_the_inverse_is_NaN_or_exact()
    {
        // 5–30° from the centre the SIP polynomial is meaningless; Newton may fail there,
        // but whatever it returns must still be a true inverse.
        var wcs = TanWcs.FromHeader(WcsGolden.Load("tan_sip").Header);
        foreach (double off in new[] { 1.0, 5.0, 10.0, 30.0 })
        {
            var (x, y) = wcs.SkyToPixel(wcs.CrVal1 + off, wcs.CrVal2);
            if (double.IsNaN(x)) continue;
            var (ra, dec) = wcs.PixelToSky(x, y);
            Assert.True(SkyMath.SeparationArcsec(ra, dec, wcs.CrVal1 + off, wcs.CrVal2) < 1e-6, $"offset {off} deg");
        }
    }

    [Fact]
    public void Sip_polynomial_value_and_gradient_match_the_direct_sum()
    {
        var sip = TanWcs.FromHeader(WcsGolden.Load("tan_sip").Header).Sip!;
        var rng = new Random(3);
        for (int i = 0; i < 50; i++)
        {
            double u = rng.NextDouble() * 10000 - 5000, v = rng.NextDouble() * 7000 - 3500;
            double direct = 0, du = 0, dv = 0;
            for (int p = 0; p <= sip.A.Order; p++)
                for (int q = 0; p + q <= sip.A.Order; q++)
                {
                    double c = sip.A[p, q];
                    direct += c * Math.Pow(u, p) * Math.Pow(v, q);
                    if (p > 0) du += c * p * Math.Pow(u, p - 1) * Math.Pow(v, q);
                    if (q > 0) dv += c * q * Math.Pow(u, p) * Math.Pow(v, q - 1);
                }
            double f = sip.A.Evaluate(u, v, out double fu, out double fv);
            Assert.Equal(direct, f, 1e-12);
            Assert.Equal(direct, sip.A.Evaluate(u, v), 1e-12);
            Assert.Equal(du, fu, 1e-15);
            Assert.Equal(dv, fv, 1e-15);
        }
    }

    [Fact]
    public void Tpv_jacobian_matches_finite_differences()
    {
        var tpv = TanWcs.FromHeader(WcsGolden.Load("tpv").Header).Tpv!;
        var rng = new Random(5);
        const double h = 1e-6;   // deg; central-difference error ~h² · (third derivative) ≪ 1e-9
        for (int i = 0; i < 50; i++)
        {
            double x = rng.NextDouble() * 1.4 - 0.7, y = rng.NextDouble() * 1.0 - 0.5;
            tpv.Apply(x, y, out double j11, out double j12, out double j21, out double j22);
            var (ax, ay) = tpv.Apply(x + h, y); var (bx, by) = tpv.Apply(x - h, y);
            var (cx, cy) = tpv.Apply(x, y + h); var (dx, dy) = tpv.Apply(x, y - h);
            Assert.Equal((ax - bx) / (2 * h), j11, 1e-8);
            Assert.Equal((ay - by) / (2 * h), j21, 1e-8);
            Assert.Equal((cx - dx) / (2 * h), j12, 1e-8);
            Assert.Equal((cy - dy) / (2 * h), j22, 1e-8);
        }
    }

    [Fact]
    public void Angular_separation_is_exact_on_known_pairs()
    {
        Assert.Equal(90.0, SkyMath.SeparationDeg(0, 0, 90, 0), ExactDeg);
        Assert.Equal(180.0, SkyMath.SeparationDeg(10, 20, 190, -20), ExactDeg);
        Assert.Equal(2.0, SkyMath.SeparationDeg(10, 89, 190, 89), ExactDeg);
        Assert.Equal(0.0, SkyMath.SeparationDeg(123.4, -45.6, 123.4, -45.6));
        // 359.9999 itself is only stored to ~6e-14 deg.
        Assert.Equal(2e-4, SkyMath.SeparationDeg(359.9999, 0, 0.0001, 0), 1e-12);
        // Tiny separations keep full relative precision (arccos would return 0 here).
        Assert.Equal(1e-10, SkyMath.SeparationDeg(50, 0, 50, 1e-10), 1e-22);
        Assert.Equal(1e-10, SkyMath.SeparationDeg(50, 1e-10, 50, 2e-10), 1e-22);
        Assert.Equal(3600.0, SkyMath.SeparationArcsec(0, 0, 0, 1), 1e-9);
        Assert.True(double.IsNaN(SkyMath.SeparationDeg(double.NaN, 0, 0, 0)));
        // Cos(dec) shrinkage of RA offsets: 1° of RA at dec 60° is ≈ 0.5°.
        Assert.Equal(0.5, SkyMath.SeparationDeg(0, 60, 1, 60), 1e-4);
    }
}
