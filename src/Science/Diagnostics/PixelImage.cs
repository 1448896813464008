using ScottPlot;
using SkiaSharp;

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// An image drawn from pixels of our own: the grey or colour-mapped panel of every picture, in
/// place of ScottPlot's heatmap. The colours are looked up once per pixel from a 256-entry table
/// when the panel is made (a heatmap asks its colormap for every pixel at every render, in
/// doubles), and the Skia image wrapping them lives only while the panel is drawn, inside the
/// figure's <see cref="SkiaGate"/>. A heatmap keeps its bitmap in a private field and frees it
/// from a finalizer, which left about half of the pictures' CPU to the finalizer thread and Skia's
/// native dispose (profile of <c>plot-patches</c>); this panel leaves nothing native behind.
/// </summary>
internal sealed class PixelImage : IPlottable, IHasColorAxis
{
    private readonly byte[] _rgba;
    private readonly int _width;
    private readonly int _height;
    private readonly double _lo;
    private readonly double _hi;

    /// <param name="values">Row-major values, row 0 drawn at the bottom (the FITS convention).</param>
    /// <param name="width">Columns of <paramref name="values"/>.</param>
    /// <param name="height">Rows of <paramref name="values"/>.</param>
    /// <param name="lo">Value drawn with the colormap's first colour; below it is clipped to it.</param>
    /// <param name="hi">Value drawn with the colormap's last colour; above it is clipped to it.</param>
    /// <param name="colormap">The colormap; non-finite values are drawn black.</param>
    /// <param name="extent">Where the image's outer pixel edges sit in axis units.</param>
    public PixelImage(ReadOnlySpan<float> values, int width, int height, double lo, double hi, IColormap colormap,
        CoordinateRect extent)
    {
        if (values.Length < width * height) throw new ArgumentException("fewer values than width × height", nameof(values));
        _width = width;
        _height = height;
        _lo = lo;
        _hi = hi;
        Colormap = colormap;
        Extent = extent;
        Span<uint> lut = stackalloc uint[256];
        for (int i = 0; i < 256; i++) lut[i] = Rgba(colormap.GetColor(i / 255.0));
        uint nan = Rgba(Colors.Black);
        _rgba = new byte[width * height * 4];
        var px = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(_rgba.AsSpan());
        double scale = hi > lo ? 255.0 / (hi - lo) : 0;
        for (int y = 0; y < height; y++)
        {
            // Skia's row 0 is the top: flip so values' row 0 is at the bottom.
            var src = values.Slice(y * width, width);
            var dst = px.Slice((height - 1 - y) * width, width);
            for (int x = 0; x < width; x++)
            {
                float v = src[x];
                if (!float.IsFinite(v)) { dst[x] = nan; continue; }
                double t = (v - lo) * scale;
                dst[x] = lut[t <= 0 ? 0 : t >= 255 ? 255 : (int)(t + 0.5)];
            }
        }
    }

    public bool IsVisible { get; set; } = true;

    public IAxes Axes { get; set; } = new ScottPlot.Axes();

    public IEnumerable<LegendItem> LegendItems => [];

    public IColormap Colormap { get; set; }

    public CoordinateRect Extent { get; }

    public ScottPlot.Range GetRange() => new(_lo, _hi);

    public AxisLimits GetAxisLimits() => new(Extent);

    public unsafe void Render(RenderPack rp)
    {
        var info = new SKImageInfo(_width, _height, SKColorType.Rgba8888, SKAlphaType.Premul);
        PixelRect r = Axes.GetPixelRect(Extent);
        var dest = new SKRect(r.Left, r.Top, r.Right, r.Bottom);
        fixed (byte* p = _rgba)
        {
            // wraps our pixels without a copy; disposed before they are unpinned
            using var pixmap = new SKPixmap(info, (IntPtr)p, _width * 4);
            using var image = SKImage.FromPixels(pixmap);
            // nearest pixel, as imshow draws a data image: no smoothing across pixel edges
            rp.Canvas.DrawImage(image, dest, new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None));
        }
    }

    /// <summary>A colour as Skia's RGBA8888 in memory (R first), alpha premultiplied.</summary>
    internal static uint Rgba(Color c)
    {
        uint a = c.A;
        uint r = (uint)(c.R * a + 127) / 255, g = (uint)(c.G * a + 127) / 255, b = (uint)(c.B * a + 127) / 255;
        return r | g << 8 | b << 16 | a << 24;
    }
}
