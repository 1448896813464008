using System.Globalization;
using System.Runtime.CompilerServices;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Patches;
using Tract7dt.Science.State;

namespace Tract7dt.Science.Pipeline.Stages;

/// <summary>
/// Stage 3 (docs/pipeline.md §6): cuts the active ePSF cells of the white frame into
/// patches and writes <c>patches.csv</c> and <c>patches.json</c>. One item (<c>all</c>),
/// keyed by the frame size, the white WCS, the grid settings and — when empty cells are
/// skipped — the catalog that decides which cells are active.
/// </summary>
public sealed class BuildPatchesStage : IKeyedStage
{
    /// <summary>Bump when the geometry or the files' format changes.</summary>
    public const string Algorithm = "BuildPatches/1";

    private const string Component = "tract7dt.patches";

    /// <summary>Everything the patch geometry is made from, read once from the config; the key
    /// hashes this record, so it cannot miss a setting the stage uses.</summary>
    /// <param name="EpsfNgrid">ePSF cells per axis (<c>epsf.epsf_ngrid</c>).</param>
    /// <param name="Ngrid">Patches per cell per axis (<c>epsf.ngrid</c>).</param>
    /// <param name="HaloPix">Halo around each patch, from <c>epsf.final_psf_size</c> and <c>patches.halo_pix_min</c>.</param>
    /// <param name="SkipEmptyCells">Only cells holding an active source (<c>epsf.skip_empty_epsf_patches</c>).</param>
    public sealed record Settings(int EpsfNgrid, int Ngrid, int HaloPix, bool SkipEmptyCells)
    {
        public static Settings From(Config.PipelineConfig c) =>
            new(c.Epsf.EpsfNgrid, c.Epsf.Ngrid, PatchLayout.HaloPix(c.Epsf.FinalPsfSize, c.Patches.HaloPixMin), c.Epsf.SkipEmptyEpsfPatches);
    }

    [ModuleInitializer]
    internal static void Register() => PipelineStages.Register(StageId.BuildPatches, () => new BuildPatchesStage());

    public StageId Id => StageId.BuildPatches;

    public void Run(StageContext context) => KeyedStages.RunStale(this, context, Component);

    public IReadOnlyList<StageItem> Plan(StageContext context) =>
        [StageItem.From("all", KeyFor(context, FramesManifest.Read(context.Layout.FramesManifest)), StampPath(context.Layout))];

    public void RunItems(StageContext context, IReadOnlyList<StageItem> items)
    {
        if (items.Count == 0) return;
        var log = context.Log(Component);
        var s = Settings.From(context.Config);
        var manifest = FramesManifest.Read(context.Layout.FramesManifest);
        var grid = new EpsfGrid(manifest.Width, manifest.Height, s.EpsfNgrid);
        int halo = s.HaloPix;
        SortedSet<string>? active = null;
        if (s.SkipEmptyCells)
        {
            var src = PatchSources.Load(context.Layout.CurrentCatalog(context.Config.Zp.Enabled), manifest.WhiteWcs());
            active = grid.ActiveCells(src.X, src.Y);
        }
        var patches = PatchLayout.Build(grid, s.Ngrid, halo, active);
        log.Info(string.Create(CultureInfo.InvariantCulture,
            $"Patches: image {manifest.Height}x{manifest.Width} (ny x nx), epsf_ngrid={grid.Ngrid}, ngrid={s.Ngrid}, halo_pix={halo}"));
        if (active is not null)
            log.Info(string.Create(CultureInfo.InvariantCulture, $"Active ePSF cells: {active.Count}/{grid.Ngrid * grid.Ngrid}"));
        var layout = context.Layout;
        PatchList.Write(layout.PatchesCsv, layout.PatchesJson, patches);
        log.Info(string.Create(CultureInfo.InvariantCulture, $"Total patches: {patches.Count}"));
        log.Info($"Wrote: {layout.PatchesCsv}");
        log.Info($"Wrote: {layout.PatchesJson}");
        var key = KeyFor(context, manifest);
        Stamp.Write(StampPath(layout), key, [layout.PatchesCsv, layout.PatchesJson], context.Hasher);
    }

    private static StageKeyBuilder KeyFor(StageContext context, FramesManifest manifest)
    {
        var s = Settings.From(context.Config);
        var key = new StageKeyBuilder(Algorithm).Settings("geometry", s);
        key.Value("white_frame", string.Create(CultureInfo.InvariantCulture, $"{manifest.Width}x{manifest.Height}"));
        if (s.SkipEmptyCells)
        {
            key.Value("white_wcs", WcsText(manifest));
            string cat = context.Layout.CurrentCatalog(context.Config.Zp.Enabled);
            key.Input("catalog", File.Exists(cat) ? context.Hasher.HashFile(cat) : "absent");
        }
        return key;
    }

    internal static string StampPath(WorkDirLayout layout) => layout.StampPath(StageId.BuildPatches, "all");

    /// <summary>The white WCS as header text: what the active-cell projection depends on.</summary>
    internal static string WcsText(FramesManifest manifest)
    {
        var h = new FitsHeader();
        manifest.WhiteWcs().WriteTo(h);
        return string.Join(";", h.Cards.Select(c => c.Key + "=" + Convert.ToString(c.Value, CultureInfo.InvariantCulture)));
    }
}
