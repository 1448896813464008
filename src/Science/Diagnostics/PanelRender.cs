using ScottPlot;
using SkiaSharp;

namespace Tract7dt.Science.Diagnostics;

/// <summary>Draws one ScottPlot panel into its cell of a larger figure.</summary>
internal static class PanelRender
{
    /// <summary>
    /// Renders <paramref name="plot"/> at <paramref name="width"/> × <paramref name="height"/> pixels
    /// and draws it with its top-left corner at (<paramref name="x"/>, <paramref name="y"/>). The
    /// panel is rendered on a surface of its own (ScottPlot clears the whole canvas it is given) and
    /// drawn from memory: the PNG encode and decode each panel used to go through cost as much as
    /// drawing it.
    /// </summary>
    public static void Draw(SKCanvas canvas, Plot plot, int x, int y, int width, int height)
    {
        // the figure drawing it holds the SkiaGate
        using var surface = SKSurface.Create(new SKImageInfo(width, height));
        plot.Render(surface.Canvas, new PixelRect(0, width, height, 0));
        using var image = surface.Snapshot();
        canvas.DrawImage(image, x, y);
    }
}
