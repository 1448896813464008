using Tract7dt.Science.Fitting.Profiles;
using Tract7dt.Science.Fitting.Rendering;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Numerics;
using Tract7dt.Science.Psf.Models;
using Xunit;

namespace Tract7dt.Tests.Rendering;

/// <summary>Check values (docs/fitting.md §20) and analytic properties of the profiles.</summary>
public class ProfileAndPsfTests
{
    /// <summary>Appendix A.1 prints 10 significant digits (amplitudes) / 6 (variances).</summary>
    private const double AmpTol = 5e-10, VarRelTol = 5e-6;

    [Theory]
    [InlineData(0.25, new[] { 1.309398951, -4.178466864, 3.869067912 }, new[] { 0.223733, 0.29063, 0.400917 })]
    [InlineData(0.45, new[] { -0.2196569876, 1.219656988 }, new[] { 0.367586, 0.637897 })]
    [InlineData(0.6, new[] { 0.001257910736, 0.02641931301, 0.3123304642, 0.6599923121 }, new[] { 0.0277202, 0.152123, 0.480793, 0.942439 })]
    [InlineData(1.0, new[] { 0.0001998049935, 0.00261784472, 0.01897123479, 0.1001857737, 0.3685531446, 0.5094721972 }, new[] { 0.00120215, 0.00885129, 0.039152, 0.139974, 0.460978, 1.50163 })]
    [InlineData(2.0, new[] { 0.000769, 0.0007245703269, 0.005729448089, 0.02580993023, 0.08344731399, 0.1996078029, 0.3405387877, 0.3433731468 }, new[] { 0, 0.000330023, 0.00228187, 0.0114482, 0.0485424, 0.188988, 0.732207, 3.37063 })]
    [InlineData(3.5, new[] { 0.006622, 0.001524567597, 0.008972274551, 0.02755545152, 0.06545985268, 0.1293439929, 0.2119886957, 0.2779128695, 0.2706202955 }, new[] { 0, 0.000214998, 0.00100893, 0.00429558, 0.0173456, 0.0687613, 0.278094, 1.22187, 7.12481 })]
    [InlineData(5.0, new[] { 0.016839, 0.002623856318, 0.01400058492, 0.03651573173, 0.07418913166, 0.1297948924, 0.1973364863, 0.2546904618, 0.2740098548 }, new[] { 0, 0.000189682, 0.000805513, 0.00329657, 0.0134131, 0.0557539, 0.245659, 1.22663, 8.64798 })]
    [InlineData(7.0, new[] { 0.02722491113, 0.003337868676, 0.01708531831, 0.04115738805, 0.07720284962, 0.1269687697, 0.1864250203, 0.2411003037, 0.2794975705 }, new[] { 0, 0.000164538, 0.000664904, 0.00265766, 0.0108084, 0.0458606, 0.210661, 1.12301, 8.77363 })]
    public void Sersic_mixture_matches_appendix_A1(double n, double[] amps, double[] vars)
    {
        var m = SersicMixture.Get(n);
        Assert.Equal(amps.Length, m.Count);
        for (int i = 0; i < amps.Length; i++)
        {
            Assert.True(Math.Abs(m.Amplitudes[i] - amps[i]) <= AmpTol + 1e-9 * Math.Abs(amps[i]), $"n={n} amp[{i}] {m.Amplitudes[i]} vs {amps[i]}");
            Assert.True(Math.Abs(m.Variances[i] - vars[i]) <= VarRelTol * vars[i] + 1e-12, $"n={n} var[{i}] {m.Variances[i]} vs {vars[i]}");
        }
    }

    [Fact]
    public void Every_profile_has_unit_total_flux()
    {
        // Mixtures are normalised by construction (raw amplitudes / their sum; core + rest = 1).
        const double tol = 1e-12;
        Assert.Equal(1.0, ProfileMixture.Exp.Amplitudes.Sum(), tol);
        Assert.Equal(1.0, ProfileMixture.Dev.Amplitudes.Sum(), tol);
        Assert.Equal(0.010233, ProfileMixture.Dev.Amplitudes[0], 1e-15);
        for (double n = 0.2; n <= 7.0; n += 0.05) Assert.Equal(1.0, SersicMixture.Get(n).Amplitudes.Sum(), tol);
    }

    [Theory]
    [InlineData(3, 0.8, 0, 1.09861228866811, 0.117783035656384, 0, 5.76, 0, 9)]
    [InlineData(3, 0.5, 30, 1.09861228866811, 0.202732554054082, -0.351143083969874, 3.9375, -2.92283573777, 7.3125)]
    [InlineData(1.5, 0.25, -60, 0.405465108108164, -0.458145365937077, 0.793531051055254, 1.72265625, 0.913386168054, 0.66796875)]
    [InlineData(10, 1, 45, 2.30258509299405, 0, 0, 100, 0, 100)]
    public void EllipseESoft_matches_appendix_A2(double r, double q, double phi, double logre, double ee1, double ee2, double xx, double xy, double yy)
    {
        const double tol = 1e-12; // A.2 prints 15 significant digits / 12 for T Tᵀ
        var e = EllipseESoft.FromRAbPhi(r, q, phi);
        Assert.Equal(logre, e.LogRe, tol); Assert.Equal(ee1, e.Ee1, tol); Assert.Equal(ee2, e.Ee2, tol);
        Assert.Equal(q, e.Ab, 1e-12); Assert.Equal(r, e.Re, 1e-12);
        var c = e.UnitPixelCovariance(Matrix2.Identity);
        Assert.Equal(xx, c.Xx, 1e-9); Assert.Equal(xy, c.Xy, 1e-9); Assert.Equal(yy, c.Yy, 1e-9);
        if (q < 1) Assert.Equal(((phi % 180) + 180) % 180, e.PhiDeg, 1e-9);
    }

    [Theory]
    [InlineData(0.25, new float[] { 0.00737827085f, -0.0679972619f, 0.271010578f, 0.892770767f, -0.13327463f, 0.0301122852f, 0 })]
    [InlineData(-0.3, new float[] { 0, 0.0312264096f, -0.142884299f, 0.847630739f, 0.337117761f, -0.0835551843f, 0.010464577f })]
    [InlineData(0.5, new float[] { 0.0244565215f, -0.135869563f, 0.611413062f, 0.611413062f, -0.135869563f, 0.0244565215f, 0 })]
    [InlineData(0.1, new float[] { 0.00116820517f, -0.0237850193f, 0.0938756987f, 0.982460558f, -0.0709619224f, 0.0172424745f, 0 })]
    public void Lanczos_taps_match_appendix_A3(double d, float[] expected)
    {
        Span<float> t = stackalloc float[7];
        Lanczos3.Taps(d, t);
        for (int i = 0; i < 7; i++) Assert.Equal(expected[i], t[i]); // exact f32
    }

    [Fact]
    public void EM_fit_of_the_gaussian_fallback_matches_appendix_A5()
    {
        // 51×51 Gaussian stamp of FWHM 4 (docs/fitting.md §3.5), N = 4.
        double s = 4.0 / 2.3548200450309493;
        int r = 25, n = 2 * r + 1;
        var raw = new double[n * n]; double sum = 0;
        for (int y = -r; y <= r; y++) for (int x = -r; x <= r; x++) { float d2 = (float)x * x + (float)y * y; double v = Math.Exp(-0.5 * d2 / (s * s)); raw[(y + r) * n + x + r] = v; sum += v; }
        var stamp = raw.Select(v => (float)(v / sum)).ToArray();
        var m = GaussianMixturePsf.FromStamp(stamp, n, n, 4).Mixture;
        double[] amps = { 0.1743898719, 0.26015494, 0.2821723995, 0.2832827847 };
        double[] vars = { 2.782316333, 2.89391543, 2.910219418, 2.91628131 };
        const double tol = 1e-7; // A.5 prints 10 digits; EM sums in a different order drift slightly
        for (int k = 0; k < 4; k++)
        {
            Assert.Equal(amps[k], m.Amp[k], tol);
            Assert.Equal(vars[k], m.Vxx[k], 1e-6);
            Assert.Equal(vars[k], m.Vyy[k], 1e-6);
        }
    }

    [Fact]
    public void Moffat_fallback_matches_appendix_A5()
    {
        var p = new MoffatPsf(4.0, 3.5, 25);
        Assert.Equal(4.273605208488048, p.Alpha, 1e-12);
        Assert.Equal(0.0435748696, p.Pixelized.Values[25 * 51 + 25], 1e-9);
        var m = p.Mixture!;
        double[] amps = { 0.5665330046, 0.4009502545, 0.03251674079 };
        double[] vars = { 2.634479663, 8.318028886, 37.20112585 };
        for (int k = 0; k < 3; k++) { Assert.Equal(amps[k], m.Amp[k], 1e-7); Assert.Equal(vars[k], m.Vxx[k], 1e-5); }
    }

    [Fact]
    public void EM_fit_of_the_golden_stamp_matches_the_tractor_hybrid_mixture()
    {
        var gold = GoldenSetup.MixtureFromJson(GoldenSetup.Index.GetProperty("psfs").GetProperty("hybrid").GetProperty("fitted_gauss"));
        var pix = GoldenSetup.Pix;
        var m = HybridPixelizedPsf.FromStamp(pix, 9).Mixture;
        // 1000 EM iterations over 9 nearly degenerate components amplify ulp-level differences
        // of summation order (ours: sequential f64; the reference's C loop) to ~1e-7 relative;
        // 1e-6 relative still pins every component.
        const double rel = 1e-6;
        for (int k = 0; k < 9; k++)
        {
            Assert.Equal(gold.Amp[k], m.Amp[k], rel * gold.Amp[k]);
            Assert.Equal(gold.Vxx[k], m.Vxx[k], rel * gold.Vxx[k]);
            Assert.Equal(gold.Vyy[k], m.Vyy[k], rel * gold.Vyy[k]);
        }
    }

    [Fact]
    public void Pixelized_psf_geometry_matches_appendix_A4()
    {
        var st = new float[55 * 55]; st[27 * 55 + 27] = 1;
        var p = new PixelizedPsf(st, 55, 55);
        Assert.Equal(38.8908729653, p.Radius, 1e-9);
        int h = GalaxyRenderer.HalfSize(4 * 3, 40.3, 44.7, 100, 90, p.Radius);
        Assert.Equal(39, h);
        Assert.Equal(128, GalaxyRenderer.FftSize(h));
        var ft = p.Fourier(128);
        Assert.Equal((63, 63), (ft.Cx, ft.Cy));
        Assert.Equal(new PixelBox(X0: 1, X1: 82, Y0: 5, Y1: 86), GalaxyRenderer.Box(40.3, 44.7, h, 100, 90));
        Assert.Equal(70, GalaxyRenderer.HalfSize(8 * Math.Exp(Math.Log(12)), 30.2, 60.9, 100, 90, p.Radius));
        // re = exp(ln 9) = 9.000000000000002 in the reference, so 8·re just exceeds 72
        int h3 = GalaxyRenderer.HalfSize(8 * Math.Exp(Math.Log(9)), 95.2, 3.3, 100, 90, p.Radius);
        Assert.Equal(73, h3);
        Assert.Equal(new PixelBox(X0: 22, X1: 100, Y0: 0, Y1: 79), GalaxyRenderer.Box(95.2, 3.3, h3, 100, 90));
        Assert.Throws<Tract7dt.Science.Errors.Tract7dtException>(() => new PixelizedPsf(new float[4 * 5], 4, 5));
    }

    [Fact]
    public void Fft_round_trips_and_matches_a_direct_dft()
    {
        var rng = new Random(7);
        foreach (int n in new[] { 2, 4, 8, 16, 64 })
        {
            var img = Enumerable.Range(0, n * n).Select(_ => (float)rng.NextDouble()).ToArray();
            int m = n / 2 + 1;
            var re = new double[n * m]; var im = new double[n * m];
            Radix2Fft.Rfft2(img, n, re, im);
            // direct DFT of one coefficient
            int kr = n / 2, kc = m - 1; double dr = 0, di = 0;
            for (int y = 0; y < n; y++) for (int x = 0; x < n; x++) { double a = -2 * Math.PI * ((double)kr * y / n + (double)kc * x / n); dr += img[y * n + x] * Math.Cos(a); di += img[y * n + x] * Math.Sin(a); }
            Assert.Equal(dr, re[kr * m + kc], 1e-9); Assert.Equal(di, im[kr * m + kc], 1e-9);
            var back = new float[n * n];
            Radix2Fft.Irfft2(re, im, n, back, new double[4 * n]);
            for (int i = 0; i < img.Length; i++) Assert.Equal(img[i], back[i], 1e-6f);
        }
    }
}
