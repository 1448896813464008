using Tract7dt.Science.Fitting;
using Tract7dt.Science.Fitting.Patch;
using Tract7dt.Science.Simulation;
using Xunit;
using Xunit.Abstractions;
using PixelizedPsf = Tract7dt.Science.Psf.Models.PixelizedPsf;

namespace Tract7dt.Tests.Fitting;

/// <summary>
/// A bright star that is not in the catalogue lies in the patch (as a saturated star the Gaia injection
/// leaves out does in the hard simulated world). The patch's one constant sky is fitted by least squares
/// over every pixel, so without <see cref="UnmodelledLight"/> the star's light raises it and the faint
/// catalogued stars come out far too low; with it, their fluxes are unbiased.
/// </summary>
public class UnmodelledLightTests(ITestOutputHelper output)
{
    private static readonly MoffatPsf Psf = new(Fwhm: 3.3, Beta: 2.8, Ellipticity: 0.04, AngleRad: 0.4,
        WingWeight: 0.1, WingScale: 4.0, WingBeta: 2.0);
    private const int W = 161, H = 161;
    private const double SkySigma = 5.0, FaintFlux = 900;   // S/N ≈ 25

    private static readonly (double X, double Y)[] Faint =
        [(30.3, 40.6), (80.2, 30.1), (130.7, 45.4), (40.5, 120.2), (95.1, 110.8), (135.6, 130.3)];

    private static PixelizedPsf TruePsf()
    {
        var st = new SourceRenderer().RenderStar(Psf, 27.0, 27.0, 1.0);
        var stamp = new float[55 * 55];
        Add(stamp, 55, 55, st);
        return new PixelizedPsf(stamp, 55, 55, shift: Tract7dt.Science.Psf.Models.SubpixelShift.Fourier);
    }

    private static void Add(float[] img, int w, int h, Stamp st)
    {
        for (int y = 0; y < st.Height; y++)
            for (int x = 0; x < st.Width; x++)
            {
                int gx = st.X0 + x, gy = st.Y0 + y;
                if ((uint)gx < (uint)w && (uint)gy < (uint)h) img[gy * w + gx] += st.Data[y * st.Width + x];
            }
    }

    /// <summary>The faint stars (catalogued at their true places), sky noise, and optionally a stray star
    /// of <paramref name="strayFlux"/> at the patch's centre-right that the catalogue does not list.</summary>
    private static PatchFitResult Fit(ulong seed, double strayFlux, bool mask, double catalogueFluxFactor = 1)
    {
        var r = new SourceRenderer();
        var img = new float[W * H];
        foreach (var (x, y) in Faint) Add(img, W, H, r.RenderStar(Psf, x, y, FaintFlux));
        if (strayFlux > 0) Add(img, W, H, r.RenderStar(Psf, 120.4, 85.3, strayFlux));
        var rng = new SimRandom(seed);
        for (int i = 0; i < img.Length; i++) img[i] += (float)(SkySigma * rng.NextGaussian());
        var band = new PatchBand("m550", img, Enumerable.Repeat((float)SkySigma, W * H).ToArray(), null, TruePsf());
        var cat = new PatchCatalog(Faint.Select(p => p.X).ToArray(), Faint.Select(p => p.Y).ToArray(),
            Faint.Select(_ => (string?)"STAR").ToArray(),
            new Dictionary<string, double[]> { ["m550"] = Faint.Select(_ => FaintFlux * catalogueFluxFactor).ToArray() }, null, null, null);
        return PatchFitter.Fit([band], W, H, cat, new PatchFitSettings { NOptIters = 20, MaskUnmodelledLight = mask },
            PatchModelFactories.Create(PatchModelOptions.Pipeline));
    }

    [Fact]
    public void A_star_missing_from_the_catalogue_no_longer_pulls_faint_stars_down()
    {
        var pulls = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        var bias = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        var maskedPixels = new List<int>();
        for (ulong seed = 1; seed <= 6; seed++)
            foreach (bool mask in new[] { false, true })
            {
                var res = Fit(900 + seed, 150_000, mask);
                var f = res.Table.Doubles("FLUX_m550_fit");
                var e = res.Table.Doubles("FLUXERR_m550_fit");
                for (int i = 0; i < f.Length; i++)
                {
                    pulls[mask].Add((f[i] - FaintFlux) / e[i]);
                    bias[mask].Add(f[i] / FaintFlux - 1);
                }
                if (mask) maskedPixels.Add(res.UnmodelledLightPixels["m550"]);
            }
        foreach (bool mask in new[] { false, true })
            output.WriteLine($"mask {mask}: median flux bias {Median(bias[mask]):P1}, median pull {Median(pulls[mask]):F2}");
        output.WriteLine($"masked pixels per fit: {string.Join(" ", maskedPixels)}");
        // without the mask the stray star's light sets the sky: the faint stars lose several σ
        Assert.True(Median(pulls[false]) < -3, $"without the mask the faint stars should be biased low (median pull {Median(pulls[false]):F2}); the scene no longer shows the defect");
        // with it they are measured: the median pull of 36 stars within ±0.5, the bias within ±2 %
        Assert.InRange(Median(pulls[true]), -0.5, 0.5);
        Assert.InRange(Median(bias[true]), -0.02, 0.02);
        Assert.All(maskedPixels, n => Assert.InRange(n, 200, 20_000));
    }

    [Fact]
    public void A_patch_whose_light_is_all_modelled_is_fitted_exactly_as_without_the_mask()
    {
        int flagged = 0;
        for (ulong seed = 1; seed <= 4; seed++)
        {
            var on = Fit(700 + seed, 0, mask: true);
            var off = Fit(700 + seed, 0, mask: false);
            flagged += on.UnmodelledLightPixels["m550"];
            if (on.UnmodelledLightPixels["m550"] > 0) continue;
            Assert.Equal(off.Table.Doubles("FLUX_m550_fit"), on.Table.Doubles("FLUX_m550_fit"));
            Assert.Equal(off.Table.Doubles("FLUXERR_m550_fit"), on.Table.Doubles("FLUXERR_m550_fit"));
        }
        // noise alone flags a box about once in twenty patches of this size
        Assert.True(flagged == 0, $"noise alone masked {flagged} pixels in 4 clean patches");
    }

    [Fact]
    public void Only_significant_light_away_from_the_sources_is_flagged()
    {
        const int w = 60, h = 40;
        var data = new float[w * h];
        var model = new float[w * h];
        var e = Enumerable.Repeat(1f, w * h).ToArray();
        // a modelled source at (10, 20): its light is in the model and the data
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double s = 50 * Math.Exp(-0.5 * ((x - 10) * (x - 10) + (y - 20) * (y - 20)) / 4.0);
                model[y * w + x] = (float)s;
                data[y * w + x] = (float)(s + 1.2 * Math.Exp(-0.5 * ((x - 45) * (x - 45) + (y - 20) * (y - 20)) / 9.0));
            }
        var core = new bool[w * h];
        var flags = UnmodelledLight.Flag(data, e, model, model, core, w, h, out var isProtected);
        Assert.NotNull(flags);
        Assert.True(isProtected[20 * w + 10]);
        Assert.Equal(1, flags![20 * w + 45]);      // the stray blob: 1.2σ at its peak, 5.6σ over the box
        Assert.Equal(0, flags[20 * w + 25]);       // between them: nothing
        Assert.Equal(0, flags[5 * w + 55]);
        // the same blob at a quarter of the depth is below the threshold
        for (int i = 0; i < data.Length; i++) data[i] = model[i] + (data[i] - model[i]) / 4;
        Assert.Null(UnmodelledLight.Flag(data, e, model, model, core, w, h, out _));
    }

    /// <summary>
    /// A catalogue whose fluxes are in other units (here 1000 times too small) starts the model with
    /// almost no light: the sources' cores stay protected whatever their starting flux, so the fit
    /// still measures them (only their faint wings may be masked).
    /// </summary>
    [Fact]
    public void Sources_whose_catalogue_flux_is_far_too_small_keep_their_cores()
    {
        var bias = new List<double>();
        for (ulong seed = 1; seed <= 3; seed++)
        {
            var res = Fit(500 + seed, 0, mask: true, catalogueFluxFactor: 1e-3);
            output.WriteLine($"seed {seed}: masked {res.UnmodelledLightPixels["m550"]} px");
            bias.AddRange(res.Table.Doubles("FLUX_m550_fit").Select(f => f / FaintFlux - 1));
        }
        output.WriteLine($"median bias {Median(bias):P2}");
        Assert.InRange(Median(bias), -0.03, 0.03);
    }

    private static double Median(List<double> v)
    {
        var s = v.OrderBy(x => x).ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : 0.5 * (s[s.Count / 2 - 1] + s[s.Count / 2]);
    }
}
