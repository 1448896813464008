using System.Runtime.InteropServices;
using Tract7dt.Science.Detection;

namespace Tract7dt.Science.Fitting.Patch;

/// <summary>
/// SEP's circular aperture sum with 5×5 sub-pixel sampling at the edge, no background,
/// masked pixels replaced by the mean of the unmasked ones (docs/fitting.md §5.1).
/// </summary>
public static class ApertureSum
{
    private const int Subpix = 5;

    /// <summary>
    /// Sum of <paramref name="data"/> (w × h, row-major) inside the circle of radius
    /// <paramref name="r"/> [pix] centred at (<paramref name="x"/>, <paramref name="y"/>)
    /// (0-based pixel centres). <paramref name="masked"/>[i] true excludes pixel i.
    /// Returns T·A_tot/(A_tot − A_mask), which is NaN/∞ when everything is masked.
    /// </summary>
    public static double SumCircle(ReadOnlySpan<float> data, ReadOnlySpan<bool> masked, int w, int h,
        double x, double y, double r)
    {
        // The detection aperture's pixel loop; an edge pixel's area is (samples inside)·s²
        // here, as the reference computes it, where detection keeps SEP's running sum.
        var t = Aperture.Totals(data, w, h, x, y, r, default, MemoryMarshal.Cast<bool, byte>(masked), Subpix, EdgeArea.SampleCount);
        return t.Sum * t.TotalArea / (t.TotalArea - t.MaskedArea);
    }
}
