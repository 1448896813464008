using ScottPlot;
using SkiaSharp;

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// A grid of separately drawn ScottPlot panels composed into one PNG with a title on
/// top (matplotlib's <c>subplots</c> + <c>suptitle</c>). Sizes in inches × dpi.
/// </summary>
public sealed class PatchPanelGrid
{
    private readonly Plot?[,] _panels;

    public PatchPanelGrid(int rows, int cols)
    {
        _panels = new Plot?[rows, cols];
        Rows = rows;
        Cols = cols;
    }

    public int Rows { get; }

    public int Cols { get; }

    public Plot? this[int row, int col]
    {
        get => _panels[row, col];
        set => _panels[row, col] = value;
    }

    /// <summary>Renders every panel and the (multi-line) title and writes the PNG atomically.</summary>
    public void Save(string path, string title, double widthInches, double heightInches, int dpi)
    {
        int w = Math.Max(64, (int)Math.Round(widthInches * dpi));
        int h = Math.Max(64, (int)Math.Round(heightInches * dpi));
        SkiaGate.SavePng(path, w, h, canvas => Draw(canvas, title, w, h, dpi));
    }

    private void Draw(SKCanvas canvas, string title, int w, int h, int dpi)
    {
        float scale = (float)Math.Max(1.0, dpi / 96.0);
        var lines = title.Split('\n');
        float fontPx = 13f * scale;
        int titleH = (int)Math.Ceiling(lines.Length * fontPx * 1.4f + fontPx * 0.6f);
        int cellW = w / Cols, cellH = Math.Max(32, (h - titleH) / Rows);
        using (var font = new SKFont(SKTypeface.Default, fontPx))
        using (var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true })
        {
            for (int i = 0; i < lines.Length; i++)
                canvas.DrawText(lines[i], w / 2f, fontPx * 1.3f * (i + 1), SKTextAlign.Center, font, paint);
        }
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Cols; c++)
            {
                var plot = _panels[r, c];
                if (plot is null) continue;
                plot.ScaleFactor = scale;
                PanelRender.Draw(canvas, plot, c * cellW, titleH + r * cellH, cellW, cellH);
            }
    }
}
