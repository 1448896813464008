using ScottPlot;
using SkiaSharp;

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// A grid of independent ScottPlot panels under one super-title, saved as one PNG: the
/// matplotlib <c>subplots</c> figures of the ePSF diagnostics (1×3, 1×4, n×3, montages).
/// Each panel is rendered at its share of the figure and blitted; sizes follow inches × dpi.
/// </summary>
public sealed class PanelFigure
{
    private readonly Plot?[] _panels;

    /// <param name="rows">Panel rows.</param>
    /// <param name="cols">Panel columns.</param>
    /// <param name="title">Super-title (null = none).</param>
    public PanelFigure(int rows, int cols, string? title)
    {
        Rows = rows;
        Cols = cols;
        Title = title;
        _panels = new Plot?[rows * cols];
    }

    public int Rows { get; }

    public int Cols { get; }

    public string? Title { get; }

    /// <summary>Places a panel at (row, col); row 0 is the top row.</summary>
    public void Set(int row, int col, Plot plot) => _panels[row * Cols + col] = plot;

    /// <summary>Renders and writes the PNG atomically.</summary>
    public void Save(string path, double widthInches, double heightInches, int dpi)
    {
        int w = Math.Max(64, (int)Math.Round(widthInches * dpi));
        int h = Math.Max(64, (int)Math.Round(heightInches * dpi));
        SkiaGate.SavePng(path, w, h, canvas => Draw(canvas, w, h, dpi));
    }

    private void Draw(SKCanvas canvas, int w, int h, int dpi)
    {
        float scale = (float)Math.Max(1.0, dpi / 96.0);
        int titleH = Title is null ? 0 : (int)Math.Round(22 * scale);
        int pw = w / Cols, ph = (h - titleH) / Rows;
        if (Title is not null)
        {
            using var font = new SKFont(SKTypeface.Default, 14 * scale);
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            float tw = font.MeasureText(Title);
            canvas.DrawText(Title, (w - tw) / 2f, titleH * 0.75f, font, paint);
        }
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Cols; c++)
            {
                var p = _panels[r * Cols + c];
                if (p is null || pw < 16 || ph < 16) continue;
                p.ScaleFactor = scale;
                PanelRender.Draw(canvas, p, c * pw, titleH + r * ph, pw, ph);
            }
    }
}
