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
/// nothing was written). Two keyed items, built from LoadInputs' files only: the catalogue
/// (<c>all</c>) and the overlay (<c>pictures</c>, keyed by <c>plotting.dpi</c> and the catalogue's
/// key, drawn from the augmentation computed again from the same files), so a picture setting
/// redraws the overlay and leaves the catalogue, and what reads it, alone.
/// </summary>
public sealed class AugmentGaiaStage : IKeyedStage
{
    /// <summary>Algorithm version: bump when the augmented catalog's content or layout changes.</summary>
    public const string Algorithm = "AugmentGaia/4";

    /// <summary>Id of the overlay's item.</summary>
    public const string PicturesItemId = "pictures";

    /// <summary>What the overlay reads from the config besides the catalogue's settings.</summary>
    private sealed record PictureSettings(int PlotDpi);

    private const string Component = "tract7dt.zp";

    /// <summary>
    /// What the stage does with the config, one record built once (its canonical form is the
    /// stage's key, <see cref="StageKeyBuilder.Settings"/>; the stage reads its values from it).
    /// </summary>
    public sealed record Settings(GaiaAugmentationOptions Augmentation)
    {
        public static Settings From(Config.PipelineConfig c)
        {
            var z = c.Zp;
            var sat = c.SourceSaturationCut;
            return new(new GaiaAugmentationOptions(z.GaiaMagMin, z.GaiaMagMax, z.MatchRadiusArcsec, z.MinBoxSizePix,
                z.InjectGaiaSources, sat.Enabled, sat.RadiusPix, sat.RequireAllBands, c.ImageScaling.ZpRef, z.MatchMaxFluxRatio));
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

    public IReadOnlyList<StageItem> Plan(StageContext context)
    {
        var numbers = Key(context);
        var pictures = new StageKeyBuilder(Algorithm + "+pictures")
            .Settings("pictures", new PictureSettings(context.Config.Plotting.Dpi)).Value("numbers", numbers.Key);
        return [StageItem.From("all", numbers, StampPath(context.Layout)),
            StageItem.From(PicturesItemId, pictures, context.Layout.StampPath(StageId.AugmentGaia, PicturesItemId))];
    }

    public void RunItems(StageContext context, IReadOnlyList<StageItem> items)
    {
        Augmentation? done = null;
        if (items.Any(i => i.Id == "all"))
        {
            var key = Key(context);
            var (outputs, augmentation) = Execute(context);
            Stamp.Write(StampPath(context.Layout), key, outputs, context.Hasher);
            done = augmentation;
        }
        if (items.FirstOrDefault(i => i.Id == PicturesItemId) is { } pictures)
        {
            var a = done ?? Compute(context, Logging.Log.Null);
            var L = context.Layout;
            if (File.Exists(OverlayPath(L))) File.Delete(OverlayPath(L));
            var outputs = new List<string>();
            if (a is { Result.Table: not null })
            {
                float[] white;
                using (var f = FitsFile.Open(L.WhiteFits)) white = f.ReadImage(0);
                var r = a.Result;
                GaiaAugmentationPlot.Save(OverlayPath(L), white, a.Manifest.Width, a.Manifest.Height, context.Config.Plotting.Dpi,
                    r.X, r.Y, r.Matched, CatalogState.Flag(a.Catalog, "excluded_crop"), CatalogState.Flag(a.Catalog, "excluded_saturation"),
                    r.InjectedX, r.InjectedY, r.SaturatedX, r.SaturatedY, r.Box, a.Manifest.WhiteWcs());
                outputs.Add(OverlayPath(L));
            }
            Stamp.Write(pictures, outputs, context.Hasher);
        }
    }

    /// <summary>What the overlay draws: the augmentation and what it was computed from.</summary>
    private sealed record Augmentation(GaiaAugmentationResult Result, SourceTable Catalog, FramesManifest Manifest);

    /// <summary>The augmentation of the flagged catalogue, or null without a GaiaXP file (warned on <paramref name="log"/>).</summary>
    private static Augmentation? Compute(StageContext context, Logging.Log log)
    {
        var cfg = context.Config;
        var L = context.Layout;
        string? gaiaPath = cfg.Inputs.GaiaxpSynphotCsv;
        if (gaiaPath is null || !File.Exists(gaiaPath))
        {
            log.Warn($"GaiaXP synphot CSV not found ({gaiaPath ?? "not set"}); skipping augmentation");
            return null;
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
        var result = GaiaAugmentation.Run(catalog, gaia, manifest.WhiteWcs(), manifest.Width, manifest.Height, manifest.Bands, saturated,
            Settings.From(cfg).Augmentation, log);
        return new Augmentation(result, catalog, manifest);
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

    private static (List<string> Outputs, Augmentation? Augmentation) Execute(StageContext context)
    {
        var L = context.Layout;
        var log = context.Log(Component);
        var outputs = new List<string>();
        var state = new CatalogState { Catalog = Path.GetFullPath(L.FlaggedCatalog), WrittenBy = "AugmentGaia", Augmented = false };
        var a = Compute(context, log);
        if (a?.Result.Table is not { } table) return (Finish(state, L, outputs), a);

        SourceTableCsv.Write(table, L.AugmentedCatalog);
        outputs.Add(L.AugmentedCatalog);
        log.Info($"Wrote augmented catalog: {L.AugmentedCatalog} ({table.RowCount} rows, {a.Result.OriginalRows} original + " +
                 $"{a.Result.InjectedRows} new Gaia)");
        return (Finish(state with { Catalog = Path.GetFullPath(L.AugmentedCatalog), Augmented = true }, L, outputs), a);
    }

    private static List<string> Finish(CatalogState state, WorkDirLayout layout, List<string> outputs)
    {
        state.Write(layout.CatalogStateFile);
        outputs.Add(layout.CatalogStateFile);
        return outputs;
    }
}
