using System.Diagnostics;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Psf.Epsf;
using Xunit;
using Xunit.Abstractions;

namespace Tract7dt.Tests.Epsf;

public class EpsfBuilderTests(ITestOutputHelper output)
{
    // The brief's target for the photutils oversampling recipe on noiseless, exactly
    // dithered stars: per-node error relative to the peak, and centring in stamp pixels.
    private const double ProfileTol = 2e-4;
    private const double CenterTol = 0.005;
    private const int StampSize = 25;

    /// <summary>
    /// The recipe's fixed point on exactly dithered noiseless stars: every node gets the
    /// normalised star samples, so ePSF = K ⊛ T (T = the true profile at the node offsets,
    /// K = the smoothing kernel, applied once per step, not accumulated), up to a constant.
    /// With smoothing off the ePSF is T itself.
    /// </summary>
    [Theory]
    [InlineData("gauss", 1, EpsfSmoothing.Quartic)]
    [InlineData("gauss", 2, EpsfSmoothing.Quartic)]
    [InlineData("gauss", 3, EpsfSmoothing.Quartic)]
    [InlineData("gauss", 4, EpsfSmoothing.Quartic)]
    [InlineData("gauss", 1, EpsfSmoothing.None)]
    [InlineData("gauss", 3, EpsfSmoothing.None)]
    [InlineData("moffat", 2, EpsfSmoothing.Quartic)]
    [InlineData("moffat", 3, EpsfSmoothing.None)]
    public void OversamplingRecipeRecoversTheTrueProfile(string shape, int o, EpsfSmoothing smoothing)
    {
        var profile = shape == "gauss" ? SyntheticStars.Gaussian(2.0) : SyntheticStars.Moffat(3.0, 3.5);
        int copies = o == 1 ? 4 : 2;
        var (x, y) = SyntheticStars.DitherGrid(o, copies, 40, 30);
        var stars = SyntheticStars.Stamps(x, y, profile, StampSize);
        var result = EpsfBuilder.Build(stars, new EpsfBuilderOptions { Oversampling = o, Smoothing = smoothing });
        Assert.True(result.IsOk, result.Reason);
        Assert.Equal(EpsfBuildStatus.Ok, result.Status);
        int n = result.Size;
        Assert.Equal(StampSize * o + 1 + ((StampSize * o + 1) % 2 == 0 ? 1 : 0), n);

        // truth on the ePSF grid, smoothed as the recipe does
        int c = (n - 1) / 2;
        var truth = new double[n * n];
        for (int j = 0; j < n; j++) for (int i = 0; i < n; i++) truth[j * n + i] = profile((i - c) / (double)o, (j - c) / (double)o);
        var kernel = smoothing == EpsfSmoothing.Quartic ? QuarticKernel() : null;
        if (kernel != null) truth = ConvolveReflect(truth, n, kernel);

        var built = result.Data!;
        double sb = built.Sum(), st = truth.Sum(), peak = truth.Max() / st, worst = 0;
        for (int k = 0; k < n * n; k++) worst = Math.Max(worst, Math.Abs(built[k] / sb - truth[k] / st));
        output.WriteLine($"{shape} o={o} {smoothing}: max |ePSF − truth| / peak = {worst / peak:E2}, iterations {result.Iterations}");
        Assert.True(worst / peak < ProfileTol, $"max deviation {worst / peak:E3} of the peak");

        // centre of light of the ePSF and mean fitted-centre error, in stamp pixels
        double mx = 0, my = 0;
        for (int j = 0; j < n; j++) for (int i = 0; i < n; i++) { mx += built[j * n + i] * (i - c); my += built[j * n + i] * (j - c); }
        Assert.True(Math.Abs(mx / sb / o) < CenterTol && Math.Abs(my / sb / o) < CenterTol, $"ePSF centroid ({mx / sb / o}, {my / sb / o})");
        double ex = 0, ey = 0;
        for (int s = 0; s < stars.Count; s++)
        {
            ex += stars[s].OriginX + result.Stars[s].CenterX - x[s];
            ey += stars[s].OriginY + result.Stars[s].CenterY - y[s];
            Assert.True(Math.Abs(stars[s].OriginX + result.Stars[s].CenterX - x[s]) < CenterTol);
            Assert.True(Math.Abs(stars[s].OriginY + result.Stars[s].CenterY - y[s]) < CenterTol);
        }
        Assert.True(Math.Abs(ex / stars.Count) < CenterTol && Math.Abs(ey / stars.Count) < CenterTol);
    }

    [Fact]
    public void NoStarsIsAResultNotAnException()
    {
        var r = EpsfBuilder.Build(Array.Empty<EpsfStar>(), new EpsfBuilderOptions());
        Assert.Equal(EpsfBuildStatus.TooFewStars, r.Status);
        Assert.False(r.IsOk);
        Assert.Null(r.Data);
        Assert.Contains("0 star stamp", r.Reason);
        Assert.Equal(0, r.StarsInput);
    }

    [Fact]
    public void FewerThanTheMinimumIsTooFewStars()
    {
        var (x, y) = SyntheticStars.DitherGrid(1, 3, 40, 30);
        var stars = SyntheticStars.Stamps(x, y, SyntheticStars.Gaussian(2), StampSize);
        var r = EpsfBuilder.Build(stars, new EpsfBuilderOptions { MinStars = 5 });
        Assert.Equal(EpsfBuildStatus.TooFewStars, r.Status);
        Assert.Equal(3, r.StarsInput);
        Assert.Equal(3, r.Stars.Count);
    }

    [Fact]
    public void AllFitBoxesOutsideTheirStampsIsAllFitsFailed()
    {
        // 3-pixel stamps cannot hold the 5×5 fit box: photutils raises "The ePSF fitting
        // failed for all stars."; we return the reason.
        var (x, y) = SyntheticStars.DitherGrid(1, 4, 40, 30);
        var stars = SyntheticStars.Stamps(x, y, SyntheticStars.Gaussian(1), 3);
        var r = EpsfBuilder.Build(stars, new EpsfBuilderOptions());
        Assert.Equal(EpsfBuildStatus.AllFitsFailed, r.Status);
        Assert.Null(r.Data);
        Assert.Equal(1, r.Iterations);
        Assert.All(r.Stars, s => Assert.True(s.FitFailed));
    }

    [Fact]
    public void EmptyStampsAreDegenerateNotACrash()
    {
        var stars = new List<EpsfStar>();
        for (int s = 0; s < 3; s++)
            stars.Add(new EpsfStar(s.ToString(), 9, new float[81], Enumerable.Repeat(1.0, 81).ToArray(), 0, 0, 4, 4));
        var r = EpsfBuilder.Build(stars, new EpsfBuilderOptions());
        Assert.Equal(EpsfBuildStatus.Degenerate, r.Status);
        Assert.Contains("initial flux 0", r.Reason);
    }

    [Theory]
    [InlineData(0, 30, 9, "epsf.oversamp")]
    [InlineData(1, 0, 9, "epsf.maxiters")]
    [InlineData(1, 30, 8, "epsf.recenter_boxsize")]
    [InlineData(1, 30, 1, "epsf.recenter_boxsize")]
    public void InvalidOptionsNameTheirKey(int o, int maxIters, int box, string key)
    {
        var ex = Assert.Throws<Tract7dtException>(() => EpsfBuilder.Build(Array.Empty<EpsfStar>(),
            new EpsfBuilderOptions { Oversampling = o, MaxIterations = maxIters, RecenterBoxSize = box }));
        Assert.Equal(ErrorCodes.EpsfInvalidOption, ex.Code);
        Assert.Contains(key, ex.Message);
    }

    [Fact]
    public void BuildIsDeterministicAndRobustToAnOutlierStar()
    {
        var (x, y) = SyntheticStars.DitherGrid(2, 3, 40, 30);
        var profile = SyntheticStars.Gaussian(1.8);
        var (img, err, w, h) = SyntheticStars.Render(x, y, profile, 1000, 0, 40, 30, 20);
        var rng = new Random(99);
        for (int k = 0; k < img.Length; k++) img[k] += (float)(0.5 * (rng.NextDouble() - 0.5));
        // a cosmic ray next to one star: clipped out of the stack
        img[((int)y[5] + 1) * w + (int)x[5] + 2] += 3000;
        var stars = StarStamps.Extract(img, err, w, h, x, y, null, StampSize).Stars;
        var opt = new EpsfBuilderOptions { Oversampling = 2 };
        var a = EpsfBuilder.Build(stars, opt);
        var b = EpsfBuilder.Build(stars, opt);
        Assert.True(a.IsOk, a.Reason);
        Assert.Equal(a.Data, b.Data);
        Assert.Equal(a.Stars, b.Stars);
        var p = EpsfPostProcess.Finish(a.Data, a.Size, 2, 41);
        // the cosmic ray would put ~0.3 % of a star's flux into one node; clipped it is gone
        int c = 20;
        double node = p.Data[(c + 2) * 41 + c + 4];
        double expected = profile(2, 1) / (2 * Math.PI * 1.8 * 1.8) / 4;
        Assert.True(Math.Abs(node - expected) < 0.05 * p.Data.Max(), $"node {node} vs {expected}");
    }

    [Fact]
    public void SpeedOfOnePipelineSizedBuild()
    {
        // 30 stars, 61-pixel stamps, oversampling 2 → 123×123 grid cropped to 55×55.
        var (x, y) = SyntheticStars.DitherGrid(2, 8, 70, 40);
        x = x[..30]; y = y[..30];
        var rng = new Random(2026); // random sub-pixel phases: a realistic number of iterations
        for (int s = 0; s < 30; s++) { x[s] += rng.NextDouble() - 0.5; y[s] += rng.NextDouble() - 0.5; }
        var stars = SyntheticStars.Stamps(x, y, SyntheticStars.Moffat(3.0, 3.0), 61, 70, 40);
        var sw = Stopwatch.StartNew();
        var r = EpsfBuilder.Build(stars, new EpsfBuilderOptions { Oversampling = 2 });
        var p = EpsfPostProcess.Finish(r.Data!, r.Size, 2, 55);
        sw.Stop();
        output.WriteLine($"30 stars, 61 px stamps, o=2: {r.Iterations} iterations, {sw.Elapsed.TotalMilliseconds:F0} ms, FWHM {p.FwhmPix:F3}");
        Assert.True(r.IsOk, r.Reason);
        Assert.Equal(55, p.Size);
    }

    internal static double[] QuarticKernel() =>
    [
        +0.041632, -0.080816, 0.078368, -0.080816, +0.041632,
        -0.080816, -0.019592, 0.200816, -0.019592, -0.080816,
        +0.078368, +0.200816, 0.441632, +0.200816, +0.078368,
        -0.080816, -0.019592, 0.200816, -0.019592, -0.080816,
        +0.041632, -0.080816, 0.078368, -0.080816, +0.041632,
    ];

    /// <summary>Straightforward reference convolution with mirrored indices.</summary>
    internal static double[] ConvolveReflect(double[] a, int n, double[] k)
    {
        int R(int i) => i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i;
        var r = new double[n * n];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
                for (int q = -2; q <= 2; q++)
                    for (int p = -2; p <= 2; p++)
                        r[j * n + i] += k[(q + 2) * 5 + p + 2] * a[R(j - q) * n + R(i - p)];
        return r;
    }
}
