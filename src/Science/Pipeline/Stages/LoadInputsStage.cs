using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Config;
using Tract7dt.Science.Diagnostics;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Logging;
using Tract7dt.Science.State;
using Tract7dt.Science.Wcs;

namespace Tract7dt.Science.Pipeline.Stages;

/// <summary>
/// Stage 1, LoadInputs (docs/pipeline.md §3): validates the catalog and every
/// image header, checks shapes, WCS alignment and bands, builds the white stack in row chunks
/// straight from the FITS files, flags sources outside the crop box and near saturated
/// pixels (never dropping a row), and writes the state later stages read:
/// <c>state/frames.json</c>, <c>state/white.fits</c>, <c>state/catalog_flagged.csv</c>,
/// <c>state/saturated_pixels.bin</c>, plus the PNGs of
/// <c>cropped_images_dir</c>. One keyed item (<c>all</c>).
/// </summary>
/// <remarks>
/// Every check that can fail on user input runs before anything is written, so a bad input
/// gives one error and no output files.
/// </remarks>
public sealed class LoadInputsStage : IKeyedStage
{
    /// <summary>Algorithm version: bump when any output's numbers or layout change.</summary>
    public const string Algorithm = "LoadInputs/3";

    /// <summary>Id of the crop plots' item (<c>white_before_crop.png</c>, <c>white_after_crop.png</c>, <c>white_overlay.png</c>).</summary>
    public const string PicturesItemId = "pictures";

    private const string Component = "tract7dt.pipeline";

    /// <summary>
    /// What the stage does with the config, one record built once (its canonical form is the
    /// stage's key, <see cref="StageKeyBuilder.Settings"/>; the stage reads its values from it).
    /// Worker counts are not in it: they never change results.
    /// </summary>
    public sealed record Settings(Config.ImageScalingConfig ImageScaling, Config.ChecksConfig Checks, Config.CropConfig Crop,
        Config.SourceSaturationCutConfig SaturationCut)
    {
        public static Settings From(PipelineConfig c) => new(c.ImageScaling, c.Checks, c.Crop, c.SourceSaturationCut);
    }

    /// <summary>What the crop plots read from the config besides the numbers' settings (the crop
    /// section's display keys, which carry <c>[NotInKeys]</c> for the numbers, and the overlay's label).</summary>
    private sealed record PictureSettings(int PlotDpi, bool PlotPreCrop, int DisplayDownsample, int PostCropDisplayDownsample,
        bool OverlayCatalog, int OverlayDownsampleFull, Config.GalModel GalModel)
    {
        public static PictureSettings From(PipelineConfig c) => new(c.Plotting.Dpi, c.Crop.PlotPreCrop, c.Crop.DisplayDownsample,
            c.Crop.PostCropDisplayDownsample, c.Crop.OverlayCatalog, c.Crop.OverlayDownsampleFull, c.PatchRun.GalModel);
    }

    /// <summary>The config's locations the stage reads or writes (the files read are hashed as inputs too).</summary>
    private static readonly string[] LocationKeys =
        ["inputs.input_catalog", "inputs.image_list_file", "outputs.cropped_images_dir"];

    // A library module initializer is the registration hook PipelineStages documents (no shared file changes).
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() => PipelineStages.Register(StageId.LoadInputs, () => new LoadInputsStage());

    public StageId Id => StageId.LoadInputs;

    /// <summary>The stage's one stamp.</summary>
    public static string StampPath(WorkDirLayout layout) => layout.StampPath(StageId.LoadInputs, "all");

    public void Run(StageContext context) => KeyedStages.RunStale(this, context, Component);

    /// <summary>Two items: the numbers (<c>all</c>), keyed by the image list, every image's content, the
    /// catalog's content and its <see cref="Settings"/>; and the crop plots (<c>pictures</c>), keyed by
    /// <see cref="PictureSettings"/> and the numbers' key (the numbers are a function of their key), so a
    /// picture setting redraws the plots and rewrites none of the files the later stages read.</summary>
    public IReadOnlyList<StageItem> Plan(StageContext context)
    {
        var key = Key(context, ListImages(context.Config));
        var pictures = new StageKeyBuilder(Algorithm + "+pictures").Settings("pictures", PictureSettings.From(context.Config))
            .Value("numbers", key.Key);
        return [StageItem.From("all", key, StampPath(context.Layout)),
            StageItem.From(PicturesItemId, pictures, context.Layout.StampPath(StageId.LoadInputs, PicturesItemId))];
    }

    public void RunItems(StageContext context, IReadOnlyList<StageItem> items)
    {
        var pictures = items.FirstOrDefault(i => i.Id == PicturesItemId);
        List<string>? preCrop = null; // the pre-crop plot, when drawn from the numbers' own full-frame white
        if (items.Any(i => i.Id == "all"))
        {
            var cfg = context.Config;
            var images = ListImages(cfg);
            var key = Key(context, images);
            // both items stale (a first run): the pre-crop plot is drawn while the full-frame white is
            // in memory, rather than stacked again from the images by the picture item
            Action<float[], int, int, PixelBox>? drawPreCrop = pictures is not null && cfg.Crop.Enabled && cfg.Crop.PlotPreCrop
                ? (full, w0, h0, crop) => preCrop = DrawBeforeCrop(context, full, w0, h0, crop)
                : null;
            var outputs = Execute(context, images, drawPreCrop);
            Stamp.Write(StampPath(context.Layout), key, outputs, context.Hasher);
        }
        if (pictures is not null)
            Stamp.Write(pictures, DrawPictures(context, preCrop), context.Hasher);
    }

    /// <summary><c>white_before_crop.png</c> from the full-frame white; returns what was written (nothing on a failure, which is a warning).</summary>
    private static List<string> DrawBeforeCrop(StageContext context, float[] full, int width, int height, PixelBox crop)
    {
        var s = PictureSettings.From(context.Config);
        var layout = context.Layout;
        string path = Path.Join(layout.CroppedImagesDir, "white_before_crop.png");
        if (File.Exists(path)) File.Delete(path);
        Directory.CreateDirectory(layout.CroppedImagesDir);
        var outputs = new List<string>();
        TryPlot(context.Log(Component), outputs, path,
            p => LoadInputsPlots.BeforeCrop(p, full, width, height, crop, Math.Max(1, s.DisplayDownsample), s.PlotDpi));
        return outputs;
    }

    /// <summary>
    /// The crop plots, from the files the numbers wrote (the white stack, the frames manifest, the
    /// flagged catalogue) and the input catalogue's positions and types; the pre-crop white, which
    /// no file keeps (a full frame per tile), is stacked again from the images when it is asked for,
    /// unless <paramref name="preCropDrawn"/> says it was drawn in this run from the numbers' own.
    /// </summary>
    private static List<string> DrawPictures(StageContext context, List<string>? preCropDrawn)
    {
        var cfg = context.Config;
        var s = PictureSettings.From(cfg);
        var layout = context.Layout;
        var log = context.Log(Component);
        var outputs = new List<string>(preCropDrawn ?? []);
        foreach (string name in preCropDrawn is null
                     ? new[] { "white_before_crop.png", "white_after_crop.png", "white_overlay.png" }
                     : new[] { "white_after_crop.png", "white_overlay.png" })
        {
            string old = Path.Join(layout.CroppedImagesDir, name);
            if (File.Exists(old)) File.Delete(old);
        }
        var manifest = FramesManifest.Read(layout.FramesManifest);
        var crop = new PixelBox(manifest.CropX0, manifest.CropX1, manifest.CropY0, manifest.CropY1);
        int W = manifest.Width, H = manifest.Height;
        float[]? white = null;
        float[] White()
        {
            if (white is null)
                using (var f = FitsFile.Open(layout.WhiteFits)) white = f.ReadImage(0);
            return white;
        }
        Directory.CreateDirectory(layout.CroppedImagesDir);
        if (cfg.Crop.Enabled)
        {
            if (s.PlotPreCrop && preCropDrawn is null)
            {
                var bands = manifest.Frames.Select(f => new WhiteStackBand(f.Band, f.Path, f.Calibration)).ToList();
                int workers = WorkerCounts.ResolveWhiteStackWorkers(cfg.Performance.WhiteStackWorkers, manifest.FullHeight, context.CpuCount);
                var stack = WhiteStackBuilder.Build(bands, manifest.FullWidth, manifest.FullHeight, crop, workers, context.Cancellation, (_, _) => { });
                outputs.AddRange(DrawBeforeCrop(context, stack.White, manifest.FullWidth, manifest.FullHeight, crop));
            }
            TryPlot(log, outputs, Path.Join(layout.CroppedImagesDir, "white_after_crop.png"),
                p => LoadInputsPlots.AfterCrop(p, White(), W, H, s.PostCropDisplayDownsample, s.PlotDpi));
        }
        if (s.OverlayCatalog)
        {
            var catalog = InputCatalog.Read(cfg.Inputs.InputCatalog, []);
            var flagged = SourceTableCsv.Read(layout.FlaggedCatalog, "Flagged catalog");
            int n = catalog.Count;
            var x = new double[n];
            var y = new double[n];
            var whiteWcs = manifest.WhiteWcs();
            whiteWcs.SkyToPixel(catalog.Ra, catalog.Dec, x, y);
            var classes = Enumerable.Range(0, n).Select(i => LoadInputsPlots.Classify(catalog.TypeText(i))).ToArray();
            string path = Path.Join(layout.CroppedImagesDir, "white_overlay.png");
            LoadInputsPlots.Overlay(path, White(), W, H, s.OverlayDownsampleFull, s.PlotDpi, x, y, classes,
                CatalogState.Flag(flagged, "excluded_crop"), CatalogState.Flag(flagged, "excluded_saturation"),
                s.GalModel.ToString().ToUpperInvariant(), whiteWcs);
            outputs.Add(path);
        }
        return outputs;
    }

    private static StageKeyBuilder Key(StageContext context, IReadOnlyList<string> images)
    {
        var cfg = context.Config;
        var key = new StageKeyBuilder(Algorithm);
        key.Settings("load_inputs", Settings.From(cfg));
        foreach (string k in LocationKeys) key.Config(k, cfg.Canonical(k));
        key.Input("image_list", context.Hasher.HashFile(cfg.Inputs.ImageListFile));
        key.Input("input_catalog", HashOrThrow(context, cfg.Inputs.InputCatalog, "Input catalog"));
        for (int i = 0; i < images.Count; i++)
            key.Input("image[" + i.ToString(CultureInfo.InvariantCulture) + "] " + images[i], context.Hasher.HashFile(images[i]));
        return key;
    }

    private static string HashOrThrow(StageContext context, string path, string what)
    {
        if (!File.Exists(path))
            throw new Tract7dtException(ErrorCodes.CatalogNotFound,
                $"{what} not found: {path}. Check inputs.input_catalog in the config (relative paths are taken from the config file's folder).");
        return context.Hasher.HashFile(path);
    }

    /// <summary>The image list's paths, each checked to exist (one clear error naming the list and the path).</summary>
    private static IReadOnlyList<string> ListImages(PipelineConfig cfg)
    {
        var paths = ImageList.ReadWithLines(cfg.Inputs.ImageListFile, cfg.ConfigDir);
        foreach (var (p, line) in paths)
            if (!File.Exists(p))
                throw new Tract7dtException(ErrorCodes.ImageNotFound,
                    $"Image not found: {p} (line {line} of {cfg.Inputs.ImageListFile}; relative paths are taken from the config file's folder " +
                    $"{cfg.ConfigDir}). Fix the path or remove the line.").At(cfg.Inputs.ImageListFile, line);
        return paths.Select(e => e.Path).ToList();
    }

    /// <summary>One validated image (before de-duplication by FILTER).</summary>
    private sealed record LoadedFrame(string Path, FrameHeaderValues Header, int Width, int Height, TanWcs Wcs);

    /// <summary>Runs the stage; returns the output files (for the stamp).</summary>
    /// <param name="preCropWhite">Handed the full-frame white stack before it is released (with the crop on).</param>
    private static List<string> Execute(StageContext context, IReadOnlyList<string> images, Action<float[], int, int, PixelBox>? preCropWhite)
    {
        var cfg = context.Config;
        var settings = Settings.From(cfg);
        var layout = context.Layout;
        var log = context.Log(Component);
        var total = Stopwatch.StartNew();

        // ---- 1.2 catalog -------------------------------------------------------------------
        var catWarnings = new List<string>();
        var catalog = InputCatalog.Read(cfg.Inputs.InputCatalog, catWarnings);
        foreach (var w in catWarnings) log.Warn(w);
        log.Info($"Input catalog: {cfg.Inputs.InputCatalog} ({catalog.Count} rows)");
        if (catalog.Count == 0)
            throw new Tract7dtException(ErrorCodes.NoSourceToMeasure,
                $"Nothing to measure: the input catalog {cfg.Inputs.InputCatalog} has a header but no rows. " +
                "Give a catalogue of the sources on these images (inputs.input_catalog).");
        if (cfg.Inputs.GaiaxpSynphotCsv is { } gx) log.Info($"GaiaXP synphot CSV: {gx}");

        // ---- 1.4 per-frame header validation (parallel; no pixels read) ---------------------
        var sw = Stopwatch.StartNew();
        int prepWorkers = WorkerCounts.ResolveFramePrepWorkers(cfg.Performance.FramePrepWorkers, images.Count, context.CpuCount);
        var loaded = new LoadedFrame[images.Count];
        var errors = new Exception?[images.Count];
        Parallel.For(0, images.Count, new ParallelOptions { MaxDegreeOfParallelism = prepWorkers, CancellationToken = context.Cancellation }, i =>
        {
            try { loaded[i] = LoadFrame(images[i]); }
            catch (Tract7dtException e) { errors[i] = e.At(images[i]); } // shown at the FITS file
            catch (Exception e) { errors[i] = e; }
        });
        // The first failing image in list order decides the error, whatever the thread timing.
        foreach (var e in errors)
            if (e is not null) throw e is Tract7dtException ? e : new Tract7dtException(ErrorCodes.FitsBadHeader, e.Message, e);

        // ---- 1.5 assemble bands in image-list order; shape and WCS checks ---------------------
        var first = loaded[0];
        var tolerance = new WcsTolerance(settings.Checks.WcsTolerance.Crval, settings.Checks.WcsTolerance.Crpix,
            settings.Checks.WcsTolerance.Cd, settings.Checks.WcsTolerance.Cdelt);
        var bandOrder = new List<string>();
        var byBand = new Dictionary<string, LoadedFrame>(StringComparer.Ordinal);
        foreach (var f in loaded)
        {
            foreach (var w in f.Header.Warnings) log.Warn(w);
            if (settings.Checks.RequireSameShape && (f.Width != first.Width || f.Height != first.Height))
                throw new Tract7dtException(ErrorCodes.ImageShapeMismatch,
                    $"Image shape mismatch: {f.Path} has ({f.Height}, {f.Width}), expected ({first.Height}, {first.Width}) " +
                    $"as in the first image {first.Path}. All bands must be resampled onto one pixel grid " +
                    "(or set checks.require_same_shape: false, which fails later if the shapes really differ).");
            if (settings.Checks.RequireWcsAlignment && !ReferenceEquals(f, first)
                && WcsAlignment.Compare(first.Wcs, f.Wcs, tolerance) is not null)
            {
                log.Error($"[CHECK] WCS alignment FAILED for {f.Path}");
                WcsAlignment.Require(first.Wcs, f.Wcs, tolerance, f.Path, first.Path);
            }
            // A repeated FILTER: the original silently measured the band on the later image.
            if (byBand.TryGetValue(f.Header.Band, out var other))
                throw new Tract7dtException(ErrorCodes.DuplicateFilter,
                    $"Two images have FILTER = '{f.Header.Band}': {other.Path} and {f.Path}. Each band is one image: " +
                    "remove one from the image list (or correct its FILTER keyword).");
            bandOrder.Add(f.Header.Band);
            byBand[f.Header.Band] = f;
        }
        // Without the shape check, unequal shapes cannot be stacked: say so instead of failing later.
        foreach (var f in byBand.Values)
            if (f.Width != byBand[bandOrder[0]].Width || f.Height != byBand[bandOrder[0]].Height)
                throw new Tract7dtException(ErrorCodes.ImageShapeMismatch,
                    $"Image shape mismatch: {f.Path} has ({f.Height}, {f.Width}), but {byBand[bandOrder[0]].Path} has " +
                    $"({byBand[bandOrder[0]].Height}, {byBand[bandOrder[0]].Width}); the white stack needs one pixel grid. Resample the images.");
        log.Info($"Finished per-frame preparation for {bandOrder.Count} filters.");
        if (settings.Checks.RequireWcsAlignment) log.Info("[CHECK] WCS alignment PASSED for all images.");
        double tPrep = sw.Elapsed.TotalSeconds;

        // ---- 1.6 band consistency ---------------------------------------------------------------
        if (catalog.FluxBands.Count > 0)
        {
            catalog.CheckBands(bandOrder, byBand.ToDictionary(kv => kv.Key, kv => kv.Value.Path, StringComparer.Ordinal));
            log.Info("[CHECK] Input catalog bands match image FILTERs.");
        }

        var bands = bandOrder.Select(b => byBand[b]).ToList();
        var refFrame = bands[0];
        int W0 = refFrame.Width, H0 = refFrame.Height;

        // ---- 1.8 (validation part) crop box ------------------------------------------------------
        var crop = new PixelBox(0, W0, 0, H0);
        if (settings.Crop.Enabled)
        {
            int m = settings.Crop.Margin;
            crop = PixelBox.Crop(W0, H0, m);
            if (crop.IsEmpty)
                throw new Tract7dtException(ErrorCodes.InvalidCropRegion,
                    $"Invalid crop region: white shape=({H0}, {W0}) margin={m}. crop.margin must be less than half the " +
                    $"smaller image side ({Math.Min(W0, H0) / 2}); lower it or set crop.enabled: false.");
        }

        // Everything that can fail on user input has been checked: from here on we write.
        // ---- 1.7 white stack (row chunks, straight from the files) -----------------------------
        sw.Restart();
        int whiteWorkers = WorkerCounts.ResolveWhiteStackWorkers(cfg.Performance.WhiteStackWorkers, H0, context.CpuCount);
        double zpRef = settings.ImageScaling.ZpRef;
        var calib = bands.Select(f => new FrameCalibration(f.Header.SkySigAdu, f.Header.EGain,
            f.Header.Saturate ?? double.PositiveInfinity, FrameCalibration.ScaleFor(f.Header.ZpAuto, zpRef))).ToList();
        var stackBands = bands.Select((f, i) => new WhiteStackBand(f.Header.Band, f.Path, calib[i])).ToList();
        WhiteStackResult stack;
        using (var progress = context.Progress(Component, TimeSpan.FromSeconds(10)))
            stack = WhiteStackBuilder.Build(stackBands, W0, H0, crop, whiteWorkers, context.Cancellation,
                (done, n) => progress.Report($"white stack {ProgressText.Bar(done, n)} {done}/{n} chunks", done == n));
        // A blank band (all NaN) or a zeroed one has nothing to measure: every "flux" it gave was
        // a prior or 0, and its zero point came from noise. Stop before anything is written.
        for (int b = 0; b < bands.Count; b++)
            if (stack.Signal[b].IsEmpty)
                throw new Tract7dtException(ErrorCodes.BandWithoutSignal, stack.Signal[b].Finite == 0
                    ? $"{bands[b].Path} (band {bands[b].Header.Band}) has no finite pixel{(settings.Crop.Enabled ? " inside the crop box" : "")}: nothing can be measured in it. Remove it from the image list."
                    : string.Create(CultureInfo.InvariantCulture,
                        $"{bands[b].Path} (band {bands[b].Header.Band}) holds the value {stack.Signal[b].Min:G6} in every finite pixel{(settings.Crop.Enabled ? " of the crop box" : "")}: no signal to measure. Remove it from the image list."));
        log.Info($"White made: ({H0}, {W0})");
        double tWhite = sw.Elapsed.TotalSeconds;

        // ---- 1.8 crop flags ---------------------------------------------------------------------------
        sw.Restart();
        int n = catalog.Count;
        var xFull = new double[n];
        var yFull = new double[n];
        refFrame.Wcs.SkyToPixel(catalog.Ra, catalog.Dec, xFull, yFull);
        var excludedCrop = settings.Crop.Enabled ? SourceFlagging.OutsideBox(xFull, yFull, crop) : new bool[n];
        var offImage = SourceFlagging.OutsideBox(xFull, yFull, new PixelBox(0, W0, 0, H0));
        // before anything is written: a catalogue with nothing on the images is one error here
        RequireSourcesToMeasure(cfg, log, n, excludedCrop, offImage, excludedCrop, new bool[n], warn: false);
        var outputs = new List<string>();
        if (settings.Crop.Enabled)
        {
            log.Info($"Crop box (x0, x1, y0, y1) = {crop}");
            log.Info($"input_catalog: flagged {excludedCrop.Count(b => b)}/{n} sources as excluded_crop");
            preCropWhite?.Invoke(stack.White, W0, H0, crop);
        }
        float[] white = stack.CropOf(stack.White);
        float[] sigmaWhite = stack.CropOf(stack.Sigma);
        int W = crop.Width, H = crop.Height;
        if (settings.Crop.Enabled)
        {
            log.Info($"White after crop: ({H}, {W}); {bands[0].Header.Band} after crop: ({H}, {W})");
        }
        double tCrop = settings.Crop.Enabled ? sw.Elapsed.TotalSeconds : 0;
        stack = stack with { White = [], Sigma = [] }; // release the full-frame arrays

        // ---- 1.9 saturation flags (cropped frame) -------------------------------------------------
        sw.Restart();
        var whiteWcs = refFrame.Wcs.Shift(crop.X0, crop.Y0);
        var x = new double[n];
        var y = new double[n];
        whiteWcs.SkyToPixel(catalog.Ra, catalog.Dec, x, y);
        var excludedSat = new bool[n];
        var saturated = stack.Saturated.Select(s => new SaturatedPixels(W, H, s)).ToList();
        var satCfg = settings.SaturationCut;
        if (satCfg.Enabled)
        {
            var disk = SaturationFlags.DiskOffsets(satCfg.RadiusPix);
            excludedSat = SaturationFlags.Flag(saturated, x, y, disk, satCfg.RequireAllBands);
            log.Info($"Saturation-cut ({(satCfg.RequireAllBands ? "all-bands" : "any-band")}): flagged " +
                     $"{excludedSat.Count(b => b)}/{n} sources within radius_pix={FloatText.Repr(satCfg.RadiusPix)}");
        }
        double tSat = satCfg.Enabled ? sw.Elapsed.TotalSeconds : 0;
        var excludedAny = new bool[n];
        for (int i = 0; i < n; i++) excludedAny[i] = excludedCrop[i] || excludedSat[i];
        log.Info($"Active (non-excluded) sources: {excludedAny.Count(b => !b)}/{n}");
        RequireSourcesToMeasure(cfg, log, n, excludedAny, offImage, excludedCrop, excludedSat, warn: true);

        // ---- state files ------------------------------------------------------------------------------
        var table = catalog.Table;
        table.Set(new BoolColumn("excluded_crop", excludedCrop));
        table.Set(new BoolColumn("excluded_saturation", excludedSat));
        table.Set(new BoolColumn("excluded_any", excludedAny));
        SourceTableCsv.Write(table, layout.FlaggedCatalog);
        outputs.Add(layout.FlaggedCatalog);

        WriteWhite(layout.WhiteFits, white, sigmaWhite, W, H, whiteWcs, bands, crop);
        outputs.Add(layout.WhiteFits);

        SaturatedPixelsFile.Write(layout.SaturatedPixels, W, H, bandOrder, stack.Saturated);
        outputs.Add(layout.SaturatedPixels);

        var manifest = new FramesManifest
        {
            ZpRef = zpRef,
            FullWidth = W0,
            FullHeight = H0,
            CropX0 = crop.X0, CropX1 = crop.X1, CropY0 = crop.Y0, CropY1 = crop.Y1,
            Frames = bands.Select((f, i) => new FrameEntry
            {
                Band = f.Header.Band,
                Path = f.Path,
                ContentHash = context.Hasher.HashFile(f.Path),
                Width = f.Width,
                Height = f.Height,
                ZpAuto = f.Header.ZpAuto,
                SkySig = f.Header.SkySigAdu,
                EGain = f.Header.EGain,
                Saturate = f.Header.Saturate,
                Scale = calib[i].Scale,
                PeeingPix = f.Header.PeeingPix,
                SeeingArcsec = f.Header.SeeingArcsec,
            }).ToList(),
        };
        manifest.Write(layout.FramesManifest);
        outputs.Add(layout.FramesManifest);

        // The current-catalogue pointer (state/catalog_state.json) is AugmentGaia's alone: it
        // reruns whenever the flagged catalogue changes and rewrites it, and without zp.enabled
        // nothing reads it (WorkDirLayout.CurrentCatalog). Resetting it here made every rebuild
        // of this stage rerun AugmentGaia ("output changed: catalog_state.json").

        // ---- 1.11 overlay: the stage's picture item (DrawPictures) ----------------------------------------

        string F(double s) => s.ToString("F2", CultureInfo.InvariantCulture);
        log.Info($"load_inputs timing [s]: prep={F(tPrep)} white={F(tWhite)} crop={F(tCrop)} sat={F(tSat)} " +
                 $"total={F(total.Elapsed.TotalSeconds)}");
        return outputs;
    }

    /// <summary>Reads and validates one image's primary header (no pixels).</summary>
    /// <summary>
    /// Stops a run with nothing to measure at the stage that knows why (an empty catalogue, every
    /// source off the images or excluded), instead of a later stage's missing-file error. With
    /// the zero point on, GaiaXP stars may still be added and fitted: then a warning.
    /// </summary>
    /// <param name="warn">Whether this call gives the warning (the last check of the stage does).</param>
    private static void RequireSourcesToMeasure(PipelineConfig cfg, Log log, int n, bool[] excludedAny, bool[] offImage,
        bool[] excludedCrop, bool[] excludedSat, bool warn)
    {
        int usable = 0;
        for (int i = 0; i < n; i++) if (!excludedAny[i] && !offImage[i]) usable++;
        if (usable > 0) return;
        string cat = cfg.Inputs.InputCatalog;
        string why = n == 0
            ? $"the input catalog {cat} has no rows"
            : $"none of the {n} rows of the input catalog {cat} is on the images and not excluded " +
              $"({offImage.Count(b => b)} fall outside the images, {excludedCrop.Count(b => b)} outside the crop box, " +
              $"{excludedSat.Count(b => b)} excluded by the saturation cut)";
        // (zp.enabled and the GaiaXP file decide only between this error and a warning: no output
        // depends on them, so they are not in the stage's key, and toggling the zero point does not
        // rebuild the white stack)
        if (n > 0 && cfg.Zp.Enabled && cfg.Inputs.GaiaxpSynphotCsv is not null)
        {
            if (warn)
                log.Warn($"{why}; only GaiaXP stars added for the zero point will be fitted. Check the catalog's RA/DEC " +
                         "against the images' WCS if that is not what you meant.");
            return;
        }
        throw new Tract7dtException(ErrorCodes.NoSourceToMeasure,
            $"Nothing to measure: {why}. Check that the catalog's RA/DEC (degrees) fall on the images (their WCS) " +
            "and that crop.margin and the saturation cut leave some sources.");
    }

    private static LoadedFrame LoadFrame(string path)
    {
        using var f = FitsFile.Open(path);
        var hdu = f.GetHdu(0);
        if (!hdu.HasImage || hdu.Axes.Count != 2)
            throw new Tract7dtException(ErrorCodes.ImageNot2D,
                $"{path}: the primary HDU holds no 2-D image (NAXIS = {hdu.Axes.Count}). tract7dt reads the primary HDU only; " +
                "store the image there (tile-compressed .fits.fz files must be uncompressed first).");
        // every data byte present (a wrong NAXISn or a cut copy is caught here, before any pixel is read)
        f.GetImageHdu(0);
        if ((long)hdu.Width * hdu.Height > Array.MaxLength)
            throw new Tract7dtException(ErrorCodes.ImageTooLarge,
                $"{path}: the image is {hdu.Width}×{hdu.Height} pixels, more than one array can hold ({Array.MaxLength}). " +
                "Check NAXIS1 and NAXIS2, or cut the image into tiles.");
        var header = FrameHeader.Validate(hdu.Header, path);
        var wcs = TanWcs.FromHeader(hdu.Header, path);
        return new LoadedFrame(Path.GetFullPath(path), header, hdu.Width, hdu.Height, wcs);
    }

    /// <summary>white.fits: the post-crop white (primary) and its noise map (extension SIGMA), with the white frame's WCS.</summary>
    private static void WriteWhite(string path, float[] white, float[] sigma, int w, int h, TanWcs wcs,
        IReadOnlyList<LoadedFrame> bands, PixelBox crop)
    {
        var header = new FitsHeader();
        wcs.WriteTo(header);
        header.Set("BUNIT", "scaled flux", "flux in the zp_ref system");
        header.Set("T7DALGO", Algorithm, "tract7dt stage and algorithm version");
        header.Set("NBANDS", bands.Count, "bands stacked");
        header.Set("CROPX0", crop.X0, "crop box x0 in the full frame (0-based)");
        header.Set("CROPY0", crop.Y0, "crop box y0 in the full frame (0-based)");
        using var writer = FitsWriter.Create(path);
        writer.WriteImage(white, w, h, header);
        var sh = new FitsHeader();
        wcs.WriteTo(sh);
        sh.Set("EXTNAME", "SIGMA");
        sh.Set("BUNIT", "scaled flux", "sqrt(1 / sum of inverse variances)");
        writer.WriteImage(sigma, w, h, sh);
        writer.Commit();
    }

    /// <summary>Pre/post-crop plots: a failure is a warning, never an abort (docs/pipeline.md §3.6).</summary>
    private static void TryPlot(Log log, List<string> outputs, string path, Action<string> plot)
    {
        try
        {
            plot(path);
            outputs.Add(path);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.Warn($"Could not write {path}: {e.Message}");
        }
    }
}
