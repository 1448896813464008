using System.Globalization;
using System.Runtime.CompilerServices;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Diagnostics;
using Tract7dt.Science.Patches;

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
    public const string Algorithm = "PatchDiagnostics/1";

    private const string Component = "tract7dt.run_patches";

#pragma warning disable CA2255 // registration from the stage's own file, as PipelineStages asks
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() => PipelineStages.Register(StageId.PatchDiagnostics, () => new PatchDiagnosticsStage());

    public StageId Id => StageId.PatchDiagnostics;

    public void Run(StageContext context) => KeyedStages.RunStale(this, context, Component);

    internal static string StampPath(WorkDirLayout layout, string tag) => Path.Join(layout.PatchOutDir(tag), "plots.stamp.json");

    /// <summary>One item per patch of the current list whose fit finished (a failed or missing
    /// fit has nothing to draw; its item appears once the fit exists).</summary>
    public IReadOnlyList<StageItem> Plan(StageContext context)
    {
        var layout = context.Layout;
        var settings = PatchDiagnosticsSettings.From(context.Config);
        var items = new List<StageItem>();
        foreach (string tag in RunPatchesStage.PatchTags(context))
        {
            string csv = layout.PatchFitCsv(tag), model = PatchModelImages.PathIn(layout.PatchOutDir(tag));
            string payload = PatchPayload.FitsPath(layout.PatchInputsDir, tag);
            if (!File.Exists(csv) || !File.Exists(model) || !File.Exists(payload)) continue;
            var key = new StageKeyBuilder(Algorithm).Settings("pictures", settings)
                .Input("payload", context.Hasher.HashFile(payload))
                .Input("payload.sources", context.Hasher.HashFile(PatchPayload.CsvPathFor(payload)))
                .Input("fit", context.Hasher.HashFile(csv))
                .Input("model", context.Hasher.HashFile(model));
            items.Add(StageItem.From(tag, key, StampPath(layout, tag)));
        }
        return items;
    }

    public void RunItems(StageContext context, IReadOnlyList<StageItem> items)
    {
        var log = context.Log(Component);
        var settings = PatchDiagnosticsSettings.From(context.Config);
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
        log.Info(string.Create(CultureInfo.InvariantCulture, $"Drew the pictures of {total} patch(es)"));
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

        string fits = PatchPayload.FitsPath(layout.PatchInputsDir, tag);
        var payload = PatchPayload.Read(fits);
        int owned = PatchRunner.OwnedRows(payload.Catalog, fits);
        // the model includes the neighbours modelled as nuisance; markers and montages show the reported rows only
        var shown = owned == payload.Catalog.RowCount ? payload
            : new PatchPayload(payload.Patch, payload.Bands, PatchSources.Head(payload.Catalog, owned));
        var fit = SourceTableCsv.Read(layout.PatchFitCsv(tag), "Patch fit table");
        var models = PatchModelImages.Read(PatchModelImages.PathIn(dir));
        bool multiBand = fit.Contains("x_pix_patch_fit");
        var views = PatchViews.From(shown, models, c => fit.Contains(c) ? fit.Numeric(c) : null, fit.RowCount, multiBand);
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
