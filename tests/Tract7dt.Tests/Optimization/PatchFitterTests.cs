using Tract7dt.Science.Errors;
using Tract7dt.Science.Fitting;
using Tract7dt.Science.Fitting.Optimization;
using Tract7dt.Science.Fitting.Patch;
using Xunit;

namespace Tract7dt.Tests.Optimization;

public class ApertureAndInitTests
{
    /// <summary>5×5 sub-sampling of the edge pixels leaves an area error of a few sub-pixels
    /// (0.04 px² each); SEP itself is up to 0.38 px² low here (r = 5): allow 0.5 px².</summary>
    private const double ApertureAreaAbsTol = 0.5;

    /// <summary>SEP sums in f64 over the same samples: agreement to round-off.</summary>
    private const double SepRelTol = 1e-12;

    [Theory]
    [InlineData(20.0, 20.0, 3.0)]
    [InlineData(20.3, 19.6, 5.0)]
    [InlineData(19.5, 20.5, 1.5)]
    public void Aperture_over_ones_is_pi_r_squared(double x, double y, double r)
    {
        var ones = Enumerable.Repeat(1f, 40 * 40).ToArray();
        var mask = new bool[40 * 40];
        double s = ApertureSum.SumCircle(ones, mask, 40, 40, x, y, r);
        Assert.Equal(Math.PI * r * r, s, ApertureAreaAbsTol);
        // Masking pixels replaces them by the mean of the rest: the sum over ones is unchanged.
        for (int i = 0; i < mask.Length; i += 3) mask[i] = true;
        Assert.Equal(s, ApertureSum.SumCircle(ones, mask, 40, 40, x, y, r), 1e-9);
        Assert.True(double.IsNaN(ApertureSum.SumCircle(ones, Enumerable.Repeat(true, 1600).ToArray(), 40, 40, x, y, r)));
    }

    [Fact]
    public void Aperture_matches_sep_sum_circle()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(
            Path.Combine(AppContext.BaseDirectory, "Golden", "Optimization", "aperture_sep.json")));
        var root = doc.RootElement;
        int h = root.GetProperty("shape")[0].GetInt32(), w = root.GetProperty("shape")[1].GetInt32();
        var data = root.GetProperty("data").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        var mask = root.GetProperty("mask").EnumerateArray().Select(v => v.GetInt32() != 0).ToArray();
        var ones = Enumerable.Repeat(1f, w * h).ToArray();
        var none = new bool[w * h];
        foreach (var c in root.GetProperty("cases").EnumerateArray())
        {
            double x = c.GetProperty("x").GetDouble(), y = c.GetProperty("y").GetDouble(), r = c.GetProperty("r").GetDouble();
            void Check(double expected, double actual) => Assert.Equal(expected, actual, Math.Abs(expected) * SepRelTol + 1e-12);
            Check(c.GetProperty("ones").GetDouble(), ApertureSum.SumCircle(ones, none, w, h, x, y, r));
            Check(c.GetProperty("data").GetDouble(), ApertureSum.SumCircle(data, none, w, h, x, y, r));
            Check(c.GetProperty("masked").GetDouble(), ApertureSum.SumCircle(data, mask, w, h, x, y, r));
        }
    }

    [Theory] // docs/fitting.md §20
    [InlineData(3.0, 0.8, 0.0, 1.09861228866811, 0.117783035656384, 0.0)]
    [InlineData(3.0, 0.5, 30.0, 1.09861228866811, 0.202732554054082, -0.351143083969874)]
    [InlineData(1.5, 0.25, -60.0, 0.405465108108164, -0.458145365937077, 0.793531051055254)]
    public void Soft_ellipse_matches_check_values(double r, double q, double phi, double logre, double ee1, double ee2)
    {
        var (l, e1, e2) = SourceInitializer.SoftEllipse(r, q, phi);
        Assert.Equal(logre, l, 12);
        Assert.Equal(ee1, e1, 12);
        Assert.Equal(ee2, e2, 12);
        var (re, qq, phiOut) = PatchFitter.ShapeOut(l, e1, e2);
        Assert.Equal(r, re, 12);
        Assert.Equal(q, qq, 12);
        Assert.Equal(((phi % 180) + 180) % 180, phiOut, 9);
    }

    [Fact]
    public void Round_shape_reads_back_phi_zero()
    {
        var (_, q, phi) = PatchFitter.ShapeOut(1.0, 0.0, 0.0);
        Assert.Equal(1.0, q);
        Assert.Equal(0.0, phi);
    }

    [Fact]
    public void Initial_values_follow_the_catalogue_rules()
    {
        var img = new float[30 * 30];
        img[15 * 30 + 15] = 50f; // aperture sum of source 1 = 50
        var e = Enumerable.Repeat(1f, 900).ToArray();
        var images = new[] { new PatchImage("r", 30, 30, img, e, null) };
        var cat = new PatchCatalog([15, 15, 15, 15], [15, 15, 15, 15],
            ["star", null, "GAL", "SERSIC"],
            new Dictionary<string, double[]> { ["r"] = [123.0, double.NaN, -5.0, 0.0] },
            [0.3, double.NaN, double.PositiveInfinity, 0.0],
            [30.0, -30.0, double.NaN, 90.0],
            [double.NaN, 500.0, 0.1, 4.0]);
        var s = SourceInitializer.Build(cat, images, new PatchFitSettings { GalModel = "dev", EpsFlux = 1e-4 });
        Assert.Equal([SourceType.Point, SourceType.Dev, SourceType.Dev, SourceType.Sersic], s.Select(x => x.Kind));
        Assert.Equal(123.0, s[0].Flux[0]);
        Assert.Equal(50.0, s[1].Flux[0], 9);
        Assert.Equal(50.0, s[2].Flux[0], 9);
        Assert.True(double.IsNaN(s[0].LogRe));
        // Source 1: ELL blank → 0 → q = 1; Re 500 → clipped 100; THETA −30 → φ = 60.
        Assert.Equal(Math.Log(100), s[1].LogRe, 12);
        Assert.Equal(0.0, double.Hypot(s[1].Ee1, s[1].Ee2), 12);
        // Source 2: ELL +∞ → q = 0.1; Re 0.1 → 0.3; THETA NaN → 0 → φ = −90.
        var (re2, q2, phi2) = PatchFitter.ShapeOut(s[2].LogRe, s[2].Ee1, s[2].Ee2);
        Assert.Equal(0.3, re2, 12);
        Assert.Equal(0.1, q2, 12);
        Assert.Equal(90.0, phi2, 9);
        Assert.Equal(3.0, s[3].SersicN);
        // Without ELL/THETA/Re columns: q = 0.8, φ = 0 (Θ = 90), re = re_fallback_pix.
        var bare = SourceInitializer.Build(new PatchCatalog([15], [15], null, null, null, null, null), images,
            new PatchFitSettings { ReFallbackPix = 2.5 });
        Assert.Equal(SourceType.Exp, bare[0].Kind);
        var (re, q, phi) = PatchFitter.ShapeOut(bare[0].LogRe, bare[0].Ee1, bare[0].Ee2);
        Assert.Equal((2.5, 0.8, 0.0), (Math.Round(re, 12), Math.Round(q, 12), Math.Round(phi, 9)));
    }

    [Fact]
    public void Eps_flux_floors_an_empty_aperture()
    {
        var images = new[] { new PatchImage("r", 10, 10, new float[100], Enumerable.Repeat(1f, 100).ToArray(), null) };
        var s = SourceInitializer.Build(new PatchCatalog([5], [5], ["STAR"], null, null, null, null), images, new PatchFitSettings());
        Assert.Equal(1e-4, s[0].Flux[0]);
    }
}

public class PatchFitterTests
{
    private const int W = 48, H = 44;

    private static SourceInit Star(double x, double y, params double[] f) => new(SourceType.Point, x, y, f, double.NaN, double.NaN, double.NaN, double.NaN);

    private static (PatchBand[] Bands, PatchCatalog Cat) Scene(int seed, double sep = 3.0)
    {
        var (lr, e1, e2) = SourceInitializer.SoftEllipse(3.0, 0.6, 30);
        var truth = new[]
        {
            Star(20.0, 21.0, 900, 1200, 1500),
            Star(20.0 + sep, 21.5, 600, 500, 450),
            new SourceInit(SourceType.Exp, 33.0, 15.0, [2000, 3000, 3500], lr, e1, e2, double.NaN),
        };
        var bands = GaussPatchModel.Simulate(W, H, ["g", "r", "i"], truth, 1.0, seed);
        var cat = new PatchCatalog([20.3, 19.8 + sep, 33.2], [20.8, 21.7, 15.3], ["STAR", "STAR", "EXP"],
            new Dictionary<string, double[]> { ["g"] = [800, 650, 1800], ["r"] = [1100, 550, 3300] }, // i from the aperture
            [0.0, 0.0, 0.2], [0.0, 0.0, 110.0], [double.NaN, double.NaN, 3.5]);
        return (bands, cat);
    }

    [Fact]
    public void Multi_band_fit_recovers_the_scene_and_reports_every_column()
    {
        var (bands, cat) = Scene(seed: 1);
        var settings = new PatchFitSettings { X0Roi = 100, Y0Roi = 200 };
        var res = PatchFitter.Fit(bands, W, H, cat, settings, GaussPatchModel.Factory);
        var t = res.Table;
        var o = res.Outcomes[""];
        Assert.True(o.Converged, $"niters {o.NIters}");
        Assert.False(o.HitMaxIters);
        string[] expected =
        [
            "opt_niters", "opt_converged", "opt_hit_max_iters", "opt_last_dlnp", "opt_converged_patch", "x_pix_patch_fit", "y_pix_patch_fit",
            "x_pix_white_fit", "y_pix_white_fit", "RA_fit", "DEC_fit", "stype_fit", "sersic_n_fit", "re_pix_fit", "ab_fit",
            "phi_deg_fit", "ELL_fit", "Re_fit", "THETA_fit", "FLUX_g_fit", "FLUXERR_g_fit", "FLUX_r_fit", "FLUXERR_r_fit",
            "FLUX_i_fit", "FLUXERR_i_fit", "FLUXERR_g_cov", "FLUXERR_r_cov", "FLUXERR_i_cov", "fit_no_pixels",
            "fit_no_pixels_g", "fit_no_pixels_r", "fit_no_pixels_i", "band_shift_g_pix", "band_shift_r_pix", "band_shift_i_pix",
            "psf_ap_ratio_g", "psf_ap_lnsig_g", "psf_ap_ratio_r", "psf_ap_lnsig_r", "psf_ap_ratio_i", "psf_ap_lnsig_i",
        ];
        Assert.Equal(expected, t.ColumnNames);
        var x = t.Doubles("x_pix_patch_fit");
        Assert.InRange(x[0], 19.9, 20.1);
        Assert.InRange(x[2], 32.9, 33.1);
        Assert.Equal(x[0] + 100, t.Doubles("x_pix_white_fit")[0]);
        Assert.Equal(["star", "star", "exp"], t.Texts("stype_fit"));
        Assert.True(double.IsNaN(t.Doubles("re_pix_fit")[0]));
        Assert.InRange(t.Doubles("re_pix_fit")[2], 2.8, 3.2);
        Assert.InRange(t.Doubles("ab_fit")[2], 0.55, 0.65);
        // Tractor φ = 30 ↔ THETA = −60 (degrees counter-clockwise from +x, SExtractor convention).
        Assert.InRange(t.Doubles("THETA_fit")[2], -63, -57);
        var fi = t.Doubles("FLUX_i_fit");
        var ei = t.Doubles("FLUXERR_i_fit");
        Assert.InRange(fi[0], 1500 - 5 * ei[0], 1500 + 5 * ei[0]);
        // Covariance-aware errors: never below the plain ones, clearly above in the 3 px blend.
        foreach (string b in new[] { "g", "r", "i" })
        {
            var plain = t.Doubles($"FLUXERR_{b}_fit");
            var cov = t.Doubles($"FLUXERR_{b}_cov");
            for (int i = 0; i < 3; i++) Assert.True(cov[i] >= plain[i] * (1 - 1e-9), $"{b}[{i}]");
            // 3 px apart with a 1.6 px PSF (measured ≈ 1.24 in g).
            Assert.True(cov[0] > 1.15 * plain[0], $"{b}: blend cov {cov[0]} vs plain {plain[0]}");
        }
        Assert.Equal([false, false, false], t.Bools("fit_no_pixels"));
    }

    [Fact]
    public void Single_band_mode_fits_each_band_in_sorted_order()
    {
        var (bands, cat) = Scene(seed: 2, sep: 6);
        var res = PatchFitter.Fit(bands, W, H, cat, new PatchFitSettings { MultiBand = false }, GaussPatchModel.Factory);
        var t = res.Table;
        Assert.Equal(["g", "i", "r"], res.Outcomes.Keys.ToArray());
        Assert.Equal("stype_fit", t.ColumnNames[0]);
        Assert.Equal("x_pix_patch_g_fit", t.ColumnNames[1]);
        Assert.Equal("opt_last_dlnp_g", t.ColumnNames[19]);
        Assert.Equal("opt_converged_patch_g", t.ColumnNames[20]);
        Assert.Equal("psf_ap_ratio_g", t.ColumnNames[23]);
        Assert.Equal("x_pix_patch_i_fit", t.ColumnNames[25]);
        foreach (string b in new[] { "g", "i", "r" })
        {
            Assert.True(t.Bools($"opt_converged_{b}")[0]);
            Assert.InRange(t.Doubles($"x_pix_patch_{b}_fit")[0], 19.85, 20.15);
            Assert.True(t.Doubles($"FLUXERR_{b}_fit")[1] > 0);
        }
        // Per-band fits are independent: positions differ between bands.
        Assert.NotEqual(t.Doubles("x_pix_patch_g_fit")[0], t.Doubles("x_pix_patch_r_fit")[0]);
    }

    [Fact]
    public void Iteration_cap_is_honoured_and_flagged()
    {
        var (bands, cat) = Scene(seed: 3);
        var res = PatchFitter.Fit(bands, W, H, cat, new PatchFitSettings { NOptIters = 2, FlagMaxIterMargin = 5 }, GaussPatchModel.Factory);
        var o = res.Outcomes[""];
        Assert.Equal(2, o.NIters);
        Assert.False(o.Converged);
        Assert.True(o.HitMaxIters); // max(1, 2 − 5) = 1 ≤ 2
        Assert.True(o.LastDlnp > 0);
        var none = PatchFitter.Fit(bands, W, H, cat, new PatchFitSettings { NOptIters = 0 }, GaussPatchModel.Factory).Outcomes[""];
        Assert.Equal((0, false, false), (none.NIters, none.Converged, none.HitMaxIters));
    }

    [Fact]
    public void Convergence_is_per_source_beside_the_patch_wide_flag()
    {
        var (bands, cat) = Scene(seed: 3);
        // Two steps from a start 0.3–0.5 px and 10–20 % off: the second step still moves every
        // source by far more than 0.1σ, so no source has settled and the patch is not converged.
        var two = PatchFitter.Fit(bands, W, H, cat, new PatchFitSettings { NOptIters = 2 }, GaussPatchModel.Factory);
        Assert.False(two.Outcomes[""].Converged);
        Assert.Equal([false, false, false], two.Table.Bools("opt_converged_patch"));
        Assert.Equal([false, false, false], two.Table.Bools("opt_converged"));
        Assert.Equal([true, true, true], two.Table.Bools("opt_hit_max_iters"));

        // Run to convergence: each source's last move relative to its own error, by hand,
        // agrees with the flag (the patch may or may not meet dlnp_stop by then).
        var settings = new PatchFitSettings { NOptIters = 12 };
        var res = PatchFitter.Fit(bands, W, H, cat, settings, GaussPatchModel.Factory);
        var o = res.Outcomes[""];
        Assert.NotNull(o.LastChange);
        var conv = res.Table.Bools("opt_converged");
        var patch = res.Table.Bools("opt_converged_patch");
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(o.Converged, patch[i]);
            Assert.True(conv[i] || !o.Converged);     // a converged patch converges every source
            Assert.True(conv[i], $"source {i} has not settled after 12 steps");
            Assert.False(res.Table.Bools("opt_hit_max_iters")[i]);
        }
    }

    [Fact]
    public void Bad_inputs_are_flagged_not_fatal()
    {
        var (bands, cat) = Scene(seed: 4, sep: 8);
        // A NaN corner (x, y < 18) in every band with source 3 inside it; band i entirely masked;
        // source 2 with a degenerate ellipse (ELL = 1, Re = 0); source 4 on empty sky, catalogue flux 0.
        foreach (var b in bands)
            for (int y = 0; y < 18; y++)
                for (int x = 0; x < 18; x++)
                    b.Image[y * W + x] = float.NaN;
        Array.Fill(bands[2].Image, float.NaN);
        var bad = cat with
        {
            X = [.. cat.X, 8.0, 5.0], Y = [.. cat.Y, 8.0, 40.0], Type = [.. cat.Type!, "STAR", "STAR"],
            Ell = [0.0, 0.0, 1.0, 0.0, 0.0], Theta = [.. cat.Theta!, 0, 0], Re = [double.NaN, double.NaN, 0.0, double.NaN, double.NaN],
            Flux = new Dictionary<string, double[]> { ["g"] = [800, 650, 1800, 500, 0], ["r"] = [1100, 550, 3300, 500, 0] },
        };
        var res = PatchFitter.Fit(bands, W, H, bad, new PatchFitSettings { NOptIters = 30 }, GaussPatchModel.Factory);
        var t = res.Table;
        Assert.Equal([false, false, false, true, false], t.Bools("fit_no_pixels"));
        Assert.True(double.IsNaN(t.Doubles("FLUXERR_g_fit")[3]));
        Assert.True(double.IsNaN(t.Doubles("FLUXERR_g_cov")[3]));
        Assert.All(t.Doubles("FLUXERR_i_fit"), v => Assert.True(double.IsNaN(v)));
        // Band i tells nothing: no flux there is reported, and each source says so.
        Assert.All(t.Doubles("FLUX_i_fit"), v => Assert.True(double.IsNaN(v)));
        Assert.All(t.Bools("fit_no_pixels_i"), Assert.True);
        Assert.True(double.IsFinite(t.Doubles("FLUXERR_g_fit")[0]));
        Assert.InRange(t.Doubles("x_pix_patch_fit")[0], 19.8, 20.2);
        // The masked source keeps its initial position; its catalogue flux is not reported as a
        // measurement (NaN, flagged); the degenerate ellipse stays legal.
        Assert.Equal(8.0, t.Doubles("x_pix_patch_fit")[3]);
        Assert.True(double.IsNaN(t.Doubles("FLUX_g_fit")[3]));
        Assert.True(t.Bools("fit_no_pixels_g")[3]);
        Assert.InRange(t.Doubles("ab_fit")[2], 0.001, 1.0);
        Assert.InRange(t.Doubles("re_pix_fit")[2], 0.1, 1000);
        // The source on empty sky: flux fitted near 0 with a finite error.
        double f4 = t.Doubles("FLUX_g_fit")[4], e4 = t.Doubles("FLUXERR_g_fit")[4];
        Assert.True(double.IsFinite(e4));
        Assert.InRange(f4, -5 * e4, 5 * e4);
        Assert.True(res.Outcomes[""].NIters <= 30);
    }

    [Fact]
    public void Invalid_inputs_throw_with_codes()
    {
        var (bands, cat) = Scene(seed: 5);
        var ex = Assert.Throws<Tract7dtException>(() =>
            PatchFitter.Fit(bands, W, H, cat, new PatchFitSettings { GalModel = "Exp2" }, GaussPatchModel.Factory));
        Assert.Equal(ErrorCodes.PatchFitSetting, ex.Code);
        ex = Assert.Throws<Tract7dtException>(() =>
            PatchFitter.Fit(bands, W, H + 1, cat, new PatchFitSettings(), GaussPatchModel.Factory));
        Assert.Equal(ErrorCodes.PatchFitInput, ex.Code);
        ex = Assert.Throws<Tract7dtException>(() =>
            PatchFitter.Fit(bands, W, H, cat with { Re = [1.0] }, new PatchFitSettings(), GaussPatchModel.Factory));
        Assert.Contains("'Re'", ex.Message);
    }

    [Fact]
    public void Empty_catalogue_fits_only_the_sky()
    {
        var (bands, _) = Scene(seed: 6);
        var res = PatchFitter.Fit(bands, W, H, new PatchCatalog([], [], null, null, null, null, null), new PatchFitSettings(),
            GaussPatchModel.Factory);
        Assert.Equal(0, res.Table.RowCount);
        Assert.True(res.Outcomes[""].NIters >= 1);
    }
}
