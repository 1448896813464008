namespace Tract7dt.Science.Errors;

// Background, detection and aperture photometry (src/Science/Detection): T7D200–T7D219.
public static partial class ErrorCodes
{
    /// <summary>Image width/height not positive, or the data length is not width × height.</summary>
    public const string DetectionImageShape = "T7D200";
    /// <summary>A mask, error or variance array does not have the image's length.</summary>
    public const string DetectionArrayLength = "T7D201";
    /// <summary>Background mesh or filter size out of range (must be ≥ 1).</summary>
    public const string BackgroundMeshSize = "T7D202";
    /// <summary>An extraction parameter is out of range (threshold, minarea, deblending levels/contrast, clean parameter).</summary>
    public const string ExtractParameter = "T7D203";
    /// <summary>The filter kernel is empty, has even sides, a length that does not match its sides, or non-finite values.</summary>
    public const string ExtractKernel = "T7D204";
    /// <summary>A connected component holds more pixels than the pixel-stack limit.</summary>
    public const string ExtractPixelStackFull = "T7D205";
    /// <summary>Deblending produced more sub-objects on one level than the sub-object limit.</summary>
    public const string DeblendSubObjectLimit = "T7D206";
    /// <summary>An aperture parameter is out of range (radius, sub-pixel sampling, position arrays).</summary>
    public const string ApertureParameter = "T7D207";
}
