using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Detection;

/// <summary>Shared argument validation for the detection kernels: done once, before any loop.</summary>
internal static class ImageChecks
{
    public static void Shape(int dataLength, int width, int height, string what)
    {
        if (width <= 0 || height <= 0)
            throw new Tract7dtException(ErrorCodes.DetectionImageShape,
                $"{what}: image size {width}×{height} is not positive; pass the image's NAXIS1 (width) and NAXIS2 (height).");
        if ((long)width * height != dataLength)
            throw new Tract7dtException(ErrorCodes.DetectionImageShape,
                $"{what}: data holds {dataLength} values but width×height = {width}×{height} = {(long)width * height}; pass the image row-major, element [y*width + x].");
    }

    /// <summary>An optional per-pixel array (empty = absent) must match the image length.</summary>
    public static void Optional(int length, int expected, string what, string name)
    {
        if (length != 0 && length != expected)
            throw new Tract7dtException(ErrorCodes.DetectionArrayLength,
                $"{what}: the {name} array holds {length} values but the image has {expected} pixels; pass an array of the image's shape, or none.");
    }

    /// <summary>A required per-pixel array must match the image length.</summary>
    public static void Required(int length, int expected, string what, string name)
    {
        if (length != expected)
            throw new Tract7dtException(ErrorCodes.DetectionArrayLength,
                $"{what}: the {name} array holds {length} values but the image has {expected} pixels; pass an array of the image's shape.");
    }
}
