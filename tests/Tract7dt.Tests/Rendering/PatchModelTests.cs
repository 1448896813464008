using Tract7dt.Science.Fitting;
using Tract7dt.Science.Fitting.Profiles;
using Tract7dt.Science.Fitting.Rendering;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Psf.Models;
using Xunit;

namespace Tract7dt.Tests.Rendering;

/// <summary>Analytic renders, parameter protocol, derivative consistency and bad cases of <see cref="PatchModel"/>.</summary>
public class PatchModelTests
{
    private const int W = 48, H = 40;

    private static GaussianMixturePsf Gauss(double sigma) =>
        new(new GaussianMixture([1.0], [0.0], [0.0], [sigma * sigma], [0.0], [sigma * sigma]));

    private static FitImage Img(string band, IPsf psf, float[]? e = null, float[]? d = null) =>
        new(band, d ?? new float[W * H], e ?? Enumerable.Repeat(1f, W * H).ToArray(), W, H, psf);

    private static Dictionary<string, double> F(params (string B, double V)[] f) => f.ToDictionary(x => x.B, x => x.V);

    /// <summary>The ellipticity prior (docs/fitting.md §18.7) is declared on every free ee1, ee2 and nothing
    /// else, with residual −ee/σ, in parameter order; views built by freezing keep it on the shapes that stay free.</summary>
    [Fact]
    public void The_ellipticity_prior_is_one_term_per_free_ellipticity_component()
    {
        var shape = new EllipseESoft(Math.Log(2.0), 0.3, -0.2);
        FitSource[] src =
        [
            new(SourceType.Point, 10, 10, F(("r", 100))),
            new(SourceType.Exp, 25, 20, F(("r", 300)), shape),
            new(SourceType.Sersic, 35, 25, F(("r", 200)), new EllipseESoft(0.5, -0.1, 0.4), 2.0),
        ];
        Assert.Equal(0, new PatchModel([Img("r", Gauss(1.5))], src).GaussianPriorCount);
        var m = new PatchModel([Img("r", Gauss(1.5))], src, PatchModelOptions.Pipeline with { EllipticityPriorSigma = 0.25 });
        Assert.Equal(4, m.GaussianPriorCount);
        var par = new int[4]; var res = new double[4]; var inv = new double[4];
        m.GetGaussianPriors(par, res, inv);
        Assert.Equal(["catalog.source1.shape.ee1", "catalog.source1.shape.ee2", "catalog.source2.shape.ee1", "catalog.source2.shape.ee2"],
            par.Select(m.ParameterName).ToArray());
        Assert.Equal([-0.3 / 0.25, 0.2 / 0.25, 0.1 / 0.25, -0.4 / 0.25], res);
        Assert.All(inv, v => Assert.Equal(4.0, v));
        // freezing the first galaxy's shape leaves the second's two terms, on the view's own indices
        var view = m.WithFree(p => !(p.Source == 1 && p.Kind is ParameterKind.LogRe or ParameterKind.Ee1 or ParameterKind.Ee2));
        Assert.Equal(2, view.GaussianPriorCount);
        var vp = new int[2]; var vr = new double[2]; var vi = new double[2];
        view.GetGaussianPriors(vp, vr, vi);
        Assert.Equal(["catalog.source2.shape.ee1", "catalog.source2.shape.ee2"], vp.Select(view.ParameterName).ToArray());
        Assert.Equal(0, m.FreezeAllButFluxes().GaussianPriorCount);
    }

    /// <summary>The index and size priors (docs/fitting.md §18.7): one term per free Sérsic index, centred on the
    /// index it held when anchored (the scan's rung), and one per logre of a galaxy whose size was measured
    /// (the catalogue's Re), centred on that size; a galaxy at the fallback size has none.</summary>
    [Fact]
    public void The_index_prior_follows_its_anchor_and_the_size_prior_only_measured_sizes()
    {
        FitSource[] src =
        [
            new(SourceType.Exp, 25, 20, F(("r", 300)), new EllipseESoft(Math.Log(2.0), 0.3, -0.2)) { SizeMeasured = true },
            new(SourceType.Sersic, 35, 25, F(("r", 200)), new EllipseESoft(0.5, -0.1, 0.4), 2.0),
        ];
        var m = new PatchModel([Img("r", Gauss(1.5))], src,
            PatchModelOptions.Pipeline with { SersicIndexPriorSigma = 1.0, SizePriorSigma = 0.5 });
        Assert.Equal(2, m.GaussianPriorCount);
        var par = new int[2]; var res = new double[2]; var inv = new double[2];
        m.GetGaussianPriors(par, res, inv);
        Assert.Equal(["catalog.source0.shape.logre", "catalog.source1.sersicindex.SersicIndex"], par.Select(m.ParameterName).ToArray());
        Assert.Equal([0.0, 0.0], res);
        Assert.Equal([2.0, 1.0], inv);
        // move both; the size prior stays at the catalogue's size, the index prior at its anchor until re-anchored
        var p = new double[m.ParameterCount];
        m.GetParameters(p);
        p[par[0]] = Math.Log(2.0) + 0.25;
        p[par[1]] = 3.0;
        m.SetParameters(p);
        m.GetGaussianPriors(par, res, inv);
        Assert.Equal(-0.25 * 2.0, res[0], 12);
        Assert.Equal(-1.0, res[1], 12);
        m.AnchorSersicIndexPrior();
        m.GetGaussianPriors(par, res, inv);
        Assert.Equal(-0.25 * 2.0, res[0], 12);
        Assert.Equal(0.0, res[1], 12);
        Assert.True(m.GetSource(0).SizeMeasured);
        Assert.False(m.GetSource(1).SizeMeasured);
    }

    /// <summary>The position and size bounds (docs/fitting.md §6): x, y within max_shift_pix of where each source
    /// starts, r_e below max_size_factor × its start and never above the original's bound; 0 leaves the original's.</summary>
    [Fact]
    public void Positions_stay_near_the_catalogue_and_sizes_below_a_factor_of_the_start()
    {
        FitSource[] src =
        [
            new(SourceType.Point, 12.5, 30.25, F(("r", 500))),
            new(SourceType.Exp, 25, 20, F(("r", 300)), new EllipseESoft(Math.Log(2.0), 0.3, -0.2)),
            new(SourceType.Dev, 40, 15, F(("r", 300)), new EllipseESoft(Math.Log(900.0), 0, 0)),
        ];
        var bounded = new PatchModel([Img("r", Gauss(1.5))], src, PatchModelOptions.Pipeline with { MaxShiftPix = 2, MaxSizeFactor = 5 });
        var free = new PatchModel([Img("r", Gauss(1.5))], src, PatchModelOptions.Pipeline);
        double Bound(PatchModel m, string name, bool upper)
        {
            var lo = new double[m.ParameterCount]; var hi = new double[m.ParameterCount];
            m.GetBounds(lo, hi);
            int j = Enumerable.Range(0, m.ParameterCount).Single(k => m.ParameterName(k) == name);
            return upper ? hi[j] : lo[j];
        }
        Assert.Equal(10.5, Bound(bounded, "catalog.source0.pos.x", false));
        Assert.Equal(14.5, Bound(bounded, "catalog.source0.pos.x", true));
        Assert.Equal(28.25, Bound(bounded, "catalog.source0.pos.y", false));
        Assert.Equal(32.25, Bound(bounded, "catalog.source0.pos.y", true));
        Assert.Equal(Math.Log(10.0), Bound(bounded, "catalog.source1.shape.logre", true), 12);
        Assert.Equal(Math.Log(0.1), Bound(bounded, "catalog.source1.shape.logre", false), 12);
        Assert.Equal(Math.Log(1000.0), Bound(bounded, "catalog.source2.shape.logre", true), 12); // the original's bound is lower
        Assert.Equal(double.NegativeInfinity, Bound(free, "catalog.source0.pos.x", false));
        Assert.Equal(double.PositiveInfinity, Bound(free, "catalog.source0.pos.y", true));
        Assert.Equal(Math.Log(1000.0), Bound(free, "catalog.source1.shape.logre", true), 12);
    }

    [Fact]
    public void Gaussian_star_through_gaussian_psf_is_the_analytic_gaussian()
    {
        const double flux = 1000, s = 1.8, x = 20.3, y = 17.6;
        var m = new PatchModel([Img("r", Gauss(s))], [new FitSource(SourceType.Point, x, y, F(("r", flux)))]);
        var img = new float[W * H];
        m.RenderModel(0, img);
        double maxErr = 0, sum = 0;
        for (int j = 0; j < H; j++)
            for (int i = 0; i < W; i++)
            {
                double a = flux / (2 * Math.PI * s * s) * Math.Exp(-0.5 * ((i - x) * (i - x) + (j - y) * (j - y)) / (s * s));
                maxErr = Math.Max(maxErr, Math.Abs(img[j * W + i] - a));
                sum += img[j * W + i];
            }
        Assert.True(maxErr < 1e-5 * flux, $"max error {maxErr}"); // brief: 1e-5 of the flux
        Assert.Equal(flux, sum, 1e-3);                               // point-sampled σ = 1.8 sums to the flux
    }

    [Fact]
    public void Gaussian_galaxy_through_gaussian_psf_is_the_analytic_convolution()
    {
        // A one-component "profile" of variance 1 r_e²: galaxy ⊗ PSF = N(0, C + s² I).
        var prof = new ProfileMixture([1.0], [1.0]);
        var shape = EllipseESoft.FromRAbPhi(2.5, 0.6, 30);
        var cov = shape.UnitPixelCovariance(Matrix2.Identity);
        const double s = 1.5, x = 24.4, y = 19.7;
        var patch = GalaxyRenderer.RenderAnalytic(prof, cov, x, y, new PixelBox(X0: 0, X1: W, Y0: 0, Y1: H), Gauss(s).Mixture);
        double cxx = cov.Xx + s * s, cxy = cov.Xy, cyy = cov.Yy + s * s, det = cxx * cyy - cxy * cxy, max = 0;
        for (int j = 0; j < H; j++)
            for (int i = 0; i < W; i++)
            {
                double dx = i - x, dy = j - y;
                double a = Math.Exp(-0.5 * (cyy * dx * dx - 2 * cxy * dx * dy + cxx * dy * dy) / det) / (2 * Math.PI * Math.Sqrt(det));
                max = Math.Max(max, Math.Abs(patch.Values[j * W + i] - a));
            }
        Assert.True(max < 1e-5, $"max error {max}"); // unit flux; 1e-5 of the flux
    }

    [Fact]
    public void Fourier_path_of_a_gaussian_stamp_matches_the_analytic_convolution()
    {
        // Pixelized Gaussian PSF (σ = 2, 31×31): the Fourier galaxy path (band-limited, Lanczos
        // shift) must agree with the analytic convolution to ~1e-4 of the flux (Lanczos-3
        // interpolation error of a σ ≈ 2.6 px profile dominates).
        const double s = 2.0, x = 24.3, y = 19.6;
        var st = new float[31 * 31];
        for (int j = 0; j < 31; j++) for (int i = 0; i < 31; i++) st[j * 31 + i] = (float)(Math.Exp(-0.5 * ((i - 15) * (i - 15) + (j - 15) * (j - 15)) / (s * s)) / (2 * Math.PI * s * s));
        var prof = new ProfileMixture([1.0], [1.0]);
        var cov = EllipseESoft.FromRAbPhi(1.5, 0.7, 60).UnitPixelCovariance(Matrix2.Identity);
        var fourier = GalaxyRenderer.Render(prof, cov, 4 * 1.5, x, y, W, H, new PixelizedPsf(st, 31, 31))!;
        var analytic = GalaxyRenderer.RenderAnalytic(prof, cov, x, y, new PixelBox(X0: fourier.X0, X1: fourier.X0 + fourier.W, Y0: fourier.Y0, Y1: fourier.Y0 + fourier.H), Gauss(s).Mixture);
        double max = 0;
        for (int i = 0; i < analytic.Values.Length; i++) max = Math.Max(max, Math.Abs(fourier.Values[i] - analytic.Values[i]));
        Assert.True(max < 1e-4, $"max error {max}");
    }

    [Fact]
    public void Parameter_order_names_bounds_follow_the_tractor()
    {
        var m = new PatchModel(
            [Img("r", Gauss(1.5)), Img("g", Gauss(1.5))],
            [new FitSource(SourceType.Sersic, 10, 10, F(("r", 5), ("g", 4)), EllipseESoft.FromRAbPhi(2, 0.5, 10), 2.0),
             new FitSource(SourceType.Point, 30, 20, F(("r", 7), ("g", 6)))]);
        string[] names = Enumerable.Range(0, m.ParameterCount).Select(m.ParameterName).ToArray();
        Assert.Equal(new[] {
            "images.image0.sky.sky", "images.image1.sky.sky",
            "catalog.source0.pos.x", "catalog.source0.pos.y", "catalog.source0.brightness.g", "catalog.source0.brightness.r",
            "catalog.source0.shape.logre", "catalog.source0.shape.ee1", "catalog.source0.shape.ee2", "catalog.source0.sersicindex.SersicIndex",
            "catalog.source1.pos.x", "catalog.source1.pos.y", "catalog.source1.brightness.g", "catalog.source1.brightness.r" }, names);
        var lo = new double[m.ParameterCount]; var hi = new double[m.ParameterCount]; var ms = new double[m.ParameterCount];
        m.GetBounds(lo, hi); m.GetMaxSteps(ms);
        Assert.Equal(Math.Log(0.1), lo[6], 1e-15); Assert.Equal(100, hi[7]); Assert.Equal(0.29, lo[9]); Assert.Equal(6.3, hi[9]);
        Assert.Equal(1.0, ms[2]); Assert.Equal(0.1, ms[8]); Assert.Equal(double.PositiveInfinity, ms[4]);

        var forced = m.FreezeAllButFluxes();
        Assert.True(forced.IsFluxOnly);
        Assert.False(m.IsFluxOnly);
        Assert.Equal(4, forced.ParameterCount);
        forced.SetParameters([1, 2, 3, 4]);
        var p = new double[m.ParameterCount]; m.GetParameters(p);
        Assert.Equal(4.0, p[4]); // the original view is untouched

        var v = new double[m.ParameterCount]; m.GetParameters(v);
        v[9] = 7.0; m.SetParameters(v);
        Assert.Equal(double.NegativeInfinity, m.LogPrior());
    }

    [Theory]
    [InlineData(SourceType.Point)]
    [InlineData(SourceType.Exp)]
    [InlineData(SourceType.Sersic)]
    public void Derivatives_agree_with_finite_differences_of_the_model(SourceType type)
    {
        // Forward differences of RenderModel with each parameter's own step reproduce every
        // derivative patch except galaxy positions (a grid central difference, checked against
        // a ±1 px model difference, which is exact for the analytic path up to box edges).
        var psf = Gauss(1.6);
        var m = new PatchModel([Img("r", psf)], [new FitSource(type, 22.2, 18.7, F(("r", 500)), EllipseESoft.FromRAbPhi(2.2, 0.7, 40), 2.5)]);
        int n = m.ParameterCount;
        var lists = Enumerable.Range(0, n).Select(_ => new List<DerivativePatch>()).ToArray();
        m.GetDerivatives(lists);
        var p0 = new double[n]; m.GetParameters(p0);
        var steps = new double[n]; m.GetStepSizes(steps);
        var m0 = new float[W * H]; m.RenderModel(0, m0);
        for (int j = 0; j < n; j++)
        {
            var info = m.Parameter(j);
            bool galPos = type != SourceType.Point && info.Kind is ParameterKind.PositionX or ParameterKind.PositionY;
            var d = Dense(lists[j]);
            var fd = new double[W * H];
            if (galPos)
            {
                var pp = (double[])p0.Clone(); pp[j] += 1; m.SetParameters(pp); var mp = new float[W * H]; m.RenderModel(0, mp);
                pp[j] -= 2; m.SetParameters(pp); var mm = new float[W * H]; m.RenderModel(0, mm);
                for (int i = 0; i < fd.Length; i++) fd[i] = ((double)mp[i] - mm[i]) / 2;
            }
            else
            {
                var pp = (double[])p0.Clone(); pp[j] += steps[j]; m.SetParameters(pp); var mp = new float[W * H]; m.RenderModel(0, mp);
                for (int i = 0; i < fd.Length; i++) fd[i] = ((double)mp[i] - m0[i]) / steps[j];
            }
            m.SetParameters(p0);
            double scale = fd.Max(Math.Abs), err = 0;
            var u = m.UnitFluxPatch(0, 0)!;
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                {
                    // galaxy position: only interior pixels of the patch (the grid rule zeroes the border)
                    if (galPos && (x <= u.X0 || x >= u.X0 + u.W - 1 || y <= u.Y0 || y >= u.Y0 + u.H - 1)) continue;
                    err = Math.Max(err, Math.Abs(d[y * W + x] - fd[y * W + x]));
                }
            // 1e-4 relative is the brief's bound; on top, the model-level difference is of two f32
            // images, so each pixel carries up to ~2 ulp(model peak)/step of rounding noise.
            double f32Noise = 2 * (MathF.BitIncrement(m0.Max()) - m0.Max()) / (galPos ? 2 : steps[j]);
            Assert.True(err <= 1e-4 * scale + f32Noise, $"{info.Name}: max|Δ| {err} vs scale {scale}, f32 noise {f32Noise}");
        }
    }

    private static double[] Dense(List<DerivativePatch> ps)
    {
        var a = new double[W * H];
        foreach (var p in ps)
            for (int r = 0; r < p.Height; r++)
                for (int c = 0; c < p.Width; c++)
                {
                    int x = p.X0 + c, y = p.Y0 + r;
                    if (x >= 0 && y >= 0 && x < W && y < H) a[y * W + x] += (float)(p.Scale * p.Values[r * p.Width + c]);
                }
        return a;
    }

    [Fact]
    public void Bad_cases_do_not_crash_and_are_flagged()
    {
        var nanData = Enumerable.Repeat(float.NaN, W * H).ToArray();
        var zeroE = new float[W * H];
        var psf = GuardPsf();
        var srcs = new[]
        {
            new FitSource(SourceType.Exp, 20, 20, F(("r", 100), ("g", 0)), EllipseESoft.FromRAbPhi(2, 0.5, 0)),    // zero flux in g
            new FitSource(SourceType.Dev, 25, 15, F(("r", 100), ("g", 50)), new EllipseESoft(Math.Log(0.1), 90, -60)), // degenerate ellipse
            new FitSource(SourceType.Point, 500, -300, F(("r", 10), ("g", 10))),                                  // off every image
            new FitSource(SourceType.Point, double.NaN, 3, F(("r", 10), ("g", 10))),                               // non-finite position
            new FitSource(SourceType.Exp, -40, 20, F(("r", 10), ("g", 10)), EllipseESoft.FromRAbPhi(3, 0.8, 0)),    // centre off image
        };
        var m = new PatchModel([Img("r", psf, d: nanData), Img("g", GoldenSetup.Pix, e: zeroE)], srcs);
        foreach (int k in new[] { 0, 1 })
        {
            var img = new float[W * H];
            m.RenderModel(k, img);
            Assert.All(img, v => Assert.True(float.IsFinite(v)));
        }
        var lists = Enumerable.Range(0, m.ParameterCount).Select(_ => new List<DerivativePatch>()).ToArray();
        m.GetDerivatives(lists);
        Assert.All(lists.SelectMany(l => l).SelectMany(p => p.Values), v => Assert.True(float.IsFinite(v)));
        Assert.Equal(SourceFlags.None, m.GetSourceFlags(0));
        Assert.True(m.GetSourceFlags(2).HasFlag(SourceFlags.NoUsablePixels | SourceFlags.CenterOffImage));
        Assert.True(m.GetSourceFlags(3).HasFlag(SourceFlags.NonFiniteParameters | SourceFlags.NoUsablePixels));
        Assert.True(m.GetSourceFlags(4).HasFlag(SourceFlags.CenterOffImage));
        // zero flux in g: the flux column exists, position/shape columns do not come from band g
        Assert.Contains(lists[Enumerable.Range(0, m.ParameterCount).Single(j => m.ParameterName(j) == "catalog.source0.brightness.g")], p => p.Image == 1);
        Assert.DoesNotContain(lists[Enumerable.Range(0, m.ParameterCount).Single(j => m.ParameterName(j) == "catalog.source0.shape.logre")], p => p.Image == 1);
    }

    private static IPsf GuardPsf() => Gauss(1.4);
}
