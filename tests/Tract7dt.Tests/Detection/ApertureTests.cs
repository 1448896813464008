using Tract7dt.Science.Detection;
using Tract7dt.Science.Errors;
using Xunit;

namespace Tract7dt.Tests.Detection;

public class ApertureTests
{
    // sum_circle against SEP: same sub-pixel counts, double sums; 1e-6 relative is the
    // brief's target (differences can only come from summation order).
    private const double SepRelTol = 1e-6;

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.5)]
    [InlineData(3.0)]
    [InlineData(7.3)]
    [InlineData(15.0)]
    public void Ones_sum_to_pi_r_squared(double r)
    {
        const int n = 64, subpix = 5;
        var ones = new float[n * n];
        Array.Fill(ones, 1f);
        double area = Math.PI * r * r;
        // Rigorous bound for one placement: every counted sub-cell (side h = 1/subpix)
        // lies in the annulus r ± h/√2 around the circle, so |sum − πr²| ≤ √2·π·r·h + π·h²/2.
        double h = 1.0 / subpix;
        double oneTol = Math.Sqrt(2) * Math.PI * r * h + Math.PI * h * h / 2;
        var rng = new Random(7);
        const int placements = 400;
        double mean = 0, m2 = 0;
        for (int k = 0; k < placements; k++)
        {
            double x = 30 + rng.NextDouble(), y = 30 + rng.NextDouble();
            var s = Aperture.SumCircle(ones, n, n, x, y, r, PixelNoise.StdDev(1f), subpix: subpix);
            Assert.InRange(s.Flux, area - oneTol, area + oneTol);
            // err 1 everywhere: variance = area = flux.
            Assert.Equal(Math.Sqrt(s.Flux), s.FluxErr, 12);
            Assert.Equal(0, s.Flags);
            double d = s.Flux - mean;
            mean += d / (k + 1);
            m2 += d * (s.Flux - mean);
        }
        // Over uniformly random centres the sub-pixel count is unbiased: its mean is πr²
        // within 5 standard errors (seeded, so this is deterministic).
        double se = Math.Sqrt(m2 / (placements - 1) / placements);
        Assert.InRange(mean, area - 5 * se - 1e-9, area + 5 * se + 1e-9);
    }

    [Fact]
    public void Finer_sampling_converges_to_pi_r_squared()
    {
        const int n = 40;
        var ones = new float[n * n];
        Array.Fill(ones, 1f);
        double r = 6.0;
        double coarse = Math.Abs(Aperture.SumCircle(ones, n, n, 20.2, 19.6, r, subpix: 5).Flux - Math.PI * r * r);
        double fine = Aperture.SumCircle(ones, n, n, 20.2, 19.6, r, subpix: 200).Flux;
        // h = 1/200: the rigorous bound √2·π·r·h + π·h²/2 ≈ 0.134 px²; the error also
        // must shrink against the 5×5 sampling.
        Assert.Equal(Math.PI * r * r, fine, Math.Sqrt(2) * Math.PI * r / 200 + Math.PI / 80000);
        Assert.True(Math.Abs(fine - Math.PI * r * r) < coarse);
    }

    [Fact]
    public void Masked_pixels_are_replaced_by_the_area_correction()
    {
        const int n = 32;
        var ones = new float[n * n];
        Array.Fill(ones, 2f);
        var mask = new byte[n * n];
        mask[16 * n + 16] = 1;
        ones[16 * n + 16] = 1e9f; // hidden by the mask
        var s = Aperture.SumCircle(ones, n, n, 16.0, 16.0, 4.0, default, mask);
        var clean = Aperture.SumCircle(ones, n, n, 10.0, 10.0, 4.0);
        Assert.Equal(SourceFlags.ApertureHasMasked, s.Flags);
        // Uniform data: the area-corrected sum equals the full-aperture sum.
        Assert.Equal(clean.Flux, s.Flux, 9);
    }

    [Fact]
    public void Edge_sets_the_truncation_flag()
    {
        var data = new float[20 * 20];
        Assert.Equal(SourceFlags.ApertureTruncated, Aperture.SumCircle(data, 20, 20, 1.0, 10.0, 3.0).Flags);
        Assert.Equal(0, Aperture.SumCircle(data, 20, 20, 10.0, 10.0, 3.0).Flags);
    }

    [Fact]
    public void Negative_radius_throws_with_code()
    {
        var ex = Assert.Throws<Tract7dtException>(() => Aperture.SumCircle(new float[16], 4, 4, 1, 1, -1));
        Assert.Equal(ErrorCodes.ApertureParameter, ex.Code);
    }

    [Theory]
    [InlineData("r1.0")]
    [InlineData("r3.0")]
    [InlineData("r5.7")]
    public void Sums_match_sep(string key)
    {
        float[] field = SepGolden.Field;
        float[] back = SepGolden.ReadF32("back_mask.f32");
        var sub = new float[field.Length];
        for (int i = 0; i < sub.Length; i++) sub[i] = field[i] - back[i];
        var err = new float[field.Length];
        Array.Fill(err, 2f);
        var ap = SepGolden.Results.GetProperty("sum_circle");
        double[] xs = SepGolden.Doubles(ap.GetProperty("x")), ys = SepGolden.Doubles(ap.GetProperty("y"));
        var g = ap.GetProperty(key);
        double r = g.GetProperty("r").GetDouble();
        int n = xs.Length;
        var f = new double[n]; var fe = new double[n]; var fl = new short[n];

        Aperture.SumCircle(sub, SepGolden.Width, SepGolden.Height, xs, ys, r, f, fe, fl,
            PixelNoise.StdDevMap(err), SepGolden.Mask);
        Compare(g, "flux", "fluxerr", "flag", f, fe, fl);

        Aperture.SumCircle(sub, SepGolden.Width, SepGolden.Height, xs, ys, r, f, fe, fl);
        Compare(g, "flux_nomask", "fluxerr_nomask", "flag_nomask", f, fe, fl);
    }

    private static void Compare(System.Text.Json.JsonElement g, string fk, string ek, string lk,
        double[] f, double[] fe, short[] fl)
    {
        double[] ef = SepGolden.Doubles(g.GetProperty(fk)), ee = SepGolden.Doubles(g.GetProperty(ek));
        int[] el = SepGolden.Ints(g.GetProperty(lk));
        for (int k = 0; k < f.Length; k++)
        {
            Assert.Equal(el[k], fl[k]);
            AssertClose(ef[k], f[k], $"{fk}[{k}]");
            AssertClose(ee[k], fe[k], $"{ek}[{k}]");
        }
    }

    private static void AssertClose(double expected, double actual, string what)
    {
        if (double.IsNaN(expected)) { Assert.True(double.IsNaN(actual), $"{what}: expected NaN, got {actual}"); return; }
        Assert.True(Math.Abs(actual - expected) <= SepRelTol * Math.Abs(expected) + 1e-9,
            $"{what}: expected {expected}, got {actual}");
    }
}
