using Tract7dt.Science.Errors;
using Tract7dt.Science.Fitting.Profiles;
using Tract7dt.Science.Psf.Models;

namespace Tract7dt.Science.Fitting;

/// <summary>Source model type (docs/fitting.md §14).</summary>
public enum SourceType { Point, Exp, Dev, Sersic }

/// <summary>
/// A source's parameters: pixel position (0-based, pixel centres at integers), one flux per
/// band [image counts], and for galaxies the shape (re in arcsec of the image's pixel
/// scale, i.e. pixels at 1″/px) and, for Sersic, the index n.
/// </summary>
public sealed record FitSource(SourceType Type, double X, double Y, IReadOnlyDictionary<string, double> Fluxes,
                               EllipseESoft Shape = default, double SersicN = 3.0)
{
    public bool IsGalaxy => Type != SourceType.Point;

    /// <summary>The shape's size is a measurement (the catalogue's <c>Re</c>), not a fallback: the size prior
    /// (<see cref="PatchModelOptions.SizePriorSigma"/>) applies to it.</summary>
    public bool SizeMeasured { get; init; }
}

/// <summary>
/// One image (band) of a fit problem: f32 data and inverse error E = sqrt(invvar), row-major
/// W×H (pixel (x, y) at [y·W + x]); E = 0 marks an absent pixel whose data may be NaN.
/// </summary>
public sealed class FitImage
{
    /// <param name="band">Band name (the flux this image reads).</param>
    /// <param name="pixelScale">Arcsec per pixel of the image's un-flipped pixel WCS (1 in the pipeline).</param>
    /// <param name="sky">Initial constant sky level [counts].</param>
    /// <param name="sourcePsfs">Each source's own PSF on this image (the PSF at its place), or null
    /// when every source is drawn with <paramref name="psf"/>.</param>
    public FitImage(string band, float[] data, float[] inverseError, int width, int height, IPsf psf,
                    double sky = 0.0, double pixelScale = 1.0, IReadOnlyList<IPsf>? sourcePsfs = null)
    {
        if (string.IsNullOrEmpty(band))
            throw new Tract7dtException(ErrorCodes.FitImageInvalid, "A fit image needs a non-empty band name.");
        if (width <= 0 || height <= 0 || data.Length != width * height || inverseError.Length != width * height)
            throw new Tract7dtException(ErrorCodes.FitImageInvalid,
                $"Image of band '{band}': data ({data.Length}) and inverse error ({inverseError.Length}) must both hold {width}×{height} pixels.");
        if (!(pixelScale > 0) || double.IsInfinity(pixelScale))
            throw new Tract7dtException(ErrorCodes.FitImageInvalid, $"Image of band '{band}': pixel scale must be finite and > 0; got {pixelScale}.");
        Band = band; Data = data; InverseError = inverseError; Width = width; Height = height; Psf = psf;
        Sky = sky; PixelScale = pixelScale; SourcePsfs = sourcePsfs;
    }

    public string Band { get; }
    public float[] Data { get; }
    public float[] InverseError { get; }
    public int Width { get; }
    public int Height { get; }
    public IPsf Psf { get; }
    /// <summary>Per source (in the model's source order), the PSF it is drawn with; null: <see cref="Psf"/> for all.</summary>
    public IReadOnlyList<IPsf>? SourcePsfs { get; }
    /// <summary>The PSF source <paramref name="source"/> is drawn with.</summary>
    public IPsf PsfOf(int source) => SourcePsfs is { } s ? s[source] : Psf;
    public double Sky { get; }
    public double PixelScale { get; }
}

/// <summary>Shape bounds of the pipeline (docs/fitting.md §6); logre in ln(arcsec).</summary>
public sealed record PatchModelOptions(double LogReLower, double LogReUpper, double EeBound)
{
    /// <summary>
    /// σ of a Gaussian prior centred on 0 on each of a galaxy's soft ellipticity components ee1, ee2
    /// (docs/fitting.md §18.7); 0 = none (the original). It stops a faint galaxy's shape walking toward
    /// e → 1 at 0.1 in ee per step, where the likelihood is flat.
    /// </summary>
    public double EllipticityPriorSigma { get; init; }

    /// <summary>
    /// The max step of a Sérsic index n is max(0.1, this × n) (docs/fitting.md §13.4); 0 = 0.1 everywhere (the
    /// original). A profile changes with n roughly as with ln n, so a fixed 0.1 is a tight trust region at n ≈ 4
    /// and a faint galaxy's index crawled from rung to rung through the whole budget.
    /// </summary>
    public double SersicStepFraction { get; init; }

    /// <summary>
    /// σ of a Gaussian prior on each free Sérsic index, centred on its start (<see cref="PatchModel.AnchorSersicIndexPrior"/>;
    /// docs/fitting.md §18.7); 0 = none (the original). A faint galaxy's index is free along a flat ridge with its size.
    /// </summary>
    public double SersicIndexPriorSigma { get; init; }

    /// <summary>
    /// σ of a Gaussian prior on ln r_e of each galaxy whose size was measured (<see cref="FitSource.SizeMeasured"/>),
    /// centred on that size (docs/fitting.md §18.7); 0 = none (the original). A faint galaxy's likelihood hardly
    /// constrains its size, which otherwise runs to a point (its flux low) or swells into the sky (its flux high).
    /// </summary>
    public double SizePriorSigma { get; init; }

    /// <summary>
    /// Each source's x and y stay within this many pixels of where they start, the catalogue's position
    /// (docs/fitting.md §6); 0 = unbounded (the original). A faint source next to a bright one could walk
    /// several pixels onto it and take its light, the bright one's model being imperfect.
    /// </summary>
    public double MaxShiftPix { get; init; }

    /// <summary>
    /// Each galaxy's r_e stays below this factor times its starting r_e (docs/fitting.md §6); 0 = only
    /// <see cref="LogReUpper"/> (the original). A faint galaxy swelled to hundreds of pixels, where its
    /// disc is nearly flat over the patch and trades light with the fitted sky: a flux of thousands of σ.
    /// </summary>
    public double MaxSizeFactor { get; init; }

    /// <summary>tract7dt: logre ∈ [ln 0.1, ln 1000], ee1, ee2 ∈ [−100, 100].</summary>
    public static PatchModelOptions Pipeline { get; } = new(Math.Log(0.1), Math.Log(1000.0), 100.0);
}

/// <summary>What a parameter is.</summary>
public enum ParameterKind { Sky, PositionX, PositionY, Flux, LogRe, Ee1, Ee2, SersicIndex }

/// <summary>
/// Metadata of one parameter: Tractor-style name, kind, owner (image or source index, −1 if
/// none), band index (fluxes), finite-difference step, bounds (±∞ = none), max step (+∞ = none).
/// </summary>
public readonly record struct ParameterInfo(string Name, ParameterKind Kind, int Image, int Source, int Band,
                                            double Step, double Lower, double Upper, double MaxStep);

/// <summary>Per-source conditions reported instead of failing the patch (README fix #4).</summary>
[Flags]
public enum SourceFlags
{
    None = 0,
    /// <summary>The source touches no pixel with non-zero weight on any image.</summary>
    NoUsablePixels = 1,
    /// <summary>The source's centre lies outside every image.</summary>
    CenterOffImage = 2,
    /// <summary>A position or shape parameter is not finite; nothing is drawn.</summary>
    NonFiniteParameters = 4,
}
