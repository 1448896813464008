using Tract7dt.Science.Fitting.Patch;
using Tract7dt.Science.Psf.Models;
using Xunit;

namespace Tract7dt.Tests.Fitting;

/// <summary>
/// A band with no usable pixel under a source tells nothing of its flux: the source's flux
/// there is NaN and flagged, never its catalogue flux (the optimiser's starting value)
/// reported as a measurement.
/// </summary>
public sealed class NoPixelsTests
{
    private const int W = 60, H = 40;
    private static readonly double[] Xs = [15, 45];
    private const double Y = 20, Flux = 5000;

    /// <param name="hole">Per source: mask the band's pixels around it.</param>
    private static PatchBand Band(string name, bool[] hole)
    {
        var psf = new NCircularGaussianPsf([1.5], [1.0]);
        var img = new float[W * H];
        var sig = Enumerable.Repeat(1f, W * H).ToArray();
        var bad = new bool[W * H];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int s = 0; s < Xs.Length; s++)
                {
                    double dx = x - Xs[s], dy = y - Y;
                    img[y * W + x] += (float)(Flux / (2 * Math.PI * 1.5 * 1.5) * Math.Exp(-0.5 * (dx * dx + dy * dy) / (1.5 * 1.5)));
                    if (hole[s] && Math.Abs(dx) <= 14 && Math.Abs(dy) <= 19) { bad[y * W + x] = true; img[y * W + x] = float.NaN; }
                }
        return new PatchBand(name, img, sig, bad, psf);
    }

    [Fact]
    public void A_source_in_a_bands_hole_gets_no_flux_there_and_a_flag()
    {
        // m550 is blank around the first source; the second is clear in both bands.
        var cat = new PatchCatalog(Xs, [Y, Y], ["STAR", "STAR"], null, null, null, null);
        var r = PatchFitter.Fit([Band("m400", [false, false]), Band("m550", [true, false])], W, H, cat,
            new PatchFitSettings { NOptIters = 30 }, PatchModelFactories.Tractor);
        var t = r.Table;
        Assert.True(double.IsNaN(t.Doubles("FLUX_m550_fit")[0]), $"m550 flux of the hidden source: {t.Doubles("FLUX_m550_fit")[0]}");
        Assert.True(double.IsNaN(t.Doubles("FLUXERR_m550_fit")[0]));
        Assert.True(t.Bools("fit_no_pixels_m550")[0]);
        Assert.False(t.Bools("fit_no_pixels")[0]);                       // m400 still sees it
        Assert.Equal(Flux, t.Doubles("FLUX_m400_fit")[0], Flux * 0.01);
        Assert.Equal(Flux, t.Doubles("FLUX_m550_fit")[1], Flux * 0.01);
        Assert.False(t.Bools("fit_no_pixels_m550")[1]);
    }

    [Fact]
    public void A_source_no_band_sees_is_flagged_with_every_flux_NaN()
    {
        var cat = new PatchCatalog(Xs, [Y, Y], ["STAR", "STAR"], null, null, null, null);
        var r = PatchFitter.Fit([Band("m400", [true, false]), Band("m550", [true, false])], W, H, cat,
            new PatchFitSettings { NOptIters = 30 }, PatchModelFactories.Tractor);
        var t = r.Table;
        Assert.True(t.Bools("fit_no_pixels")[0]);
        Assert.True(double.IsNaN(t.Doubles("FLUX_m400_fit")[0]) && double.IsNaN(t.Doubles("FLUX_m550_fit")[0]));
        Assert.False(t.Bools("fit_no_pixels")[1]);
    }
    [Fact]
    public void A_hole_over_the_core_leaves_only_wings_and_the_band_does_not_measure_the_source()
    {
        // PSF with a broad wing (10 % at σ = 6 px): a 9×9 hole over the first source's core in
        // m550 leaves ~15 % of its light on usable pixels, all of it wing
        var psf = new NCircularGaussianPsf([1.5, 6.0], [0.9, 0.1]);
        PatchBand Band(string name, bool hole)
        {
            var img = new float[W * H];
            var bad = new bool[W * H];
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    foreach (double x0 in Xs)
                    {
                        double r2 = (x - x0) * (x - x0) + (y - Y) * (y - Y);
                        img[y * W + x] += (float)(Flux * (0.9 / (2 * Math.PI * 2.25) * Math.Exp(-0.5 * r2 / 2.25)
                                                          + 0.1 / (2 * Math.PI * 36) * Math.Exp(-0.5 * r2 / 36)));
                        if (hole && x0 == Xs[0] && Math.Abs(x - x0) <= 4 && Math.Abs(y - Y) <= 4) { bad[y * W + x] = true; img[y * W + x] = float.NaN; }
                    }
            return new PatchBand(name, img, Enumerable.Repeat(1f, W * H).ToArray(), bad, psf);
        }
        var cat = new PatchCatalog(Xs, [Y, Y], ["STAR", "STAR"], null, null, null, null);
        var t = PatchFitter.Fit([Band("m400", false), Band("m550", true)], W, H, cat,
            new PatchFitSettings { NOptIters = 30 }, PatchModelFactories.Tractor).Table;
        Assert.True(double.IsNaN(t.Doubles("FLUX_m550_fit")[0]), $"m550 flux from the wings alone: {t.Doubles("FLUX_m550_fit")[0]}");
        Assert.True(t.Bools("fit_no_pixels_m550")[0]);
        Assert.Equal(Flux, t.Doubles("FLUX_m400_fit")[0], Flux * 0.01);
        Assert.Equal(Flux, t.Doubles("FLUX_m550_fit")[1], Flux * 0.01); // the clear neighbour is measured
    }
}
