using System.Globalization;
using ScottPlot;
using Tract7dt.Science.Imaging;

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// <c>ZP/gaia_augmentation_overlay.png</c> (docs/pipeline.md §4.3): the post-crop white stack at full
/// resolution with the catalog rows, the Gaia-matched rows, the injected Gaia stars, the Gaia
/// stars removed by the saturation cut, the excluded rows and the selection box; RA and Dec on
/// the axes when the white frame has a WCS. 10 inches high, as wide as the image's aspect asks.
/// </summary>
public static class GaiaAugmentationPlot
{
    public const double SizeInches = 10;

    /// <param name="x">Input rows' white-frame positions (NaN allowed).</param>
    /// <param name="matched">Per input row: matched to a Gaia star.</param>
    public static void Save(string path, float[] white, int width, int height, int dpi,
        ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<bool> matched,
        ReadOnlySpan<bool> excludedCrop, ReadOnlySpan<bool> excludedSaturation,
        IReadOnlyList<double> injectedX, IReadOnlyList<double> injectedY,
        IReadOnlyList<double> saturatedX, IReadOnlyList<double> saturatedY, PixelBox box, Wcs.TanWcs? wcs = null)
    {
        var orig = (X: new List<double>(), Y: new List<double>());
        var match = (X: new List<double>(), Y: new List<double>());
        var exSat = (X: new List<double>(), Y: new List<double>());
        var exCrop = (X: new List<double>(), Y: new List<double>());
        for (int i = 0; i < x.Length; i++)
        {
            if (!double.IsFinite(x[i]) || !double.IsFinite(y[i])) continue;
            orig.X.Add(x[i]); orig.Y.Add(y[i]);
            if (matched[i]) { match.X.Add(x[i]); match.Y.Add(y[i]); }
            if (excludedSaturation[i]) { exSat.X.Add(x[i]); exSat.Y.Add(y[i]); }
            if (excludedCrop[i]) { exCrop.X.Add(x[i]); exCrop.Y.Add(y[i]); }
        }
        string N(int n) => n.ToString(CultureInfo.InvariantCulture);
        float S(double s) => LoadInputsPlots.MarkerSize(s);
        var p = new ImagePlot(white, width, height).Title("Gaia augmentation overlay on white stack");
        p.Plot.HideGrid();
        p.Plot.Axes.Bottom.Label.Text = "x [pix]";
        p.Plot.Axes.Left.Label.Text = "y [pix]";
        if (wcs is not null) SkyAxes.Apply(p.Plot, wcs, width, height);
        if (orig.X.Count > 0) p.Markers(orig.X, orig.Y, MarkerShape.OpenCircle, Colors.Cyan.WithAlpha(0.8), S(20), $"original ({N(orig.X.Count)})");
        if (match.X.Count > 0) p.Markers(match.X, match.Y, MarkerShape.OpenSquare, Colors.Lime, S(30), $"Gaia matched ({N(match.X.Count)})");
        if (injectedX.Count > 0) p.Markers(injectedX, injectedY, MarkerShape.OpenCircle, Colors.Magenta, S(20), $"Gaia injected ({N(injectedX.Count)})");
        if (saturatedX.Count > 0) p.Markers(saturatedX, saturatedY, MarkerShape.Eks, Colors.Red, S(40), $"Gaia saturated ({N(saturatedX.Count)})");
        if (exSat.X.Count > 0) p.Markers(exSat.X, exSat.Y, MarkerShape.Eks, Colors.Red, S(60), $"excluded: saturation ({N(exSat.X.Count)})", 1.5f);
        if (exCrop.X.Count > 0) p.Markers(exCrop.X, exCrop.Y, MarkerShape.Eks, Colors.Orange, S(60), $"excluded: crop ({N(exCrop.X.Count)})", 1.5f);
        p.Box(box.X0, box.X1, box.Y0, box.Y1, Colors.Yellow, 1.5f, "selection box", LinePattern.Dashed);
        p.Save(path, LoadInputsPlots.OverlayWidthInches(SizeInches, width, height), SizeInches, dpi, Alignment.UpperRight);
    }
}
