using Tract7dt.Science.Errors;
using Tract7dt.Science.Fitting.Profiles;
using Tract7dt.Science.Psf.Models;

namespace Tract7dt.Science.Fitting.Patch;

/// <summary>The production <see cref="PatchModelFactory"/>: the Tractor-equivalent <see cref="PatchModel"/>.</summary>
public static class PatchModelFactories
{
    /// <summary>
    /// Builds a <see cref="PatchModel"/> (pixel scale 1″/px, pipeline shape bounds, every sky
    /// free from 0; sources with <see cref="SourceInit.FixedPosition"/> have their position
    /// frozen). Each image's <see cref="PatchImage.Psf"/> must be an <see cref="IPsf"/>.
    /// </summary>
    public static readonly PatchModelFactory Tractor = Create(PatchModelOptions.Pipeline);

    /// <summary>The <see cref="Tractor"/> factory with the given model options (e.g. an ellipticity prior).</summary>
    public static PatchModelFactory Create(PatchModelOptions options) => (images, sources) =>
    {
        var fitImages = new FitImage[images.Count];
        for (int k = 0; k < images.Count; k++)
        {
            var im = images[k];
            if (im.Psf is not IPsf psf)
                throw new Tract7dtException(ErrorCodes.PatchFitInput,
                    $"Band '{im.Band}' has no PSF model (got {im.Psf?.GetType().Name ?? "null"}); the caller must choose an ePSF or fallback PSF per band.");
            // A PSF that varies over the patch gives each point source the PSF at its catalogue
            // place, fixed for the fit (a source moves by a fraction of a pixel; the PSF by far
            // less). Galaxies keep the patch's own PSF: their Fourier convolution caches the
            // PSF's transform per FFT size, megabytes per galaxy if each had its own (PatchPsfGrid).
            IPsf[]? perSource = psf is IPositionDependentPsf field
                ? sources.Select(s => s.Kind == SourceType.Point ? field.At(s.X, s.Y) : psf).ToArray()
                : null;
            fitImages[k] = new FitImage(im.Band, im.Data, im.InverseError, im.Width, im.Height, psf, sky: im.Sky, sourcePsfs: perSource);
        }
        var fitSources = new FitSource[sources.Count];
        for (int i = 0; i < sources.Count; i++)
        {
            var s = sources[i];
            var flux = new Dictionary<string, double>(StringComparer.Ordinal);
            for (int k = 0; k < images.Count; k++) flux[images[k].Band] = s.Flux[k];
            var type = s.Kind;
            fitSources[i] = type == SourceType.Point
                ? new FitSource(type, s.X, s.Y, flux)
                : new FitSource(type, s.X, s.Y, flux, new EllipseESoft(s.LogRe, s.Ee1, s.Ee2),
                    type == SourceType.Sersic ? s.SersicN : 3.0) { SizeMeasured = s.SizeMeasured };
        }
        var model = new PatchModel(fitImages, fitSources, options);
        if (!sources.Any(s => s.FixedPosition || s.Frozen) && !images.Any(im => im.SkyFixed)) return model;
        // Nuisance sources: position held at the catalogue value, fluxes free; frozen sources
        // and fixed skies held entirely.
        return model.WithFree(p =>
            p.Source >= 0
                ? !(sources[p.Source].Frozen
                    || (sources[p.Source].FixedPosition && p.Kind is ParameterKind.PositionX or ParameterKind.PositionY))
                : !(p.Kind == ParameterKind.Sky && p.Image >= 0 && images[p.Image].SkyFixed));
    };
}
