using Tract7dt.Science.Fitting.Patch;
using Tract7dt.Science.Psf.Models;
using Xunit;

namespace Tract7dt.Tests.Fitting;

/// <summary>
/// Band positions of bright stars: two bands registered to each other only to 0.6 px. The joint
/// fit's one position sits between them and draws the PSF off the star's centre in both; the
/// refit in each band gives bright stars their fluxes back and leaves faint ones alone.
/// </summary>
public sealed class BandRecentringTests
{
    private const int Size = 25, W = 61, H = 61;
    private const double Sigma = 1.1; // FWHM 2.6 px: undersampled, where a 0.3-px miss costs ~2 %

    private static float[] Gaussian() => GaussianStamp.Make(Size, Sigma);

    private static PatchBand Band(string name, IReadOnlyList<(double X, double Y, double Flux)> stars)
    {
        var psf = new PixelizedPsf(Gaussian(), Size, Size, shift: SubpixelShift.Fourier);
        var img = new float[W * H];
        foreach (var (x0, y0, flux) in stars) GaussianStamp.AddPoint(img, W, H, psf, x0, y0, flux);
        return new PatchBand(name, img, Enumerable.Repeat(1f, W * H).ToArray(), new bool[W * H], psf);
    }

    private const double Bright = 1e5, Faint = 100; // S/N ≈ 20 000 and ≈ 25 on unit sky noise

    private static PatchFitResult Fit(double recentreSnr)
    {
        // band m400 has both stars where the catalogue says; band m550 has them 0.6 px to the right
        var bands = new[]
        {
            Band("m400", [(20.3, 30.2, Bright), (42.0, 30.0, Faint)]),
            Band("m550", [(20.9, 30.2, Bright), (42.6, 30.0, Faint)]),
        };
        var cat = new PatchCatalog([20.6, 42.3], [30.2, 30.0], ["STAR", "STAR"], null, null, null, null);
        return PatchFitter.Fit(bands, W, H, cat,
            new PatchFitSettings { NOptIters = 50, BandRecentreSnr = recentreSnr, PhotonNoiseErrors = false }, PatchModelFactories.Tractor);
    }

    [Fact]
    public void A_bright_star_gets_its_flux_back_in_each_band_and_a_faint_one_keeps_the_joint_position()
    {
        var on = Fit(50).Table;
        var off = Fit(0).Table;
        foreach (string b in new[] { "m400", "m550" })
        {
            double joint = off.Doubles($"FLUX_{b}_fit")[0] / Bright - 1;
            double refit = on.Doubles($"FLUX_{b}_fit")[0] / Bright - 1;
            // the joint position is ~0.3 px from the star in each band: ~2 % lost
            Assert.True(joint < -0.01, $"{b}: the joint fit lost only {joint:P2}; the test no longer shows the misregistration");
            Assert.True(Math.Abs(refit) < 0.002, $"{b}: refitted flux off by {refit:P2}");
            double shift = on.Doubles($"band_shift_{b}_pix")[0];
            Assert.InRange(shift, 0.25, 0.35);
            // the faint star is not refitted: its own-band position would be noise
            Assert.True(double.IsNaN(on.Doubles($"band_shift_{b}_pix")[1]), $"{b}: the faint star was refitted");
            Assert.Equal(off.Doubles($"FLUX_{b}_fit")[1], on.Doubles($"FLUX_{b}_fit")[1]);
            // its flux error covers the free position: no smaller than the joint one
            Assert.True(on.Doubles($"FLUXERR_{b}_fit")[0] >= off.Doubles($"FLUXERR_{b}_fit")[0] * 0.999);
        }
        Assert.False(off.Has("band_shift_m400_pix"));
    }

    [Fact]
    public void A_blended_pair_keeps_its_joint_positions()
    {
        // two bright stars 2 px apart (less than a FWHM): a position per band would trade flux
        // between them; the joint positions, which both bands constrain, stand
        var bands = new[]
        {
            Band("m400", [(20.3, 30.2, Bright), (22.3, 30.2, Bright)]),
            Band("m550", [(20.6, 30.2, Bright), (22.6, 30.2, Bright)]),
        };
        var cat = new PatchCatalog([20.45, 22.45], [30.2, 30.2], ["STAR", "STAR"], null, null, null, null);
        var t = PatchFitter.Fit(bands, W, H, cat, new PatchFitSettings { NOptIters = 50, PhotonNoiseErrors = false },
            PatchModelFactories.Tractor).Table;
        foreach (string b in new[] { "m400", "m550" })
            Assert.All(t.Doubles($"band_shift_{b}_pix"), v => Assert.True(double.IsNaN(v), $"{b}: a blended star was refitted (move {v:F3} px)"));
    }
}
