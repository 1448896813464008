using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// The colour bar beside an image panel: the colormap as a strip from the display's low to its
/// high limit, round-numbered ticks and a label, on the right edge of the panel.
/// <para>
/// ScottPlot's own colour bar, which stretches its colormap image through a resize filter at every
/// render, cost 4–5 ms of a 300-dpi panel whose image, axes and markers take 1.5 ms: half of the
/// time under the figure gate in <c>plot-patches</c> (a montage has three colour bars per band).
/// This one draws the same 256 colours with nearest sampling: a strip taller than 256 pixels
/// shows them as bands a pixel or two high, which the eye does not tell from a gradient.
/// </para>
/// </summary>
internal sealed class ColorScale : IPanel
{
    private readonly IColormap _colormap;
    private readonly double _lo;
    private readonly double _hi;
    private readonly (double Value, string Text)[] _ticks;

    /// <param name="colormap">The image's colormap.</param>
    /// <param name="lo">The value the colormap's first colour shows.</param>
    /// <param name="hi">The value its last colour shows.</param>
    /// <param name="label">Text along the bar's outer side; null = none.</param>
    public ColorScale(IColormap colormap, double lo, double hi, string? label)
    {
        _colormap = colormap;
        _lo = lo;
        _hi = hi;
        _ticks = Ticks(lo, hi);
        Label = label;
        TickLabelStyle.FontSize = 12;
        TickLabelStyle.Alignment = Alignment.MiddleLeft;
        LabelStyle.FontSize = 16;
        LabelStyle.Bold = true;
        LabelStyle.Rotation = 90;
        LabelStyle.Alignment = Alignment.MiddleCenter;
    }

    public string? Label { get; }

    public LabelStyle TickLabelStyle { get; } = new();

    public LabelStyle LabelStyle { get; } = new();

    /// <summary>Width of the colour strip (logical pixels, before the figure's scale factor).</summary>
    public float StripWidth { get; set; } = 20;

    public bool IsVisible { get; set; } = true;

    public Edge Edge { get; set; } = Edge.Right;

    public bool ShowDebugInformation { get; set; }

    public float MinimumSize { get; set; }

    public float MaximumSize { get; set; } = float.MaxValue;

    private const float Gap = 10, TickLength = 4, TickPad = 3;

    /// <summary>The tick values and their texts (for tests).</summary>
    internal IReadOnlyList<(double Value, string Text)> TickMarks => _ticks;

    public float Measure(Paint paint)
    {
        float widest = 0;
        foreach (var (_, text) in _ticks) widest = Math.Max(widest, TickLabelStyle.Measure(text, paint).Width);
        float label = Label is null ? 0 : LabelStyle.Measure(Label, paint).Height + 2 * TickPad;
        return Math.Clamp(Gap + StripWidth + TickLength + TickPad + widest + label, MinimumSize, MaximumSize);
    }

    public PixelRect GetPanelRect(PixelRect dataRect, float size, float offset, Paint paint) =>
        new(dataRect.Right + offset, dataRect.Right + offset + size, dataRect.Bottom, dataRect.Top);

    public void Render(RenderPack rp, float size, float offset)
    {
        if (!IsVisible) return;
        PixelRect data = rp.DataRect;
        float x0 = data.Right + offset + Gap, x1 = x0 + StripWidth;
        float top = data.Top, bottom = data.Bottom;
        DrawStrip(rp.Canvas, new SKRect(x0, top, x1, bottom));

        using var line = new SKPaint { Color = SKColors.Black, IsStroke = true, StrokeWidth = 1, IsAntialias = true };
        rp.Canvas.DrawRect(new SKRect(x0, top, x1, bottom), line);
        float widest = 0;
        foreach (var (value, text) in _ticks)
        {
            float y = (float)(bottom - (value - _lo) / (_hi - _lo) * (bottom - top));
            rp.Canvas.DrawLine(x1, y, x1 + TickLength, y, line);
            TickLabelStyle.Render(rp.Canvas, new Pixel(x1 + TickLength + TickPad, y), rp.Paint, text);
            widest = Math.Max(widest, TickLabelStyle.Measure(text, rp.Paint).Width);
        }
        if (Label is not null)
        {
            float h = LabelStyle.Measure(Label, rp.Paint).Height;
            LabelStyle.Render(rp.Canvas, new Pixel(x1 + TickLength + 2 * TickPad + widest + h / 2, (top + bottom) / 2),
                rp.Paint, Label);
        }
    }

    /// <summary>The colormap's 256 colours, low at the bottom, drawn into <paramref name="rect"/>.</summary>
    private unsafe void DrawStrip(SKCanvas canvas, SKRect rect)
    {
        Span<uint> px = stackalloc uint[256];
        for (int i = 0; i < 256; i++) px[255 - i] = PixelImage.Rgba(_colormap.GetColor(i / 255.0));
        var info = new SKImageInfo(1, 256, SKColorType.Rgba8888, SKAlphaType.Premul);
        fixed (uint* p = px)
        {
            using var pixmap = new SKPixmap(info, (IntPtr)p, 4);
            using var image = SKImage.FromPixels(pixmap);
            canvas.DrawImage(image, rect, new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None));
        }
    }

    /// <summary>Round-numbered ticks within [lo, hi]: the smallest step of 1, 2 or 5 × 10ⁿ that is at
    /// least a sixth of the range, so 2–7 of them.</summary>
    internal static (double, string)[] Ticks(double lo, double hi)
    {
        if (!(hi > lo) || !double.IsFinite(lo) || !double.IsFinite(hi)) return [];
        double raw = (hi - lo) / 6;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = mag * (raw <= mag ? 1 : raw <= 2 * mag ? 2 : raw <= 5 * mag ? 5 : 10);
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        // very large or very small limits read better in exponent form than as long strings of zeros
        string format = step >= 1e5 || step < 1e-4 ? "G3" : "F" + decimals.ToString(CultureInfo.InvariantCulture);
        var ticks = new List<(double, string)>();
        for (double k = Math.Ceiling(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++)
        {
            double v = k * step;
            if (Math.Abs(v) < step * 1e-9) v = 0; // no "-0"
            ticks.Add((v, v.ToString(format, CultureInfo.InvariantCulture)));
        }
        return [.. ticks];
    }
}
