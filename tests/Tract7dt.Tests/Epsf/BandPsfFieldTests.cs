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
}
