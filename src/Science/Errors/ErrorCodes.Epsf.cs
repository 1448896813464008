namespace Tract7dt.Science.Errors;

public static partial class ErrorCodes
{
    // ePSF builder: T7D240–249 of the BuildEpsf bucket (T7D200–239 are left to
    // background and detection).

    /// <summary>An ePSF setting is out of range (stamp size even or &lt; 3, recentering box
    /// even or &lt; 3, oversampling ≤ 0, maxiters ≤ 0, final size even or ≤ 0).</summary>
    public const string EpsfInvalidOption = "T7D240";

    /// <summary>Image, error and position arrays handed to the star-stamp cutter disagree
    /// in length.</summary>
    public const string EpsfInputShape = "T7D241";
}
