using Tract7dt.Science.Psf.Stage;
using Xunit;

namespace Tract7dt.Tests.Epsf;

/// <summary>
/// The concentration test that keeps galaxies out of the SEP fill pass: on a noiseless cell
/// of Gaussian stars of very different brightness and round extended sources, exactly the
/// extended ones leave the fill order; the candidate list (what Gaia seeds snap to) stays.
/// </summary>
public class ExtendedSourceFilterTests
{
    private const int W = 400, H = 200;

    private static void AddGaussian(float[] img, double x0, double y0, double flux, double sigma)
    {
        int r = (int)Math.Ceiling(6 * sigma);
        for (int y = Math.Max(0, (int)y0 - r); y <= Math.Min(H - 1, (int)y0 + r); y++)
            for (int x = Math.Max(0, (int)x0 - r); x <= Math.Min(W - 1, (int)x0 + r); x++)
            {
                double d2 = (x - x0) * (x - x0) + (y - y0) * (y - y0);
                img[y * W + x] += (float)(flux / (2 * Math.PI * sigma * sigma) * Math.Exp(-0.5 * d2 / (sigma * sigma)));
            }
    }

    [Fact]
    public void Extended_sources_leave_the_fill_order_and_stars_of_any_brightness_stay()
    {
        var img = new float[W * H];
        double starSigma = 3.3 / 2.3548;
        var xs = new List<double>(); var ys = new List<double>();
        // five stars over a factor 100 in flux, two round galaxies (σ 2.5× and 4× the star's)
        double[] flux = [1e5, 3e4, 1e4, 3e3, 1e3, 2e4, 5e4];
        double[] sig = [starSigma, starSigma, starSigma, starSigma, starSigma, 2.5 * starSigma, 4 * starSigma];
        for (int k = 0; k < flux.Length; k++)
        {
            double x = 40 + 50 * k + 0.3 * k, y = 100 - 0.2 * k;
            AddGaussian(img, x, y, flux[k], sig[k]);
            xs.Add(x); ys.Add(y);
        }
        var order = Enumerable.Range(0, flux.Length).OrderByDescending(k => flux[k]).ToArray();
        var cands = new StarCandidates(xs.ToArray(), ys.ToArray(), Enumerable.Repeat(1.0, flux.Length).ToArray(), order);

        var kept = ExtendedSourceFilter.Apply(cands, img, new byte[W * H], W, H, radius: 1.5 * 3.3, out int rejected);

        Assert.Equal(2, rejected);
        Assert.Equal(order.Where(k => k < 5), kept.FillOrder); // stars, still brightest first
        Assert.Same(cands.X, kept.X);                          // seeds still snap to every candidate
        double cStar = ExtendedSourceFilter.Concentration(img, new byte[W * H], W, H, xs[0], ys[0], 4.95);
        double cFaint = ExtendedSourceFilter.Concentration(img, new byte[W * H], W, H, xs[4], ys[4], 4.95);
        Assert.InRange(cFaint / cStar, 0.99, 1.01); // C of a point source: its brightness does not matter (phase does, slightly)
    }

    [Fact]
    public void Too_few_candidates_means_no_locus_and_nothing_rejected()
    {
        var img = new float[W * H];
        AddGaussian(img, 100, 100, 1e4, 1.4);
        AddGaussian(img, 200, 100, 1e4, 6.0);
        var cands = new StarCandidates([100.0, 200.0], [100.0, 100.0], [1.0, 1.0], [0, 1]);
        var kept = ExtendedSourceFilter.Apply(cands, img, new byte[W * H], W, H, 5.0, out int rejected);
        Assert.Equal(0, rejected);
        Assert.Same(cands, kept);
    }
}
