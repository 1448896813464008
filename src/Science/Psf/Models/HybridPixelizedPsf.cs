using Tract7dt.Science.Fitting.Rendering;

namespace Tract7dt.Science.Psf.Models;

/// <summary>
/// A pixelized PSF plus a Gaussian mixture fitted to its stamp (docs/fitting.md §15.5).
/// Everything is the pixelized PSF's except that galaxy components too wide for the FFT box
/// are convolved analytically with the mixture (docs/fitting.md §16.5 step 4).
/// </summary>
public sealed class HybridPixelizedPsf : IPsf
{
    public HybridPixelizedPsf(PixelizedPsf pixelized, GaussianMixture mixture)
    {
        Pixelized = pixelized;
        Mixture = mixture;
    }

    /// <summary>Builds the mixture by EM with <paramref name="n"/> components (hybrid_psf_n).</summary>
    public static HybridPixelizedPsf FromStamp(PixelizedPsf pixelized, int n) =>
        new(pixelized, GaussianMixturePsf.EmFit(pixelized.Values, pixelized.Width, pixelized.Height, n, 1000));

    public PixelizedPsf Pixelized { get; }
    public GaussianMixture Mixture { get; }
    public double Radius => Pixelized.Radius;
    public GalaxyConvolution GalaxyPath => GalaxyConvolution.Fourier;
    public GaussianMixture? GalaxyMixture => Mixture;
    public PixelizedPsf? Stamp => Pixelized;
    public bool IsHybrid => true;

    public ImagePatch? RenderPoint(double px, double py, int width, int height) => Pixelized.RenderPoint(px, py, width, height);
}
