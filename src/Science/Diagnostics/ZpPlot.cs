using System.Globalization;
using ScottPlot;
using Tract7dt.Science.Calibration;

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// <c>ZP/zp_vs_mag__&lt;band&gt;.png</c> (stages.md Part B §7.7): per-star zero point against
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

        if (zp.NonConverged.Count > 0)
        {
            var m = plot.Add.Markers(zp.NonConverged.Select(s => s.GaiaMag).ToArray(), zp.NonConverged.Select(s => s.Zp).ToArray(),
                MarkerShape.FilledDiamond, 7, grey60.WithAlpha(0.6));
            m.LegendText = $"non-converged (N={zp.NonConverged.Count})";
        }
        if (clipped.Length > 0)
        {
            var m = plot.Add.Markers(clipped.Select(s => s.GaiaMag).ToArray(), clipped.Select(s => s.Zp).ToArray(),
                MarkerShape.Eks, 9, Colors.Red.WithAlpha(0.9));
            m.LegendText = $"clipped (N={clipped.Length})";
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
            // A legend-only swatch for the MAD band, after the median line (spec order).
            var swatch = plot.Add.Markers(new[] { double.NaN }, new[] { double.NaN }, MarkerShape.FilledSquare, 9, grey80);
            swatch.LegendText = "median ± MADσ";
        }

        plot.Title(zp.Band);
        plot.XLabel("GaiaXP synphot AB mag");
        plot.YLabel("ZP (mag)");
        plot.Legend.FontSize = 8;
        plot.Legend.BackgroundColor = Colors.White.WithAlpha(0.7);
        plot.ShowLegend(Alignment.UpperRight);
        plot.Axes.AutoScale();
        PlotFiles.SavePng(plot, path, WidthInches, HeightInches, dpi);
    }
}
