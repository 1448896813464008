using Tract7dt.Science.Imaging;

namespace Tract7dt.Science.Calibration;

/// <summary>
/// The square box in which Gaia stars are considered for matching and injection
/// (docs/pipeline.md §4.2 step 5): the tightest square around the active sources, at least
/// <c>zp.min_box_size_pix</c> on a side, shifted to stay inside the frame, then clamped.
/// </summary>
public static class GaiaSelectionBox
{
    /// <param name="x">Pixel x of the active sources (non-finite values are ignored).</param>
    /// <param name="y">Pixel y of the active sources.</param>
    /// <param name="width">Frame width W (cropped frame).</param>
    /// <param name="height">Frame height H.</param>
    /// <param name="minBoxSize">Minimum side, pixels.</param>
    public static PixelBox Compute(ReadOnlySpan<double> x, ReadOnlySpan<double> y, int width, int height, double minBoxSize)
    {
        double xmin = double.PositiveInfinity, xmax = double.NegativeInfinity;
        double ymin = double.PositiveInfinity, ymax = double.NegativeInfinity;
        int n = 0;
        for (int i = 0; i < x.Length; i++)
        {
            if (!double.IsFinite(x[i]) || !double.IsFinite(y[i])) continue;
            n++;
            xmin = Math.Min(xmin, x[i]); xmax = Math.Max(xmax, x[i]);
            ymin = Math.Min(ymin, y[i]); ymax = Math.Max(ymax, y[i]);
        }
        double cx, cy, side;
        if (n == 0)
        {
            cx = width / 2.0; cy = height / 2.0; side = minBoxSize;
        }
        else
        {
            cx = (xmin + xmax) / 2; cy = (ymin + ymax) / 2;
            side = Math.Max(minBoxSize, Math.Ceiling(Math.Max(xmax - xmin, ymax - ymin)));
        }
        double x0 = cx - side / 2, x1 = cx + side / 2, y0 = cy - side / 2, y1 = cy + side / 2;
        // Shift inside the frame keeping the side: left/bottom first, then right/top.
        if (x0 < 0) { x1 -= x0; x0 = 0; }
        if (y0 < 0) { y1 -= y0; y0 = 0; }
        if (x1 > width) { x0 -= x1 - width; x1 = width; }
        if (y1 > height) { y0 -= y1 - height; y1 = height; }
        // A frame smaller than the box: clamp.
        return new PixelBox(
            (int)Math.Max(0, Math.Floor(x0)), (int)Math.Min(width, Math.Ceiling(x1)),
            (int)Math.Max(0, Math.Floor(y0)), (int)Math.Min(height, Math.Ceiling(y1)));
    }
}
