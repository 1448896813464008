using System.Globalization;
using ScottPlot;
using Tract7dt.Science.Imaging;

namespace Tract7dt.Science.Diagnostics;

/// <summary>How the catalog overlay classifies a row's TYPE (the seed's "Overlay TYPE Behavior").</summary>
public enum OverlayClass
{
    /// <summary><c>STAR</c>.</summary>
    Star,
    /// <summary><c>GAL</c>, <c>EXP</c>, <c>DEV</c>, <c>SERSIC</c>.</summary>
    Galaxy,
    /// <summary>Missing, blank, NaN/None/Null or any other value (fitted with <c>patch_run.gal_model</c>).</summary>
    Unknown,
}

/// <summary>
/// The diagnostic PNGs of LoadInputs (docs/pipeline.md §3.9): the white stack before and after the
/// crop, and the catalog overlay. Figures are 10×7 inches at <c>plotting.dpi</c>, grey,
/// origin lower, ZScale limits of the displayed (strided) pixels, axes in full-resolution pixels.
/// </summary>
public static class LoadInputsPlots
{
    /// <summary>Figure size of the three plots, inches.</summary>
    public const double WidthInches = 10, HeightInches = 7;

    /// <summary>
    /// The width of an overlay figure of height <paramref name="heightInches"/> on a
    /// <paramref name="width"/> × <paramref name="height"/> image with sky axes: the image's aspect
    /// (the plot area is the height less ~1.2 in of title and x label) plus ~1.5 in for the y label
    /// and ticks. With a fixed figure a square image got an x axis 40 % wider than itself.
    /// </summary>
    public static double OverlayWidthInches(double heightInches, int width, int height) =>
        Math.Clamp((heightInches - 1.2) * width / Math.Max(1, height) + 1.5, 4, 16);

    /// <summary>TYPE text (trimmed, upper-cased) → overlay class; null (no TYPE column) → unknown.</summary>
    public static OverlayClass Classify(string? type)
    {
        string t = (type ?? "").Trim().ToUpperInvariant();
        return t switch
        {
            "STAR" => OverlayClass.Star,
            "GAL" or "EXP" or "DEV" or "SERSIC" => OverlayClass.Galaxy,
            _ => OverlayClass.Unknown,
        };
    }

    /// <summary><c>white_before_crop.png</c>: full-frame white, stride <paramref name="stride"/>, the crop box in lime.</summary>
    public static void BeforeCrop(string path, float[] white, int width, int height, PixelBox crop, int stride, int dpi)
    {
        var p = new ImagePlot(white, width, height, stride)
            .Title($"White BEFORE crop (DS={stride}) with crop box")
            .NoTicks()
            .Box(crop.X0, crop.X1, crop.Y0, crop.Y1, Colors.Lime, 2);
        p.Plot.HideGrid();
        p.Save(path, WidthInches, HeightInches, dpi);
    }

    /// <summary><c>white_after_crop.png</c>: the cropped white, stride max(1, <paramref name="stride"/>).</summary>
    public static void AfterCrop(string path, float[] white, int width, int height, int stride, int dpi)
    {
        stride = Math.Max(1, stride);
        var p = new ImagePlot(white, width, height, stride).Title($"White AFTER crop (DS={stride})").NoTicks();
        p.Plot.HideGrid();
        p.Save(path, WidthInches, HeightInches, dpi);
    }

    /// <summary>Scatter size in ScottPlot pixels for a matplotlib marker of area <paramref name="s"/> pt².</summary>
    internal static float MarkerSize(double s) => (float)(Math.Sqrt(s) * 96.0 / 72.0);

    /// <summary>
    /// <c>white_overlay.png</c>: the cropped white (stride <paramref name="stride"/>) with the
    /// catalog's active rows by TYPE class (cyan circles STAR, magenta circles GAL/EXP/DEV/SERSIC,
    /// yellow squares UNKNOWN labelled with the fallback model), saturation-excluded rows as red
    /// ×, and legend-only entries for crop-excluded rows and active rows with NaN/out-of-frame
    /// positions. With <paramref name="wcs"/>, RA and Dec label the bottom and left axes (as the
    /// original's overlay; <see cref="SkyAxes"/>); without it, pixel axes "x [pix]" / "y [pix]".
    /// The figure takes the image's aspect, so the axes span the image.
    /// </summary>
    /// <param name="x">Row positions in the cropped frame (NaN allowed).</param>
    /// <param name="classes">Per row overlay class.</param>
    /// <param name="galModel">Upper-cased fallback model for the UNKNOWN label (e.g. EXP).</param>
    public static OverlayCounts Overlay(string path, float[] white, int width, int height, int stride, int dpi,
        ReadOnlySpan<double> x, ReadOnlySpan<double> y, IReadOnlyList<OverlayClass> classes,
        ReadOnlySpan<bool> excludedCrop, ReadOnlySpan<bool> excludedSaturation, string galModel, Wcs.TanWcs? wcs = null)
    {
        var xs = new[] { new List<double>(), new List<double>(), new List<double>() };
        var ys = new[] { new List<double>(), new List<double>(), new List<double>() };
        var satX = new List<double>();
        var satY = new List<double>();
        int active = 0, drawn = 0, nSat = 0, nCrop = 0;
        for (int i = 0; i < x.Length; i++)
        {
            bool inside = double.IsFinite(x[i]) && double.IsFinite(y[i]) && x[i] >= 0 && x[i] < width && y[i] >= 0 && y[i] < height;
            if (excludedCrop[i]) nCrop++;
            if (excludedSaturation[i] && !excludedCrop[i])
            {
                nSat++;
                if (inside) { satX.Add(x[i]); satY.Add(y[i]); }
            }
            if (excludedCrop[i] || excludedSaturation[i]) continue;
            active++;
            if (!inside) continue;
            drawn++;
            int c = (int)classes[i];
            xs[c].Add(x[i]);
            ys[c].Add(y[i]);
        }

        var p = new ImagePlot(white, width, height, Math.Max(1, stride));
        string N(int n) => n.ToString(CultureInfo.InvariantCulture);
        if (xs[0].Count > 0) p.Markers(xs[0], ys[0], MarkerShape.OpenCircle, Colors.Cyan, MarkerSize(20), $"STAR (N={N(xs[0].Count)})", 0.8f);
        if (xs[1].Count > 0) p.Markers(xs[1], ys[1], MarkerShape.OpenCircle, Colors.Magenta, MarkerSize(20), $"GAL (N={N(xs[1].Count)})", 0.8f);
        if (xs[2].Count > 0)
            p.Markers(xs[2], ys[2], MarkerShape.OpenSquare, Colors.Yellow, MarkerSize(24),
                $"UNKNOWN (N={N(xs[2].Count)})\n(Fallback to {galModel.ToUpperInvariant()})", 0.9f);
        if (nSat > 0) p.Markers(satX, satY, MarkerShape.Eks, Colors.Red, MarkerSize(60), $"Sat-excl (N={N(nSat)})", 1.2f);
        if (nCrop > 0) p.LegendOnly($"Crop-excl (N={N(nCrop)})", MarkerShape.OpenCircle, Colors.Gray, MarkerSize(20));
        int oob = active - drawn;
        if (oob > 0) p.LegendOnly($"NaN/OOB (N={N(oob)})", MarkerShape.OpenDiamond, Colors.Gray, MarkerSize(20));
        p.Plot.HideGrid();
        p.Plot.Axes.Bottom.Label.Text = "x [pix]";
        p.Plot.Axes.Left.Label.Text = "y [pix]";
        if (wcs is not null) SkyAxes.Apply(p.Plot, wcs, width, height);
        p.Save(path, OverlayWidthInches(HeightInches, width, height), HeightInches, dpi, Alignment.UpperRight);
        return new OverlayCounts(xs[0].Count, xs[1].Count, xs[2].Count, nSat, nCrop, oob);
    }
}

/// <summary>What the overlay drew: markers per class, and the legend counts.</summary>
public readonly record struct OverlayCounts(int Star, int Galaxy, int Unknown, int SaturationExcluded, int CropExcluded, int NanOrOutOfBounds);
