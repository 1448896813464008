using System.Globalization;
using System.Runtime.CompilerServices;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Patches;
using Tract7dt.Science.State;
using Tract7dt.Science.Wcs;

namespace Tract7dt.Science.Pipeline.Stages;

/// <summary>
/// Stage 4 (docs/pipeline.md §7): one self-contained payload per patch that owns a
/// source (or per patch, with <c>patch_inputs.skip_empty_patch: false</c>), cut straight
/// from each band's FITS file (one ROI window at a time; never a band's full image).
/// One item per payload, keyed by the patch geometry, the owned catalog rows' text,
/// and each band's file content and calibration: editing one band's pixels rebuilds the
/// payloads (all of them read that band), editing one source row rebuilds only its patch.
/// </summary>
public sealed class BuildPatchInputsStage : IKeyedStage
{
    /// <summary>Bump when the payload bytes would change.</summary>
    /// <remarks>2: saturation-excluded sources inside the ROI travel as nuisance rows (README "Differences" #18).
    /// 3: so do the sources other patches own in the ROI's halo (patches.model_halo_sources, #34).</remarks>
    public const string Algorithm = "BuildPatchInputs/4";

    private const string Component = "tract7dt.patch_inputs";

    private readonly Dictionary<string, Planned> _planned = new(StringComparer.Ordinal);

    [ModuleInitializer]
    internal static void Register() => PipelineStages.Register(StageId.BuildPatchInputs, () => new BuildPatchInputsStage());

    public StageId Id => StageId.BuildPatchInputs;

    public void Run(StageContext context) => KeyedStages.RunStale(this, context, Component);

    private sealed record Planned(PatchDefinition Patch, SourceTable Catalog, StageKeyBuilder Key);

    public IReadOnlyList<StageItem> Plan(StageContext context)
    {
        _planned.Clear();
        var log = context.Log(Component);
        var layout = context.Layout;
        var cfg = context.Config;
        var patches = PatchList.Read(layout.PatchesJson);
        var manifest = FramesManifest.Read(layout.FramesManifest);
        var sources = PatchSources.Load(layout.CurrentCatalog(cfg.Zp.Enabled), manifest.WhiteWcs());
        log.Info(string.Create(CultureInfo.InvariantCulture, $"Patch inputs: using {sources.Active.RowCount}/{sources.TotalRows} non-excluded sources"));
        if (!sources.ExactRaDecNames)
            log.Warn("Catalog RA/DEC columns are not named exactly 'RA' and 'DEC'; using the case-insensitive match.");
        if (!cfg.PatchInputs.SavePatchInputs)
        {
            log.Info("patch_inputs.save_patch_inputs is false: no payloads are written. Saved to: (skipped)");
            return [ListItem(layout, [])];
        }

        var bandLines = manifest.Frames.Select((f, i) => (
            Name: string.Create(CultureInfo.InvariantCulture, $"band{i}"),
            Text: string.Create(CultureInfo.InvariantCulture,
                $"{f.Band}|scale={FloatText.Repr(f.Scale)}|skysig={FloatText.Repr(f.SkySig)}|egain={FloatText.Repr(f.EGain)}|saturate={(f.Saturate is { } s ? FloatText.Repr(s) : "none")}"),
            f)).ToArray();
        string crop = string.Create(CultureInfo.InvariantCulture, $"{manifest.CropX0},{manifest.CropX1},{manifest.CropY0},{manifest.CropY1}");
        var items = new List<StageItem>();
        foreach (var p in patches)
        {
            var rows = sources.RowsIn(p.Base);
            if (rows.Count == 0 && cfg.PatchInputs.SkipEmptyPatch) continue;
            // Saturated stars are never reported, but their wings reach the neighbours: the
            // fit models those in the ROI as fixed-position point sources (PatchRunner).
            // Ours (patches.model_halo_sources): the sources other patches own in this ROI's
            // halo are modelled here too, not left to the sky (README, differences).
            var halo = cfg.Patches.ModelHaloSources ? sources.HaloRowsIn(p.Roi, p.Base) : [];
            var table = sources.PatchTable(rows, p.Roi, sources.NuisanceRowsIn(p.Roi), halo);
            var sw = new StringWriter();
            SourceTableCsv.Write(table, sw);
            var key = new StageKeyBuilder(Algorithm)
                .Value("patch", PatchList.ToCsv([p]))
                .Value("crop", crop)
                .Input("sources", ContentHasher.HashText(sw.ToString()));
            foreach (var (name, text, f) in bandLines) key.Value(name, text).Input("image." + f.Band, f.ContentHash);
            _planned[p.PatchTag] = new Planned(p, table, key);
            items.Add(StageItem.From(p.PatchTag, key, StampPath(layout, p.PatchTag)));
        }
        items.Add(ListItem(layout, _planned.Keys.ToList()));
        return items;
    }

    /// <summary>Id of the item that writes <c>payload_list.json</c>, the current patch list.</summary>
    public const string ListItemId = "payload_list";

    private static StageItem ListItem(WorkDirLayout layout, IReadOnlyList<string> tags) =>
        StageItem.From(ListItemId, new StageKeyBuilder(Algorithm + "+list").Value("patches", string.Join(",", tags)),
            layout.StampPath(StageId.BuildPatchInputs, ListItemId), followsItems: true);

    public void RunItems(StageContext context, IReadOnlyList<StageItem> items)
    {
        var log = context.Log(Component);
        var layout = context.Layout;
        var cfg = context.Config;
        if (_planned.Count == 0 && items.Count > 0) Plan(context);
        (var list, items) = KeyedStages.TakeSummary(items, ListItemId);
        if (list is not null)
        {
            PayloadList.Write(layout.PayloadList, _planned.Keys.ToList());
            Stamp.Write(list, [layout.PayloadList], context.Hasher);
        }
        if (items.Count == 0) return;
        var manifest = FramesManifest.Read(layout.FramesManifest);
        Directory.CreateDirectory(layout.PatchInputsDir);

        // Header seeing per band, once (the fallback PSF's width travels in the payload).
        var fwhm = new double?[manifest.Frames.Count];
        for (int b = 0; b < fwhm.Length; b++)
        {
            var f = manifest.Frames[b];
            var header = FitsFile.ReadPrimaryHeader(f.Path);
            TanWcs? wcs = null;
            try { wcs = TanWcs.FromHeader(header, f.Path); }
            catch (Errors.Tract7dtException) { }
            fwhm[b] = HeaderSeeing.FwhmPix(header, wcs);
        }

        int total = items.Count, done = 0;
        using var progress = context.Progress(Component, TimeSpan.FromSeconds(10));
        string Msg(int d) => string.Create(CultureInfo.InvariantCulture,
            $"Patch inputs build [{Logging.ProgressText.Bar(d, total)}] {d}/{total} keep={d} skip=0 queued=0 (total_patches={total})");
        progress.Report(Msg(0), force: true);
        int every = Math.Max(1, total / 20);
        int workers = Math.Max(1, Math.Min(cfg.PatchInputs.MaxWorkers, context.CpuCount));
        var options = new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = context.Cancellation };
        Parallel.ForEach(items, options, item =>
        {
            var planned = _planned[item.Id];
            BuildOne(manifest, fwhm, planned.Patch, planned.Catalog, layout, planned.Key, context.Hasher);
            int d = Interlocked.Increment(ref done);
            if (d % every == 0 || d == total) progress.Report(Msg(d), force: d == total);
        });
        log.Info(string.Create(CultureInfo.InvariantCulture, $"Created {total} patch payloads. Saved to: {layout.PatchInputsDir}"));
    }

    private static void BuildOne(FramesManifest manifest, double?[] fwhm, PatchDefinition p, SourceTable catalog,
        WorkDirLayout layout, StageKeyBuilder key, ContentHasher hasher)
    {
        var bands = new List<PayloadBand>(manifest.Frames.Count);
        for (int b = 0; b < manifest.Frames.Count; b++)
        {
            var f = manifest.Frames[b];
            var w = FrameWindow.Read(manifest, f, p.Roi);
            bands.Add(new PayloadBand(f.Band, f.Scale, f.Path, f.ContentHash, fwhm[b], w.Scaled, w.SigmaSky, w.SigmaTotal, w.Bad,
                f.SkySig, f.EGain));
        }
        string stamp = StampPath(layout, p.PatchTag);
        if (File.Exists(stamp)) File.Delete(stamp);
        string fits = PatchPayload.FitsPath(layout.PatchInputsDir, p.PatchTag);
        new PatchPayload(p, bands, catalog).Write(fits);
        Stamp.Write(stamp, key, [fits, PatchPayload.CsvPathFor(fits)], hasher);
    }

    internal static string StampPath(WorkDirLayout layout, string tag) => layout.StampPath(StageId.BuildPatchInputs, tag);
}
