using System.Globalization;
using ScottPlot;
using Tract7dt.Science.Calibration;

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// <c>ZP/zp_vs_mag__&lt;band&gt;.png</c> (docs/pipeline.md §10.7): per-star zero point against
/// the GaiaXP magnitude, 6 × 4 in. Layers, in legend order: non-converged stars (grey
/// diamonds), clipped stars (red ×), kept stars (open black circles with ±zp_err bars),
/// the zero point (red line) and its MAD scatter (grey band, drawn underneath).
/// </summary>
public static class ZpPlot
{
    public const double WidthInches = 6, HeightInches = 4;

    /// <summary>Draws <paramref name="zp"/> and saves it at <paramref name="dpi"/>.</summary>
    public static void Save(BandZeroPoint zp, string path, int dpi)
    {
        var plot = new Plot();
        var grey80 = Color.FromHex("#CCCCCC");
        var grey60 = Color.FromHex("#999999");
        var grey40 = Color.FromHex("#666666");
        string F3(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

        // The MAD band first so the points sit on top of it; its legend entry is added last.
        bool band = double.IsFinite(zp.ZpErrMad) && zp.ZpErrMad > 0;
        if (band)
        {
            var span = plot.Add.VerticalSpan(zp.ZpMedian - zp.ZpErrMad, zp.ZpMedian + zp.ZpErrMad, grey80.WithAlpha(0.35));
            span.LineWidth = 0;
        }

        var kept = Enumerable.Range(0, zp.Used.Count).Where(i => zp.Kept[i]).Select(i => zp.Used[i]).ToArray();
        var clipped = Enumerable.Range(0, zp.Used.Count).Where(i => !zp.Kept[i]).Select(i => zp.Used[i]).ToArray();

        // The y range follows the kept stars, the calibration itself: clipped and non-converged
        // stars 1–10 mag off (an unmatched neighbour, a bad fit) would otherwise squash the kept
        // stars' 0.02-mag scatter into a flat line. Points outside are drawn at the edge as
        // triangles and counted in the legend.
        var (yLo, yHi) = YRange(zp);
        double pad = 0.03 * (yHi - yLo);
        // draws the points inside the range, and those outside at its edges; returns the inside layer and the count outside
        (ScottPlot.Plottables.Markers Layer, int Outside) Draw(IReadOnlyList<ZpStar> stars, MarkerShape shape, float size, Color color)
        {
            var inside = stars.Where(s => s.Zp >= yLo && s.Zp <= yHi).ToArray();
            var up = stars.Where(s => s.Zp > yHi).ToArray();
            var down = stars.Where(s => s.Zp < yLo).ToArray();
            var m = plot.Add.Markers(inside.Select(s => s.GaiaMag).ToArray(), inside.Select(s => s.Zp).ToArray(), shape, size, color);
            if (up.Length > 0)
                plot.Add.Markers(up.Select(s => s.GaiaMag).ToArray(), up.Select(_ => yHi - pad).ToArray(), MarkerShape.FilledTriangleUp, 7, color);
            if (down.Length > 0)
                plot.Add.Markers(down.Select(s => s.GaiaMag).ToArray(), down.Select(_ => yLo + pad).ToArray(), MarkerShape.FilledTriangleDown, 7, color);
            return (m, up.Length + down.Length);
        }
        string Off(int n) => n == 0 ? "" : $", {n} off scale";
        if (zp.NonConverged.Count > 0)
        {
            var (m, off) = Draw(zp.NonConverged, MarkerShape.FilledDiamond, 7, grey60.WithAlpha(0.6));
            m.LegendText = $"non-converged (N={zp.NonConverged.Count}{Off(off)})";
        }
        if (clipped.Length > 0)
        {
            var (m, off) = Draw(clipped, MarkerShape.Eks, 9, Colors.Red.WithAlpha(0.9));
            m.LegendText = $"clipped (N={clipped.Length}{Off(off)})";
        }
        if (kept.Length > 0)
        {
            var withErr = kept.Where(s => double.IsFinite(s.ZpErr)).ToArray();
            if (withErr.Length > 0)
            {
                var eb = plot.Add.ErrorBar(withErr.Select(s => s.GaiaMag).ToArray(), withErr.Select(s => s.Zp).ToArray(),
                    withErr.Select(s => s.ZpErr).ToArray());
                eb.Color = grey40;
                eb.LineWidth = 0.7f;
                eb.CapSize = 0;
            }
            var m = plot.Add.Markers(kept.Select(s => s.GaiaMag).ToArray(), kept.Select(s => s.Zp).ToArray(),
                MarkerShape.OpenCircle, 6, Colors.Black);
            m.LegendText = $"kept (N={kept.Length})";
        }
        var line = plot.Add.HorizontalLine(zp.ZpMedian, 1.5f, Colors.Red);
        line.LegendText = $"median={F3(zp.ZpMedian)} ± {F3(zp.ZpErrMad)}";
        if (band)
        {
            // A legend-only swatch for the MAD band, after the median line (the original's legend order).
            var swatch = plot.Add.Markers(new[] { double.NaN }, new[] { double.NaN }, MarkerShape.FilledSquare, 9, grey80);
            swatch.LegendText = "median ± MADσ";
        }

        plot.Title(zp.Band);
        plot.XLabel("GaiaXP synphot AB mag");
        plot.YLabel("ZP (mag)");
        plot.Legend.FontSize = 8;
        plot.Legend.BackgroundColor = Colors.White.WithAlpha(0.7);
        plot.Axes.Margins(0.08, 0.15);
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsY(yLo, yHi);
        var all = zp.Used.Concat(zp.NonConverged).Select(s => (s.GaiaMag, Math.Clamp(s.Zp, yLo, yHi))).ToArray();
        plot.ShowLegend(EmptiestCorner(all, zp.ZpMedian));
        PlotFiles.SavePng(plot, path, WidthInches, HeightInches, dpi);
    }

    /// <summary>
    /// The plot's y range: the zero point ± the larger of 1.3 × the farthest kept star, 6 × the
    /// MAD error and 0.05 mag. Clipped and non-converged stars do not widen it (they are drawn
    /// at its edges).
    /// </summary>
    public static (double Lo, double Hi) YRange(BandZeroPoint zp)
    {
        var keptZp = Enumerable.Range(0, zp.Used.Count).Where(i => zp.Kept[i]).Select(i => zp.Used[i].Zp).Where(double.IsFinite).ToArray();
        double half = Math.Max(0.05, 1.3 * (keptZp.Length > 0 ? keptZp.Max(z => Math.Abs(z - zp.ZpMedian)) : 0.15));
        if (double.IsFinite(zp.ZpErrMad)) half = Math.Max(half, 6 * zp.ZpErrMad);
        return (zp.ZpMedian - half, zp.ZpMedian + half);
    }

    /// <summary>matplotlib's "best" legend location, simplified: the corner quadrant of the data
    /// box holding the fewest points (ties in the order upper right, upper left, lower left,
    /// lower right), so the legend never hides the stars it describes.</summary>
    internal static Alignment EmptiestCorner(IReadOnlyList<(double X, double Y)> points, double yLine)
    {
        if (points.Count == 0) return Alignment.UpperRight;
        double x0 = points.Min(p => p.X), x1 = points.Max(p => p.X);
        double y0 = Math.Min(yLine, points.Min(p => p.Y)), y1 = Math.Max(yLine, points.Max(p => p.Y));
        double xm = 0.5 * (x0 + x1), ym = 0.5 * (y0 + y1);
        var corners = new (Alignment A, Func<(double X, double Y), bool> In)[]
        {
            (Alignment.UpperRight, p => p.X >= xm && p.Y >= ym),
            (Alignment.UpperLeft, p => p.X < xm && p.Y >= ym),
            (Alignment.LowerLeft, p => p.X < xm && p.Y < ym),
            (Alignment.LowerRight, p => p.X >= xm && p.Y < ym),
        };
        return corners.OrderBy(c => points.Count(c.In)).First().A;   // OrderBy is stable: ties keep the list order
    }
}
