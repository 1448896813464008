using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Config;
using Tract7dt.Science.Detection;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Patches;
using Tract7dt.Science.State;
using Tract7dt.Science.Psf.Stage;

namespace Tract7dt.Science.Pipeline.Stages;

/// <summary>
/// Stage 2, BuildEpsf (docs/pipeline.md §5, docs/epsf.md §4): one content-keyed item per active ePSF cell × band.
/// An item's key covers the band's FITS content hash and the frames-manifest values the cell
/// uses (scale, SKYSIG, EGAIN, SATURATE, PEEING/SEEING, crop), the cell box, the GaiaXP CSV
/// hash when seeds are used and every <c>epsf.*</c> key that shapes the cell's numbers. The
/// cell's pictures are not drawn here but by <see cref="EpsfDiagnosticsStage"/>, from the
/// data each cell saves for them.
/// Stale items are rebuilt band by band (bands in parallel when <c>epsf.parallel_bands</c>),
/// each cell's files written atomically with its stamp last; then <c>epsf_summary.json</c>
/// is rewritten from the meta.json of every planned cell.
/// </summary>
/// <remarks>Differences from the original: <c>epsf.fits</c> is written beside <c>epsf.npy</c>;
/// the summary lists bands in image order (not completion order), so it is deterministic;
/// meta.json carries <c>epsf_fwhm_pix</c> and <c>algorithm</c> after the original's keys.</remarks>
public sealed class BuildEpsfStage : IKeyedStage
{
    /// <summary>Bump when any number or file this stage writes would change.</summary>
    public const string Algorithm = "BuildEpsf/8";

    private const string Component = "tract7dt.epsf";


#pragma warning disable CA2255 // registration from the stage's own file, as the framework asks
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Register() => PipelineStages.Register(StageId.BuildEpsf, () => new BuildEpsfStage());
#pragma warning restore CA2255

    public StageId Id => StageId.BuildEpsf;

    public void Run(StageContext context) => KeyedStages.RunStale(this, context, Component);

    /// <summary>The items: bands in image order, active cells row-major within a band.</summary>
    public IReadOnlyList<StageItem> Plan(StageContext context)
    {
        var cells = PlanCells(context, out _).Select(c => c.Item).ToList();
        return [.. cells, SummaryItem(context.Layout, cells)];
    }

    /// <summary>Id of the item that writes <c>epsf_summary.json</c> (built with any cell).</summary>
    public const string SummaryItemId = "epsf_summary";

    private static StageItem SummaryItem(WorkDirLayout layout, IReadOnlyList<StageItem> cells)
    {
        var key = new StageKeyBuilder(Algorithm + "+summary");
        foreach (var c in cells) key.Value("cell " + c.Id, c.Key);
        return StageItem.From(SummaryItemId, key, layout.StampPath(StageId.BuildEpsf, SummaryItemId), followsItems: true);
    }

    private sealed record CellItem(StageItem Item, StageKeyBuilder Key, string Band, int Row, int Col, string Tag, PixelBox Box);

    private List<CellItem> PlanCells(StageContext ctx, out PlanInfo info)
    {
        var manifest = FramesManifest.Read(ctx.Layout.FramesManifest);
        var settings = EpsfCellSettings.From(ctx.Config.Epsf);
        var grid = new EpsfGrid(manifest.Width, manifest.Height, ctx.Config.Epsf.EpsfNgrid);
        var active = ctx.Config.Epsf.SkipEmptyEpsfPatches ? ActiveCells(ctx, manifest, grid) : null;
        string? gaiaPath = GaiaPathIfUsed(ctx.Config);
        string? gaiaHash = gaiaPath is null ? null : ctx.Hasher.HashFile(gaiaPath);
        info = new PlanInfo(manifest, settings, grid, active, gaiaPath);

        // The catalogue masks neighbours in the star stamps; with the band model every cell of a
        // band reads every other cell's stars, so a cell's key names all of them.
        string? catalogHash = ctx.Config.Epsf.MaskNeighbours
            ? ctx.Hasher.HashFile(ctx.Layout.CurrentCatalog(ctx.Config.Zp.Enabled)) : null;
        string? bandCells = ctx.Config.Epsf.PsfField == EpsfPsfField.Band
            ? string.Join(",", grid.Cells().Where(c => active is null || active.Contains(c.Tag)).Select(c => c.Tag)) : null;
        var items = new List<CellItem>();
        foreach (var f in manifest.Frames)
            foreach (var (row, col, tag, box) in grid.Cells())
            {
                if (active is not null && !active.Contains(tag)) continue;
                // the cell settings record is what the cell code reads (the epsf section; scheduling
                // and picture-only keys left out: NotInKeys). The pictures are EpsfDiagnostics' items.
                var key = new StageKeyBuilder(Algorithm).Settings("epsf", settings);
                key.Input("image." + f.Band, f.ContentHash)
                   .Value("frame", FrameValues(f))
                   .Value("crop", $"{manifest.CropX0},{manifest.CropX1},{manifest.CropY0},{manifest.CropY1}")
                   .Value("cell", $"{tag} {box}");
                if (gaiaHash is not null) key.Input("gaiaxp", gaiaHash);
                if (catalogHash is not null) key.Input("catalog", catalogHash);
                if (bandCells is not null) key.Value("band_cells", bandCells);
                string id = $"{f.Band}/{tag}";
                items.Add(new CellItem(StageItem.From(id, key, ctx.Layout.StampPath(StageId.BuildEpsf, id)), key, f.Band, row, col, tag, box));
            }
        return items;
    }

    private sealed record PlanInfo(FramesManifest Manifest, EpsfCellSettings Settings, EpsfGrid Grid,
        SortedSet<string>? Active, string? GaiaPath);

    private static string FrameValues(FrameEntry f) => string.Join(" ",
        R(f.Scale), R(f.SkySig), R(f.EGain), f.Saturate is double s ? R(s) : "none",
        f.PeeingPix is double p ? R(p) : "none", f.SeeingArcsec is double e ? R(e) : "none", f.Width, f.Height);

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>The GaiaXP CSV when seeds are used (use_gaiaxp, mode ≠ sep, file present), else null.</summary>
    private static string? GaiaPathIfUsed(PipelineConfig cfg)
    {
        string? p = cfg.Inputs.GaiaxpSynphotCsv;
        return cfg.Epsf.UseGaiaxp && cfg.Epsf.PsfstarMode != PsfStarMode.Sep && !string.IsNullOrEmpty(p) && File.Exists(p) ? p : null;
    }

    public void RunItems(StageContext ctx, IReadOnlyList<StageItem> items)
    {
        var log = ctx.Log(Component);
        var all = PlanCells(ctx, out var info);
        var manifest = info.Manifest;
        var s = info.Settings;
        Directory.CreateDirectory(ctx.Layout.EpsfDir);
        log.Info($"Bands: {string.Join(", ", manifest.Bands)}; image shape ({manifest.Height}, {manifest.Width})");
        if (info.Active is not null)
        {
            log.Info($"Active ePSF cells from input catalog: {info.Active.Count}/{info.Grid.Ngrid * info.Grid.Ngrid}");
            if (info.Active.Count == 0) log.Warn("No active ePSF cells found from input catalog; ePSF generation will be skipped.");
        }
        foreach (var b in manifest.Bands) Directory.CreateDirectory(Path.Join(ctx.Layout.EpsfDir, b));

        var wanted = new HashSet<string>(items.Select(i => i.Id), StringComparer.Ordinal);
        var todo = all.Where(c => wanted.Contains(c.Item.Id)).ToList();
        var byBand = manifest.Bands.Select(b => (Band: b, Cells: todo.Where(c => c.Band == b).ToList()))
            .Where(x => x.Cells.Count > 0).ToList();

        GaiaXpCatalog? gaia = null;
        if (ctx.Config.Epsf.UseGaiaxp && ctx.Config.Epsf.PsfstarMode != PsfStarMode.Sep && byBand.Count > 0)
        {
            if (info.GaiaPath is null)
                log.Warn($"GaiaXP catalog not found: {ctx.Config.Inputs.GaiaxpSynphotCsv ?? "(inputs.gaiaxp_synphot_csv not set)"}");
            else
            {
                gaia = GaiaXpCatalog.Read(info.GaiaPath, requireZpColumns: false);
                log.Info($"GaiaXP loaded: {gaia.Count} rows from {info.GaiaPath}");
            }
        }

        int workers = 1;
        if (ctx.Config.Epsf.ParallelBands)
        {
            workers = WorkerCounts.ResolveEpsfWorkers(ctx.Config.Epsf.MaxWorkers, Math.Max(1, byBand.Count), ctx.CpuCount);
            if (workers < 1)
                throw new Tract7dtException(ErrorCodes.EpsfWorkers,
                    $"epsf.max_workers = {ctx.Config.Epsf.MaxWorkers}: need at least 1 worker; use \"auto\" or a positive integer.");
        }

        var bandFail = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        using var progress = new EpsfProgress(ctx.Progress(Component, TimeSpan.FromSeconds(15)), log, byBand.Count, workers);
        var queue = new ConcurrentQueue<(string Band, List<CellItem> Cells)>(byBand);
        void Worker(int slot)
        {
            while (queue.TryDequeue(out var job))
            {
                ctx.Cancellation.ThrowIfCancellationRequested();
                progress.Start(slot, job.Band, job.Cells.Count);
                try
                {
                    RunBand(ctx, info, gaia, job.Band, job.Cells, (ok) => progress.CellDone(slot, ok), log);
                    progress.BandDone(slot, false);
                }
                // a band that cannot be built gets the fallback PSF (the original's way); a failing
                // disk is not a property of the band and stops the stage (one coded error)
                catch (Exception e) when (e is not OperationCanceledException && Errors.IoFailure.Find(e) is null)
                {
                    string err = $"{e.GetType().Name}: {e.Message}";
                    bandFail[job.Band] = err;
                    log.Error($"[band FAIL] {job.Band}: {err}");
                    progress.BandDone(slot, true);
                }
            }
        }
        if (workers <= 1) Worker(0);
        else
        {
            var threads = Enumerable.Range(0, Math.Min(workers, Math.Max(1, byBand.Count)))
                .Select(slot => Task.Factory.StartNew(() => Worker(slot), TaskCreationOptions.LongRunning)).ToArray();
            Task.WaitAll(threads);
        }

        if (KeyedStages.TakeSummary(items, SummaryItemId).Summary is { } summary)
        {
            string path = WriteSummary(ctx, all, bandFail, log);
            // a band that failed is retried by the next build, which rewrites the summary
            if (bandFail.IsEmpty) Stamp.Write(summary, [path], ctx.Hasher);
        }
    }

    /// <summary>Builds the given cells of one band: band inputs once, then each cell from its own window.</summary>
    private static void RunBand(StageContext ctx, PlanInfo info, GaiaXpCatalog? gaia, string band, List<CellItem> cells,
        Action<bool> cellDone, Logging.Log log)
    {
        var manifest = info.Manifest;
        var s = info.Settings;
        var frame = manifest.Frame(band);
        var wcs = manifest.WhiteWcs(band);
        double? sat = frame.Saturate is double sv && double.IsFinite(sv) ? sv * frame.Scale : null;
        double? rf = EpsfBandInputs.ForcedRadius(frame, wcs, s, out string? why);
        if (why is not null) log.Warn($"{band}: {why}; using default forced radius.");
        var (gx, gy) = EpsfBandInputs.Seeds(gaia, band, wcs, ctx.Config.Epsf);

        StarCandidates? bandCandidates = null;
        if (!s.Config.BackgroundSubtractPatch)
        {
            var whole = FrameWindow.Read(manifest, frame, new PixelBox(0, manifest.Width, 0, manifest.Height));
            try
            {
                var cat = PsfStarSelector.Extract(whole.Scaled, whole.SigmaSky, whole.Bad, whole.Width, whole.Height, s);
                bandCandidates = PsfStarSelector.CandidatesVariantBBand(cat, s, sat);
            }
            catch (Tract7dtException)
            {
                bandCandidates = StarCandidates.Empty;
            }
        }

        double? fwhm = EpsfBandInputs.FwhmPix(frame, wcs);
        var neighbours = s.Config.MaskNeighbours ? EpsfBandInputs.Neighbours(CatalogState.Load(ctx.Layout.CurrentCatalog(ctx.Config.Zp.Enabled)), band, wcs) : null;

        // Every cell first: with the band model, each cell's ePSF depends on every star of the band.
        var results = new List<EpsfCellResult>(cells.Count);
        IReadOnlyDictionary<string, IReadOnlyList<(int Row, int Col, float[][] Grid)>>? patchModels = null;
        foreach (var cell in cells)
        {
            ctx.Cancellation.ThrowIfCancellationRequested();
            var win = FrameWindow.Read(manifest, frame, cell.Box);
            var input = new EpsfCellInput(band, cell.Tag, cell.Box, win.Scaled, win.SigmaSky, win.Bad, sat, rf, gx, gy, bandCandidates,
                win.SigmaTotal, neighbours, fwhm);
            // a band's cells wait for one another (the band model), but their pixels are not needed any more
            results.Add(EpsfCellProcessor.Process(input, s).WithoutPixels(s));
        }
        if (s.Config.PsfField == EpsfPsfField.Band)
        {
            var centres = PatchLayout.Build(info.Grid, Math.Max(1, ctx.Config.Epsf.Ngrid), 0, info.Active)
                .Select(d => new PatchCentre(d.EpsfTag, d.PatchRow, d.PatchCol, 0.5 * (d.Base.X0 + d.Base.X1), 0.5 * (d.Base.Y0 + d.Base.Y1),
                    0.5 * (d.Base.X1 - d.Base.X0), 0.5 * (d.Base.Y1 - d.Base.Y0)))
                .ToList();
            var field = BandPsfField.Build(results, s, centres, manifest.Width, manifest.Height, m => log.Info($"[epsf {band}] {m}"));
            if (field is null)
                log.Warn($"[epsf {band}] no star of the band could be stacked; cells keep their own ePSFs (if any).");
            else
            {
                for (int i = 0; i < results.Count; i++)
                    if (field.Cells.TryGetValue(results[i].Input.Tag, out var fc)) results[i] = results[i].WithField(fc.Product, fc.Record);
                patchModels = field.Patches;
            }
        }
        for (int i = 0; i < cells.Count; i++)
        {
            var cell = cells[i];
            var result = results[i];
            results[i] = null!; // let the cell's stamps go once written
            if (!result.IsOk)
                log.Warn($"[epsf {band}] {cell.Tag}: no ePSF ({result.Error}); stars selected={result.Stars.Count}, " +
                         $"extracted={result.NStarsExtract}. The patch fitter will use the fallback PSF here.");
            string dir = ctx.Layout.EpsfCellDir(band, cell.Tag);
            // the cell's pictures describe the ePSF being replaced: EpsfDiagnostics draws them anew
            Diagnostics.EpsfCellPictures.Remove(dir);
            var written = EpsfCellWriter.Write(dir, result, s, Algorithm, ctx.Layout.EpsfPictureData(band, cell.Tag));
            var outputs = new List<string>();
            // The band model at each patch's centre, which the patch fits read instead of the cell's,
            // and on the patch's 3×3 grid of places, from which each source gets the model at its place.
            if (patchModels is not null && patchModels.TryGetValue(cell.Tag, out var pm))
                foreach (var (pr, pc, grid) in pm)
                {
                    var centre = grid[4];
                    int side = (int)Math.Round(Math.Sqrt(centre.Length));
                    string path = ctx.Layout.EpsfPatchNpy(band, cell.Tag, pr, pc);
                    Fits.Npy.Write(path, centre, side, side);
                    outputs.Add(path);
                    string gridPath = ctx.Layout.EpsfPatchGridNpy(band, cell.Tag, pr, pc);
                    Fits.Npy.Write(gridPath, PatchPsfGridFile.Stack(grid), grid.Length * side, side);
                    outputs.Add(gridPath);
                }
            foreach (var stale in Directory.EnumerateFiles(dir, "epsf_pr*_pc*.npy"))
                if (!outputs.Contains(stale)) File.Delete(stale); // a model from an earlier grid or mode must not be read
            outputs.AddRange(written);
            Stamp.Write(cell.Item.StampPath, cell.Key, outputs, ctx.Hasher);
            cellDone(result.IsOk);
        }
    }

    /// <summary>epsf_summary.json: every planned cell's meta.json (bands in image order, cells row-major),
    /// a band_fail record for a band whose worker raised.</summary>
    private static string WriteSummary(StageContext ctx, List<CellItem> all, IReadOnlyDictionary<string, string> bandFail, Logging.Log log)
    {
        var parts = new List<string>();
        int ok = 0, fail = 0;
        foreach (var band in all.Select(c => c.Band).Distinct())
        {
            if (bandFail.TryGetValue(band, out string? err))
            {
                parts.Add(new Psf.Stage.PyJson().Add("band", band).Add("status", "band_fail").Add("error", err).ToString());
                continue;
            }
            foreach (var c in all.Where(c => c.Band == band))
            {
                string meta = ctx.Layout.EpsfMeta(band, c.Tag);
                if (!File.Exists(meta)) continue;
                string text = File.ReadAllText(meta);
                parts.Add(text);
                if (EpsfCellMeta.ReadUsage(meta) is { Status: "ok" }) ok++; else fail++;
            }
        }
        var sb = new StringBuilder();
        if (parts.Count == 0) sb.Append("[]");
        else
        {
            sb.Append("[\n");
            for (int i = 0; i < parts.Count; i++)
            {
                // json.dumps(list, indent=2): each element is the object indented by 2 more spaces
                sb.Append("  ").Append(parts[i].Replace("\n", "\n  "));
                sb.Append(i < parts.Count - 1 ? ",\n" : "\n");
            }
            sb.Append(']');
        }
        string path = Path.Join(ctx.Layout.EpsfDir, "epsf_summary.json");
        IO.AtomicFile.WriteAllText(path, sb.ToString());
        log.Info($"Wrote summary: {path}");
        log.Info($"Total patches: {ok + fail}");
        log.Info($"OK: {ok} FAIL: {fail}");
        return path;
    }

    /// <summary>
    /// Active cells (docs/epsf.md §3): non-excluded rows of the state catalog with finite
    /// RA/DEC, projected with the first band's white-frame WCS.
    /// </summary>
    internal static SortedSet<string> ActiveCells(StageContext ctx, FramesManifest manifest, EpsfGrid grid)
    {
        var table = CatalogState.Load(ctx.Layout.CurrentCatalog(ctx.Config.Zp.Enabled));
        string? raCol = table.ColumnNames.FirstOrDefault(n => n.Equals("RA", StringComparison.OrdinalIgnoreCase));
        string? decCol = table.ColumnNames.FirstOrDefault(n => n.Equals("DEC", StringComparison.OrdinalIgnoreCase));
        if (raCol is null || decCol is null) return new SortedSet<string>(StringComparer.Ordinal);
        var ra = table.Numeric(raCol);
        var dec = table.Numeric(decCol);
        bool[] excluded = CatalogState.ExcludedAny(table);
        var wcs = manifest.WhiteWcs();
        var xs = new List<double>(); var ys = new List<double>();
        for (int i = 0; i < table.RowCount; i++)
        {
            if (excluded[i] || !double.IsFinite(ra[i]) || !double.IsFinite(dec[i])) continue;
            var (x, y) = wcs.SkyToPixel(ra[i], dec[i]);
            xs.Add(x); ys.Add(y);
        }
        return grid.ActiveCells(xs.ToArray(), ys.ToArray());
    }
}
