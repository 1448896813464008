using Tract7dt.Science.Fitting.Patch;
using Tract7dt.Science.Psf.Models;
using Xunit;

namespace Tract7dt.Tests.Fitting;

/// <summary>
/// A PSF per source: the band model on a patch's 3×3 grid of places, interpolated to each
/// source's catalogue place (PatchPsfGrid), against the one stamp of the patch's centre.
/// </summary>
public sealed class PatchPsfGridTests
{
    private const int Size = 25, W = 121, H = 61;
    private const double Cx = 60, Cy = 30, Half = 50;

    private static float[] Gaussian(double sigma) => GaussianStamp.Make(Size, sigma);

    /// <summary>The PSF's width over the patch: 15 % wider at one edge, 15 % narrower at the other.</summary>
    private static double Sigma(double x) => 1.3 * (1 + 0.15 * (x - Cx) / Half);

    private static PatchPsfGrid Grid()
    {
        var stamps = new List<float[]>();
        for (int j = -1; j <= 1; j++)
            for (int i = -1; i <= 1; i++) stamps.Add(Gaussian(Sigma(Cx + i * Half)));
        return new PatchPsfGrid(stamps, Size, Size, Cx, Cy, Half, Half, SubpixelShift.Fourier);
    }

    [Fact]
    public void Interpolation_reproduces_a_field_quadratic_in_position()
    {
        // Nine stamps of S(u, v) = A + u·B + v·C + u²·D + u·v·E + v²·F; any place on the lattice
        // must come back exactly (to float rounding).
        var rng = new Random(3);
        var basis = Enumerable.Range(0, 6).Select(_ => Enumerable.Range(0, Size * Size).Select(_ => rng.NextDouble()).ToArray()).ToArray();
        double[] At(double u, double v)
        {
            double[] p = [1, u, v, u * u, u * v, v * v];
            var s = new double[Size * Size];
            for (int t = 0; t < 6; t++)
                for (int k = 0; k < s.Length; k++) s[k] += p[t] * basis[t][k];
            return s;
        }
        var stamps = new List<float[]>();
        for (int j = -1; j <= 1; j++)
            for (int i = -1; i <= 1; i++) stamps.Add(At(i, j).Select(v => (float)v).ToArray());
        var grid = new PatchPsfGrid(stamps, Size, Size, Cx, Cy, Half, Half, SubpixelShift.Fourier);
        foreach (var (u, v) in new[] { (0.25, -0.75), (-1.0, 1.0), (1.25, 0.5), (1.5, -1.5), (0.0, 0.0) })
        {
            var psf = Assert.IsType<PixelizedPsf>(grid.At(Cx + u * Half, Cy + v * Half));
            var want = At(u, v);
            var got = psf.Values.ToArray();
            for (int k = 0; k < want.Length; k++) Assert.Equal(want[k], got[k], 1e-5 * (1 + Math.Abs(want[k])));
        }
        // One object per lattice place: sources at one place share the PSF and its transforms.
        Assert.Same(grid.At(Cx + 0.3 * Half, Cy), grid.At(Cx + 0.3 * Half + 0.5, Cy + 0.5));
    }

    private static PatchBand Band(IPsf psf, double[] xs, double flux)
    {
        var img = new float[W * H];
        foreach (double x0 in xs)
        {
            // drawn with the true PSF at the star's place
            var truth = new PixelizedPsf(Gaussian(Sigma(x0)), Size, Size, shift: SubpixelShift.Fourier).RenderPoint(x0, Cy, W, H)!;
            for (int j = 0; j < truth.H; j++)
                for (int i = 0; i < truth.W; i++)
                {
                    int x = truth.X0 + i, y = truth.Y0 + j;
                    if ((uint)x < W && (uint)y < H) img[y * W + x] += (float)(flux * truth.Values[j * truth.W + i]);
                }
        }
        var sig = Enumerable.Repeat(1f, W * H).ToArray();
        return new PatchBand("m550", img, sig, new bool[W * H], psf);
    }

    [Fact]
    public void Each_source_is_fitted_with_the_PSF_at_its_place()
    {
        // On lattice places (3/4 of the half-size out): what is left is the interpolation alone.
        double[] xs = [Cx - 0.75 * Half, Cx + 0.75 * Half];
        const double flux = 1e5;
        var cat = new PatchCatalog(xs, [Cy, Cy], ["STAR", "STAR"], null, null, null, null);
        var grid = Grid();
        var perSource = PatchFitter.Fit([Band(grid, xs, flux)], W, H, cat, new PatchFitSettings { NOptIters = 50 }, PatchModelFactories.Tractor);
        var centreOnly = PatchFitter.Fit([Band(grid.Stamp!, xs, flux)], W, H, cat, new PatchFitSettings { NOptIters = 50 }, PatchModelFactories.Tractor);
        var f = perSource.Table.Doubles("FLUX_m550_fit");
        var c = centreOnly.Table.Doubles("FLUX_m550_fit");
        for (int i = 0; i < xs.Length; i++)
        {
            // noise-free: what is left is the quadratic interpolation of a Gaussian's width
            Assert.True(Math.Abs(f[i] / flux - 1) < 0.003, $"star at x={xs[i]}: per-source PSF flux off by {f[i] / flux - 1:P2}");
            // the patch's one stamp misses the width by ~11 % at these places: the fluxes follow it
            Assert.True(Math.Abs(c[i] / flux - 1) > 0.03, $"star at x={xs[i]}: centre PSF flux off by only {c[i] / flux - 1:P2}");
        }
    }

    [Fact]
    public void Undersampled_places_move_their_stars_with_a_core_model_and_oversampled_grids_on_their_own_grid()
    {
        // FWHM 2.1 px: every place's PSF gets the pixel-integrated core model (a sampled 3.5-px
        // one does not); the stamp it gives is still the interpolated ePSF.
        var narrow = Enumerable.Range(0, 9).Select(_ => Gaussian(0.9)).ToList();
        var grid = new PatchPsfGrid(narrow, Size, Size, Cx, Cy, Half, Half, SubpixelShift.Fourier);
        var at = Assert.IsType<PixelizedPsf>(grid.At(Cx + 0.5 * Half, Cy - 0.25 * Half));
        Assert.NotNull(at.CoreModel);
        Assert.Equal(narrow[0], at.Values.ToArray());
        var wide = Enumerable.Range(0, 9).Select(_ => Gaussian(1.5)).ToList();
        Assert.Null(Assert.IsType<PixelizedPsf>(new PatchPsfGrid(wide, Size, Size, Cx, Cy, Half, Half, SubpixelShift.Fourier)
            .At(Cx + 0.5 * Half, Cy)).CoreModel);
        // Lanczos-3 (the original's choice) is left as it was.
        Assert.Null(Assert.IsType<PixelizedPsf>(new PatchPsfGrid(narrow, Size, Size, Cx, Cy, Half, Half, SubpixelShift.Lanczos3)
            .At(Cx + 0.5 * Half, Cy)).CoreModel);

        // Stamps tabulated every half pixel (epsf.oversamp: 2): image-pixel PSFs of (n − 1)/2 + 1 pixels
        // that move their point sources on the half-pixel table.
        const int fine = 2 * (Size - 1) + 1;
        var half = Enumerable.Range(0, 9).Select(_ => GaussianStamp.Make(fine, 1.8)).ToList();
        var og = new PatchPsfGrid(half, fine, fine, Cx, Cy, Half, Half, SubpixelShift.Fourier, oversampling: 2);
        Assert.Equal((Size, Size), (og.Width, og.Height));
        var p = Assert.IsType<PixelizedPsf>(og.At(Cx - 0.75 * Half, Cy));
        Assert.Equal(2, p.Oversampling);
        Assert.Equal(1.0, p.Values.ToArray().Sum(v => (double)v), 5);
        Assert.Equal(GaussianStamp.Make(Size, 0.9), p.Values.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
    }
}
