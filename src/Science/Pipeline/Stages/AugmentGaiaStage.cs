using System.Runtime.CompilerServices;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Diagnostics;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;
using Tract7dt.Science.State;

namespace Tract7dt.Science.Pipeline.Stages;

/// <summary>
/// Stage 1b, AugmentGaia (docs/pipeline.md §4), run when <c>zp.enabled</c>: tags
/// catalog rows that coincide with GaiaXP stars, back-fills their missing fluxes, injects
/// unmatched stars as <c>gaia_{source_id}</c> STAR rows, writes
/// <c>ZP/&lt;stem&gt;_with_Gaia.csv</c> and <c>ZP/gaia_augmentation_overlay.png</c>, and points
/// <c>state/catalog_state.json</c> at the augmented catalog (or back at the flagged one when
/// nothing was written). One keyed item, built from LoadInputs' files only.
/// </summary>
public sealed class AugmentGaiaStage : IKeyedStage
{
    /// <summary>Algorithm version: bump when the augmented catalog's content or layout changes.</summary>
    public const string Algorithm = "AugmentGaia/2";

    private const string Component = "tract7dt.zp";

    /// <summary>
    /// What the stage does with the config, one record built once (its canonical form is the
    /// stage's key, <see cref="StageKeyBuilder.Settings"/>; the stage reads its values from it).
    /// </summary>
    public sealed record Settings(GaiaAugmentationOptions Augmentation, int PlotDpi)
    {
        public static Settings From(Config.PipelineConfig c)
        {
            var z = c.Zp;
            var sat = c.SourceSaturationCut;
            return new(new GaiaAugmentationOptions(z.GaiaMagMin, z.GaiaMagMax, z.MatchRadiusArcsec, z.MinBoxSizePix,
                z.InjectGaiaSources, sat.Enabled, sat.RadiusPix, sat.RequireAllBands, c.ImageScaling.ZpRef), c.Plotting.Dpi);
        }
    }

    /// <summary>The config's locations the stage reads or writes (the GaiaXP file is hashed as an input too;
    /// the augmented catalogue is named after the input catalogue).</summary>
    private static readonly string[] LocationKeys = ["inputs.gaiaxp_synphot_csv", "inputs.input_catalog", "outputs.work_dir"];

#pragma warning disable CA2255 // the registration hook PipelineStages documents (no shared file changes)
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() => PipelineStages.Register(StageId.AugmentGaia, () => new AugmentGaiaStage());

    public StageId Id => StageId.AugmentGaia;

    /// <summary>The stage's one stamp.</summary>
    public static string StampPath(WorkDirLayout layout) => layout.StampPath(StageId.AugmentGaia, "all");

    /// <summary><c>ZP/gaia_augmentation_overlay.png</c>.</summary>
    public static string OverlayPath(WorkDirLayout layout) => Path.Join(layout.ZpDir, "gaia_augmentation_overlay.png");

    public void Run(StageContext context) => KeyedStages.RunStale(this, context, Component);

    public IReadOnlyList<StageItem> Plan(StageContext context) => [StageItem.From("all", Key(context), StampPath(context.Layout))];

    public void RunItems(StageContext context, IReadOnlyList<StageItem> items)
    {
        if (items.Count == 0) return;
        var key = Key(context);
        var outputs = Execute(context);
        Stamp.Write(StampPath(context.Layout), key, outputs, context.Hasher);
    }

    private static StageKeyBuilder Key(StageContext context)
    {
        var cfg = context.Config;
        var L = context.Layout;
        var key = new StageKeyBuilder(Algorithm);
        key.Settings("augment_gaia", Settings.From(cfg));
        foreach (string k in LocationKeys) key.Config(k, cfg.Canonical(k));
        foreach (var (role, path) in new[] { ("frames", L.FramesManifest), ("catalog_flagged", L.FlaggedCatalog),
                     ("saturated_pixels", L.SaturatedPixels), ("white", L.WhiteFits) })
        {
            if (!File.Exists(path))
                throw new Tract7dtException(ErrorCodes.MissingPrerequisite,
                    $"Missing {path}: AugmentGaia reads LoadInputs' outputs. Run 'tract7dt run' (or a step command that loads inputs) first.");
            key.Input(role, context.Hasher.HashFile(path));
        }
        string? gaia = cfg.Inputs.GaiaxpSynphotCsv;
        key.Input("gaiaxp", gaia is not null && File.Exists(gaia) ? context.Hasher.HashFile(gaia) : "absent");
        return key;
    }

    private static List<string> Execute(StageContext context)
    {
        var cfg = context.Config;
        var settings = Settings.From(cfg);
        var L = context.Layout;
        var log = context.Log(Component);
        var outputs = new List<string>();
        var state = new CatalogState { Catalog = Path.GetFullPath(L.FlaggedCatalog), WrittenBy = "AugmentGaia", Augmented = false };

        string? gaiaPath = cfg.Inputs.GaiaxpSynphotCsv;
        if (gaiaPath is null || !File.Exists(gaiaPath))
        {
            log.Warn($"GaiaXP synphot CSV not found ({gaiaPath ?? "not set"}); skipping augmentation");
            return Finish(state, L, outputs);
        }
        var gaia = GaiaXpCatalog.Read(gaiaPath, requireZpColumns: true);
        var manifest = FramesManifest.Read(L.FramesManifest);
        // a band the GaiaXP file does not cover gets no zero point and its ePSF no Gaia seeds
        foreach (string band in manifest.Bands)
            if (gaia.Mag(band) is null)
                log.Warn($"GaiaXP CSV {gaiaPath} has no column mag_{band}: band {band} gets no zero point (its MAG columns stay " +
                         "empty) and its ePSF no GaiaXP seed stars. Add the column if the band should be calibrated.");
        var catalog = SourceTableCsv.Read(L.FlaggedCatalog, "Flagged catalog");
        var saturated = SaturatedPixelsFile.Read(L.SaturatedPixels).Select(b => b.Pixels).ToList();
        var wcs = manifest.WhiteWcs();
        var result = GaiaAugmentation.Run(catalog, gaia, wcs, manifest.Width, manifest.Height, manifest.Bands, saturated, settings.Augmentation, log);
        if (result.Table is null) return Finish(state, L, outputs);

        SourceTableCsv.Write(result.Table, L.AugmentedCatalog);
        outputs.Add(L.AugmentedCatalog);
        log.Info($"Wrote augmented catalog: {L.AugmentedCatalog} ({result.Table.RowCount} rows, {result.OriginalRows} original + " +
                 $"{result.InjectedRows} new Gaia)");

        float[] white;
        using (var f = FitsFile.Open(L.WhiteFits)) white = f.ReadImage(0);
        GaiaAugmentationPlot.Save(OverlayPath(L), white, manifest.Width, manifest.Height, settings.PlotDpi,
            result.X, result.Y, result.Matched, CatalogState.Flag(catalog, "excluded_crop"), CatalogState.Flag(catalog, "excluded_saturation"),
            result.InjectedX, result.InjectedY, result.SaturatedX, result.SaturatedY, result.Box, wcs);
        outputs.Add(OverlayPath(L));
        return Finish(state with { Catalog = Path.GetFullPath(L.AugmentedCatalog), Augmented = true }, L, outputs);
    }

    private static List<string> Finish(CatalogState state, WorkDirLayout layout, List<string> outputs)
    {
        state.Write(layout.CatalogStateFile);
        outputs.Add(layout.CatalogStateFile);
        return outputs;
    }
}
