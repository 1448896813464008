using Tract7dt.Science.Fitting.Optimization;
using System.Globalization;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Config;
using Tract7dt.Science.Fitting;
using Tract7dt.Science.Fitting.Patch;
using Tract7dt.Science.Logging;

namespace Tract7dt.Science.Patches;

/// <summary>Diagnostics settings of a patch fit (docs/fitting.md §11).</summary>
public sealed record PatchDiagnosticsSettings
{
    public bool NoCutouts { get; init; }
    public bool NoPatchOverview { get; init; }
    /// <summary>Montage window side [pix]; half-width max(1, size div 2).</summary>
    public int CutoutSize { get; init; } = 100;
    public int? CutoutMaxSources { get; init; }
    public int CutoutStart { get; init; }
    public double DataPLo { get; init; } = 1;
    public double DataPHi { get; init; } = 99;
    public double ModelPLo { get; init; } = 1;
    public double ModelPHi { get; init; } = 99;
    public double ResidPAbs { get; init; } = 99;
    public int Dpi { get; init; } = 300;
    /// <summary>No per-band model and residual mosaics of the field.</summary>
    public bool NoMosaics { get; init; }

    public static PatchDiagnosticsSettings From(PipelineConfig c) => new()
    {
        NoMosaics = c.PatchRun.NoMosaics,
        NoCutouts = c.PatchRun.NoCutouts,
        NoPatchOverview = c.PatchRun.NoPatchOverview,
        CutoutSize = c.PatchRun.CutoutSize,
        CutoutMaxSources = c.PatchRun.CutoutMaxSources,
        CutoutStart = c.PatchRun.CutoutStart,
        DataPLo = c.PatchRun.CutoutDataPLo,
        DataPHi = c.PatchRun.CutoutDataPHi,
        ModelPLo = c.PatchRun.CutoutModelPLo,
        ModelPHi = c.PatchRun.CutoutModelPHi,
        ResidPAbs = c.PatchRun.CutoutResidPAbs,
        Dpi = c.Plotting.Dpi,
    };
}

/// <summary>Everything one patch fit reads besides its payload and the ePSF files.</summary>
/// <param name="Fit">Fit settings (the ROI origin is filled from the payload).</param>
/// <param name="Psf">PSF choice settings.</param>
/// <param name="EpsfNpy">Path of the ePSF for (band, patch): the patch's own model when the ePSF stage wrote one, else the cell's <c>epsf.npy</c>.</param>
/// <param name="EpsfMeta">Path of the cell's <c>meta.json</c> for (band, cell tag).</param>
/// <param name="EpsfGridNpy">Path of the band model on the patch's grid of places for (band, patch), or null
/// when the ePSF stage wrote none (each source is then fitted with the one ePSF).</param>
public sealed record PatchRunSettings(PatchFitSettings Fit, PsfSettings Psf,
    Func<string, PatchDefinition, string> EpsfNpy, Func<string, string, string> EpsfMeta,
    Func<string, PatchDefinition, string?>? EpsfGridNpy = null)
{
    /// <summary>The patch model's options: shape bounds, the ellipticity prior
    /// (<c>patch_run.ellipticity_prior_sigma</c>) and the Sérsic index's max step
    /// (<c>patch_run.sersic_n_max_step_frac</c>). They belong to the model the factory builds, not to
    /// the fitter's loop, so they travel here rather than in <see cref="Fit"/>.</summary>
    public PatchModelOptions Model { get; init; } = PatchModelOptions.Pipeline;
}

/// <summary>What one patch fit produced.</summary>
/// <param name="Outputs">Files written (CSV, meta.json, PNGs), for the stamp.</param>
/// <param name="Outcomes">Loop outcomes (multi-band: key "").</param>
public sealed record PatchRunResult(string Tag, int Sources, IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, LoopOutcome> Outcomes);

/// <summary>
/// Fits one patch payload and writes its outputs (docs/fitting.md §2, docs/outputs.md §9):
/// <c>&lt;tag&gt;/meta.json</c> (payload meta first, the full record after the fit),
/// <c>&lt;tag&gt;_cat_fit.csv</c> (patch catalogue + PSF audit + fit columns), the patch
/// overview and the source montages. Messages go to <paramref name="log"/> (the stage
/// points it at <c>&lt;tag&gt;.log</c>). A pure function of the payload, the ePSF files
/// and the settings: the written bytes do not depend on threads or time.
/// </summary>
public static class PatchRunner
{
    /// <summary>" limited_by=&lt;parameter&gt;" when a max step capped the step (the parameter with the
    /// largest |X_i|/max_i ≥ 1): the usual reason a fit crawls, so the patch log names it.</summary>
    private static string StepLimiter(List<IFitProblem> problems, OptimizerStep step)
    {
        if (problems.Count == 0 || step.Direction.Length == 0) return "";
        var p = problems[^1];
        if (p.ParameterCount != step.Direction.Length) return "";
        var max = new double[p.ParameterCount];
        p.GetMaxSteps(max);
        int worst = -1;
        double ratio = 1.0;
        for (int i = 0; i < max.Length; i++)
        {
            double r = Math.Abs(step.Direction[i]) / max[i];
            if (r > ratio) { ratio = r; worst = i; }
        }
        return worst < 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" limited_by={p.ParameterName(worst)} (|X|/max_step={ratio:G4})");
    }

    /// <param name="algorithm">The calling stage's algorithm version, recorded in <c>meta.json</c>.</param>
    public static PatchRunResult Run(string payloadPath, string outRoot, PatchRunSettings s, Log log, string algorithm)
    {
        var payload = PatchPayload.Read(payloadPath);
        var def = payload.Patch;
        string tag = def.PatchTag;
        string dir = Path.Join(outRoot, tag);
        Directory.CreateDirectory(dir);
        log.Info($"Starting patch run: {tag}  (multi_band_simultaneous={(s.Fit.MultiBand ? "True" : "False")})");
        int owned = OwnedRows(payload.Catalog, payloadPath);
        int nuisance = payload.Catalog.RowCount - owned;
        if (nuisance > 0)
            log.Info(string.Create(CultureInfo.InvariantCulture,
                $"Modelling {nuisance} source(s) in the ROI that this patch does not report (other patches' sources in its halo, saturation-excluded stars) as fixed-position point sources"));
        var meta = BaseMeta(def, owned);
        string metaPath = Path.Join(dir, "meta.json");
        IO.AtomicFile.WriteAllText(metaPath, PatchJson.Indented(meta) + "\n");

        // PSF per band (image order).
        // The base box in patch pixels: the grid of places spans it (PatchCentre.Grid).
        double gcx = 0.5 * (def.Base.X0 + def.Base.X1) - def.Roi.X0, gcy = 0.5 * (def.Base.Y0 + def.Base.Y1) - def.Roi.Y0;
        double ghx = 0.5 * (def.Base.X1 - def.Base.X0), ghy = 0.5 * (def.Base.Y1 - def.Base.Y0);
        var choices = payload.Bands.Select(b => BandPsfSelector.WithGrid(
            BandPsfSelector.Choose(b.Band, b.HeaderFwhmPix, s.EpsfNpy(b.Band, def), s.EpsfMeta(b.Band, def.EpsfTag), s.Psf, log),
            s.EpsfGridNpy?.Invoke(b.Band, def), s.EpsfMeta(b.Band, def.EpsfTag), gcx, gcy, ghx, ghy, s.Psf, log)).ToList();
        var audit = PsfAuditSummary.From(choices, s.Psf.MinEpsfNstarsForUse);
        if (audit.Frozen.Count > 0)
            log.Warn($"Gaussian-mixture PSFs are held fixed during optimisation for band(s): {string.Join(",", audit.Frozen)}");

        // Fit.
        var bands = payload.Bands.Select((b, k) => new PatchBand(b.Band, b.Image, b.SigmaSky,
            b.Bad.Select(v => v != 0).ToArray(), choices[k].Psf,
            s.Fit.PhotonNoiseErrors ? PhotonNoise.VariancePerCount(b.Image, b.SigmaSky, b.SigmaTotal) : 0)).ToList();
        var cat = ToFitCatalog(payload.Catalog) with
        {
            Nuisance = nuisance == 0 ? null : Enumerable.Range(0, payload.Catalog.RowCount).Select(i => i >= owned).ToArray(),
        };
        var fit = s.Fit with { X0Roi = def.Roi.X0, Y0Roi = def.Roi.Y0 };
        var problems = new List<IFitProblem>();
        var factory = PatchModelFactories.Create(s.Model);
        PatchModelFactory capture = (imgs, srcs) =>
        {
            var p = factory(imgs, srcs);
            problems.Add(p);
            return p;
        };
        // One line per optimiser step, as the original's patch log has (docs/outputs.md §9.3).
        var result = PatchFitter.Fit(bands, payload.Width, payload.Height, cat, fit, capture,
            (band, iter, step) => log.Info(string.Create(CultureInfo.InvariantCulture,
                $"{(band.Length == 0 ? "" : $"[{band}] ")}opt iter {iter:00}  dlnp={FloatText.Repr(step.DLnP)} alpha={FloatText.Repr(step.Alpha)} lsqr_its={step.LsqrIterations} frozen_on_bound={step.FrozenOnBound}{StepLimiter(problems, step)}")));
        if (result.UnmodelledLightPixels.Values.Any(c => c != 0))
            log.Info("Masked light the starting model does not hold (patch_run.mask_unmodelled_light), pixels per band: "
                + string.Join(", ", result.UnmodelledLightPixels.Select(kv => kv.Value >= 0
                    ? string.Create(CultureInfo.InvariantCulture, $"{kv.Key}={kv.Value}")
                    : $"{kv.Key}=none (over {UnmodelledLight.MaxMaskedFraction:P0} of its pixels flagged: fitted unmasked)")));
        foreach (var (band, o) in result.Outcomes.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            string prefix = band.Length == 0 ? "" : $"[{band}] ";
            string held = o.Held.Galaxies > 0
                ? $" shapes_held={o.Held.Galaxies} loops={o.Held.Loops} (galaxies at their size bound refitted with their starting shape; fit_shape_held)"
                : "";
            log.Info(string.Create(CultureInfo.InvariantCulture,
                $"{prefix}optimizer: niters={o.NIters} converged={o.Converged}{(o.AllSettled ? " (every source settled)" : "")} last_dlnp={FloatText.Repr(o.LastDlnp)}{held}"));
            if (o.HitMaxIters)
                log.Warn(string.Create(CultureInfo.InvariantCulture,
                    $"{prefix}did not converge. niters={o.NIters} n_opt_iters={fit.NOptIters} margin={Math.Max(0, fit.FlagMaxIterMargin)} last_dlnp={FloatText.Repr(o.LastDlnp)}"));
        }

        // meta.json, final.
        audit.AppendTo(meta);
        meta.Add("enable_multi_band_simultaneous_fitting", fit.MultiBand);
        meta.Add("psf_frozen_bands_for_optimizer", audit.Frozen);
        if (result.UnmodelledLightPixels.Count > 0)
            meta.Add("unmodelled_light_masked_pixels", result.UnmodelledLightPixels.ToDictionary(kv => kv.Key, kv => (object?)kv.Value));
        if (fit.MultiBand && result.Outcomes.TryGetValue("", out var mo))
        {
            meta.Add("opt_niters", mo.NIters);
            meta.Add("opt_converged", mo.Converged);
            meta.Add("opt_hit_max_iters", mo.HitMaxIters);
            meta.Add("opt_last_dlnp", double.IsFinite(mo.LastDlnp) ? mo.LastDlnp : null);
        }
        meta.Add("algorithm", algorithm);
        IO.AtomicFile.WriteAllText(metaPath, PatchJson.Indented(meta) + "\n");

        // The result table: owned rows only (nuisance rows are modelled, never reported).
        var fitTable = nuisance == 0 ? result.Table : result.Table.Head(owned);
        var ownedCatalog = nuisance == 0 ? payload.Catalog : PatchSources.Head(payload.Catalog, owned);
        var table = ResultTable(ownedCatalog, def, audit, fitTable);
        string csv = Path.Join(dir, tag + "_cat_fit.csv");
        SourceTableCsv.Write(table, csv);
        log.Info($"Wrote: {csv}");
        var outputs = new List<string> { csv, metaPath };

        // The fitted model of each band (sky included) for the pictures and mosaics, which are
        // drawn by their own stage: a picture's setting never refits a patch.
        string modelPath = PatchModelImages.PathIn(dir);
        PatchModelImages.Write(modelPath, payload.Width, payload.Height, RenderModels(payload, result, fit.MultiBand));
        outputs.Add(modelPath);
        log.Info($"Done patch run: {tag}");
        return new PatchRunResult(tag, owned, outputs, result.Outcomes);
    }

    /// <summary>Each band's fitted model plus sky, rendered by the fit's own problems (the joint
    /// problem for a multi-band fit; each band's own otherwise).</summary>
    private static List<(string Band, float[] ModelPlusSky, double Sky)> RenderModels(PatchPayload payload, PatchFitResult result, bool multiBand)
    {
        var order = Diagnostics.PatchViews.BandOrder(payload, multiBand);
        var models = new List<(string, float[], double)>(order.Length);
        for (int j = 0; j < order.Length; j++)
        {
            var model = new float[payload.Width * payload.Height];
            var (problem, image) = multiBand ? (result.Problems[""], order[j]) : (result.Problems[payload.Bands[order[j]].Band], 0);
            problem.RenderModel(image, model);
            models.Add((payload.Bands[order[j]].Band, model, problem is Fitting.PatchModel pm ? pm.Sky(image) : double.NaN));
        }
        return models;
    }

    /// <summary>
    /// Rows of the payload catalogue the patch owns and reports: those with <c>excluded_any</c>
    /// not true. BuildPatchInputs appends the nuisance rows (saturation-excluded stars in the
    /// ROI, <c>excluded_any</c> = True) after them; a nuisance row before an owned one means
    /// the payload was not written by BuildPatchInputs.
    /// </summary>
    public static int OwnedRows(SourceTable catalog, string payloadPath)
    {
        int ex = catalog.IndexOf("excluded_any");
        if (ex < 0) return catalog.RowCount;
        int owned = 0;
        while (owned < catalog.RowCount && !PatchSources.IsTrue(catalog.Columns[ex].FormatCell(owned))) owned++;
        for (int i = owned; i < catalog.RowCount; i++)
            if (!PatchSources.IsTrue(catalog.Columns[ex].FormatCell(i)))
                throw new Errors.Tract7dtException(Errors.ErrorCodes.PayloadInvalid,
                    string.Create(CultureInfo.InvariantCulture,
                        $"Patch payload {payloadPath} cannot be used: catalogue row {i + 1} is fitted (excluded_any is not True) but follows an excluded nuisance row. Rerun 'tract7dt build-patch-inputs' to rebuild it."));
        return owned;
    }

    /// <summary>The payload meta (the first version of docs/outputs.md §9.4).</summary>
    public static JsonRecord BaseMeta(PatchDefinition def, int nSources) => new()
    {
        { "patch_tag", def.PatchTag },
        { "epsf_tag", def.EpsfTag },
        { "epsf_r", def.EpsfRow },
        { "epsf_c", def.EpsfCol },
        { "patch_r", def.PatchRow },
        { "patch_c", def.PatchCol },
        { "halo_pix", def.HaloPix },
        { "base_bbox", new[] { def.Base.X0, def.Base.X1, def.Base.Y0, def.Base.Y1 } },
        { "roi_bbox", new[] { def.Roi.X0, def.Roi.X1, def.Roi.Y0, def.Roi.Y1 } },
        { "n_sources", nSources },
    };

    /// <summary>
    /// The patch catalogue as numbers (docs/fitting.md §5): positions from <c>x_pix_patch</c>/<c>y_pix_patch</c>
    /// rounded to single precision; <c>TYPE</c>, <c>ELL</c>, <c>THETA</c>, <c>Re</c> by exact
    /// name; <c>FLUX_&lt;b&gt;</c> matched case-insensitively (the last such column).
    /// </summary>
    public static PatchCatalog ToFitCatalog(SourceTable t)
    {
        double[] Pos(string name)
        {
            var v = t.Numeric(name);
            return v.Select(x => (double)(float)x).ToArray();
        }
        string?[]? type = null;
        if (t.Contains("TYPE"))
        {
            var col = t["TYPE"];
            type = Enumerable.Range(0, t.RowCount).Select(i =>
            {
                string s = col.FormatCell(i);
                return CellText.IsMissing(s) ? null : s;
            }).ToArray();
        }
        var flux = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var name in t.ColumnNames)
        {
            string low = name.Trim().ToLowerInvariant();
            if (low.StartsWith("flux_", StringComparison.Ordinal))
                flux[name.Trim()[5..]] = t.Numeric(name); // later columns win, as in the reference
        }
        // Band names are matched case-insensitively: key by the lower-cased band.
        var byLower = new Dictionary<string, double[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var kv in flux) byLower[kv.Key] = kv.Value;
        return new PatchCatalog(Pos("x_pix_patch"), Pos("y_pix_patch"), type, byLower,
            t.Contains("ELL") ? t.Numeric("ELL") : null,
            t.Contains("THETA") ? t.Numeric("THETA") : null,
            t.Contains("Re") ? t.Numeric("Re") : null);
    }

    /// <summary>Catalogue columns, then the patch/PSF-audit columns (docs/outputs.md §10.1), then the fit columns.</summary>
    public static SourceTable ResultTable(SourceTable catalog, PatchDefinition def, PsfAuditSummary audit, FitTable fit)
    {
        int n = catalog.RowCount;
        var t = new SourceTable(n);
        foreach (var c in catalog.Columns) t.Set(c);
        string[] Rep(string v) => Enumerable.Repeat(v, n).ToArray();
        long[] RepI(long v) => Enumerable.Repeat(v, n).ToArray();
        t.Set(new TextColumn("patch_tag", Rep(def.PatchTag)));
        t.Set(new TextColumn("epsf_tag", Rep(def.EpsfTag)));
        t.Set(new IntColumn("psf_min_epsf_nstars_for_use", RepI(audit.MinSetting)));
        t.Set(new IntColumn("psf_used_epsf_band_count", RepI(audit.UsedEpsf.Count)));
        t.Set(new IntColumn("psf_fallback_band_count", RepI(audit.Fallback.Count)));
        t.Set(new IntColumn("psf_low_star_band_count", RepI(audit.LowStar.Count)));
        t.Set(new TextColumn("psf_fallback_bands", Rep(string.Join(",", audit.Fallback))));
        t.Set(new TextColumn("psf_low_star_bands", Rep(string.Join(",", audit.LowStar))));
        t.Set(new TextColumn("psf_frozen_bands_for_optimizer", Rep(string.Join(",", audit.Frozen))));
        t.Set(new TextColumn("psf_fallback_reasons_json", Rep(audit.ReasonsJson)));
        for (int c = 0; c < fit.ColumnNames.Count; c++)
        {
            string name = fit.ColumnNames[c];
            TableColumn col = fit.Columns[c] switch
            {
                double[] d => new DoubleColumn(name, d),
                int[] i => new IntColumn(name, i.Select(v => (long)v).ToArray()),
                bool[] b => new BoolColumn(name, b),
                string[] s => new TextColumn(name, s),
                var a => throw new InvalidOperationException($"unexpected fit column type {a.GetType().Name} for {name}"),
            };
            t.Set(col);
        }
        return t;
    }
}

/// <summary>The PSF audit of a patch (docs/fitting.md §3.7) and its output forms.</summary>
public sealed class PsfAuditSummary
{
    private PsfAuditSummary() { }

    public IReadOnlyList<BandPsfChoice> Choices { get; private init; } = [];
    /// <summary>The setting as given (not floored).</summary>
    public int MinSetting { get; private init; }
    /// <summary>Sorted band names.</summary>
    public List<string> UsedEpsf { get; private init; } = [];
    public List<string> Fallback { get; private init; } = [];
    public List<string> LowStar { get; private init; } = [];
    public List<string> Frozen { get; private init; } = [];
    /// <summary><c>psf_fallback_reasons_json</c>: keys sorted, Python separators.</summary>
    public string ReasonsJson { get; private init; } = "{}";

    public static PsfAuditSummary From(IReadOnlyList<BandPsfChoice> choices, int minSetting)
    {
        List<string> Sorted(Func<BandPsfChoice, bool> f) =>
            choices.Where(f).Select(c => c.Band).Distinct().OrderBy(b => b, StringComparer.Ordinal).ToList();
        var reasons = new JsonRecord();
        foreach (var c in choices.Where(c => !c.Audit.UsedEpsf).OrderBy(c => c.Band, StringComparer.Ordinal))
            reasons.Add(c.Band, c.Audit.FallbackReason);
        return new PsfAuditSummary
        {
            Choices = choices,
            MinSetting = minSetting,
            UsedEpsf = Sorted(c => c.Audit.UsedEpsf),
            Fallback = Sorted(c => !c.Audit.UsedEpsf),
            LowStar = Sorted(c => c.Audit.FallbackReason?.StartsWith("low-star ePSF", StringComparison.Ordinal) == true),
            Frozen = Sorted(c => c.Frozen),
            ReasonsJson = PatchJson.Compact(reasons),
        };
    }

    /// <summary>Appends the audit keys of docs/outputs.md §9.4 to a meta record.</summary>
    public void AppendTo(JsonRecord meta)
    {
        meta.Add("psf_min_epsf_nstars_for_use", MinSetting);
        meta.Add("psf_used_epsf_band_count", UsedEpsf.Count);
        meta.Add("psf_fallback_band_count", Fallback.Count);
        meta.Add("psf_low_star_band_count", LowStar.Count);
        meta.Add("psf_fallback_bands", Fallback);
        meta.Add("psf_low_star_bands", LowStar);
        var per = new JsonRecord();
        foreach (var c in Choices)
        {
            var a = c.Audit;
            per.Add(c.Band, new JsonRecord
            {
                { "epsf_path", a.EpsfPath },
                { "epsf_exists", a.EpsfExists },
                { "used_epsf", a.UsedEpsf },
                { "fallback_reason", a.FallbackReason },
                { "epsf_nstars_used", a.EpsfNstarsUsed },
                { "min_epsf_nstars_for_use", a.MinEpsfNstarsForUse },
                { "psf_model", a.PsfModel },
            });
        }
        meta.Add("psf_audit", per);
    }
}
