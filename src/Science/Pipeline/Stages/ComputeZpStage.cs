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
/// never refits anything. Two items: the numbers (<c>all</c>), keyed by that file's content, the
/// GaiaXP CSV's content and <see cref="Settings"/>; and the plots (<c>pictures</c>), keyed by
/// <c>plotting.dpi</c> and the numbers' key (the numbers are a function of their key), drawn
/// from the zero points computed again from the same inputs (a fraction of a second), so a
/// picture setting redraws the plots and leaves the catalogue alone.
/// </remarks>
public sealed class ComputeZpStage : IKeyedStage
{
    public const string Algorithm = "ComputeZp/5";

    /// <summary>Id of the plots' item.</summary>
    public const string PicturesItemId = "pictures";
    public const string Component = "tract7dt.zp";
    public const string SummaryFile = "zp_summary.csv", PerObjectFile = "zp_all_bands__per_object.csv";

    /// <summary>
    /// What the stage does with the config, one record built once (its canonical form is the
    /// stage's key, <see cref="StageKeyBuilder.Settings"/>; the stage reads its values from it).
    /// </summary>
    public sealed record Settings(double ClipSigma, int ClipMaxIters, double RefMagErr, FinalCatalogProducts.Settings Products)
    {
        public static Settings From(Config.PipelineConfig c) =>
            new(c.Zp.ClipSigma, c.Zp.ClipMaxIters, c.Zp.RefMagErr, FinalCatalogProducts.Settings.From(c));
    }

    /// <summary>What the plots read from the config besides the numbers' settings.</summary>
    private sealed record PictureSettings(int PlotDpi);

#pragma warning disable CA2255 // registration from the stage's own file is the framework's design (PipelineStages)
    [ModuleInitializer]
    internal static void Register() => PipelineStages.Register(StageId.ComputeZp, () => new ComputeZpStage());
#pragma warning restore CA2255

    public StageId Id => StageId.ComputeZp;

    public static string StampPath(WorkDirLayout layout) => layout.StampPath(StageId.ComputeZp, "all");

    public static string PlotPath(WorkDirLayout layout, string band) => Path.Join(layout.ZpDir, $"zp_vs_mag__{band}.png");

    public void Run(StageContext context) => KeyedStages.RunStale(this, context, Component);

    public IReadOnlyList<StageItem> Plan(StageContext context)
    {
        var numbers = BuildKey(context);
        return [StageItem.From("all", numbers, StampPath(context.Layout)),
            StageItem.From(PicturesItemId, PicturesKey(context, numbers), context.Layout.StampPath(StageId.ComputeZp, PicturesItemId))];
    }

    private static StageKeyBuilder PicturesKey(StageContext context, StageKeyBuilder numbers) =>
        new StageKeyBuilder(Algorithm + "+pictures").Settings("pictures", new PictureSettings(context.Config.Plotting.Dpi))
            .Value("numbers", numbers.Key);

    public void RunItems(StageContext context, IReadOnlyList<StageItem> items)
    {
        ZpPass? pass = null;
        if (items.Any(i => i.Id == "all")) pass = BuildNumbers(context);
        if (items.FirstOrDefault(i => i.Id == PicturesItemId) is { } pictures)
        {
            pass ??= Calibrate(context, MergeStage.MergedCatalogPath(context.Layout), quiet: true);
            Stamp.Write(pictures, DrawPlots(context.Layout, pass, context.Config.Plotting.Dpi), context.Hasher);
        }
    }

    /// <summary>The zero points of the merged catalogue, or null without a GaiaXP file (warned).</summary>
    private static ZpPass? Calibrate(StageContext context, string mergedPath, bool quiet)
    {
        var cfg = context.Config;
        var log = quiet ? Logging.Log.Null : context.Log(Component);
        string? gaiaPath = cfg.Inputs.GaiaxpSynphotCsv;
        if (string.IsNullOrEmpty(gaiaPath) || !File.Exists(gaiaPath))
        {
            log.Warn($"GaiaXP synphot CSV not found: {gaiaPath ?? "(inputs.gaiaxp_synphot_csv not set)"}; skipping ZP computation.");
            return null;
        }
        var settings = Settings.From(cfg);
        var merged = SourceTableCsv.Read(mergedPath, "Merged catalog");
        var gaia = GaiaXpCatalog.Read(gaiaPath);
        return ZpCalibration.Compute(merged, gaia.SourceId!, gaia.Mag, settings.ClipSigma, settings.ClipMaxIters, log, settings.RefMagErr);
    }

    /// <summary>Removes the earlier plots and draws one per band with a zero point; returns their paths.</summary>
    private static List<string> DrawPlots(WorkDirLayout layout, ZpPass? pass, int dpi)
    {
        if (Directory.Exists(layout.ZpDir))
            foreach (var f in Directory.EnumerateFiles(layout.ZpDir, "zp_vs_mag__*.png")) File.Delete(f);
        var outputs = new List<string>();
        if (pass is null) return outputs;
        Directory.CreateDirectory(layout.ZpDir);
        foreach (var r in pass.Results)
        {
            string png = PlotPath(layout, r.Band);
            ZpPlot.Save(r, png, dpi);
            outputs.Add(png);
        }
        return outputs;
    }

    /// <summary>The numbers: zero-point tables and the final catalogue; returns the pass for the plots.</summary>
    private static ZpPass? BuildNumbers(StageContext context)
    {
        var layout = context.Layout;
        var log = context.Log(Component);
        var key = BuildKey(context);
        string mergedPath = MergeStage.MergedCatalogPath(layout);
        var merged = SourceTableCsv.Read(mergedPath, "Merged catalog");

        RemoveOwnOutputs(layout);
        var outputs = new List<string> { layout.FinalCatalog };
        var pass = Calibrate(context, mergedPath, quiet: false);

        if (pass is null || pass.Results.Count == 0)
        {
            // Catalog unchanged: the published catalog is Merge's, without magnitudes.
            IO.AtomicFile.WriteAllBytes(layout.FinalCatalog, File.ReadAllBytes(mergedPath));
        }
        else
        {
            Directory.CreateDirectory(layout.ZpDir);
            string perObject = Path.Join(layout.ZpDir, PerObjectFile), summary = Path.Join(layout.ZpDir, SummaryFile);
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
        return pass;
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
