using Tract7dt.Science.Errors;
using Tract7dt.Science.Fitting.Rendering;

namespace Tract7dt.Science.Psf.Models;

/// <summary>
/// Concentric circular Gaussians (docs/fitting.md §15.2): amplitudes = the weights as given
/// (not normalised), variances σ_k², both rounded to f32 as the reference stores them.
/// Radius max(1, 5·max σ); point sources are evaluated within ±ceil(radius) of the rounded
/// position. Fixed during a fit (README fix #10: the reference fits sigmas and weights).
/// </summary>
public sealed class NCircularGaussianPsf : IPsf
{
    public NCircularGaussianPsf(IReadOnlyList<double> sigmas, IReadOnlyList<double> weights)
    {
        if (sigmas.Count == 0 || sigmas.Count != weights.Count)
            throw new Tract7dtException(ErrorCodes.PsfInvalid, $"NCircularGaussianPSF needs as many weights as sigmas (≥ 1); got {sigmas.Count} sigmas and {weights.Count} weights.");
        foreach (double s in sigmas)
            if (!(s > 0) || double.IsInfinity(s))
                throw new Tract7dtException(ErrorCodes.PsfInvalid, $"NCircularGaussianPSF sigma must be finite and > 0; got {s}.");
        int n = sigmas.Count;
        var amp = new double[n]; var v = new double[n];
        double smax = 0;
        for (int k = 0; k < n; k++)
        {
            amp[k] = (float)weights[k];
            v[k] = (float)(sigmas[k] * sigmas[k]);
            smax = Math.Max(smax, sigmas[k]);
        }
        Sigmas = sigmas.ToArray(); Weights = weights.ToArray();
        Mixture = new GaussianMixture(amp, new double[n], new double[n], v, new double[n], (double[])v.Clone());
        Radius = Math.Max(1.0, 5.0 * smax);
    }

    public IReadOnlyList<double> Sigmas { get; }
    public IReadOnlyList<double> Weights { get; }
    public GaussianMixture Mixture { get; }
    public double Radius { get; }
    public GalaxyConvolution GalaxyPath => GalaxyConvolution.Analytic;
    public GaussianMixture? GalaxyMixture => Mixture;
    public PixelizedPsf? Stamp => null;
    public bool IsHybrid => false;

    public ImagePatch? RenderPoint(double px, double py, int width, int height)
    {
        double rad = Radius;
        if (px + rad < 0 || px - rad > width || py + rad < 0 || py - rad > height) return null;
        int ix = (int)Math.Round(px), iy = (int)Math.Round(py), r = (int)Math.Ceiling(rad);
        int x0 = Math.Max(0, ix - r), x1 = Math.Min(width, ix + r + 1);
        int y0 = Math.Max(0, iy - r), y1 = Math.Min(height, iy + r + 1);
        return MixturePatch.Evaluate(Mixture, x0, y0, x1 - x0, y1 - y0, px, py);
    }

    /// <summary>The pipeline's fallback set (docs/fitting.md §3): N = 1, 2 or 3 components for FWHM [px].</summary>
    public static NCircularGaussianPsf ForFwhm(double fwhmPix, int n)
    {
        double s = Math.Max(fwhmPix / 2.3548200450309493, 1e-3);
        return n switch
        {
            1 => new([s], [1.0]),
            2 => new([s, 2.5 * s], [0.85, 0.15]),
            3 => new([s, 2 * s, 4 * s], [0.8, 0.15, 0.05]),
            _ => throw new Tract7dtException(ErrorCodes.PsfInvalid, $"patch_run.ncircular_gaussian_n must be 1, 2 or 3; got {n}."),
        };
    }
}
