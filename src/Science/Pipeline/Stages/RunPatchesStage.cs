using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Fitting.Patch;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Patches;

namespace Tract7dt.Science.Pipeline.Stages;

/// <summary>One patch's outcome in <c>run_summary.csv</c> (docs/outputs.md §9.1, plus <c>error</c>).</summary>
/// <param name="Status"><c>ok</c>, <c>fail</c>, or <c>skipped</c> (up to date: its stamp matches the current key).</param>
/// <param name="ReturnCode">0 for ok/skipped, 1 for a failed fit.</param>
/// <param name="Seconds">Wall time of the fit (0 when skipped); the one non-deterministic field.</param>
public sealed record PatchRunRecord(string Patch, string Status, int ReturnCode, double Seconds, string RunnerLog, string Error);

/// <summary>
/// Stage 5 (docs/pipeline.md §8, docs/fitting.md): fits every patch payload of the current patch list on
/// a local worker pool of <c>patch_run.max_workers</c> threads. One item per patch, keyed
/// by the payload's content, the ePSF files (and star counts) of its cell's bands, and the
/// settings records the fit reads (<see cref="PatchFitSettings"/>, <see cref="PsfSettings"/>):
/// changing <c>patch_run.n_opt_iters</c> refits every patch; changing <c>zp.clip_sigma</c>, a
/// worker count or a picture's setting (<c>plotting.dpi</c>, <c>patch_run.no_cutouts</c>) none.
/// The item <see cref="SummaryItem"/> writes <c>run_summary.csv</c> whenever a fit ran.
/// A failing patch is logged, counted and listed in <c>run_summary.csv</c>; the others go on.
/// </summary>
public sealed partial class RunPatchesStage : IKeyedStage
{
    /// <summary>Bump when a fit's numbers or files would change.</summary>
    /// <remarks>History: 2 = per-source max-step cap with fallback to the reference rule, and
    /// the one-pass banded LSQR (different rounding); 3 = saturation-excluded stars in the ROI
    /// modelled as fixed-position nuisance point sources; 4 = per-source opt_converged and the
    /// patch-wide opt_converged_patch; 9 = point sources of an undersampled band moved with the
    /// ePSF's pixel-integrated core model (PixelCoreMixture), and of an oversampled ePSF on its own
    /// grid; 10 = the PSF-over-aperture check takes the aperture's sky from an annulus around it;
    /// 11 = a source has settled when its last step moved each parameter by < 0.1 of its covariance-aware σ;
    /// 12 = each Sérsic index starts at the best rung of a coarse ladder (SersicIndexStart), and the
    /// optimizer loop stops once every source has settled (patch_run.stop_when_settled);
    /// 13 = the index scan keeps one residual for the patch (rounding of its sums only);
    /// 14 = a Gaussian prior on each galaxy's soft ellipticity (patch_run.ellipticity_prior_sigma), and the
    /// optional relative max step of a Sérsic index (patch_run.sersic_n_max_step_frac, off by default);
    /// 15 = Gaussian priors on each Sérsic index (centred on its start, patch_run.sersic_n_prior_sigma) and on
    /// ln r_e of each galaxy whose catalogue gives its size (centred on it, patch_run.size_prior_sigma);
    /// 16 = each source's position held within patch_run.max_shift_pix of the catalogue's, and each galaxy's r_e
    /// below patch_run.max_size_factor times its start;
    /// 17 = a galaxy whose size ends on that bound is refitted with its shape held at its start (column fit_shape_held);
    /// 18 = light the starting model does not hold, away from every source, is masked before the fit
    /// (patch_run.mask_unmodelled_light, UnmodelledLight); 19 = meta.json records the masked pixels per band;
    /// bump whenever a fit's numbers change.</remarks>
    public const string Algorithm = "RunPatches/19";

    private const string Component = "tract7dt.run_patches";

    private List<StageItem> _planned = [];

    [ModuleInitializer]
    internal static void Register() => PipelineStages.Register(StageId.RunPatches, () => new RunPatchesStage());

    public StageId Id => StageId.RunPatches;

    public void Run(StageContext context) => KeyedStages.RunStale(this, context, Component);

    /// <summary>The tags of the current patch list that have a payload, in patch order.</summary>
    public static IReadOnlyList<string> PatchTags(StageContext context)
    {
        var layout = context.Layout;
        if (!Directory.Exists(layout.PatchInputsDir))
            throw new Tract7dtException(ErrorCodes.PayloadDirMissing,
                $"Missing patch input dir {layout.PatchInputsDir}: run 'tract7dt build-patch-inputs' (or 'run') first.");
        var listed = PayloadList.TryRead(layout.PayloadList);
        if (listed is not null) return listed;
        // No list (payloads from an older build): the current patches.json decides which payloads count.
        return PatchList.Read(layout.PatchesJson).Select(p => p.PatchTag)
            .Where(t => File.Exists(PatchPayload.FitsPath(layout.PatchInputsDir, t))).ToList();
    }

    /// <summary>Id of the item that writes <c>run_summary.csv</c> (built with any fit).</summary>
    public const string SummaryItem = "run_summary";

    public IReadOnlyList<StageItem> Plan(StageContext context)
    {
        _planned = PatchTags(context).Select(t => PlanOne(context, t).Item).ToList();
        return [.. _planned, StageItem.From(SummaryItem, SummaryKey(_planned), SummaryStampPath(context.Layout), followsItems: true)];
    }

    /// <summary>The summary lists every current patch: its key is the list of fit keys.</summary>
    private static StageKeyBuilder SummaryKey(IReadOnlyList<StageItem> fits)
    {
        var key = new StageKeyBuilder(Algorithm + "+summary");
        foreach (var f in fits) key.Value("fit " + f.Id, f.Key);
        return key;
    }

    private static string SummaryStampPath(WorkDirLayout layout) => layout.StampPath(StageId.RunPatches, SummaryItem);

    /// <summary>The content key of one patch fit.</summary>
    public static (StageItem Item, StageKeyBuilder Key) PlanOne(StageContext context, string tag)
    {
        var layout = context.Layout;
        var cfg = context.Config;
        var settings = Settings(context);
        var key = new StageKeyBuilder(Algorithm).Settings("fit", settings.Fit).Settings("psf", settings.Psf);
        string fits = PatchPayload.FitsPath(layout.PatchInputsDir, tag);
        string csv = PatchPayload.CsvPathFor(fits);
        key.Input("payload", File.Exists(fits) ? context.Hasher.HashFile(fits) : "absent");
        key.Input("payload.sources", File.Exists(csv) ? context.Hasher.HashFile(csv) : "absent");
        if (File.Exists(fits))
        {
            try
            {
                var (def, bands) = PayloadBands(fits);
                foreach (var b in bands)
                {
                    string npy = layout.EpsfNpyForPatch(b, def);
                    key.Input($"epsf.{b}", File.Exists(npy) ? context.Hasher.HashFile(npy) : "absent");
                    string? grid = layout.EpsfGridForPatch(b, def);
                    key.Input($"epsf.{b}.grid", grid is null ? "absent" : context.Hasher.HashFile(grid));
                    key.Value($"epsf.{b}.nstars_used", File.Exists(npy) ? NstarsText(layout.EpsfMeta(b, def.EpsfTag)) : "n/a");
                }
            }
            catch (Tract7dtException)
            {
                key.Value("payload.state", "unreadable"); // the fit will fail and say why
            }
        }
        return (new StageItem(tag, key.Key, key.Manifest, StampPath(layout, tag)), key);
    }

    public void RunItems(StageContext context, IReadOnlyList<StageItem> items)
    {
        var log = context.Log(Component);
        var layout = context.Layout;
        var cfg = context.Config;
        if (_planned.Count == 0 && items.Count > 0) Plan(context);
        (var summary, items) = KeyedStages.TakeSummary(items, SummaryItem);
        Directory.CreateDirectory(layout.TractorOutDir);
        int workers = Math.Max(1, cfg.PatchRun.MaxWorkers);
        log.Info(string.Create(CultureInfo.InvariantCulture, $"Found inputs: {_planned.Count} | to run: {items.Count} | max_workers={workers}"));

        var results = new PatchRunRecord?[items.Count];
        if (cfg.Cluster.Executor == Config.ClusterExecutor.Slurm && items.Count > 0)
            RunOnSlurm(context, items).CopyTo(results, 0);
        else
            RunOnPool(context, items, workers, results);
        context.Cancellation.ThrowIfCancellationRequested();

        // The summary covers the whole current patch list, in patch order (not completion order,
        // so the file does not depend on scheduling apart from the timings).
        var byId = new Dictionary<string, PatchRunRecord>(StringComparer.Ordinal);
        for (int i = 0; i < items.Count; i++) byId[items[i].Id] = results[i]!;
        // an up-to-date patch keeps the fit time it took when it was made (a no-op rerun must not
        // turn every time into 0)
        var madeIn = PreviousSeconds(layout.RunSummaryCsv);
        var rows = _planned.Select(p => byId.TryGetValue(p.Id, out var r) ? r
            : new PatchRunRecord(p.Id, "skipped", 0, madeIn.GetValueOrDefault(p.Id), RunnerLogPath(layout, p.Id), "")).ToList();
        if (summary is not null)
        {
            WriteSummary(layout.RunSummaryCsv, rows);
            Stamp.Write(summary, [layout.RunSummaryCsv], context.Hasher);
        }
        int nFail = rows.Count(r => r.Status == "fail");
        log.Info(string.Create(CultureInfo.InvariantCulture,
            $"DONE. total: {items.Count} ok: {rows.Count(r => r.Status == "ok")} fail: {nFail} (up to date: {rows.Count(r => r.Status == "skipped")})"));
        log.Info($"Wrote: {layout.RunSummaryCsv}");
        if (nFail > 0)
        {
            log.Warn("First few failures:");
            foreach (var r in rows.Where(r => r.Status == "fail").Take(10))
                log.Warn(string.Create(CultureInfo.InvariantCulture, $"patch={r.Patch} rc={r.ReturnCode} log={r.RunnerLog} error={r.Error}"));
        }
    }

    /// <summary>The local worker pool: <paramref name="workers"/> threads fit the items in order.</summary>
    private static void RunOnPool(StageContext context, IReadOnlyList<StageItem> items, int workers, PatchRunRecord?[] results)
    {
        int done = 0, ok = 0, fail = 0;
        var queue = new ConcurrentQueue<int>(Enumerable.Range(0, items.Count));
        using var signal = new SemaphoreSlim(0);
        var clock = Stopwatch.StartNew();
        var threads = new List<Thread>();
        Exception? fatal = null;
        for (int w = 0; w < Math.Min(workers, items.Count); w++)
        {
            var t = new Thread(() =>
            {
                while (!context.Cancellation.IsCancellationRequested && queue.TryDequeue(out int i))
                {
                    PatchRunRecord r;
                    try
                    {
                        r = FitItem(context, items[i].Id, force: true);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                    catch (Exception e)
                    {
                        // FitItem records a failing fit itself; what escapes it is the file system
                        // failing under it (a full disk while it writes the failure) or a defect.
                        // An exception leaving a thread would end the process: keep the first and
                        // rethrow it on the caller's thread once the workers are done.
                        Interlocked.CompareExchange(ref fatal, e, null);
                        r = new PatchRunRecord(items[i].Id, "fail", 1, 0, RunnerLogPath(context.Layout, items[i].Id),
                            $"{e.GetType().Name}: {e.Message}");
                    }
                    results[i] = r;
                    if (r.Status == "ok") Interlocked.Increment(ref ok); else Interlocked.Increment(ref fail);
                    Interlocked.Increment(ref done);
                    signal.Release();
                }
            }, 16 << 20) { IsBackground = true, Name = $"patch-worker-{w + 1}" };
            threads.Add(t);
        }
        using (var progress = context.Progress(Component, TimeSpan.FromSeconds(15)))
        {
            int n = items.Count;
            string Msg()
            {
                int d = Volatile.Read(ref done);
                double rate = d / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                return string.Create(CultureInfo.InvariantCulture,
                    $"Run patches [{ProgressText.Bar(d, n)}] {d}/{n} ok={Volatile.Read(ref ok)} skipped=0 fail={Volatile.Read(ref fail)} running={Math.Min(Math.Min(workers, n), n - d)} rate={ProgressText.Rate(d == 0 ? 0 : rate)} eta={ProgressText.Eta(n - d, d == 0 ? 0 : rate)}");
            }
            progress.Report(Msg(), force: true);
            foreach (var t in threads) t.Start();
            int seen = 0;
            while (Volatile.Read(ref done) < n && threads.Any(t => t.IsAlive))
            {
                bool completed = signal.Wait(1000);
                int d = Volatile.Read(ref done);
                progress.Report(Msg(), force: completed && d != seen);
                seen = d;
            }
            foreach (var t in threads) t.Join();
            if (Volatile.Read(ref done) != seen) progress.Report(Msg(), force: true);
        }
        if (fatal is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(fatal).Throw();
    }

    /// <summary>
    /// Fits one patch of the current patch list (the entry point of a cluster array task):
    /// skips it when its stamp is up to date (unless <paramref name="force"/>), otherwise
    /// fits it and writes its outputs and stamp. Never throws for a failing fit: the
    /// failure is in the record, the patch log and <c>&lt;tag&gt;.runner.log</c>.
    /// </summary>
    public static PatchRunRecord FitOne(StageContext context, string patchTag, bool force = false)
    {
        if (!PatchTags(context).Contains(patchTag, StringComparer.Ordinal))
            throw new Tract7dtException(ErrorCodes.PatchNotPlanned,
                $"Patch '{patchTag}' is not in the current patch list ({context.Layout.PayloadList}); run 'tract7dt build-patch-inputs' or pick a listed patch.");
        return FitItem(context, patchTag, force);
    }

    private static PatchRunRecord FitItem(StageContext context, string tag, bool force)
    {
        var layout = context.Layout;
        var (item, key) = PlanOne(context, tag);
        string runnerLog = RunnerLogPath(layout, tag);
        if (!force && Stamp.IsUpToDate(item.StampPath, item.Key, context.Hasher, out _))
            return new PatchRunRecord(tag, "skipped", 0, 0, runnerLog, "");

        // One writer per patch folder: clear what an earlier fit left (stale CSV, montages of
        // sources that moved away) so nothing from another key can be mistaken for current.
        string dir = layout.PatchOutDir(tag);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        string patchLog = Path.Join(dir, tag + ".log");
        var clock = Stopwatch.StartNew();
        string fits = PatchPayload.FitsPath(layout.PatchInputsDir, tag);
        string error = "";
        string detail = "";
        using (var sink = new TextLogSink(null, patchLog, LogLevel.Info, "%(asctime)s | %(levelname)s | %(message)s"))
        {
            var plog = new Log(sink, "tract7dt.patch");
            try
            {
                var result = PatchRunner.Run(fits, layout.TractorOutDir, Settings(context), plog, Algorithm);
                Stamp.Write(item.StampPath, key, result.Outputs, context.Hasher);
            }
            // a failing fit is this patch's; a failing disk is the run's (it stops with T7D005)
            catch (Exception e) when (e is not OperationCanceledException && !IoFailure.IsWriteFailure(e))
            {
                error = e is Tract7dtException te ? $"{te.Code}: {te.Message}" : $"{e.GetType().Name}: {e.Message}";
                detail = e.ToString();
                plog.Error($"Patch failed: {error}");
            }
        }
        double sec = clock.Elapsed.TotalSeconds;
        var sb = new StringBuilder();
        sb.Append("CMD: tract7dt in-process patch fit --inputs ").Append(fits).Append(" --epsf-root ").Append(layout.EpsfDir)
          .Append(" --outdir ").Append(layout.TractorOutDir).Append("\n\n--- STDOUT ---\n");
        sb.Append("(see ").Append(patchLog).Append(")\n\n--- STDERR ---\n").Append(detail).Append('\n');
        IO.AtomicFile.WriteAllText(runnerLog, sb.ToString());
        if (error.Length > 0) context.Log(Component).Error($"patch {tag} failed: {error}");
        return error.Length == 0
            ? new PatchRunRecord(tag, "ok", 0, sec, runnerLog, "")
            : new PatchRunRecord(tag, "fail", 1, sec, runnerLog, error);
    }

    /// <summary>The fit settings from the config.</summary>
    public static PatchRunSettings Settings(StageContext context)
    {
        var c = context.Config;
        var pr = c.PatchRun;
        var fit = new PatchFitSettings
        {
            MultiBand = pr.EnableMultiBandSimultaneousFitting,
            GalModel = pr.GalModel switch
            {
                Config.GalModel.Dev => "dev",
                Config.GalModel.Sersic => "sersic",
                Config.GalModel.Star => "star",
                _ => "exp",
            },
            NOptIters = pr.NOptIters,
            DlnpStop = pr.DlnpStop,
            FlagMaxIterMargin = pr.FlagMaxiterMargin,
            RAp = pr.RAp,
            EpsFlux = pr.EpsFlux,
            SersicNInit = pr.SersicNInit,
            ReFallbackPix = pr.ReFallbackPix,
            PhotonNoiseErrors = pr.PhotonNoiseErrors,
            BandRecentreSnr = pr.BandRecentreSnr,
            SersicIndexScan = pr.SersicNScan,
            StopWhenSettled = pr.StopWhenSettled,
            HoldShapeAtSizeBound = pr.MaxSizeFactor > 0,
            MaskUnmodelledLight = pr.MaskUnmodelledLight,
        };
        var layout = context.Layout;
        return new PatchRunSettings(fit, PsfSettings.From(c),
            layout.EpsfNpyForPatch, layout.EpsfMeta, layout.EpsfGridForPatch)
        {
            Model = Fitting.PatchModelOptions.Pipeline with
            {
                EllipticityPriorSigma = pr.EllipticityPriorSigma,
                SersicStepFraction = pr.SersicNMaxStepFrac,
                SersicIndexPriorSigma = pr.SersicNPriorSigma,
                SizePriorSigma = pr.SizePriorSigma,
                MaxShiftPix = pr.MaxShiftPix,
                MaxSizeFactor = pr.MaxSizeFactor,
            },
        };
    }

    /// <summary>Band names of a payload (headers only).</summary>
    private static (PatchDefinition Def, List<string> Bands) PayloadBands(string fits)
    {
        var def = PatchPayload.ReadDefinition(fits);
        using var f = FitsFile.Open(fits);
        long nb = f.GetHdu(0).Header.GetInt("NBANDS") ?? 0;
        var bands = new List<string>();
        for (int b = 0; b < nb; b++)
            bands.Add(f.GetHdu(1 + 4 * b).Header.GetString("BAND") ?? "");
        return (def, bands);
    }

    private static string NstarsText(string metaPath)
    {
        if (!File.Exists(metaPath)) return "no meta";
        var m = NstarsPattern().Match(File.ReadAllText(metaPath));
        return m.Success ? m.Groups[1].Value : "absent";
    }

    [GeneratedRegex("\"nstars_used\"\\s*:\\s*(null|-?[0-9.eE+-]+)")]
    private static partial Regex NstarsPattern();

    internal static string StampPath(WorkDirLayout layout, string tag) => layout.StampPath(StageId.RunPatches, tag);

    internal static string RunnerLogPath(WorkDirLayout layout, string tag) => Path.Join(layout.PatchOutDir(tag), tag + ".runner.log");

    /// <summary>Writes <c>run_summary.csv</c>: <c>patch,status,returncode,sec,runner_log,error</c>.</summary>
    public static void WriteSummary(string path, IReadOnlyList<PatchRunRecord> rows)
    {
        var t = new Catalog.SourceTable(rows.Count);
        t.AddText("patch", rows.Select(r => r.Patch).ToArray());
        t.AddText("status", rows.Select(r => r.Status).ToArray());
        t.AddInt("returncode", rows.Select(r => (long)r.ReturnCode).ToArray());
        t.AddDouble("sec", rows.Select(r => Math.Round(r.Seconds, 3)).ToArray());
        t.AddText("runner_log", rows.Select(r => r.RunnerLog).ToArray());
        t.AddText("error", rows.Select(r => r.Error).ToArray());
        Catalog.SourceTableCsv.Write(t, path);
    }

    /// <summary>Each patch's <c>sec</c> in an earlier <c>run_summary.csv</c> (none when absent or unreadable).</summary>
    private static Dictionary<string, double> PreviousSeconds(string path)
    {
        var map = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!File.Exists(path)) return map;
        try
        {
            var t = Catalog.SourceTableCsv.Read(path, "Run summary");
            if (!t.Contains("patch") || !t.Contains("sec")) return map;
            var sec = t.Numeric("sec");
            for (int i = 0; i < t.RowCount; i++)
                if (double.IsFinite(sec[i])) map[t.Text("patch", i)] = sec[i];
        }
        catch (Tract7dtException) { } // a damaged summary only loses the old times
        return map;
    }

    /// <summary>The coded error for the failed patch fits of the last build, or null when none failed
    /// (the CLI and the MSBuild task both end with it, after the merge).</summary>
    public static Tract7dtException? FailureOf(StageContext context)
    {
        var failed = ReadFailures(context.Layout);
        if (failed.Count == 0) return null;
        bool slurm = context.Config.Cluster.Executor == Config.ClusterExecutor.Slurm;
        string list = string.Join("; ", failed.Take(10).Select(f => $"{f.Patch} (log {f.RunnerLog})"));
        return new Tract7dtException(slurm ? ErrorCodes.ClusterItemsFailed : ErrorCodes.PatchesFailed,
            $"{failed.Count} patch fit(s) failed{(slurm ? " on Slurm after every attempt" : "")}: {list}{(failed.Count > 10 ? "; …" : "")}. " +
            $"See {context.Layout.RunSummaryCsv}; fix the cause and rerun: only these patches will be fitted again.");
    }

    /// <summary>The failed patches recorded in <c>run_summary.csv</c> (for the CLI's exit code and summary).</summary>
    public static IReadOnlyList<PatchRunRecord> ReadFailures(WorkDirLayout layout)
    {
        if (!File.Exists(layout.RunSummaryCsv)) return [];
        var t = Catalog.SourceTableCsv.Read(layout.RunSummaryCsv, "Run summary");
        if (!t.Contains("status")) return [];
        var list = new List<PatchRunRecord>();
        for (int i = 0; i < t.RowCount; i++)
            if (t.Text("status", i) == "fail")
                list.Add(new PatchRunRecord(t.Text("patch", i), "fail", 1, 0,
                    t.Contains("runner_log") ? t.Text("runner_log", i) : "", t.Contains("error") ? t.Text("error", i) : ""));
        return list;
    }
}
