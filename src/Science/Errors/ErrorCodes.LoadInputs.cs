namespace Tract7dt.Science.Errors;

/// <summary>LoadInputs and AugmentGaia (bucket T7D100–149).</summary>
public static partial class ErrorCodes
{
    /// <summary>A required header keyword (FILTER, ZP_AUTO, SKYSIG, EGAIN) is absent.</summary>
    public const string HeaderMissingKey = "T7D100";
    /// <summary>FILTER is blank after trimming.</summary>
    public const string HeaderEmptyFilter = "T7D101";
    /// <summary>A required header value is not a number, not finite, or not positive where it must be.</summary>
    public const string HeaderBadValue = "T7D102";
    /// <summary>An image's (NAXIS2, NAXIS1) differs from the first image's (checks.require_same_shape).</summary>
    public const string ImageShapeMismatch = "T7D103";
    /// <summary>A path in the image list does not exist.</summary>
    public const string ImageNotFound = "T7D104";
    /// <summary>crop.margin leaves no pixels.</summary>
    public const string InvalidCropRegion = "T7D105";
    /// <summary>The primary HDU of an image holds no 2-D image.</summary>
    public const string ImageNot2D = "T7D106";
    /// <summary>state/saturated_pixels.bin is damaged or of another version.</summary>
    public const string SaturatedPixelsFileInvalid = "T7D107";
    /// <summary>state/catalog_state.json is damaged or points to a missing catalog.</summary>
    public const string CatalogStateInvalid = "T7D108";
    /// <summary>Two images of the image list have the same FILTER.</summary>
    public const string DuplicateFilter = "T7D109";
    /// <summary>A band's image holds no finite pixel, or one value everywhere (in the crop box).</summary>
    public const string BandWithoutSignal = "T7D110";
    /// <summary>An image has more pixels than one array can hold.</summary>
    public const string ImageTooLarge = "T7D111";
    /// <summary>No catalogue source is on the images and not excluded (and no GaiaXP star can be added).</summary>
    public const string NoSourceToMeasure = "T7D112";
}
