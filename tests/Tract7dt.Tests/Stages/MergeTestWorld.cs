using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Config;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Patches;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.State;
using Tract7dt.Science.Simulation;
using Stamp = Tract7dt.Science.Pipeline.Stamp;

namespace Tract7dt.Tests.Stages;

/// <summary>Log records kept in memory, for assertions on the stage's messages.</summary>
public sealed class MemorySink : ILogSink
{
    public ConcurrentQueue<(LogLevel Level, string Component, string Message)> Records { get; } = new();
    public LogLevel MinimumLevel => LogLevel.Debug;
    public void Write(DateTime localTime, LogLevel level, string component, string message) => Records.Enqueue((level, component, message));
    public bool Has(string fragment) => Records.Any(r => r.Message.Contains(fragment, StringComparison.Ordinal));
}

/// <summary>One simulated Tiny input set (≈2 s), shared by the Merge/ComputeZp test classes.</summary>
public sealed class SimulatedInputs : IDisposable
{
    public SimulatedInputs()
    {
        Dir = Directory.CreateTempSubdirectory("t7d-mergezp").FullName;
        Simulator.Run(new SimulationOptions(Dir, SimulationPreset.Tiny));
        Truth = SourceTableCsv.Read(Path.Combine(Dir, "truth.csv"));
        TruthZp = SourceTableCsv.Read(Path.Combine(Dir, "truth_zp.csv"));
    }

    public string Dir { get; }
    public SourceTable Truth { get; }
    public SourceTable TruthZp { get; }

    public void Dispose() => Directory.Delete(Dir, true);
}

/// <summary>
/// A work dir whose upstream stages are played by the test: frames.json (from the simulated
/// FITS headers), the Gaia-augmented base catalog with exclusion flags (IDs made all-digit
/// with leading zeros, injected <c>gaia_…</c> rows), catalog_state.json, patches.json, and
/// for every patch a <c>_cat_fit.csv</c> with the columns of docs/outputs.md §10 whose fitted
/// values are the simulator's truth (positions in the white frame, expected scaled fluxes),
/// each with a RunPatches-style stamp. <see cref="FitPlan"/> stands in for RunPatches.Plan.
/// </summary>
public sealed class MergeTestWorld
{
    public const string RunPatchesAlgorithm = "RunPatches/test";
    private readonly SimulatedInputs _sim;
    private readonly Dictionary<string, string> _planKeySalt = new(StringComparer.Ordinal);

    public MergeTestWorld(SimulatedInputs sim, string name, string extraYaml = "")
    {
        _sim = sim;
        Name = name;
        string text = File.ReadAllText(Path.Combine(sim.Dir, "config.yaml"))
            .Replace("work_dir: \"work\"", $"work_dir: \"work_{name}\"");
        ConfigPath = Path.Combine(sim.Dir, $"config_{name}.yaml");
        File.WriteAllText(ConfigPath, text + extraYaml);
        Config = ConfigLoader.Load(ConfigPath).Config;
        Layout = new WorkDirLayout(Config);
        Bands = ReadBands();
    }

    public string Name { get; }
    public string ConfigPath { get; }
    public PipelineConfig Config { get; private set; }
    public WorkDirLayout Layout { get; }
    public string[] Bands { get; }
    public FramesManifest Frames { get; private set; } = null!;
    public SourceTable BaseTable { get; private set; } = null!;
    public string BaseCatalogPath => Layout.AugmentedCatalog;
    public IReadOnlyList<PatchDefinition> Patches { get; private set; } = [];
    public MemorySink Sink { get; } = new();

    /// <summary>Base rows (by index) → the patch that owns them (null: excluded or unowned).</summary>
    public Dictionary<int, string> Owner { get; } = new();

    public StageContext Context() => new(Config, Sink, hasher: new ContentHasher());

    /// <summary>Re-reads the config after appending YAML (e.g. a new zp.clip_sigma).</summary>
    public void Reconfigure(string extraYaml)
    {
        File.AppendAllText(ConfigPath, extraYaml);
        Config = ConfigLoader.Load(ConfigPath).Config;
    }

    private string[] ReadBands() =>
        File.ReadAllLines(Path.Combine(_sim.Dir, "image_list.txt")).Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => FitsFile.ReadPrimaryHeader(Path.Combine(_sim.Dir, l)).GetString("FILTER")!.Trim()).ToArray();

    /// <summary>Builds every upstream file. <paramref name="converged"/> decides opt_converged per patch tag.</summary>
    public MergeTestWorld Build(Func<string, bool>? converged = null)
    {
        Directory.CreateDirectory(Layout.StateDir);
        WriteFrames();
        WriteBaseCatalog();
        WritePatches();
        foreach (var p in Patches) WriteFit(p, converged?.Invoke(p.PatchTag) ?? true);
        return this;
    }

    private void WriteFrames()
    {
        var list = File.ReadAllLines(Path.Combine(_sim.Dir, "image_list.txt")).Where(l => l.Length > 0 && l[0] != '#').ToArray();
        var frames = new List<FrameEntry>();
        foreach (var rel in list)
        {
            string path = Path.GetFullPath(Path.Combine(_sim.Dir, rel));
            var h = FitsFile.ReadPrimaryHeader(path);
            double zp = h.GetDouble("ZP_AUTO")!.Value;
            frames.Add(new FrameEntry
            {
                Band = h.GetString("FILTER")!.Trim(), Path = path, ContentHash = ContentHasher.HashStream(path),
                Width = (int)h.GetDouble("NAXIS1")!.Value, Height = (int)h.GetDouble("NAXIS2")!.Value,
                ZpAuto = zp, SkySig = h.GetDouble("SKYSIG")!.Value, EGain = h.GetDouble("EGAIN")!.Value,
                Saturate = h.GetDouble("SATURATE"), Scale = Math.Pow(10, -0.4 * (zp - Config.ImageScaling.ZpRef)),
            });
        }
        int m = Config.Crop.Margin, w = frames[0].Width, hgt = frames[0].Height;
        Frames = new FramesManifest
        {
            ZpRef = Config.ImageScaling.ZpRef, FullWidth = w, FullHeight = hgt,
            CropX0 = m, CropX1 = w - m, CropY0 = m, CropY1 = hgt - m, Frames = frames,
        };
        Frames.Write(Layout.FramesManifest);
    }

    /// <summary>"s00042" → "00042": all-digit ids with leading zeros, the case the original's ZP rewrite damaged.</summary>
    public static string CatalogId(string truthId) => truthId.StartsWith('s') ? truthId[1..] : truthId;

    private void WriteBaseCatalog()
    {
        var input = SourceTableCsv.Read(Path.Combine(_sim.Dir, "input_catalog.csv"));
        var truth = _sim.Truth;
        var truthRow = Enumerable.Range(0, truth.RowCount).ToDictionary(i => truth.Text("ID", i));
        var wcs = Frames.WhiteWcs();
        double[] ra = input.Numeric("RA"), dec = input.Numeric("DEC");

        // Original rows, then injected Gaia-only stars (in the GaiaXP file, not in the catalog).
        var injected = Enumerable.Range(0, truth.RowCount)
            .Where(i => truth.Text("in_catalog", i) == "False" && truth.Text("gaia_source_id", i).Length > 0).ToArray();
        int n0 = input.RowCount, n = n0 + injected.Length;
        var cols = new Dictionary<string, string[]>();
        foreach (var c in input.Columns)
        {
            var v = new string[n];
            for (int i = 0; i < n0; i++) v[i] = c.FormatCell(i);
            for (int i = n0; i < n; i++) v[i] = "";
            cols[c.Name] = v;
        }
        var crop = new string[n]; var sat = new string[n]; var any = new string[n]; var gaia = new string[n];
        for (int i = 0; i < n0; i++)
        {
            string id = input.Text("ID", i);
            int t = truthRow[id];
            cols["ID"][i] = CatalogId(id);
            var (x, y) = wcs.SkyToPixel(ra[i], dec[i]);
            bool c = !(x >= 0 && x < Frames.Width && y >= 0 && y < Frames.Height);
            bool s = truth.Text("expect_excluded_saturation", t) == "True";
            crop[i] = c ? "True" : "False"; sat[i] = s ? "True" : "False"; any[i] = c || s ? "True" : "False";
            gaia[i] = truth.Text("gaia_source_id", t);
        }
        for (int k = 0; k < injected.Length; k++)
        {
            int i = n0 + k, t = injected[k];
            cols["ID"][i] = "gaia_" + truth.Text("gaia_source_id", t);
            cols["RA"][i] = truth.Text("RA", t);
            cols["DEC"][i] = truth.Text("DEC", t);
            cols["TYPE"][i] = "STAR";
            crop[i] = sat[i] = any[i] = "";     // injected rows carry empty flags, as AugmentGaia writes them
            gaia[i] = truth.Text("gaia_source_id", t);
        }
        var table = new SourceTable(n);
        foreach (var c in input.Columns) table.AddText(c.Name, cols[c.Name]);
        table.AddText("excluded_crop", crop);
        table.AddText("excluded_saturation", sat);
        table.AddText("excluded_any", any);
        table.AddText("gaia_source_id", gaia);
        BaseTable = table;
        SourceTableCsv.Write(table, BaseCatalogPath);
        File.WriteAllText(Layout.CatalogStateFile, JsonSerializer.Serialize(new { catalog = BaseCatalogPath }));
        // without zp.enabled the merge starts from LoadInputs' flagged catalogue (the pointer is AugmentGaia's)
        SourceTableCsv.Write(table, Layout.FlaggedCatalog);
    }

    private void WritePatches()
    {
        var grid = new EpsfGrid(Frames.Width, Frames.Height, Config.Epsf.EpsfNgrid);
        int halo = PatchLayout.HaloPix(Config.Epsf.FinalPsfSize, Config.Patches.HaloPixMin);
        Patches = PatchLayout.Build(grid, Config.Epsf.Ngrid, halo, null);
        var rows = Patches.Select(p => new Dictionary<string, object>
        {
            ["epsf_r"] = p.EpsfRow, ["epsf_c"] = p.EpsfCol, ["patch_r"] = p.PatchRow, ["patch_c"] = p.PatchCol,
            ["epsf_tag"] = p.EpsfTag, ["patch_tag"] = p.PatchTag,
            ["x0_base"] = p.Base.X0, ["x1_base"] = p.Base.X1, ["y0_base"] = p.Base.Y0, ["y1_base"] = p.Base.Y1,
            ["x0_roi"] = p.Roi.X0, ["x1_roi"] = p.Roi.X1, ["y0_roi"] = p.Roi.Y0, ["y1_roi"] = p.Roi.Y1, ["halo_pix"] = p.HaloPix,
        });
        Directory.CreateDirectory(Layout.PatchesDir);
        File.WriteAllText(Layout.PatchesJson, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Truth row of a base row (by catalog id, or Gaia id for injected rows).</summary>
    public int TruthRow(int baseRow)
    {
        string id = BaseTable.Text("ID", baseRow);
        var truth = _sim.Truth;
        for (int t = 0; t < truth.RowCount; t++)
        {
            if (id.StartsWith("gaia_", StringComparison.Ordinal) ? truth.Text("gaia_source_id", t) == id[5..] : CatalogId(truth.Text("ID", t)) == id)
                return t;
        }
        throw new InvalidOperationException("no truth for " + id);
    }

    public string FitCsv(string tag) => Layout.PatchFitCsv(tag);

    public string FitStamp(string tag) => Path.Combine(Layout.PatchOutDir(tag), "fit.stamp.json");

    private StageKeyBuilder FitKey(string tag) =>
        new StageKeyBuilder(RunPatchesAlgorithm).Value("patch", tag).Value("salt", _planKeySalt.GetValueOrDefault(tag, ""));

    /// <summary>What RunPatches would plan now: one item per patch, keyed by tag (+ a salt a test can change).</summary>
    public IReadOnlyList<StageItem> FitPlan(StageContext _) =>
        Patches.Select(p => StageItem.From(p.PatchTag, FitKey(p.PatchTag), FitStamp(p.PatchTag))).ToList();

    /// <summary>Makes the current plan's key of <paramref name="tag"/> differ from its stamp (a changed setting).</summary>
    public void ChangePlanKey(string tag) => _planKeySalt[tag] = "changed";

    private void WriteFit(PatchDefinition p, bool converged)
    {
        var wcs = Frames.WhiteWcs();
        double[] ra = BaseTable.Numeric("RA"), dec = BaseTable.Numeric("DEC");
        var rows = new List<int>();
        for (int i = 0; i < BaseTable.RowCount; i++)
        {
            if (BaseTable.Text("excluded_any", i) == "True") continue;
            var (x, y) = wcs.SkyToPixel(ra[i], dec[i]);
            if (p.Base.Contains(x, y)) { rows.Add(i); Owner[i] = p.PatchTag; }
        }
        int n = rows.Count;
        var t = new SourceTable(n);
        foreach (var c in BaseTable.Columns) t.AddText(c.Name, rows.Select(r => c.FormatCell(r)).ToArray());
        var pos = rows.Select(r => wcs.SkyToPixel(ra[r], dec[r])).ToArray();
        t.AddDouble("x_pix_white", pos.Select(q => q.X).ToArray());
        t.AddDouble("y_pix_white", pos.Select(q => q.Y).ToArray());
        t.AddDouble("x_pix_patch", pos.Select(q => q.X - p.Roi.X0).ToArray());
        t.AddDouble("y_pix_patch", pos.Select(q => q.Y - p.Roi.Y0).ToArray());
        string[] Same(string v) => Enumerable.Repeat(v, n).ToArray();
        t.AddText("patch_tag", Same(p.PatchTag));
        t.AddText("epsf_tag", Same(p.EpsfTag));
        t.AddText("psf_min_epsf_nstars_for_use", Same("5"));
        t.AddText("psf_used_epsf_band_count", Same(Bands.Length.ToString(CultureInfo.InvariantCulture)));
        t.AddText("psf_fallback_band_count", Same("0"));
        t.AddText("psf_low_star_band_count", Same("0"));
        t.AddText("psf_fallback_bands", Same(""));
        t.AddText("psf_low_star_bands", Same(""));
        t.AddText("psf_frozen_bands_for_optimizer", Same(""));
        t.AddText("psf_fallback_reasons_json", Same("{}"));
        t.AddText("opt_niters", Same(converged ? "7" : "20"));
        t.AddText("opt_converged", Same(converged ? "True" : "False"));
        t.AddText("opt_hit_max_iters", Same(converged ? "False" : "True"));
        t.AddText("opt_last_dlnp", Same("0.0001"));
        var truth = _sim.Truth;
        int m = Frames.CropX0;
        var tr = rows.Select(TruthRow).ToArray();
        double[] tx = truth.Numeric("x"), ty = truth.Numeric("y");
        var roiX = tr.Select(k => tx[k] - m - p.Roi.X0).ToArray();
        var roiY = tr.Select(k => ty[k] - Frames.CropY0 - p.Roi.Y0).ToArray();
        t.AddDouble("x_pix_patch_fit", roiX);
        t.AddDouble("y_pix_patch_fit", roiY);
        t.AddDouble("x_pix_white_fit", roiX.Select(v => v + p.Roi.X0).ToArray());
        t.AddDouble("y_pix_white_fit", roiY.Select(v => v + p.Roi.Y0).ToArray());
        t.AddText("RA_fit", Same(""));
        t.AddText("DEC_fit", Same(""));
        t.AddText("stype_fit", tr.Select(k => truth.Text("TYPE", k).ToLowerInvariant()).ToArray());
        foreach (var c in new[] { "sersic_n_fit", "re_pix_fit", "ab_fit", "phi_deg_fit", "ELL_fit", "Re_fit", "THETA_fit" })
            t.AddText(c, Same(""));
        foreach (var b in Bands)
        {
            double[] f = truth.Numeric("FLUX_EXP_" + b), e = truth.Numeric("FLUXERR_EXP_" + b);
            t.AddDouble($"FLUX_{b}_fit", tr.Select(k => f[k]).ToArray());
            t.AddDouble($"FLUXERR_{b}_fit", tr.Select(k => e[k]).ToArray());
        }
        string csv = FitCsv(p.PatchTag);
        SourceTableCsv.Write(t, csv);
        Stamp.Write(FitStamp(p.PatchTag), FitKey(p.PatchTag), [csv], new ContentHasher());
    }
}
