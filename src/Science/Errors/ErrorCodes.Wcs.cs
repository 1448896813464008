namespace Tract7dt.Science.Errors;

public static partial class ErrorCodes
{
    /// <summary>The header has no celestial WCS (CTYPE1/CTYPE2 absent or not celestial).</summary>
    public const string WcsMissing = "T7D030";
    /// <summary>A celestial WCS with a projection, axis order or unit we do not support.</summary>
    public const string WcsUnsupported = "T7D031";
    /// <summary>A WCS keyword is absent where required, not numeric, or not finite.</summary>
    public const string WcsBadKeyword = "T7D032";
    /// <summary>The linear part (CD, or CDELT with PC/CROTA2) is singular.</summary>
    public const string WcsSingularMatrix = "T7D033";
    /// <summary>SIP or TPV distortion keywords are inconsistent or degenerate.</summary>
    public const string WcsBadDistortion = "T7D034";
    /// <summary>An image's WCS differs from the reference image's beyond the tolerance.</summary>
    public const string WcsMismatch = "T7D035";
}
