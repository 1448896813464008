using ScottPlot;

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// One figure showing an image in grey (origin at the bottom left, ZScale limits, axes in
/// full-resolution pixels) with markers and boxes on top, saved as a PNG: the common base
/// of the pipeline's diagnostic plots. Sizes follow matplotlib's habit of inches × dpi.
/// </summary>
public sealed class ImagePlot
{
    private readonly Plot _plot = new();
    private readonly PixelImage _image;

    /// <param name="image">Row-major pixels (row 0 = bottom of the figure).</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="stride">Show every stride-th pixel (display down-sampling); axes stay in full pixels.</param>
    /// <param name="limits">Display limits; null → ZScale of the shown pixels.</param>
    /// <param name="colormap">Null → grey.</param>
    public ImagePlot(ReadOnlySpan<float> image, int width, int height, int stride = 1, (double Lo, double Hi)? limits = null,
        IColormap? colormap = null)
    {
        stride = Math.Max(1, stride);
        int w = (width + stride - 1) / stride, h = (height + stride - 1) / stride;
        var shown = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                shown[y * w + x] = image[y * stride * width + x * stride];
        var (lo, hi) = limits ?? ZScale.Limits(shown);
        if (!(hi > lo)) hi = lo + 1;
        var panel = new PixelImage(shown, w, h, lo, hi, colormap ?? new ScottPlot.Colormaps.Grayscale(),
            new CoordinateRect(-0.5, width - 0.5, -0.5, height - 0.5));
        _plot.PlottableList.Add(panel);
        _plot.Axes.SetLimits(-0.5, width - 0.5, -0.5, height - 0.5);
        _plot.Axes.SquareUnits(); // square pixels, as imshow draws them
        _image = panel;
        DisplayLimits = (lo, hi);
    }

    public Plot Plot => _plot;

    public (double Lo, double Hi) DisplayLimits { get; }

    public ImagePlot Title(string title)
    {
        _plot.Title(title);
        return this;
    }

    /// <summary>Hides tick labels (the pre/post-crop plots have none).</summary>
    public ImagePlot NoTicks()
    {
        _plot.Axes.Bottom.TickLabelStyle.IsVisible = false;
        _plot.Axes.Left.TickLabelStyle.IsVisible = false;
        _plot.Axes.Bottom.MajorTickStyle.Length = 0;
        _plot.Axes.Left.MajorTickStyle.Length = 0;
        _plot.Axes.Bottom.MinorTickStyle.Length = 0;
        _plot.Axes.Left.MinorTickStyle.Length = 0;
        return this;
    }

    /// <summary>Markers at pixel positions; <paramref name="legend"/> null → not in the legend.
    /// With no position, a legend-only entry is drawn when <paramref name="legend"/> is set.</summary>
    public ImagePlot Markers(IReadOnlyList<double> x, IReadOnlyList<double> y, MarkerShape shape, Color color, float size,
        string? legend = null, float lineWidth = 1)
    {
        if (x.Count == 0)
        {
            if (legend is not null) LegendOnly(legend, shape, color, size);
            return this;
        }
        var m = _plot.Add.Markers(x.ToArray(), y.ToArray(), shape, size, color);
        m.MarkerStyle.LineWidth = lineWidth;
        m.MarkerStyle.OutlineWidth = lineWidth;
        if (legend is not null) m.LegendText = legend;
        return this;
    }

    /// <summary>A legend entry with no points (e.g. "Crop-excl (N=…)").</summary>
    public ImagePlot LegendOnly(string legend, MarkerShape shape, Color color, float size)
    {
        var item = new LegendItem { LabelText = legend, MarkerStyle = new MarkerStyle(shape, size, color) };
        _plot.Legend.ManualItems.Add(item);
        return this;
    }

    /// <summary>Unfilled rectangle [x0, x1) × [y0, y1) in pixel coordinates (drawn on pixel edges).</summary>
    public ImagePlot Box(double x0, double x1, double y0, double y1, Color color, float lineWidth = 2, string? legend = null,
        LinePattern? pattern = null)
    {
        var r = _plot.Add.Rectangle(x0 - 0.5, x1 - 0.5, y0 - 0.5, y1 - 0.5);
        r.FillStyle.Color = Colors.Transparent;
        r.LineStyle.Color = color;
        r.LineStyle.Width = lineWidth;
        if (pattern is { } p) r.LineStyle.Pattern = p;
        if (legend is not null) r.LegendText = legend;
        return this;
    }

    /// <summary>Adds a colour bar for the image.</summary>
    public ImagePlot ColorBar(string? label = null)
    {
        _plot.Axes.AddPanel(new ColorScale(_image.Colormap, DisplayLimits.Lo, DisplayLimits.Hi, label));
        return this;
    }

    /// <summary>Saves at <paramref name="widthInches"/>×<paramref name="heightInches"/> × <paramref name="dpi"/>
    /// (matplotlib's figure size), atomically.</summary>
    public void Save(string path, double widthInches, double heightInches, int dpi, Alignment? legendAt = null)
    {
        if (legendAt is { } a) _plot.ShowLegend(a);
        PlotFiles.SavePng(_plot, path, widthInches, heightInches, dpi);
    }
}

/// <summary>PNG output for any ScottPlot figure: inches × dpi, fonts scaled with dpi, atomic.</summary>
public static class PlotFiles
{
    /// <summary>ScottPlot sizes text in pixels for a 96-dpi screen; scale it so a 300-dpi
    /// figure has the same proportions as matplotlib's.</summary>
    public static void SavePng(Plot plot, string path, double widthInches, double heightInches, int dpi)
    {
        int w = Math.Max(64, (int)Math.Round(widthInches * dpi));
        int h = Math.Max(64, (int)Math.Round(heightInches * dpi));
        plot.ScaleFactor = (float)Math.Max(1.0, dpi / 96.0);
        SkiaGate.SavePng(path, w, h, canvas => plot.Render(canvas, new PixelRect(0, w, h, 0)));
    }
}
