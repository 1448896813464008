using System.Globalization;
using ScottPlot;
using Tract7dt.Science.Psf.Epsf;
using Tract7dt.Science.Psf.Stage;

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// The per-cell PNGs of the ePSF stage (docs/outputs.md §6.4, docs/epsf.md §12): selected stars,
/// cell background, the ePSF, its growth curve, the star − model residuals, the per-star
/// annulus backgrounds and the star montages. Display limits are the 5th/99th percentiles
/// of the finite values unless stated.
/// </summary>
public static class EpsfPlots
{
    private static string F(double v, string fmt) => v.ToString(fmt, CultureInfo.InvariantCulture);

    /// <summary>5th and 99th percentiles (linear interpolation) of the finite values; (0, 1) if none.</summary>
    public static (double Lo, double Hi) P5P99(ReadOnlySpan<float> v)
    {
        var buf = new List<double>(v.Length);
        foreach (float x in v) if (float.IsFinite(x)) buf.Add(x);
        if (buf.Count == 0) return (0, 1);
        buf.Sort();
        double lo = Percentile(buf, 5), hi = Percentile(buf, 99);
        return hi > lo ? (lo, hi) : (lo, lo + 1);
    }

    /// <summary>NumPy's default percentile (linear between order statistics) of sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        double pos = q / 100.0 * (sorted.Count - 1);
        int i = (int)Math.Floor(pos);
        if (i >= sorted.Count - 1) return sorted[^1];
        return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
    }

    /// <summary><c>psfstars.png</c> / <c>psfstars_bgsub.png</c>: the cell with the selected stars by origin (6×6 in).</summary>
    public static void PsfStars(string path, ReadOnlySpan<float> image, int width, int height, IReadOnlyList<PsfStar> stars,
        string title, int dpi)
    {
        var plot = new ImagePlot(image, width, height, limits: P5P99(image)).Title(title);
        void Group(StarOrigin o, MarkerShape shape, Color color, float size, string label)
        {
            var sel = stars.Where(s => s.Origin == o).ToList();
            if (sel.Count == 0) return;
            plot.Markers(sel.Select(s => (double)s.X).ToList(), sel.Select(s => (double)s.Y).ToList(), shape, color, size,
                $"{label} (N={sel.Count})", 1.5f);
        }
        Group(StarOrigin.Sep, MarkerShape.OpenCircle, Colors.Orange, 11, "sep-only");
        Group(StarOrigin.Gaia, MarkerShape.Cross, Colors.Cyan, 13, "gaia-only");
        Group(StarOrigin.Both, MarkerShape.Eks, Colors.Magenta, 12, "both");
        plot.Save(path, 6, 6, dpi, stars.Count > 0 ? Alignment.UpperRight : null);
    }

    /// <summary><c>background_diagnostics.png</c>: raw cell / background map / raw − background (11×3.7 in).</summary>
    public static void Background(string path, float[] raw, float[] background, float[] subtracted, int width, int height,
        string title, bool colorbar, int dpi)
    {
        var fig = new PanelFigure(1, 3, title);
        var panels = new[]
        {
            (raw, "raw patch", (IColormap?)null),
            (background, "background map", new ScottPlot.Colormaps.Viridis()),
            (subtracted, "raw - background", null),
        };
        for (int i = 0; i < 3; i++)
        {
            var (img, name, cmap) = panels[i];
            var p = new ImagePlot(img, width, height, limits: P5P99(img), colormap: cmap).Title(name);
            if (colorbar) p.ColorBar();
            fig.Set(0, i, p.Plot);
        }
        fig.Save(path, 11, 3.7, dpi);
    }

    /// <summary><c>epsf.png</c>: the written ePSF in viridis, automatic limits (4×4 in).</summary>
    public static void Epsf(string path, EpsfProduct product, string title, int dpi)
    {
        var d = product.Data;
        float lo = d.Where(float.IsFinite).DefaultIfEmpty(0).Min(), hi = d.Where(float.IsFinite).DefaultIfEmpty(1).Max();
        new ImagePlot(d, product.Size, product.Size, limits: (lo, hi), colormap: new ScottPlot.Colormaps.Viridis())
            .Title(title).Save(path, 4, 4, dpi);
    }

    /// <summary><c>epsf_growth_curve.png</c>: encircled energy vs radius with the 0.5/0.8 levels and r50/r80 (5×3.8 in).</summary>
    public static void GrowthCurve(string path, EpsfProduct product, string title, int dpi)
    {
        var plot = new Plot();
        var line = plot.Add.Scatter(product.GrowthRadii, product.GrowthFraction, Colors.Blue);
        line.MarkerSize = 3;
        line.LegendText = "EE";
        var h5 = plot.Add.HorizontalLine(0.5, 1, Colors.Gray, LinePattern.Dashed);
        var h8 = plot.Add.HorizontalLine(0.8, 1, Colors.Gray, LinePattern.Dotted);
        if (double.IsFinite(product.Qa.EeR50Pix))
            plot.Add.VerticalLine(product.Qa.EeR50Pix, 1.5f, Colors.Orange, LinePattern.Dashed).LegendText = "r50=" + F(product.Qa.EeR50Pix, "F1");
        if (double.IsFinite(product.Qa.EeR80Pix))
            plot.Add.VerticalLine(product.Qa.EeR80Pix, 1.5f, Colors.Green, LinePattern.Dotted).LegendText = "r80=" + F(product.Qa.EeR80Pix, "F1");
        plot.Axes.SetLimitsY(-0.05, 1.05);
        plot.Axes.SetLimitsX(0, product.GrowthRadii.Length > 0 ? product.GrowthRadii[^1] : 1);
        plot.XLabel("radius [pix]");
        plot.YLabel("encircled energy");
        plot.Title(title);
        plot.ShowLegend(Alignment.LowerRight);
        PlotFiles.SavePng(plot, path, 5, 3.8, dpi);
    }

    /// <summary><c>epsf_residual_diagnostics.png</c>: median star, registered model, residual and the normalised-residual histogram (13×3.5 in).</summary>
    public static void Residual(string path, ResidualQa q, int stampSize, string title, int dpi)
    {
        if (q.MedianData is null || q.MedianModel is null || q.MedianResidual is null) return;
        var fig = new PanelFigure(1, 4, title);
        var lim = P5P99(q.MedianData);
        fig.Set(0, 0, new ImagePlot(q.MedianData, stampSize, stampSize, limits: lim).Title("median star data").Plot);
        fig.Set(0, 1, new ImagePlot(q.MedianModel, stampSize, stampSize, limits: lim).Title("registered ePSF model").Plot);
        var abs = q.MedianResidual.Where(float.IsFinite).Select(v => (double)Math.Abs(v)).OrderBy(v => v).ToList();
        double L = abs.Count > 0 ? Percentile(abs, 99) : 1;
        if (!(L > 0) || !double.IsFinite(L)) L = 1;
        var rp = new ImagePlot(q.MedianResidual, stampSize, stampSize, limits: (-L, L), colormap: new ScottPlot.Colormaps.Balance())
            .Title("median residual / rms=" + F(q.Rms, "G3"));
        rp.ColorBar();
        fig.Set(0, 2, rp.Plot);
        var hist = new Plot();
        var sorted = (q.NormResiduals ?? []).Where(float.IsFinite).Select(v => (double)v).OrderBy(v => v).ToList();
        int beyond = 0;
        double half = 5;
        if (sorted.Count > 0)
        {
            // a symmetric range that shows the bulk (at least ±5σ, out to the 0.5 and 99.5
            // percentiles, at most ±20σ): one neighbour's core in a stamp sat at 130σ and
            // squeezed the whole distribution into two bins
            half = Math.Clamp(Math.Max(Math.Abs(Percentile(sorted, 0.5)), Math.Abs(Percentile(sorted, 99.5))), 5, 20);
            var h = ScottPlot.Statistics.Histogram.WithBinCount(60, -half, half);
            foreach (double v in sorted)
                if (v >= -half && v <= half) h.Add(v);
                else beyond++;
            hist.Add.Histogram(h);
        }
        hist.Add.VerticalLine(0, 1, Colors.Black);
        hist.Axes.SetLimitsX(-half, half);
        // short labels: a long one is cut at the figure's edge (the rms was lost)
        hist.XLabel("(data − model)/σ" + (beyond > 0 ? "; " + beyond.ToString(CultureInfo.InvariantCulture) + " outside" : ""));
        hist.Title("bias " + F(q.NormBias, "G2") + ", rms " + F(q.NormRms, "G3"));
        fig.Set(0, 3, hist);
        fig.Save(path, 13, 3.5, dpi);
    }

    /// <summary><c>star_local_background_diagnostics.png</c>: per used star, raw stamp / annulus pixels / subtracted stamp.</summary>
    public static void LocalBackground(string path, IReadOnlyList<EpsfStar> raw, IReadOnlyList<EpsfStar> subtracted,
        IReadOnlyList<LocalBackgroundRecord> records, bool colorbar, int dpi)
    {
        int n = Math.Min(raw.Count, Math.Min(subtracted.Count, records.Count));
        if (n == 0) return;
        var fig = new PanelFigure(n, 3, null);
        for (int s = 0; s < n; s++)
        {
            var st = raw[s];
            var rec = records[s];
            int size = st.Size;
            var lim = P5P99(st.Data);
            var ann = new float[size * size];
            float rin2 = (float)rec.InnerRadius * (float)rec.InnerRadius, rout2 = (float)rec.OuterRadius * (float)rec.OuterRadius;
            for (int j = 0; j < size; j++)
                for (int i = 0; i < size; i++)
                {
                    float dx = i - (float)st.CenterX, dy = j - (float)st.CenterY, d2 = dx * dx + dy * dy;
                    int k = j * size + i;
                    ann[k] = d2 >= rin2 && d2 <= rout2 && st.IsUsable(k) ? st.Data[k] : float.NaN;
                }
            var p0 = new ImagePlot(st.Data, size, size, limits: lim).Title("id=" + rec.Id + " raw");
            var p1 = new ImagePlot(ann, size, size, limits: P5P99(ann), colormap: new ScottPlot.Colormaps.Viridis())
                .Title("annulus");
            p1.Plot.XLabel("Nann=" + rec.AnnulusPixels.ToString(CultureInfo.InvariantCulture) + " bkg=" + F(rec.Background, "G4"));
            var p2 = new ImagePlot(subtracted[s].Data, size, size, limits: lim).Title("bg-subtracted");
            if (colorbar) { p0.ColorBar(); p1.ColorBar(); p2.ColorBar(); }
            fig.Set(s, 0, p0.Plot); fig.Set(s, 1, p1.Plot); fig.Set(s, 2, p2.Plot);
        }
        fig.Save(path, 10.5, Math.Max(2.8, 2.35 * n), dpi);
    }

    /// <summary><c>used_stars.png</c> / <c>extracted_stars.png</c>: montage of the first <paramref name="max"/> stamps,
    /// frame colour by origin (2.2 in per tile). Nothing is written for an empty list.</summary>
    public static void Montage(string path, IReadOnlyList<EpsfStar> stamps, Func<string, StarOrigin?> originOf,
        Func<string, string?> catalogueIdOf, int max, string title, int dpi)
    {
        int n = Math.Min(max, stamps.Count);
        if (n <= 0) return;
        int ncol = (int)Math.Ceiling(Math.Sqrt(n)), nrow = (n + ncol - 1) / ncol;
        var fig = new PanelFigure(nrow, ncol, title + " | frame: cyan gaia, orange sep, magenta both");
        for (int i = 0; i < n; i++)
        {
            var st = stamps[i];
            var origin = originOf(st.Id);
            var (name, color) = origin switch
            {
                StarOrigin.Gaia => ("gaia", Colors.Cyan),
                StarOrigin.Sep => ("sep", Colors.Orange),
                StarOrigin.Both => ("both", Colors.Magenta),
                _ => ("unknown", Colors.White),
            };
            // the catalogue's ID where the star is in the catalogue (what a user looks up), else the cell's star number
            string label = catalogueIdOf(st.Id) ?? "star " + st.Id;
            var p = new ImagePlot(st.Data, st.Size, st.Size, limits: P5P99(st.Data)).NoTicks()
                .Title(label.Length > 14 ? label[..(label.Length / 2)] + "\n" + label[(label.Length / 2)..] : $"{label} | {name}"); // a Gaia ID on two lines, not cut
            p.Box(0, st.Size, 0, st.Size, color, 4);
            fig.Set(i / ncol, i % ncol, p.Plot);
        }
        fig.Save(path, 2.2 * ncol, 2.2 * nrow + 0.3, dpi);
    }
}
