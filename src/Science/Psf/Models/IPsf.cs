using Tract7dt.Science.Fitting.Rendering;

namespace Tract7dt.Science.Psf.Models;

/// <summary>How a PSF convolves galaxy profiles (docs/fitting.md §16.4–§16.5).</summary>
public enum GalaxyConvolution
{
    /// <summary>Analytic Gaussian convolution with <see cref="IPsf.GalaxyMixture"/> (docs/fitting.md §16.4).</summary>
    Analytic,
    /// <summary>Fourier-space convolution with <see cref="IPsf.Stamp"/> (docs/fitting.md §16.5); a hybrid PSF
    /// also renders wide components analytically with <see cref="IPsf.GalaxyMixture"/>.</summary>
    Fourier,
}

/// <summary>
/// A spatially constant PSF, fixed during a fit (README fix #10). Pixel units; the PSF
/// centre is at the source position; models are point-sampled at pixel centres.
/// Implementations are immutable and safe to share between threads.
/// </summary>
public interface IPsf
{
    /// <summary>Radius [px] used for culling and the minimum galaxy box half-size (docs/fitting.md §15, docs/fitting.md §16.3).</summary>
    double Radius { get; }

    /// <summary>
    /// The unit-flux point-source patch at pixel position (<paramref name="px"/>,
    /// <paramref name="py"/>) on an image of <paramref name="width"/>×<paramref name="height"/>,
    /// or null if nothing is drawn. Mixture PSFs clip their box to the image; pixelized
    /// ones return the whole shifted stamp.
    /// </summary>
    ImagePatch? RenderPoint(double px, double py, int width, int height);

    /// <summary>Which galaxy-convolution path this PSF uses.</summary>
    GalaxyConvolution GalaxyPath { get; }

    /// <summary>Mixture for analytic galaxy convolution (Analytic path, or the wide
    /// components of a hybrid); null if the PSF has none.</summary>
    GaussianMixture? GalaxyMixture { get; }

    /// <summary>The pixelized stamp for the Fourier path; null for Analytic PSFs.</summary>
    PixelizedPsf? Stamp { get; }

    /// <summary>True if wide galaxy components go to <see cref="GalaxyMixture"/> (docs/fitting.md §16.5 step 4).</summary>
    bool IsHybrid { get; }
}
