using Tract7dt.Science.Fits;

namespace Tract7dt.Tests.Rendering;

/// <summary>The Tractor golden images (float64 FITS written by astropy), read with our FITS module.</summary>
internal static class GoldenFits
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Golden", "Tractor");

    public static (double[] Values, int Width, int Height) Read(string file)
    {
        using var f = FitsFile.Open(Path.Combine(Dir, file));
        var hdu = f.GetHdu(0);
        return (f.ReadImageDouble(0), hdu.Width, hdu.Height);
    }
}
