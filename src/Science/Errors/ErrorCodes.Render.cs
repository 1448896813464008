namespace Tract7dt.Science.Errors;

// Forward model (sources, PSFs, rendering): T7D420–T7D439 of the fitting bucket
// (T7D400–419 and T7D440–449 are left to the optimizer / patch runner).
public static partial class ErrorCodes
{
    /// <summary>A pixelized PSF stamp (ePSF) has an even width or height.</summary>
    public const string PsfStampNotOdd = "T7D420";
    /// <summary>A PSF parameter (FWHM, β, radius, sigmas, weights, stamp sum) is invalid.</summary>
    public const string PsfInvalid = "T7D421";
    /// <summary>A source's initial parameters are invalid (non-finite position, flux, shape).</summary>
    public const string SourceInvalid = "T7D422";
    /// <summary>An image of a fit problem is inconsistent (array sizes, band name).</summary>
    public const string FitImageInvalid = "T7D423";
    /// <summary>A source lacks a flux for a band that has an image.</summary>
    public const string SourceFluxMissing = "T7D424";
    /// <summary>A galaxy must be drawn with a PSF that has no Gaussian mixture (its EM fit failed).</summary>
    public const string PsfNoMixtureForGalaxy = "T7D425";
}
