namespace Tract7dt.Science.Detection;

/// <summary>Bit flags of detected objects and aperture sums, with SEP's values.</summary>
public static class SourceFlags
{
    /// <summary>The object came out of deblending a blend (it was "merged" with others).</summary>
    public const short Merged = 0x0001;
    /// <summary>The object touches the image border, so its isophote is cut.</summary>
    public const short Truncated = 0x0002;
    /// <summary>The second-moment matrix was singular and was regularised by 1/12 px².</summary>
    public const short Singular = 0x0008;
    /// <summary>The aperture box was clipped at the image edge.</summary>
    public const short ApertureTruncated = 0x0010;
    /// <summary>The aperture contains masked pixels (their area was corrected for).</summary>
    public const short ApertureHasMasked = 0x0020;
}
