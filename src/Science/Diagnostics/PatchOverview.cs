using ScottPlot;
using Tract7dt.Science.Patches;

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// <c>&lt;tag&gt;/patch_overview.png</c> (docs/outputs.md §9.6): white data, white
/// model+sky and residual of the whole ROI, 12 × 4 in, with catalogue positions (orange ×)
/// and fitted positions (deepskyblue ×, joined to the catalogue position).
/// </summary>
public static class PatchOverview
{
    public static void Save(PatchViews v, string tag, PatchDiagnosticsSettings s, string path)
    {
        var (data, model) = v.White();
        var resid = new float[data.Length];
        for (int i = 0; i < resid.Length; i++) resid[i] = data[i] - model[i];
        var fig = new PatchPanelGrid(1, 3);
        fig[0, 0] = Panel(data, v.Width, v.Height, DisplayLimits.Robust(data, s.DataPLo, s.DataPHi), "Data (white)", "Data", v);
        fig[0, 1] = Panel(model, v.Width, v.Height, DisplayLimits.Robust(model, s.ModelPLo, s.ModelPHi), "Model+Sky (white)", "Model+Sky", v);
        fig[0, 2] = Panel(resid, v.Width, v.Height, DisplayLimits.Symmetric(resid, s.ResidPAbs), "Residual (white)", "Residual", v);
        fig.Save(path, $"patch={tag} | n_sources={v.SourceCount}\norig=x orange, fit=x deepskyblue", 12, 4, s.Dpi);
    }

    private static Plot Panel(float[] img, int w, int h, (double, double)? limits, string title, string label, PatchViews v)
    {
        var p = new ImagePlot(img, w, h, limits: limits).Title(title).NoTicks().ColorBar(label);
        var plot = p.Plot;
        bool single = !v.MultiBand;
        foreach (var b in v.Bands)
        {
            for (int i = 0; i < v.SourceCount; i++)
            {
                if (!double.IsFinite(b.FitX[i]) || !double.IsFinite(v.CatX[i])) continue;
                var line = plot.Add.Line(v.CatX[i], v.CatY[i], b.FitX[i], b.FitY[i]);
                line.LineWidth = single ? 0.3f : 0.4f;
                line.LineColor = Colors.DeepSkyBlue.WithAlpha(single ? 0.4 : 0.6);
                line.MarkerSize = 0;
            }
            p.Markers(b.FitX, b.FitY, MarkerShape.Eks, Colors.DeepSkyBlue.WithAlpha(single ? 0.5 : 0.8), single ? 8 : 12,
                lineWidth: single ? 0.5f : 0.8f);
            if (!single) break; // multi-band: one shared fitted position per source
        }
        p.Markers(v.CatX, v.CatY, MarkerShape.Eks, Colors.Orange.WithAlpha(0.8), 12, lineWidth: 0.8f);
        return plot;
    }
}
