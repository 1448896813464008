using ScottPlot;
using SkiaSharp;
using Tract7dt.Science.Diagnostics;
using Xunit;

namespace Tract7dt.Tests.Diagnostics;

/// <summary>
/// The image panels every picture is made of (<see cref="PixelImage"/>) and their colour bars
/// (<see cref="ColorScale"/>), drawn by Skia and read back pixel by pixel: value to colour, the
/// FITS orientation (row 0 at the bottom), NaN black, and a bar whose high end is at the top.
/// </summary>
public sealed class ImagePanelTests
{
    [Fact]
    public void Image_pixels_take_their_colour_from_the_limits_with_row_0_at_the_bottom_and_NaN_black()
    {
        // 3 × 2 values: bottom row (row 0) lo, mid, hi; top row (row 1) NaN, above hi, below lo
        float[] values = [0f, 5f, 10f, float.NaN, 99f, -99f];
        var plot = new Plot();
        plot.PlottableList.Add(new PixelImage(values, 3, 2, 0, 10, new ScottPlot.Colormaps.Grayscale(),
            new CoordinateRect(-0.5, 2.5, -0.5, 1.5)));
        plot.Axes.SetLimits(-0.5, 2.5, -0.5, 1.5);
        plot.Layout.Frameless();
        using var bmp = Render(plot, 300, 200);
        // pixel (x, y) of the image covers [100x, 100x + 100) × [200 - 100(y + 1), 200 - 100y) of the figure
        byte Grey(int x, int y) => bmp.GetPixel(100 * x + 50, 200 - 100 * y - 50).Red;
        Assert.Equal(0, Grey(0, 0));
        Assert.InRange(Grey(1, 0), 126, 129);
        Assert.Equal(255, Grey(2, 0));
        Assert.Equal(SKColors.Black, bmp.GetPixel(50, 50));
        Assert.Equal(255, Grey(1, 1)); // clipped at hi
        Assert.Equal(0, Grey(2, 1));   // clipped at lo
    }

    [Fact]
    public void Colour_bar_runs_from_the_low_colour_at_the_bottom_to_the_high_colour_at_the_top()
    {
        float[] values = [0f, 1f, 2f, 3f];
        var p = new ImagePlot(values, 2, 2, limits: (0, 3)).NoTicks().ColorBar("Data");
        using var bmp = Render(p.Plot, 400, 300);
        var data = p.Plot.RenderManager.LastRender.DataRect;
        // the strip: the first column right of the image that is black at the bottom and white at the top
        int top = (int)data.Top + 3, bottom = (int)data.Bottom - 3, x = (int)data.Right + 2;
        while (x < bmp.Width && !(bmp.GetPixel(x, bottom).Red < 15 && bmp.GetPixel(x, top).Red > 240)) x++;
        Assert.True(x < bmp.Width, "no column right of the image runs from black at the bottom to white at the top");
        x += 5;
        Assert.True(bmp.GetPixel(x, bottom).Red < 15 && bmp.GetPixel(x, top).Red > 240, "the strip is narrower than 6 px");
        byte mid = bmp.GetPixel(x, (int)((data.Top + data.Bottom) / 2)).Red;
        Assert.InRange(mid, 110, 145);
    }

    [Theory]
    [InlineData(-0.75, 1.07, new[] { -0.5, 0, 0.5, 1.0 }, new[] { "-0.5", "0.0", "0.5", "1.0" })]
    [InlineData(-1.8, 2.4, new[] { -1.0, 0, 1, 2 }, new[] { "-1", "0", "1", "2" })]
    [InlineData(0, 0.93, new[] { 0, 0.2, 0.4, 0.6, 0.8 }, new[] { "0.0", "0.2", "0.4", "0.6", "0.8" })]
    [InlineData(1200, 4800, new[] { 2000.0, 3000, 4000 }, new[] { "2000", "3000", "4000" })]
    public void Ticks_are_round_numbers_inside_the_limits(double lo, double hi, double[] values, string[] texts)
    {
        var ticks = ColorScale.Ticks(lo, hi);
        Assert.Equal(values.Length, ticks.Length);
        for (int i = 0; i < ticks.Length; i++)
        {
            Assert.Equal(values[i], ticks[i].Item1, 9);
            Assert.Equal(texts[i], ticks[i].Item2);
        }
    }

    [Fact]
    public void Any_range_gets_two_to_seven_ticks_inside_it_and_none_for_an_empty_one()
    {
        var rng = new Random(5);
        for (int k = 0; k < 2000; k++)
        {
            double lo = (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-6, 7));
            double hi = lo + rng.NextDouble() * Math.Pow(10, rng.Next(-6, 7)) + 1e-12;
            var ticks = ColorScale.Ticks(lo, hi);
            Assert.InRange(ticks.Length, 2, 7);
            foreach (var (v, text) in ticks)
            {
                Assert.InRange(v, lo - (hi - lo) * 1e-6, hi + (hi - lo) * 1e-6);
                Assert.False(text.StartsWith("-0", StringComparison.Ordinal) && v == 0, $"'{text}' for zero");
            }
        }
        Assert.Empty(ColorScale.Ticks(1, 1));
        Assert.Empty(ColorScale.Ticks(double.NaN, 1));
    }

    /// <summary>Drawn the way every figure is (under the gate, encoded by our writer) and decoded by Skia.</summary>
    private static SKBitmap Render(Plot plot, int width, int height)
    {
        string path = Path.Combine(Path.GetTempPath(), "t7d_panel_" + Guid.NewGuid().ToString("N") + ".png");
        try
        {
            SkiaGate.SavePng(path, width, height, canvas => plot.Render(canvas, new PixelRect(0, width, height, 0)));
            return SKBitmap.Decode(path) ?? throw new InvalidOperationException("the PNG did not decode");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
