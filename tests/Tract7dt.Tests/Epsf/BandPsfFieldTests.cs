using Tract7dt.Science.Psf.Epsf;
using Tract7dt.Science.Psf.Stage;
using Tract7dt.Science.Simulation;
using Xunit;

namespace Tract7dt.Tests.Epsf;

/// <summary>Pieces of the band PSF model (docs/algorithms.md, "The band PSF model").</summary>
public class BandPsfFieldTests
{
    [Fact]
    public void Far_sky_is_the_level_beyond_the_stamp_not_the_star()
    {
        const int w = 200, h = 200;
        var img = new float[w * h];
        var bad = new byte[w * h];
        var rng = new SimRandom(3);
        for (int i = 0; i < img.Length; i++) img[i] = (float)(2.5 + rng.NextGaussian());
        // a bright star whose wings reach 30 px: none of it in the 36-50 px annulus
        var st = new SourceRenderer().RenderStar(new MoffatPsf(3.0, 2.5, 0, 0), 100.3, 99.6, 1e6);
        for (int y = 0; y < st.Height; y++)
            for (int x = 0; x < st.Width; x++)
            {
                int gx = st.X0 + x, gy = st.Y0 + y;
                if ((uint)gx < w && (uint)gy < h) img[gy * w + gx] += st.Data[y * st.Width + x];
            }
        double sky = BandPsfField.FarSky(img, bad, w, h, 100.3, 99.6, 36, 50);
        Assert.InRange(sky, 2.45, 2.55);
        // the per-star annulus of the original (20-30 px) sits in the wings and reads them as sky
        double inWings = BandPsfField.FarSky(img, bad, w, h, 100.3, 99.6, 20, 24);
        Assert.True(inWings > sky + 0.1, $"the 20-24 px ring should carry wing light: {inWings} vs {sky}");
    }

    [Fact]
    public void Far_sky_needs_enough_good_pixels()
    {
        var img = new float[100 * 100];
        var bad = Enumerable.Repeat((byte)1, 100 * 100).ToArray();
        Assert.True(double.IsNaN(BandPsfField.FarSky(img, bad, 100, 100, 50, 50, 36, 50)));
    }

    /// <summary>
    /// Stars of a PSF whose width follows <paramref name="fwhmAt"/> over a 2000-px frame: the
    /// band build, its field fit and the held-out flux test of every degree.
    /// </summary>
    private static (EpsfBuildResult Band, FieldFit Field, Dictionary<int, BandPsfField.HeldOutFluxes> Tests,
        Func<Func<string, double, double, double[]>, BandPsfField.HeldOutFluxes> Test)
        FieldWorld(Func<double, double, double> fwhmAt, int nStars, int seed, double minFlux = 2e5, double maxFlux = 2e6)
    {
        const int frame = 2000, size = 31;
        var rng = new SimRandom((ulong)seed);
        var renderer = new SourceRenderer();
        var stars = new List<EpsfStar>();
        var origin = new Dictionary<string, (double X, double Y)>(StringComparer.Ordinal);
        for (int q = 0; q < nStars; q++)
        {
            double x = rng.Uniform(40, frame - 40), y = rng.Uniform(40, frame - 40);
            double u = (x - frame / 2.0) / (frame / 2.0), v = (y - frame / 2.0) / (frame / 2.0);
            var st = renderer.RenderStar(new MoffatPsf(fwhmAt(u, v), 3.0, 0, 0, 0, 3, 2.2), x, y, rng.Uniform(minFlux, maxFlux));
            int ox = (int)Math.Round(x) - size / 2, oy = (int)Math.Round(y) - size / 2;
            var data = new float[size * size];
            var wts = new double[size * size];
            const double sky = 5.0;
            for (int j = 0; j < size; j++)
                for (int i = 0; i < size; i++)
                {
                    int sx = ox + i - st.X0, sy = oy + j - st.Y0;
                    double m = (uint)sx < st.Width && (uint)sy < st.Height ? st.Data[sy * st.Width + sx] : 0;
                    double sigma = Math.Sqrt(sky * sky + Math.Max(m, 0) / 2.0); // gain 2
                    data[j * size + i] = (float)(m + sigma * rng.NextGaussian());
                    wts[j * size + i] = 1 / sigma;
                }
            string id = "s" + q;
            stars.Add(new EpsfStar(id, size, data, wts, ox, oy, x - ox, y - oy));
            origin[id] = (ox, oy);
        }
        var band = EpsfBuilder.Build(stars, new EpsfBuilderOptions { Smoothing = EpsfSmoothing.None, Stack = EpsfStack.WeightedMean });
        Assert.True(band.IsOk, band.Reason);
        var field = new FieldFit(band, stars, origin, frame, frame);
        var radius = BandPsfField.Radii(band.Size);
        double rc = 3 * 3.0;
        var wing = BandPsfField.Wings.From(band.Data!.Select(d => (float)d).ToArray(), radius, rc);
        double[] CoreOf(double[] e) => BandPsfField.CoreNormalised(e.Select(d => (float)d).ToArray(), radius, rc);
        var tests = BandPsfField.HeldOutTests(field, band, stars, origin, radius, rc, CoreOf, wing);
        return (band, field, tests, f => BandPsfField.HeldOutFluxTest(band, stars, origin, radius, rc, f, wing));
    }

    [Fact]
    public void Field_degree_is_the_one_that_predicts_unseen_stars()
    {
        // Wider at the centre than at the edges: no linear term, so a linear field cannot
        // follow it (a rule by star count chose linear for such a band, and the cells at the
        // field's centre came out 2-4 % bright).
        var (band, field, tests, _) = FieldWorld((u, v) => 3.3 - 0.6 * (u * u + v * v), 80, 5);
        Assert.Equal([1, 3, 6], field.Candidates);
        Assert.True(tests[6].Score < tests[3].Score && tests[6].Score < tests[1].Score,
            $"held-out flux rms: none {Math.Sqrt(tests[1].Score):P2}, linear {Math.Sqrt(tests[3].Score):P2}, quadratic {Math.Sqrt(tests[6].Score):P2}");
        Assert.Equal(6, BandPsfField.ChooseDegree(field.Candidates, tests, band.Stars.Count));
        Assert.True(Math.Sqrt(tests[6].Score) < 0.01, $"quadratic field: held-out flux rms {Math.Sqrt(tests[6].Score):P2}");

        // A PSF that does not change: the extra terms only fit noise, and are not chosen.
        var flat = FieldWorld((u, v) => 3.0, 80, 6);
        Assert.NotEqual(6, BandPsfField.ChooseDegree(flat.Field.Candidates, flat.Tests, flat.Band.Stars.Count));
    }

    [Fact]
    public void Model_error_is_measured_on_stars_the_field_did_not_see()
    {
        var (_, field, tests, test) = FieldWorld((u, v) => 3.0 + 0.3 * u - 0.5 * (u * u + v * v), 40, 7, 3e4, 1.5e5);
        field.Use(6);
        var radius = BandPsfField.Radii(field.Evaluate(0, 0).Length is int len ? (int)Math.Round(Math.Sqrt(len)) : 0);
        double[] CoreOf(double[] e) => BandPsfField.CoreNormalised(e.Select(d => (float)d).ToArray(), radius, 9.0);
        var inSample = test((id, x, y) => CoreOf(field.Evaluate(x, y)));
        // 40 stars for 6 terms per node: fitted to themselves, the stars look better than a star
        // the model has not seen will be fitted
        Assert.True(tests[6].ModelError > 1.2 * inSample.ModelError,
            $"held-out model error {tests[6].ModelError:P3} vs in-sample {inSample.ModelError:P3}");
    }

    [Fact]
    public void Without_enough_bright_stars_the_degree_follows_the_star_count()
    {
        var none = new BandPsfField.HeldOutFluxes(3, double.NaN, double.NaN);
        var tests = new Dictionary<int, BandPsfField.HeldOutFluxes> { [1] = none, [3] = none, [6] = none };
        Assert.Equal(1, BandPsfField.ChooseDegree([1, 3, 6], tests, 15));
        Assert.Equal(3, BandPsfField.ChooseDegree([1, 3, 6], tests, 40));
        Assert.Equal(6, BandPsfField.ChooseDegree([1, 3, 6], tests, 90));
        Assert.Equal(3, BandPsfField.ChooseDegree([1, 3], tests, 90));
    }
}
