using Tract7dt.Science.Fitting.Patch;
using Tract7dt.Science.Psf.Models;
using Xunit;

namespace Tract7dt.Tests.Fitting;

/// <summary>
/// The PSF-over-aperture check of the patch fit: 1 within its stated noise when the model is
/// the star's PSF, below 1 when the star is broader than the model, and blind to a neighbour
/// whose light the fit took out.
/// </summary>
public sealed class PsfApertureCheckTests
{
    private const int W = 71, H = 71, Size = 31;
    private const double ModelSigma = 1.4; // FWHM 3.3 px

    private static PatchBand Band(double starSigma, IReadOnlyList<(double X, double Y, double Flux)> stars, Random rng, double plateau = 0)
    {
        var model = new PixelizedPsf(GaussianStamp.Make(Size, ModelSigma), Size, Size, shift: SubpixelShift.Fourier);
        var truth = new PixelizedPsf(GaussianStamp.Make(Size, starSigma), Size, Size, shift: SubpixelShift.Fourier);
        var img = new float[W * H];
        foreach (var (x0, y0, flux) in stars) GaussianStamp.AddPoint(img, W, H, truth, x0, y0, flux);
        // sky the patch's one constant cannot follow: a plateau within 30 px of the first star
        for (int k = 0; k < img.Length && plateau != 0; k++)
        {
            double dx = k % W - stars[0].X, dy = k / W - stars[0].Y;
            if (dx * dx + dy * dy < 900) img[k] += (float)plateau;
        }
        for (int k = 0; k < img.Length; k++)
            img[k] += (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return new PatchBand("m550", img, Enumerable.Repeat(1f, W * H).ToArray(), new bool[W * H], model);
    }

    private static (double Ratio, double LnSig) Check(double starSigma, double flux, int seed,
        IReadOnlyList<(double X, double Y, double Flux)>? others = null, double plateau = 0)
    {
        var rng = new Random(seed);
        var stars = new List<(double, double, double)> { (35.3, 35.6, flux) };
        if (others is not null) stars.AddRange(others);
        var band = Band(starSigma, stars, rng, plateau);
        var cat = new PatchCatalog(stars.Select(s => s.Item1).ToArray(), stars.Select(s => s.Item2).ToArray(),
            stars.Select(_ => "STAR").ToArray(), null, null, null, null);
        var t = PatchFitter.Fit([band], W, H, cat, new PatchFitSettings { NOptIters = 50, PhotonNoiseErrors = false },
            PatchModelFactories.Tractor).Table;
        return (t.Doubles("psf_ap_ratio_m550")[0], t.Doubles("psf_ap_lnsig_m550")[0]);
    }

    [Fact]
    public void With_the_right_PSF_the_ratio_is_one_within_its_stated_noise()
    {
        var ln = new List<double>();
        var sig = new List<double>();
        for (int seed = 1; seed <= 60; seed++)
        {
            var (r, s) = Check(ModelSigma, 3000, seed); // S/N ≈ 300 on unit sky noise
            Assert.True(r > 0 && s > 0, $"seed {seed}: no check ({r}, {s})");
            ln.Add(Math.Log(r));
            sig.Add(s);
        }
        double mean = ln.Average();
        double sd = Math.Sqrt(ln.Sum(v => (v - mean) * (v - mean)) / (ln.Count - 1));
        double stated = sig.Average();
        Assert.True(Math.Abs(mean) < 3 * sd / Math.Sqrt(ln.Count), $"mean ln ratio {mean:F4} (sd {sd:F4})");
        // the stated noise is the scatter's: what lets the catalogue take the excess as the model's
        Assert.InRange(sd / stated, 0.8, 1.25);
    }

    [Fact]
    public void A_star_broader_than_the_model_shows_a_ratio_below_one()
    {
        var (r, s) = Check(ModelSigma * 1.1, 1e5, 1);
        // a Gaussian model of width σ fitted to a Gaussian star of width 1.1σ gives it
        // 2σ²/(σ² + 1.21σ²) = 0.905 of its flux; the aperture of 3 FWHM (7σ) keeps all of it
        Assert.True(s < 0.005, $"lnsig {s}");
        Assert.InRange(r, 0.895, 0.915);
    }

    [Fact]
    public void Faint_stars_and_stars_with_a_bright_neighbour_in_the_aperture_are_not_checked()
    {
        var (rFaint, _) = Check(ModelSigma, 60, 2); // S/N ≈ 6
        Assert.True(double.IsNaN(rFaint));
        // a neighbour as bright, 5 px away: its light in the aperture is well over a tenth of the star's
        var (rPair, _) = Check(ModelSigma, 3000, 3, [(40.3, 35.6, 3000)]);
        Assert.True(double.IsNaN(rPair));
        // a faint neighbour 6 px away is taken out by the fit and leaves the check measured
        var (rNear, sNear) = Check(ModelSigma, 3000, 4, [(41.3, 35.6, 100)]);
        Assert.True(rNear > 0 && Math.Abs(Math.Log(rNear)) < 4 * sNear, $"ratio {rNear} ± {sNear}");
    }

    [Fact]
    public void A_local_sky_the_patch_sky_misses_is_taken_from_the_annulus()
    {
        // +0.6 per pixel within 30 px of the star (56 % of the patch): the fitted constant sky
        // lands near 0.34, so the 3-FWHM aperture (~310 px) holds ~80 counts too many of the
        // star's 3000 (−2.7 % in the ratio, 8 σ) unless its sky comes from around it.
        var ln = new List<double>();
        var z = new List<double>();
        for (int seed = 1; seed <= 20; seed++)
        {
            var (r, s) = Check(ModelSigma, 3000, seed, plateau: 0.6);
            Assert.True(r > 0 && s > 0, $"seed {seed}: no check ({r}, {s})");
            ln.Add(Math.Log(r));
            z.Add(Math.Log(r) / s);
        }
        double mean = ln.Average(), meanZ = z.Average();
        Assert.True(Math.Abs(mean) < 0.005, $"mean ln ratio {mean:F4}");
        Assert.True(Math.Abs(meanZ) < 1.0, $"mean ln ratio in its own σ {meanZ:F2}");
    }
}
