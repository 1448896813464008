namespace Tract7dt.Science.Errors;

public static partial class ErrorCodes
{
    /// <summary>The ePSF grid or patch grid does not fit the image.</summary>
    public const string BadPatchGeometry = "T7D300";
}
