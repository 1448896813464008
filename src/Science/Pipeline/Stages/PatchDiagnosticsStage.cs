using System.Globalization;
using System.Runtime.CompilerServices;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Diagnostics;
using Tract7dt.Science.Patches;
using Tract7dt.Science.State;

namespace Tract7dt.Science.Pipeline.Stages;

/// <summary>
/// The pictures of each fitted patch (<c>patch_overview.png</c>, <c>cutouts/*.png</c>), drawn
/// from the files the fit wrote (the payload, the fit table, <c>model.fits</c>) rather than
/// inside the fit: one item per fitted patch, keyed by <see cref="PatchDiagnosticsSettings"/>
/// and the content of those files. A picture's setting (<c>plotting.dpi</c>,
/// <c>patch_run.no_cutouts</c>, <c>cutout_*</c>) redraws pictures and refits nothing, and the
/// stage runs after the catalogue, so pictures never delay it.
/// </summary>
public sealed class PatchDiagnosticsStage : IKeyedStage
{
    /// <summary>Bump when the pictures would change.</summary>
    public const string Algorithm = "PatchDiagnostics/3";

    private const string Component = "tract7dt.run_patches";

#pragma warning disable CA2255 // registration from the stage's own file, as PipelineStages asks
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() => PipelineStages.Register(StageId.PatchDiagnostics, () => new PatchDiagnosticsStage());

    public StageId Id => StageId.PatchDiagnostics;

    public void Run(StageContext context) => KeyedStages.RunStale(this, context, Component);

    internal static string StampPath(WorkDirLayout layout, string tag) => layout.StampPath(StageId.PatchDiagnostics, tag);

    /// <summary>One item per patch of the current list whose fit finished (a failed or missing
    /// fit has nothing to draw; its item appears once the fit exists).</summary>
    public IReadOnlyList<StageItem> Plan(StageContext context)
    {
        var layout = context.Layout;
        var settings = PatchDiagnosticsSettings.From(context.Config);
        var items = new List<StageItem>();
        var tiles = new List<(string Tag, string Payload, string PayloadHash, string Model, string ModelHash)>();
        foreach (string tag in RunPatchesStage.PatchTags(context))
        {
            string csv = layout.PatchFitCsv(tag), model = PatchModelImages.PathIn(layout.PatchOutDir(tag));
            string payload = PatchPayload.FitsPath(layout.PatchInputsDir, tag);
            if (!File.Exists(csv) || !File.Exists(model) || !File.Exists(payload)) continue;
            string payloadHash = context.Hasher.HashFile(payload), modelHash = context.Hasher.HashFile(model);
            var key = new StageKeyBuilder(Algorithm).Settings("pictures", settings with { NoMosaics = false })
                .Input("payload", payloadHash)
                .Input("payload.sources", context.Hasher.HashFile(PatchPayload.CsvPathFor(payload)))
                .Input("fit", context.Hasher.HashFile(csv))
                .Input("model", modelHash);
            items.Add(StageItem.From(tag, key, StampPath(layout, tag)));
            tiles.Add((tag, payload, payloadHash, model, modelHash));
        }
        // the field mosaics: one item per band, keyed by every fitted patch's payload and model
        if (File.Exists(layout.FramesManifest))
        {
            var frames = FramesManifest.Read(layout.FramesManifest);
            string framesHash = context.Hasher.HashFile(layout.FramesManifest);
            foreach (string band in frames.Bands)
            {
                var key = new StageKeyBuilder(MosaicAlgorithm).Settings("mosaics", new MosaicSettings(settings.NoMosaics, context.Config.Inputs.TileName))
                    .Value("band", band).Input("frames", framesHash);
                foreach (var t in tiles) key.Input("payload:" + t.Tag, t.PayloadHash).Input("model:" + t.Tag, t.ModelHash);
                items.Add(StageItem.From(MosaicPrefix + band, key, MosaicStampPath(layout, band)));
            }
        }
        return items;
    }

    /// <summary>Bump when a mosaic would change.</summary>
    public const string MosaicAlgorithm = "FieldMosaic/1";

    /// <summary>Item ids of the mosaics: this prefix and the band.</summary>
    public const string MosaicPrefix = "mosaic_";

    /// <summary>What a mosaic reads from the config.</summary>
    private sealed record MosaicSettings(bool NoMosaics, string TileName);

    internal static string MosaicStampPath(WorkDirLayout layout, string band) => layout.StampPath(StageId.PatchDiagnostics, MosaicPrefix + band);

    public void RunItems(StageContext context, IReadOnlyList<StageItem> all)
    {
        var log = context.Log(Component);
        var settings = PatchDiagnosticsSettings.From(context.Config);
        var items = all.Where(i => !i.Id.StartsWith(MosaicPrefix, StringComparison.Ordinal)).ToList();
        var mosaics = all.Where(i => i.Id.StartsWith(MosaicPrefix, StringComparison.Ordinal)).ToList();
        int done = 0, total = items.Count;
        using var progress = context.Progress(Component, TimeSpan.FromSeconds(15));
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, context.CpuCount), CancellationToken = context.Cancellation };
        Parallel.ForEach(items, options, item =>
        {
            var outputs = Draw(context, item.Id, settings, log);
            Stamp.Write(item, outputs, context.Hasher);
            int d = Interlocked.Increment(ref done);
            progress.Report(string.Create(CultureInfo.InvariantCulture,
                $"Patch pictures [{Logging.ProgressText.Bar(d, total)}] {d}/{total}"), force: d == total);
        });
        if (total > 0) log.Info(string.Create(CultureInfo.InvariantCulture, $"Drew the pictures of {total} patch(es)"));
        if (mosaics.Count > 0) WriteMosaics(context, mosaics, settings, log);
    }

    /// <summary>
    /// The per-band model and residual images of the field (<see cref="FieldMosaic"/>), one band at a
    /// time per worker (each holds two float images of the white frame), after the pictures.
    /// </summary>
    private static void WriteMosaics(StageContext context, List<StageItem> items, PatchDiagnosticsSettings s, Logging.Log log)
    {
        var layout = context.Layout;
        var frames = FramesManifest.Read(layout.FramesManifest);
        var tiles = RunPatchesStage.PatchTags(context)
            .Select(tag => new FieldMosaic.Tile(tag, PatchPayload.FitsPath(layout.PatchInputsDir, tag), PatchModelImages.PathIn(layout.PatchOutDir(tag))))
            .Where(t => File.Exists(t.PayloadFits) && File.Exists(t.ModelFits) && File.Exists(layout.PatchFitCsv(t.Tag)))
            .ToList();
        var wcs = frames.WhiteWcs();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        int done = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, context.CpuCount), CancellationToken = context.Cancellation };
        Parallel.ForEach(items, options, item =>
        {
            string band = item.Id[MosaicPrefix.Length..];
            foreach (string p in new[] { FieldMosaic.ModelPath(layout.MosaicsDir, band), FieldMosaic.ResidualPath(layout.MosaicsDir, band), FieldMosaic.StatsPath(layout.MosaicsDir, band) })
                if (File.Exists(p)) File.Delete(p);
            IReadOnlyList<string> outputs = [];
            if (!s.NoMosaics)
            {
                var (paths, used) = FieldMosaic.Write(layout.MosaicsDir, band, frames.Width, frames.Height, wcs, tiles, context.Config.Inputs.TileName);
                outputs = paths;
                if (used < tiles.Count)
                    log.Warn(string.Create(CultureInfo.InvariantCulture,
                        $"{band} mosaics: {tiles.Count - used} of {tiles.Count} fitted patches have no image or no fitted sky of the band; their boxes are NaN"));
            }
            Directory.CreateDirectory(layout.MosaicsDir);
            Stamp.Write(item, outputs, context.Hasher);
            Interlocked.Increment(ref done);
        });
        log.Info(string.Create(CultureInfo.InvariantCulture,
            $"{(s.NoMosaics ? "Removed" : "Wrote")} the model and residual mosaics of {done} band(s) in {layout.MosaicsDir} ({sw.Elapsed.TotalSeconds:F1} s)"));
    }

    /// <summary>Removes the patch's earlier pictures and draws the ones the settings ask for.</summary>
    private static List<string> Draw(StageContext context, string tag, PatchDiagnosticsSettings s, Logging.Log log)
    {
        var layout = context.Layout;
        string dir = layout.PatchOutDir(tag), cutouts = Path.Join(dir, "cutouts"), overview = Path.Join(dir, "patch_overview.png");
        if (File.Exists(overview)) File.Delete(overview);
        if (Directory.Exists(cutouts)) Directory.Delete(cutouts, recursive: true);
        var outputs = new List<string>();
        if (s.NoPatchOverview && s.NoCutouts) return outputs;

        var views = PatchViews.Load(PatchPayload.FitsPath(layout.PatchInputsDir, tag), layout.PatchFitCsv(tag), PatchModelImages.PathIn(dir));
        if (!s.NoPatchOverview)
        {
            try
            {
                PatchOverview.Save(views, tag, s, overview);
                outputs.Add(overview);
            }
            catch (Exception e) when (e is not OperationCanceledException && Errors.IoFailure.Find(e) is null)
            {
                log.Warn($"patch {tag}: overview failed: {e.Message}");
            }
        }
        if (!s.NoCutouts)
        {
            Directory.CreateDirectory(cutouts);
            outputs.AddRange(SourceMontage.SaveAll(views, tag, s, cutouts));
        }
        return outputs;
    }
}
