using System.Globalization;
using System.IO.Enumeration;
using System.Runtime.CompilerServices;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Merge;
using Tract7dt.Science.Patches;
using Tract7dt.Science.State;
using Tract7dt.Science.Wcs;

namespace Tract7dt.Science.Pipeline.Stages;

/// <summary>
/// Stage 6, Merge (docs/pipeline.md §9): left-joins the current run's patch results onto
/// the base catalog, fills <c>excluded_reason</c>, <c>RA_fit</c>/<c>DEC_fit</c> and our
/// <c>fit_status</c>, and writes <c>state/merged_catalog.csv</c> (the stamped output that
/// ComputeZp reads) and a copy at <c>outputs.final_catalog</c>.
/// </summary>
/// <remarks>
/// One item, <c>all</c>, keyed by the base catalog, <c>patches.json</c>, the content of every
/// current patch's fit table, the frames manifest (WCS and crop), <c>merge.*</c> and the
/// <c>merge.wcs_fits</c> file. "Current" (README.md, Differences #9): the patch is in
/// <c>patches.json</c>, its fit table's name matches <c>merge.pattern</c>, and RunPatches'
/// stamp for it is up to date (its key equals the key RunPatches plans now and it records
/// the table with the table's present hash). A table left by another geometry or setting
/// is never merged. Stale is not failed: the rows of a patch whose last fit failed
/// (<c>run_summary.csv</c>) are marked <c>fit_status = patch_failed</c> and the catalog is
/// still written, but when a patch's fit is merely out of date (never run, or run with other
/// settings or inputs) Merge stops with <see cref="ErrorCodes.MergeStaleFits"/> and leaves
/// the catalog it wrote before as it was.
/// </remarks>
public sealed class MergeStage : IKeyedStage
{
    /// <summary>Bump when the merged catalog's content would change for the same inputs.</summary>
    public const string Algorithm = "Merge/4";
    public const string Component = "tract7dt.merge";

    /// <summary>
    /// What the stage does with the config, one record built once (its canonical form is the
    /// stage's key, <see cref="StageKeyBuilder.Settings"/>; the stage reads its values from it).
    /// <c>merge.wcs_fits</c> is a location: its path and its file's content are in the key besides.
    /// </summary>
    /// <param name="Pattern">Which fit tables are merged (<c>merge.pattern</c>, default <c>*_cat_fit.csv</c>).</param>
    /// <param name="ZpEnabled">Who publishes the final catalogue: Merge without the zero point, ComputeZp with it.</param>
    /// <param name="ModelErrors">Whether the PSF model error joins the flux errors (<c>patch_run.photon_noise_errors</c>).</param>
    public sealed record Settings(string Pattern, bool ZpEnabled, bool ModelErrors, FinalCatalogProducts.Settings Products)
    {
        public static Settings From(Config.PipelineConfig c) =>
            new(string.IsNullOrEmpty(c.Merge.Pattern) ? "*_cat_fit.csv" : c.Merge.Pattern, c.Zp.Enabled,
                c.PatchRun.PhotonNoiseErrors, FinalCatalogProducts.Settings.From(c));
    }

    private readonly Func<StageContext, IReadOnlyList<StageItem>?> _patchFitPlan;

    /// <param name="patchFitPlan">The RunPatches items (Id = patch tag) whose stamps say which
    /// fit tables are current; null → ask the registered RunPatches stage. A function returning
    /// null means "no RunPatches stage": tables are then taken by existence, with a warning.</param>
    public MergeStage(Func<StageContext, IReadOnlyList<StageItem>?>? patchFitPlan = null) =>
        _patchFitPlan = patchFitPlan ?? RegisteredRunPatchesPlan;

#pragma warning disable CA2255 // registration from the stage's own file is the framework's design (PipelineStages)
    [ModuleInitializer]
    internal static void Register() => PipelineStages.Register(StageId.Merge, () => new MergeStage());
#pragma warning restore CA2255

    public StageId Id => StageId.Merge;

    /// <summary><c>state/merged_catalog.csv</c>: the merged catalog exactly as Merge wrote it.</summary>
    public static string MergedCatalogPath(WorkDirLayout layout) => Path.Join(layout.StateDir, "merged_catalog.csv");

    public static string StampPath(WorkDirLayout layout) => layout.StampPath(StageId.Merge, "all");

    public void Run(StageContext context) => KeyedStages.RunStale(this, context, Component);

    public IReadOnlyList<StageItem> Plan(StageContext context)
    {
        var inputs = Inputs(context);
        _planned = (context, inputs);
        return [StageItem.From("all", BuildKey(context, inputs), StampPath(context.Layout))];
    }

    // Plan's view of the inputs, reused by RunItems in the same context (one scan, one set of warnings).
    private (StageContext Context, MergeInputs Inputs)? _planned;

    public void RunItems(StageContext context, IReadOnlyList<StageItem> items)
    {
        var layout = context.Layout;
        var log = context.Log(Component);
        if (items.Count == 0) return;
        var inputs = _planned is { } p && ReferenceEquals(p.Context, context) ? p.Inputs : Inputs(context);
        RefuseStaleFits(layout, inputs);
        var key = BuildKey(context, inputs);
        var settings = Settings.From(context.Config);
        var baseTable = SourceTableCsv.Read(inputs.BaseCatalog, "Merge base catalog");
        var mergeKey = MergeKey.For(baseTable, inputs.BaseCatalog);
        var fits = inputs.Current.Select(c => ReadFitTable(c.Tag, c.FitCsv, mergeKey)).ToList();
        foreach (var (tag, why) in inputs.NotCurrent)
            log.Warn($"patch {tag}: no current fit result ({why}); its sources are marked fit_status={FitStatus.PatchFailed}");

        // Base columns, then excluded_any / excluded_reason (before the fit columns, docs/outputs.md §11.2).
        var staged = new SourceTable(baseTable.RowCount, baseTable.SourceLines);
        foreach (var c in baseTable.Columns) staged.Add(c);
        bool hasFlags = ExclusionColumns.Apply(staged);
        var join = CatalogMerger.Join(staged, mergeKey, fits);
        var table = join.Table;
        if (join.DuplicatesDropped > 0)
            log.Warn($"Dropping {join.DuplicatesDropped} duplicate key(s) in patch results; sample: {string.Join(", ", join.DuplicateSamples)}");
        if (join.SharedBaseKeys > 0)
            log.Warn($"{join.SharedBaseKeys} key value(s) of {inputs.BaseCatalog} occur on more than one row; those rows are matched to fit results by key and position.");

        var wcs = SkyWcs(context, inputs, log);
        if (wcs is not null)
            foreach (var (x, y, ra, dec) in FitSkyCoordinates.Fill(table, wcs))
                log.Info($"Filled {ra}/{dec} from {x}/{y} using WCS");

        var sky = SkyColumns.Find(baseTable);
        double[] none = Enumerable.Repeat(double.NaN, table.RowCount).ToArray();
        double[] raCat = sky is null ? none : baseTable.Numeric(sky.Value.Ra);
        double[] decCat = sky is null ? none : baseTable.Numeric(sky.Value.Dec);
        var status = FitStatus.Compute(join.MatchedPatch, ExclusionColumns.Flags(table, ExclusionColumns.Any), raCat, decCat,
            inputs.Frames?.WhiteWcs(), inputs.Patches, inputs.Current.Select(c => c.Tag).ToHashSet(StringComparer.Ordinal));
        FitStatus.MarkNoPixels(status, NoPixelsAnywhere(table));
        table.Set(new TextColumn(FitStatus.Column, status));

        // The PSF model's flux error, measured over the catalogue, joins every flux error (docs/algorithms.md, "Flux errors").
        // (patch_run.photon_noise_errors: false keeps the original's sky-only errors, without it)
        var modelErrors = FluxModelErrors.Measure(table, b => EpsfModelError(layout, inputs.Patches, b));
        if (settings.ModelErrors) FluxModelErrors.Apply(table, modelErrors);
        else modelErrors = modelErrors.Select(e => e with { Error = 0, Source = "off" }).ToList();
        string modelErrorFile = ModelErrorPath(layout);
        FluxModelErrors.Write(modelErrorFile, modelErrors);
        foreach (var e in modelErrors)
            log.Info(e.Source switch
            {
                "catalogue" => string.Create(CultureInfo.InvariantCulture,
                    $"{e.Band}: PSF model flux error {e.Error:P2} from {e.Stars} stars' PSF-over-aperture checks (PSF/aperture {e.PsfOverAperture:F4})"),
                "blend" => string.Create(CultureInfo.InvariantCulture,
                    $"{e.Band}: PSF model flux error {e.Error:P2} from {e.Stars} stars' PSF-over-aperture checks blended with the ePSF's held-out estimate (fewer than {FluxModelErrors.MinStars} stars to check)"),
                "epsf" => string.Create(CultureInfo.InvariantCulture,
                    $"{e.Band}: PSF model flux error {e.Error:P2} from the ePSF's held-out stars (fewer than 2 stars to check in the catalogue)"),
                "off" => $"{e.Band}: no PSF model flux error (patch_run.photon_noise_errors is false: the original's sky-only errors)",
                _ => $"{e.Band}: no PSF model flux error (fewer than {FluxModelErrors.MinStarsAlone} stars to check, and none from the ePSF)",
            });

        string merged = MergedCatalogPath(layout);
        SourceTableCsv.Write(table, merged);
        if (settings.ZpEnabled)
        {
            // The final catalogue appears only complete: with the zero point on, ComputeZp writes
            // it with its MAG columns. A run stopped before it leaves none, never one without
            // magnitudes (or an older one that no longer matches the fits).
            if (File.Exists(layout.FinalCatalog)) File.Delete(layout.FinalCatalog);
            FinalCatalogProducts.Remove(layout);
            log.Info($"Wrote: {merged} ({layout.FinalCatalog} follows from compute-zp, with the MAG columns)");
        }
        else
        {
            SourceTableCsv.Write(table, layout.FinalCatalog);
            log.Info($"Wrote: {layout.FinalCatalog}");
        }
        log.Info($"rows: {table.RowCount} cols: {table.Columns.Count}");
        if (hasFlags)
        {
            int Count(string col) => ExclusionColumns.Flags(table, col).Count(b => b);
            log.Info($"exclusions: crop={Count(ExclusionColumns.Crop)} saturation={Count(ExclusionColumns.Saturation)} any={Count(ExclusionColumns.Any)}");
        }
        int unfitted = join.MatchedPatch.Count(p => p is null);
        log.Info($"merge-missing (left join rows without fit): {unfitted}");
        log.Info("fit_status: " + string.Join(" ", status.GroupBy(s => s).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key + "=" + g.Count().ToString(CultureInfo.InvariantCulture))));
        // Without the zero point the published catalogue is this stage's output (a deleted copy is
        // rebuilt); with it, ComputeZp publishes it with the MAG columns.
        var published = settings.ZpEnabled ? [] : FinalCatalogProducts.Write(context);
        Stamp.Write(StampPath(layout), key,
            settings.ZpEnabled ? [merged, modelErrorFile] : [merged, modelErrorFile, layout.FinalCatalog, .. published], context.Hasher);
    }

    /// <summary>Where Merge records each band's PSF model flux error.</summary>
    public static string ModelErrorPath(WorkDirLayout layout) => Path.Join(layout.TractorOutDir, FluxModelErrors.FileName);

    /// <summary>The ePSF stage's held-out model error of a band (the median over the cells the patches use; 0 when none):
    /// the fallback where the catalogue has too few stars to check.</summary>
    private static double EpsfModelError(WorkDirLayout layout, IReadOnlyList<PatchDefinition> patches, string band)
    {
        var values = patches.Select(p => p.EpsfTag).Distinct(StringComparer.Ordinal)
            .Select(tag => BandPsfSelector.FluxModelError(layout.EpsfMeta(band, tag))).Where(v => v > 0).ToList();
        return values.Count == 0 ? 0 : Calibration.RobustStats.MedianOf(values);
    }

    // ------------------------------------------------------------------ inputs and key

    /// <summary>What one merge reads.</summary>
    internal sealed record MergeInputs(string BaseCatalog, IReadOnlyList<PatchDefinition> Patches,
        IReadOnlyList<(string Tag, string FitCsv)> Current, IReadOnlyList<(string Tag, string Why)> NotCurrent,
        FramesManifest? Frames, string? WcsFits);

    internal MergeInputs Inputs(StageContext context)
    {
        var layout = context.Layout;
        var cfg = context.Config.Merge;
        var settings = Settings.From(context.Config);
        string baseCatalog = layout.CurrentCatalog(settings.ZpEnabled);
        var patches = Patches.PatchList.Read(layout.PatchesJson);
        var plan = _patchFitPlan(context);
        var items = plan?.ToDictionary(i => i.Id, StringComparer.Ordinal);
        if (plan is null)
            context.Log(Component).Warn("RunPatches is not available in this build: fit tables are taken by existence, without checking their stamps.");
        string pattern = settings.Pattern;
        var current = new List<(string, string)>();
        var notCurrent = new List<(string, string)>();
        foreach (var p in patches)
        {
            string tag = p.PatchTag, csv = layout.PatchFitCsv(tag);
            string? why = null;
            if (!FileSystemName.MatchesSimpleExpression(pattern, Path.GetFileName(csv), ignoreCase: false))
                continue; // filtered out by merge.pattern, as the original's glob would
            if (items is not null)
            {
                // No payload, so RunPatches plans nothing: the patch owns no source
                // (patch_inputs.skip_empty_patch) and there is nothing to merge or to mark.
                if (!items.TryGetValue(tag, out var item)) continue;
                if (!Stamp.IsUpToDate(item.StampPath, item.Key, context.Hasher, out string reason)) why = "stamp: " + reason;
                else if (!StampRecords(item.StampPath, csv)) why = "its stamp does not record " + Path.GetFileName(csv);
            }
            else if (!File.Exists(csv)) why = "no fit table";
            if (why is null) current.Add((tag, Path.GetFullPath(csv)));
            else notCurrent.Add((tag, why));
        }
        FramesManifest? frames = File.Exists(layout.FramesManifest) ? FramesManifest.Read(layout.FramesManifest) : null;
        return new MergeInputs(baseCatalog, patches, current, notCurrent, frames, cfg.WcsFits);
    }

    /// <summary>Per row: the fit saw no usable pixel in any band (<c>fit_no_pixels</c> of a joint fit, or
    /// every <c>fit_no_pixels_&lt;band&gt;</c> of per-band fits); false where no such column exists.</summary>
    private static bool[] NoPixelsAnywhere(SourceTable table)
    {
        if (table.Contains("fit_no_pixels")) return ExclusionColumns.Flags(table, "fit_no_pixels");
        var perBand = table.ColumnNames.Where(c => c.StartsWith("fit_no_pixels_", StringComparison.Ordinal)).ToList();
        var all = new bool[table.RowCount];
        if (perBand.Count == 0) return all;
        Array.Fill(all, true);
        foreach (var c in perBand)
        {
            var f = ExclusionColumns.Flags(table, c);
            for (int i = 0; i < all.Length; i++) all[i] &= f[i];
        }
        return all;
    }

    /// <summary>
    /// Stops the merge when a patch has no current fit and its last fit did not fail: its fit is
    /// out of date, and a catalogue with its rows unfitted would replace a good one (editing the
    /// config and merging is how users iterate). A failed patch's rows are merged as
    /// <c>patch_failed</c>: rerunning will not fix them by itself.
    /// </summary>
    private static void RefuseStaleFits(WorkDirLayout layout, MergeInputs inputs)
    {
        if (inputs.NotCurrent.Count == 0) return;
        var failed = RunPatchesStage.ReadFailures(layout).Select(r => r.Patch).ToHashSet(StringComparer.Ordinal);
        var stale = inputs.NotCurrent.Where(n => !failed.Contains(n.Tag)).ToList();
        if (stale.Count == 0) return;
        string kept = File.Exists(layout.FinalCatalog) ? $" {layout.FinalCatalog} was left as it was." : "";
        throw new Tract7dtException(ErrorCodes.MergeStaleFits,
            $"{stale.Count} of {inputs.Patches.Count} patch fit(s) are out of date, e.g. {stale[0].Tag} ({stale[0].Why}): " +
            $"run 'tract7dt run-patches' (or 'tract7dt run') first, then merge.{kept}");
    }

    private static StageKeyBuilder BuildKey(StageContext context, MergeInputs inputs)
    {
        var h = context.Hasher;
        var key = new StageKeyBuilder(Algorithm)
            .Settings("merge", Settings.From(context.Config))
            .Config("merge.wcs_fits", context.Config.Canonical("merge.wcs_fits"))
            .Input("base_catalog", h.HashFile(inputs.BaseCatalog))
            .Input("patches.json", h.HashFile(context.Layout.PatchesJson));
        if (File.Exists(context.Layout.FramesManifest)) key.Input("frames.json", h.HashFile(context.Layout.FramesManifest));
        if (!string.IsNullOrEmpty(inputs.WcsFits) && File.Exists(inputs.WcsFits)) key.Input("wcs_fits", h.HashFile(inputs.WcsFits));
        foreach (var (tag, csv) in inputs.Current) key.Input("fit." + tag, h.HashFile(csv));
        // the fallback model errors (FluxModelErrors)
        if (Directory.Exists(context.Layout.EpsfDir))
            foreach (string band in Directory.GetDirectories(context.Layout.EpsfDir).Select(Path.GetFileName).Order(StringComparer.Ordinal)!)
                key.Value($"epsf.{band}.flux_model_error",
                    EpsfModelError(context.Layout, inputs.Patches, band!).ToString("R", CultureInfo.InvariantCulture));
        return key;
    }

    private static bool StampRecords(string stampPath, string file)
    {
        var stamp = Stamp.TryRead(stampPath);
        if (stamp is null) return false;
        string folder = Path.GetDirectoryName(Path.GetFullPath(stampPath))!;
        string target = Path.GetFullPath(file);
        return stamp.Outputs.Keys.Any(rel => string.Equals(Path.GetFullPath(Path.Combine(folder, rel)), target, StringComparison.Ordinal));
    }

    private static IReadOnlyList<StageItem>? RegisteredRunPatchesPlan(StageContext context)
    {
        IPipelineStage stage;
        try { stage = PipelineStages.Create(StageId.RunPatches); }
        catch (Tract7dtException e) when (e.Code == ErrorCodes.NotBuiltYet) { return null; }
        return stage is IKeyedStage keyed ? keyed.Plan(context) : null;
    }

    private static PatchFitTable ReadFitTable(string tag, string path, MergeKey key)
    {
        var t = SourceTableCsv.Read(path, $"Fit table of patch {tag}");
        if (!key.IsIn(t))
            throw new Tract7dtException(ErrorCodes.MergeFitTable,
                $"Fit table {path} lacks the merge key column(s) {string.Join(", ", key.Columns)}; rerun run-patches for patch {tag}.");
        return new PatchFitTable(tag, path, t);
    }

    /// <summary>
    /// The white-frame WCS for RA_fit/DEC_fit: <c>merge.wcs_fits</c> = null → the first band's
    /// (frames.json); "" → none; a path → that file's primary-header WCS shifted by the crop
    /// corner (it is taken to be a full-frame image like the inputs). Unreadable → warning, none.
    /// </summary>
    private static TanWcs? SkyWcs(StageContext context, MergeInputs inputs, Logging.Log log)
    {
        string? path = inputs.WcsFits;
        if (path is not null && path.Length == 0) return null;
        try
        {
            if (path is null)
            {
                if (inputs.Frames is null) { log.Warn($"No WCS for RA_fit/DEC_fit: {context.Layout.FramesManifest} is missing."); return null; }
                return inputs.Frames.WhiteWcs();
            }
            var wcs = TanWcs.FromHeader(FitsFile.ReadPrimaryHeader(path), path);
            return inputs.Frames is null ? wcs : wcs.Shift(inputs.Frames.CropX0, inputs.Frames.CropY0);
        }
        catch (Exception e) when (e is Tract7dtException or IOException)
        {
            log.Warn($"failed to load WCS from {path ?? inputs.Frames?.Frames[0].Path}: {e.Message}");
            return null;
        }
    }
}
