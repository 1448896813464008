namespace Tract7dt.Science.Fits;

/// <summary>
/// A 2-D float32 image with its header. <c>Data[y*Width + x]</c> is pixel (x, y), 0-based,
/// x along NAXIS1; values in the file's physical units (BSCALE/BZERO applied, BLANK → NaN).
/// </summary>
public sealed record FitsImage(float[] Data, int Width, int Height, FitsHeader Header)
{
    /// <summary>Reads the 2-D image of HDU <paramref name="hdu"/> (0 = primary) and its header.</summary>
    public static FitsImage ReadFloat(string path, int hdu = 0)
    {
        using var f = FitsFile.Open(path);
        var data = f.ReadImage(hdu);
        var h = f.GetHdu(hdu);
        return new FitsImage(data, h.Width, h.Height, h.Header);
    }

    /// <summary>Writes <see cref="Data"/> as a float32 primary HDU with <see cref="Header"/> (atomically).</summary>
    public void Write(string path) => FitsWriter.WriteImage(path, Data, Width, Height, Header);
}
