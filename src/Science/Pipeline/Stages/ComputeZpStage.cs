using System.Runtime.CompilerServices;
using Tract7dt.Science.Calibration;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Diagnostics;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Pipeline.Stages;

/// <summary>
/// Stage 7, ComputeZp (docs/pipeline.md §10): per-band zero points from Gaia-matched fitted
/// stars, <c>ZP/zp_summary.csv</c>, <c>ZP/zp_all_bands__per_object.csv</c>,
/// <c>ZP/zp_vs_mag__&lt;band&gt;.png</c>, and <c>outputs.final_catalog</c> = the merged
/// catalog plus <c>MAG_&lt;b&gt;_fit</c>/<c>MAGERR_&lt;b&gt;_fit</c>.
/// </summary>
/// <remarks>
/// It always starts from Merge's own output, <c>state/merged_catalog.csv</c>, never from the
/// file it rewrites, so a rerun (e.g. after changing <c>zp.clip_sigma</c>) cannot compound and
/// never refits anything. One item keyed by that file's content, the GaiaXP CSV's content,
/// <c>zp.clip_sigma</c>, <c>zp.clip_max_iters</c>, <c>zp.ref_mag_err</c> and <c>plotting.dpi</c>.
/// </remarks>
public sealed class ComputeZpStage : IKeyedStage
{
    public const string Algorithm = "ComputeZp/3";
    public const string Component = "tract7dt.zp";
    public const string SummaryFile = "zp_summary.csv", PerObjectFile = "zp_all_bands__per_object.csv";

    /// <summary>
    /// What the stage does with the config, one record built once (its canonical form is the
    /// stage's key, <see cref="StageKeyBuilder.Settings"/>; the stage reads its values from it).
    /// </summary>
    public sealed record Settings(double ClipSigma, int ClipMaxIters, double RefMagErr, int PlotDpi, FinalCatalogProducts.Settings Products)
    {
        public static Settings From(Config.PipelineConfig c) =>
            new(c.Zp.ClipSigma, c.Zp.ClipMaxIters, c.Zp.RefMagErr, c.Plotting.Dpi, FinalCatalogProducts.Settings.From(c));
    }

#pragma warning disable CA2255 // registration from the stage's own file is the framework's design (PipelineStages)
    [ModuleInitializer]
    internal static void Register() => PipelineStages.Register(StageId.ComputeZp, () => new ComputeZpStage());
#pragma warning restore CA2255

    public StageId Id => StageId.ComputeZp;

    public static string StampPath(WorkDirLayout layout) => layout.StampPath(StageId.ComputeZp, "all");

    public static string PlotPath(WorkDirLayout layout, string band) => Path.Join(layout.ZpDir, $"zp_vs_mag__{band}.png");

    public void Run(StageContext context) => KeyedStages.RunStale(this, context, Component);

    public IReadOnlyList<StageItem> Plan(StageContext context) => [StageItem.From("all", BuildKey(context), StampPath(context.Layout))];

    public void RunItems(StageContext context, IReadOnlyList<StageItem> items)
    {
        if (items.Count == 0) return;
        var layout = context.Layout;
        var log = context.Log(Component);
        var cfg = context.Config;
        var settings = Settings.From(cfg);
        var key = BuildKey(context);
        string mergedPath = MergeStage.MergedCatalogPath(layout);
        var merged = SourceTableCsv.Read(mergedPath, "Merged catalog");

        RemoveOwnOutputs(layout);
        var outputs = new List<string> { layout.FinalCatalog };
        string? gaiaPath = cfg.Inputs.GaiaxpSynphotCsv;
        ZpPass? pass = null;
        if (string.IsNullOrEmpty(gaiaPath) || !File.Exists(gaiaPath))
            log.Warn($"GaiaXP synphot CSV not found: {gaiaPath ?? "(inputs.gaiaxp_synphot_csv not set)"}; skipping ZP computation.");
        else
        {
            var gaia = GaiaXpCatalog.Read(gaiaPath);
            pass = ZpCalibration.Compute(merged, gaia.SourceId!, gaia.Mag, settings.ClipSigma, settings.ClipMaxIters, log, settings.RefMagErr);
        }

        if (pass is null || pass.Results.Count == 0)
        {
            // Catalog unchanged: the published catalog is Merge's, without magnitudes.
            IO.AtomicFile.WriteAllBytes(layout.FinalCatalog, File.ReadAllBytes(mergedPath));
        }
        else
        {
            Directory.CreateDirectory(layout.ZpDir);
            string perObject = Path.Join(layout.ZpDir, PerObjectFile), summary = Path.Join(layout.ZpDir, SummaryFile);
            foreach (var r in pass.Results)
            {
                string png = PlotPath(layout, r.Band);
                ZpPlot.Save(r, png, settings.PlotDpi);
                outputs.Add(png);
            }
            SourceTableCsv.Write(ZpCalibration.PerObjectTable(pass.Results), perObject);
            log.Info($"Wrote per-object ZP: {perObject}");
            SourceTableCsv.Write(ZpCalibration.SummaryTable(pass.Results), summary);
            log.Info($"Wrote ZP summary: {summary}");
            SourceTableCsv.Write(ZpCalibration.WithMagnitudes(merged, pass), layout.FinalCatalog);
            log.Info($"Updated merged catalog with MAG/MAGERR columns: {layout.FinalCatalog}");
            outputs.Add(perObject);
            outputs.Add(summary);
        }
        outputs.AddRange(FinalCatalogProducts.Write(context));
        Stamp.Write(StampPath(layout), key, outputs, context.Hasher);
    }

    private static StageKeyBuilder BuildKey(StageContext context)
    {
        var layout = context.Layout;
        var cfg = context.Config;
        string merged = MergeStage.MergedCatalogPath(layout);
        if (!File.Exists(merged))
            throw new Tract7dtException(ErrorCodes.ZpMergedCatalogMissing,
                $"Merged catalog not found: {merged} (Merge's output, from which {layout.FinalCatalog} is rewritten). Run 'merge' first.");
        if (!(cfg.Zp.ClipSigma > 0) || !double.IsFinite(cfg.Zp.ClipSigma))
            throw new Tract7dtException(ErrorCodes.ZpBadSettings, $"zp.clip_sigma must be a finite number > 0, got {cfg.Zp.ClipSigma}.");
        string? gaia = cfg.Inputs.GaiaxpSynphotCsv;
        return new StageKeyBuilder(Algorithm).Settings("compute_zp", Settings.From(cfg))
            .Input("merged_catalog", context.Hasher.HashFile(merged))
            .Input("gaiaxp", !string.IsNullOrEmpty(gaia) && File.Exists(gaia) ? context.Hasher.HashFile(gaia) : "absent");
    }

    /// <summary>Removes this stage's previous ZP files (only it writes them), so a band that
    /// lost its zero point leaves no stale plot or summary behind.</summary>
    private static void RemoveOwnOutputs(WorkDirLayout layout)
    {
        if (!Directory.Exists(layout.ZpDir)) return;
        foreach (var f in Directory.EnumerateFiles(layout.ZpDir, "zp_vs_mag__*.png")) File.Delete(f);
        foreach (var name in new[] { SummaryFile, PerObjectFile })
        {
            string p = Path.Join(layout.ZpDir, name);
            if (File.Exists(p)) File.Delete(p);
        }
    }
}
