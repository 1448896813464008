using System.Globalization;
using System.Runtime.CompilerServices;
using Tract7dt.Science.Diagnostics;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Psf.Stage;
using Tract7dt.Science.State;

namespace Tract7dt.Science.Pipeline.Stages;

/// <summary>
/// The pictures of each ePSF cell (<see cref="EpsfCellPictures"/>), drawn from what BuildEpsf
/// saved for them (<see cref="EpsfCellPictureData"/>) and the cell's pixels read again from the
/// band's image: one item per cell and band that BuildEpsf wrote, keyed by
/// <see cref="EpsfPictureSettings"/>, the saved data's content and the image's. A picture's
/// setting (<c>plotting.dpi</c>, <c>epsf.save_growth_curve</c>, …) redraws pictures and rebuilds
/// no ePSF; the stage runs after the catalogue, so pictures never delay it (on the sample they
/// cost more than the ePSF itself).
/// </summary>
public sealed class EpsfDiagnosticsStage : IKeyedStage
{
    /// <summary>Bump when the pictures would change.</summary>
    public const string Algorithm = "EpsfDiagnostics/2";

    private const string Component = "tract7dt.epsf";

#pragma warning disable CA2255 // registration from the stage's own file, as PipelineStages asks
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() => PipelineStages.Register(StageId.EpsfDiagnostics, () => new EpsfDiagnosticsStage());

    public StageId Id => StageId.EpsfDiagnostics;

    public void Run(StageContext context) => KeyedStages.RunStale(this, context, Component);


    /// <summary>One item per cell and band that BuildEpsf plans and whose picture data exist (bands in image order, cells by tag).</summary>
    public IReadOnlyList<StageItem> Plan(StageContext context)
    {
        var layout = context.Layout;
        var items = new List<StageItem>();
        if (!File.Exists(layout.FramesManifest)) return items;
        var manifest = FramesManifest.Read(layout.FramesManifest);
        var settings = EpsfPictureSettings.From(context.Config);
        // the cells the ePSF stage plans now (a cell of an earlier grid has nothing to draw)
        var cells = new HashSet<string>(new BuildEpsfStage().Plan(context).Select(i => i.Id), StringComparer.Ordinal);
        foreach (var f in manifest.Frames)
        {
            string dir = Path.GetDirectoryName(layout.EpsfPictureData(f.Band, "x"))!;
            if (!Directory.Exists(dir)) continue;
            foreach (string data in Directory.EnumerateFiles(dir, "*.bin").Order(StringComparer.Ordinal))
            {
                string tag = Path.GetFileNameWithoutExtension(data);
                if (!cells.Contains($"{f.Band}/{tag}")) continue;
                var key = new StageKeyBuilder(Algorithm).Settings("pictures", settings)
                    .Input("data", context.Hasher.HashFile(data))
                    .Input("image." + f.Band, f.ContentHash)
                    .Value("crop", $"{manifest.CropX0},{manifest.CropX1},{manifest.CropY0},{manifest.CropY1}");
                string id = $"{f.Band}/{tag}";
                items.Add(StageItem.From(id, key, layout.StampPath(StageId.EpsfDiagnostics, id)));
            }
        }
        return items;
    }

    public void RunItems(StageContext context, IReadOnlyList<StageItem> items)
    {
        if (items.Count == 0) return;
        var log = context.Log(Component);
        var layout = context.Layout;
        var manifest = FramesManifest.Read(layout.FramesManifest);
        var settings = EpsfPictureSettings.From(context.Config);
        int done = 0, total = items.Count;
        using var progress = context.Progress(Component, TimeSpan.FromSeconds(15));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, context.CpuCount), CancellationToken = context.Cancellation };
        Parallel.ForEach(items, options, item =>
        {
            int slash = item.Id.IndexOf('/');
            string band = item.Id[..slash], tag = item.Id[(slash + 1)..];
            var data = EpsfCellPictureData.Read(layout.EpsfPictureData(band, tag));
            var window = FrameWindow.Read(manifest, manifest.Frame(band), data.Box);
            var outputs = EpsfCellPictures.Draw(layout.EpsfCellDir(band, tag), data, window.Scaled, settings, log.Warn);
            Stamp.Write(item, outputs, context.Hasher);
            int d = Interlocked.Increment(ref done);
            progress.Report(string.Create(CultureInfo.InvariantCulture,
                $"ePSF pictures [{Logging.ProgressText.Bar(d, total)}] {d}/{total}"), force: d == total);
        });
        log.Info(string.Create(CultureInfo.InvariantCulture,
            $"Drew the pictures of {total} ePSF cell(s) in {sw.Elapsed.TotalSeconds:F1} s"));
    }
}
