using Tract7dt.Science.Detection;
using Tract7dt.Science.Errors;
using Xunit;

namespace Tract7dt.Tests.Detection;

public class ExtractorTests
{
    /// <summary>Adds a pixel-centre-sampled circular Gaussian of total flux <paramref name="flux"/>.</summary>
    private static void AddGaussian(float[] img, int w, double x0, double y0, double sigma, double flux)
    {
        int h = img.Length / w;
        double norm = flux / (2 * Math.PI * sigma * sigma);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double r2 = (x - x0) * (x - x0) + (y - y0) * (y - y0);
                img[y * w + x] += (float)(norm * Math.Exp(-r2 / (2 * sigma * sigma)));
            }
    }

    [Fact]
    public void Single_gaussian_gives_its_centre_flux_and_shape()
    {
        const int w = 64, h = 60;
        const double x0 = 30.3, y0 = 25.7, sigma = 2.0, flux = 1000;
        var img = new float[w * h];
        AddGaussian(img, w, x0, y0, sigma, flux);
        // Absolute threshold, no noise, no filter: the object is every pixel above 0.01.
        var cat = Extractor.Extract(img, w, h, 0.01, PixelNoise.None, default,
            new ExtractOptions { Kernel = null, MinArea = 5 });
        Assert.Equal(1, cat.Count);
        // The isophote at 0.01 lies at r ≈ 6.8σ-scaled… ≈ 3.9σ, where the cut-off wing is
        // ~5e-4 of the flux; its asymmetry about the sub-pixel centre moves the barycentre by
        // far less than 0.01 px.
        Assert.Equal(x0, cat.X[0], 0.01);
        Assert.Equal(y0, cat.Y[0], 0.01);
        Assert.InRange(cat.Flux[0], 0.995 * flux, flux);
        // Second moments of the truncated Gaussian: slightly below σ² = 4 (truncation at
        // ~3.9σ removes ~0.5% of the variance) and round.
        Assert.InRange(cat.X2[0], 0.97 * 4, 4.0);
        Assert.InRange(cat.Y2[0], 0.97 * 4, 4.0);
        Assert.InRange(cat.A[0] / cat.B[0], 1.0, 1.01);
        Assert.Equal(cat.Flux[0], cat.CFlux[0]); // no filter: filtered = unfiltered
        Assert.Equal(30, cat.XPeak[0]);
        Assert.Equal(26, cat.YPeak[0]);
        Assert.Equal(0, cat.Flag[0]);
    }

    [Fact]
    public void Elongated_source_gives_its_position_angle()
    {
        const int w = 64, h = 64;
        var img = new float[w * h];
        // Gaussian with σ_major = 4 along θ = 30°, σ_minor = 1.5.
        double th = Math.PI / 6, c = Math.Cos(th), s = Math.Sin(th);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double dx = x - 32.0, dy = y - 31.5;
                double u = c * dx + s * dy, v = -s * dx + c * dy;
                img[y * w + x] = (float)(100 * Math.Exp(-0.5 * (u * u / 16 + v * v / 2.25)));
            }
        var cat = Extractor.Extract(img, w, h, 0.5, PixelNoise.None, default, new ExtractOptions { Kernel = null });
        Assert.Equal(1, cat.Count);
        // θ from the truncated moments: the truncation is symmetric about the axes, so the
        // angle is exact up to pixel sampling (< 0.01 rad here).
        Assert.Equal(th, cat.Theta[0], 0.01);
        Assert.True(cat.A[0] > 2.5 * cat.B[0]);
    }

    [Fact]
    public void Close_pair_is_deblended_only_when_asked()
    {
        const int w = 60, h = 50;
        var img = new float[w * h];
        AddGaussian(img, w, 25.0, 24.0, 1.5, 5000);
        AddGaussian(img, w, 32.0, 26.0, 1.5, 3000);
        var err = new float[w * h];
        Array.Fill(err, 1f);
        var one = Extractor.Extract(img, w, h, 3.0, PixelNoise.StdDevMap(err), default,
            new ExtractOptions { DeblendCont = 1.0 });
        Assert.Equal(1, one.Count);
        Assert.Equal(0, one.Flag[0] & SourceFlags.Merged);

        var two = Extractor.Extract(img, w, h, 3.0, PixelNoise.StdDevMap(err), default,
            new ExtractOptions { DeblendCont = 0.005 });
        Assert.Equal(2, two.Count);
        Assert.All(two.Flag, f => Assert.Equal(SourceFlags.Merged, f & SourceFlags.Merged));
        // Cores keep their own barycentres: each within 0.15 px of its star (the core is
        // cut where the other star's wing adds an asymmetric pedestal).
        var found = Enumerable.Range(0, 2).Select(i => (x: two.X[i], y: two.Y[i])).OrderBy(p => p.x).ToArray();
        Assert.Equal(25.0, found[0].x, 0.15); Assert.Equal(24.0, found[0].y, 0.15);
        Assert.Equal(32.0, found[1].x, 0.15); Assert.Equal(26.0, found[1].y, 0.15);
        // Every pixel of the blend goes to one child: the pixel counts add up.
        Assert.Equal(one.NPix[0], two.NPix[0] + two.NPix[1]);
        Assert.Equal(one.Flux[0], two.Flux[0] + two.Flux[1], one.Flux[0] * 1e-6);
    }

    [Fact]
    public void Objects_come_in_raster_completion_order_and_minarea_applies()
    {
        const int w = 40, h = 40;
        var img = new float[w * h];
        AddGaussian(img, w, 30, 10, 1.2, 500);  // completes first (smaller y)
        AddGaussian(img, w, 8, 30, 1.2, 500);
        img[38 * w + 2] = 50f;                   // a 1-pixel spike: below minarea
        var cat = Extractor.Extract(img, w, h, 1.0, PixelNoise.None, default,
            new ExtractOptions { Kernel = null, MinArea = 3 });
        Assert.Equal(2, cat.Count);
        Assert.True(cat.Y[0] < cat.Y[1]);
    }

    [Fact]
    public void Objects_touching_the_border_are_flagged_truncated()
    {
        const int w = 40, h = 40;
        var img = new float[w * h];
        AddGaussian(img, w, 1.0, 20.0, 1.4, 1200);   // cut by the left edge
        AddGaussian(img, w, 25.0, 38.5, 1.4, 1200);  // cut by the top edge (last row)
        AddGaussian(img, w, 25.0, 10.0, 1.4, 1200);  // inside
        var cat = Extractor.Extract(img, w, h, 1.0, PixelNoise.None, default, new ExtractOptions { MinArea = 3 });
        Assert.Equal(3, cat.Count);
        // Completion order: the inside one (ends lowest), then the left-edge one, then the top one.
        Assert.Equal(10.0, cat.Y[0], 0.01);
        Assert.Equal(0, cat.Flag[0]);
        Assert.Equal(0, cat.XMin[1]);
        Assert.Equal(SourceFlags.Truncated, cat.Flag[1]);
        Assert.Equal(h - 1, cat.YMax[2]);
        Assert.Equal(SourceFlags.Truncated, cat.Flag[2]);
    }

    [Fact]
    public void Masked_pixels_contribute_zero_flux()
    {
        const int w = 30, h = 30, c = 15 * w + 15;
        var img = new float[w * h];
        AddGaussian(img, w, 15, 15, 1.5, 1000);
        // With the default 3×3 filter the masked pixel is still on through its neighbours.
        var full = Extractor.Extract(img, w, h, 0.5);
        float centre = img[c];
        var mask = new byte[w * h];
        mask[c] = 1;
        img[c] = 1e9f; // hidden by the mask
        var masked = Extractor.Extract(img, w, h, 0.5, PixelNoise.None, mask);
        Assert.Equal(1, masked.Count);
        // The masked pixel stays in the object (its neighbours are on) but counts 0.
        Assert.Equal(full.NPix[0], masked.NPix[0]);
        // float32 sums of ~1000: 1e-3 absolute covers the rounding.
        Assert.Equal(full.Flux[0] - centre, masked.Flux[0], 1e-3);
    }

    [Theory]
    [InlineData(50.5, 1)] // 10.5 px from the star: its extrapolated wing (≈ t·(8/10.5)² ≈ 0.58) beats the bump's 0.17
    [InlineData(60.5, 2)] // 20.5 px: wing ≈ 0.15 < 0.17, the bump stays
    public void Faint_bump_on_a_bright_wing_is_cleaned(double bumpY, int expectedAfterCleaning)
    {
        const int w = 80, h = 80;
        var img = new float[w * h];
        // Star: σ = 2 with flux 8π·e⁸, so with threshold 1 its isophote is exactly r = 8.
        AddGaussian(img, w, 40, 40, 2.0, 8 * Math.PI * Math.Exp(8));
        // Bump: peak 1.5, centred between four pixels that each reach 1.17 (above 1); a
        // ring of off pixels separates it from the star.
        AddGaussian(img, w, 40.5, bumpY, 1.0, 1.5 * 2 * Math.PI);
        var options = new ExtractOptions { Kernel = null, DeblendCont = 1.0, MinArea = 3 };
        var kept = Extractor.Extract(img, w, h, 1.0, PixelNoise.None, default, options with { Clean = false });
        var cleaned = Extractor.Extract(img, w, h, 1.0, PixelNoise.None, default, options with { Clean = true });
        Assert.Equal(2, kept.Count);
        Assert.Equal(4, kept.NPix[1]);
        Assert.Equal(expectedAfterCleaning, cleaned.Count);
        Assert.Equal(40.0, cleaned.Y[0], 0.01);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Matched_filter_turns_on_exactly_the_significant_pixels(int seed)
    {
        // Brute force of the definition: Q = Σk·f/σ² / √(Σk²/σ²) over in-image neighbours,
        // with a random σ map (incl. masked pixels, whose σ is infinite) and random data.
        const int w = 23, h = 17;
        const double thresh = 1.5;
        var rng = new Random(seed);
        var data = new float[w * h];
        var sig = new float[w * h];
        var mask = new byte[w * h];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)(rng.NextDouble() * 4 - 1);
            sig[i] = (float)(0.5 + rng.NextDouble());
            mask[i] = (byte)(rng.NextDouble() < 0.05 ? 1 : 0);
        }
        int[] k = [1, 2, 1, 2, 4, 2, 1, 2, 1];
        int expectedOn = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double num = 0, den = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int xx = x + dx, yy = y + dy;
                        if (xx < 0 || xx >= w || yy < 0 || yy >= h) continue;
                        int i = yy * w + xx;
                        if (mask[i] != 0) continue; // infinite σ: no weight
                        double var = (double)sig[i] * sig[i];
                        num += k[(dy + 1) * 3 + dx + 1] * data[i] / var;
                        den += k[(dy + 1) * 3 + dx + 1] * k[(dy + 1) * 3 + dx + 1] / var;
                    }
                if (den > 0 && num / Math.Sqrt(den) > thresh) expectedOn++;
            }
        var cat = Extractor.Extract(data, w, h, thresh, PixelNoise.StdDevMap(sig), mask,
            new ExtractOptions { MinArea = 1, DeblendNThresh = 1, Clean = false });
        Assert.Equal(expectedOn, cat.NPix.Sum());
    }

    [Fact]
    public void Component_beyond_the_pixel_stack_throws_with_code()
    {
        var img = new float[50 * 50];
        Array.Fill(img, 10f);
        var ex = Assert.Throws<Tract7dtException>(() => Extractor.Extract(img, 50, 50, 1.0, PixelNoise.None, default,
            new ExtractOptions { PixelStackLimit = 1000 }));
        Assert.Equal(ErrorCodes.ExtractPixelStackFull, ex.Code);
        Assert.Contains("2500", ex.Message);
    }

    [Fact]
    public void Sub_object_overflow_throws_with_code()
    {
        const int w = 60, h = 50;
        var img = new float[w * h];
        AddGaussian(img, w, 25.0, 24.0, 1.5, 5000);
        AddGaussian(img, w, 32.0, 26.0, 1.5, 3000);
        var ex = Assert.Throws<Tract7dtException>(() => Extractor.Extract(img, w, h, 1.0, PixelNoise.None, default,
            new ExtractOptions { SubObjectLimit = 2 }));
        Assert.Equal(ErrorCodes.DeblendSubObjectLimit, ex.Code);
    }

    [Theory]
    [InlineData(0.0, 5)]
    [InlineData(double.NaN, 5)]
    [InlineData(1.5, 0)]
    public void Bad_parameters_throw_with_code(double thresh, int minArea)
    {
        var ex = Assert.Throws<Tract7dtException>(() => Extractor.Extract(new float[100], 10, 10, thresh,
            PixelNoise.None, default, new ExtractOptions { MinArea = minArea }));
        Assert.Equal(ErrorCodes.ExtractParameter, ex.Code);
    }

    [Fact]
    public void Even_kernel_throws_with_code()
    {
        var ex = Assert.Throws<Tract7dtException>(() => new FilterKernel(new float[4], 2, 2));
        Assert.Equal(ErrorCodes.ExtractKernel, ex.Code);
    }

    [Fact]
    public void Empty_image_gives_an_empty_catalog()
    {
        var cat = Extractor.Extract(new float[64], 8, 8, 1.5, 1f);
        Assert.Equal(0, cat.Count);
    }
}
