using Tract7dt.Science.Fitting;
using Tract7dt.Science.Fitting.Profiles;
using Tract7dt.Science.Psf.Models;
using Xunit;

namespace Tract7dt.Tests.Rendering;

/// <summary>
/// Bands that share one PSF object and one geometry share every render (PatchModel's render
/// classes). The shared path must give exactly what separate, equal PSF objects give (no
/// sharing), for the model images and for every derivative patch.
/// </summary>
public class SharedRenderTests
{
    private const int W = 90, H = 80;

    private static PatchModel Build(bool sharePsf, int nb, bool oddGeometry = false)
    {
        float[] stamp = new MoffatPsf(3.5, 3.5, 10).Pixelized.Values.ToArray();
        var shared = new PixelizedPsf(stamp, 21, 21);
        var images = new List<FitImage>();
        for (int k = 0; k < nb; k++)
        {
            int w = oddGeometry && k == 1 ? W - 7 : W;
            var psf = sharePsf ? shared : new PixelizedPsf(stamp, 21, 21);
            images.Add(new FitImage("b" + k, new float[w * H], Enumerable.Repeat(1f, w * H).ToArray(), w, H, psf));
        }
        Dictionary<string, double> F(double f) => Enumerable.Range(0, nb).ToDictionary(k => "b" + k, k => f * (1 + 0.1 * k));
        var sources = new List<FitSource>
        {
            new(SourceType.Point, 20.3, 30.7, F(1000)),
            new(SourceType.Point, 87.6, 10.2, F(500)), // near the edge
            new(SourceType.Exp, 45.2, 40.6, F(3000), EllipseESoft.FromRAbPhi(2.5, 0.6, 40)),
            new(SourceType.Dev, 60.8, 52.1, F(4000), EllipseESoft.FromRAbPhi(3.0, 0.8, 110)),
            new(SourceType.Sersic, 30.1, 60.4, F(2000), EllipseESoft.FromRAbPhi(2.0, 0.7, 10), 2.2),
        };
        return new PatchModel(images, sources);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Shared_psf_gives_exactly_the_unshared_models_and_derivatives(bool oddGeometry)
    {
        const int nb = 4;
        var a = Build(true, nb, oddGeometry);
        var b = Build(false, nb, oddGeometry);
        for (int k = 0; k < nb; k++)
        {
            int n = a.ImageWidth(k) * a.ImageHeight(k);
            var ma = new float[n]; var mb = new float[n];
            a.RenderModel(k, ma); b.RenderModel(k, mb);
            Assert.Equal(mb, ma);
        }
        var da = Enumerable.Range(0, a.ParameterCount).Select(_ => new List<DerivativePatch>()).ToArray();
        var db = Enumerable.Range(0, b.ParameterCount).Select(_ => new List<DerivativePatch>()).ToArray();
        a.GetDerivatives(da); b.GetDerivatives(db);
        int patches = 0;
        for (int j = 0; j < da.Length; j++)
        {
            Assert.Equal(db[j].Count, da[j].Count);
            for (int q = 0; q < da[j].Count; q++)
            {
                var (x, y) = (da[j][q], db[j][q]);
                Assert.Equal((y.Image, y.X0, y.Y0, y.Width, y.Height), (x.Image, x.X0, x.Y0, x.Width, x.Height));
                Assert.Equal(y.Values, x.Values);
                patches++;
            }
        }
        Assert.True(patches > 5 * nb * 3, $"only {patches} patches compared");
    }

    [Fact]
    public void Changing_one_source_leaves_the_others_cached_and_matches_a_fresh_model()
    {
        // The unit-patch cache is keyed by the source's geometry: after a step, a fresh model
        // at the same parameters must render the same image.
        var m = Build(true, 3);
        var p = new double[m.ParameterCount];
        m.GetParameters(p);
        var img = new float[W * H];
        m.RenderModel(0, img);
        int jx = Enumerable.Range(0, m.ParameterCount).First(j => m.ParameterName(j) == "catalog.source2.pos.x");
        p[jx] += 0.37;
        m.SetParameters(p);
        m.RenderModel(0, img);
        var fresh = Build(true, 3);
        fresh.SetParameters(p);
        var want = new float[W * H];
        fresh.RenderModel(0, want);
        Assert.Equal(want, img);
    }
}
