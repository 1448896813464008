using System.Globalization;
using System.Text;
using ScottPlot;
using Tract7dt.Science.Patches;

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// <c>&lt;tag&gt;/cutouts/src_&lt;ID&gt;.png</c> (docs/outputs.md §9.7): per source, 3 rows
/// (Data, Model+Sky, Residual) × one column per band of a window around the source,
/// with its fitted (magenta) and catalogue (dashed lime) crosshairs and the other
/// sources' fitted (deepskyblue ×) and catalogue (orange ×) positions.
/// </summary>
public static class SourceMontage
{
    /// <summary>Writes the montages the settings select; returns the paths in source order.</summary>
    public static List<string> SaveAll(PatchViews v, string tag, PatchDiagnosticsSettings s, string folder)
    {
        var written = new List<string>();
        var idx = Enumerable.Range(0, v.SourceCount).Where(i => i >= s.CutoutStart).ToList();
        if (s.CutoutMaxSources is { } max) idx = idx.Take(Math.Max(0, max)).ToList();
        foreach (int i in idx)
        {
            string path = Path.Join(folder, FileName(v.Ids?[i], i));
            Save(v, tag, i, s, path);
            if (!written.Contains(path)) written.Add(path);
        }
        return written;
    }

    /// <summary><c>src_&lt;ID&gt;.png</c> with characters other than letters, digits, _ - . replaced by _; <c>src_&lt;i:000000&gt;.png</c> without IDs.</summary>
    public static string FileName(string? id, int index)
    {
        if (id is null) return "src_" + index.ToString("000000", CultureInfo.InvariantCulture) + ".png";
        var sb = new StringBuilder("src_");
        foreach (char c in id) sb.Append(char.IsLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_');
        return sb.Append(".png").ToString();
    }

    public static void Save(PatchViews v, string tag, int i, PatchDiagnosticsSettings s, string path)
    {
        int nb = v.Bands.Count;
        var fig = new PatchPanelGrid(3, Math.Max(1, nb));
        int half = Math.Max(1, s.CutoutSize / 2);
        for (int c = 0; c < nb; c++)
        {
            var b = v.Bands[c];
            double cx = v.MultiBand || !double.IsFinite(v.CatX[i]) ? b.FitX[i] : v.CatX[i];
            double cy = v.MultiBand || !double.IsFinite(v.CatY[i]) ? b.FitY[i] : v.CatY[i];
            if (!double.IsFinite(cx) || !double.IsFinite(cy)) { cx = v.CatX[i]; cy = v.CatY[i]; }
            int ix = Math.Clamp(double.IsFinite(cx) ? (int)Math.Round(cx, MidpointRounding.ToEven) : 0, 0, v.Width - 1);
            int iy = Math.Clamp(double.IsFinite(cy) ? (int)Math.Round(cy, MidpointRounding.ToEven) : 0, 0, v.Height - 1);
            // Every cutout has the full size, centred on the source: where it reaches beyond the
            // patch's pixels (a source near the ROI's edge) it is blank (NaN, drawn black like a
            // masked pixel) rather than cut, so the source stays in the middle of its panel.
            int x0 = ix - half, y0 = iy - half, ww = 2 * half + 1, hh = ww;
            var data = Window(b.Data, v.Width, v.Height, ix, iy, half);
            var model = Window(b.ModelPlusSky, v.Width, v.Height, ix, iy, half);
            var resid = new float[ww * hh];
            for (int k = 0; k < resid.Length; k++) resid[k] = data[k] - model[k];
            fig[0, c] = Panel(data, ww, hh, DisplayLimits.Robust(data, s.DataPLo, s.DataPHi), b.Band, "Data", v, b, i, x0, y0, c == 0 ? "Data" : null);
            fig[1, c] = Panel(model, ww, hh, DisplayLimits.Robust(model, s.ModelPLo, s.ModelPHi), null, "Model+Sky", v, b, i, x0, y0, c == 0 ? "Model+Sky" : null);
            fig[2, c] = Panel(resid, ww, hh, DisplayLimits.Symmetric(resid, s.ResidPAbs), null, "Residual", v, b, i, x0, y0, c == 0 ? "Residual" : null);
        }
        string id = v.Ids?[i] ?? "row" + i.ToString(CultureInfo.InvariantCulture);
        string title = string.Create(CultureInfo.InvariantCulture, $"ID={id} | patch={tag} | idx_in_patch={i}/{v.SourceCount - 1}");
        string? type = v.Types?[i];
        if (!string.IsNullOrEmpty(type) && !type.Equals("nan", StringComparison.OrdinalIgnoreCase)) title += $" | TYPE={type}";
        title += "\nfit=center crosshair=magenta, orig=crosshair=lime(--), fit/others=x deepskyblue, orig/others=x orange";
        fig.Save(path, title, 3.0 * Math.Max(1, nb), 9, s.Dpi);
    }

    /// <summary>The (2·<paramref name="half"/> + 1)² window of <paramref name="image"/> centred on
    /// (<paramref name="cx"/>, <paramref name="cy"/>), NaN where it reaches beyond the image.</summary>
    internal static float[] Window(float[] image, int width, int height, int cx, int cy, int half)
    {
        int n = 2 * half + 1;
        var w = new float[n * n];
        for (int y = 0; y < n; y++)
        {
            int sy = cy - half + y;
            for (int x = 0; x < n; x++)
            {
                int sx = cx - half + x;
                w[y * n + x] = sx < 0 || sy < 0 || sx >= width || sy >= height ? float.NaN : image[sy * width + sx];
            }
        }
        return w;
    }

    private static Plot Panel(float[] img, int w, int h, (double, double)? limits, string? title, string label,
        PatchViews v, BandView b, int self, int x0, int y0, string? rowLabel)
    {
        var p = new ImagePlot(img, w, h, limits: limits).NoTicks().ColorBar(label);
        if (title is not null) p.Title(title);
        var plot = p.Plot;
        if (rowLabel is not null) plot.Axes.Left.Label.Text = rowLabel;
        bool In(double x, double y) => double.IsFinite(x) && double.IsFinite(y) && x >= -0.5 && x < w - 0.5 && y >= -0.5 && y < h - 0.5;
        var ofx = new List<double>(); var ofy = new List<double>();
        var ocx = new List<double>(); var ocy = new List<double>();
        for (int j = 0; j < v.SourceCount; j++)
        {
            if (j == self) continue;
            double fx = b.FitX[j] - x0, fy = b.FitY[j] - y0, cx = v.CatX[j] - x0, cy = v.CatY[j] - y0;
            bool fin = In(fx, fy), cin = In(cx, cy);
            if (fin) { ofx.Add(fx); ofy.Add(fy); }
            if (cin) { ocx.Add(cx); ocy.Add(cy); }
            if (fin && cin)
            {
                var line = plot.Add.Line(cx, cy, fx, fy);
                line.LineWidth = 0.4f;
                line.LineColor = Colors.Cyan.WithAlpha(0.5);
                line.MarkerSize = 0;
            }
        }
        if (ofx.Count > 0) p.Markers(ofx, ofy, MarkerShape.Eks, Colors.DeepSkyBlue.WithAlpha(0.8), 12, lineWidth: 0.8f);
        if (ocx.Count > 0) p.Markers(ocx, ocy, MarkerShape.Eks, Colors.Orange.WithAlpha(0.8), 12, lineWidth: 0.8f);
        Cross(plot, b.FitX[self] - x0, b.FitY[self] - y0, Colors.Magenta.WithAlpha(0.9), LinePattern.Solid);
        Cross(plot, v.CatX[self] - x0, v.CatY[self] - y0, Colors.Lime.WithAlpha(0.9), LinePattern.Dashed);
        return plot;
    }

    private static void Cross(Plot plot, double x, double y, Color color, LinePattern pattern)
    {
        if (!double.IsFinite(x) || !double.IsFinite(y)) return;
        var vl = plot.Add.VerticalLine(x, 0.8f, color, pattern);
        var hl = plot.Add.HorizontalLine(y, 0.8f, color, pattern);
        vl.LabelText = hl.LabelText = "";
    }
}
