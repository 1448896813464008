using System.Text;
using Tract7dt.Science.IO;
using Tract7dt.Science.Pipeline;

namespace Tract7dt.Tests.Graph;

/// <summary>
/// Stand-in stages with the real pipeline's shape, for testing the build graph without the
/// science: the same ten stages, the same item granularity (one item per ePSF cell × band,
/// per patch payload, per patch fit; <c>all</c> for the rest), keys that read exactly what
/// the real stages read (one band's image for that band's ePSF cells, the payload and the
/// cell's ePSFs for a patch fit, <c>zp.clip_sigma</c> only in ComputeZp), and outputs that
/// are a deterministic function of their keys. Every built item appends
/// "<c>&lt;Stage&gt; &lt;item&gt;</c>" to <c>state/fake_runs.log</c>, so tests see exactly what ran.
/// </summary>
/// <remarks>
/// Loaded into the MSBuild task host through the <c>Tract7dtStagePlugin</c> item, whose
/// <c>Type</c> names this class; <see cref="Register"/> replaces the registered stages.
/// Never registered in the test process itself (tests use the instances directly).
/// </remarks>
public static class FakePipeline
{
    /// <summary>ePSF cells (2 × 2) and patches per cell of the stand-in geometry.</summary>
    public static readonly string[] Cells = ["r0_c0", "r0_c1", "r1_c0", "r1_c1"];
    public const int PatchesPerCell = 2;

    /// <summary>Environment variable: sleep per fitted patch [ms] (default 0), so a test can kill a build during RunPatches.</summary>
    public const string PatchSleepVariable = "T7D_FAKE_PATCH_MS";

    /// <summary>Environment variable: the tag of a patch whose stand-in fit fails (logs an error, writes no stamp).</summary>
    public const string FailPatchVariable = "T7D_FAKE_FAIL_PATCH";

    private static int PatchMilliseconds =>
        int.TryParse(Environment.GetEnvironmentVariable(PatchSleepVariable), out int ms) ? ms : 0;

    public static void Register()
    {
        foreach (var stage in All())
        {
            var s = stage;
            PipelineStages.Register(s.Id, () => s);
        }
    }

    /// <summary>The ten stand-in stages in pipeline order.</summary>
    public static IReadOnlyList<IKeyedStage> All() =>
    [
        new Stage(StageId.LoadInputs, LoadInputsItems),
        new Stage(StageId.AugmentGaia, AugmentItems),
        new Stage(StageId.BuildEpsf, EpsfItems),
        new Stage(StageId.BuildPatches, PatchesItems),
        new Stage(StageId.BuildPatchInputs, PayloadItems),
        new Stage(StageId.RunPatches, FitItems),
        new Stage(StageId.Merge, MergeItems),
        new Stage(StageId.ComputeZp, ZpItems),
        new Stage(StageId.PatchDiagnostics, PictureItems),
        new Stage(StageId.EpsfDiagnostics, EpsfPictureItems),
    ];

    public static string RunLog(WorkDirLayout layout) => Path.Join(layout.StateDir, "fake_runs.log");

    public static string MergedCatalog(WorkDirLayout layout) => Path.Join(layout.StateDir, "fake_merged.csv");

    /// <summary>(band, image path) in image-list order; band = the file name's last '_' part.</summary>
    public static IReadOnlyList<(string Band, string Path)> Bands(StageContext c)
    {
        var list = new List<(string, string)>();
        string listFile = c.Config.Inputs.ImageListFile;
        foreach (var raw in File.ReadAllLines(listFile))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            string path = Path.GetFullPath(line, Path.GetDirectoryName(listFile)!);
            string stem = Path.GetFileNameWithoutExtension(path);
            list.Add((stem[(stem.LastIndexOf('_') + 1)..], path));
        }
        return list;
    }

    public static IEnumerable<string> PatchTags() =>
        Cells.SelectMany(cell => Enumerable.Range(0, PatchesPerCell).Select(p => $"{cell}_p{p}"));

    private static string StampOf(StageContext c, StageId s, string item) =>
        Path.Join(c.Layout.StateDir, "fake_stamps", s.ToString(), item.Replace('/', '_') + ".stamp.json");

    private static string Payload(StageContext c, string patch) => Path.Join(c.Layout.PatchInputsDir, patch + ".payload");

    private static string Epsf(StageContext c, string band, string cell) => Path.Join(c.Layout.EpsfDir, band, cell, "epsf.txt");

    private static string Flagged(StageContext c) => c.Layout.FlaggedCatalog;

    private static string Frames(StageContext c) => c.Layout.FramesManifest;

    // --- item plans: (id, key, outputs and their content) ------------------------------------

    private sealed record FakeItem(string Id, StageKeyBuilder Key, IReadOnlyList<string> Outputs, Func<string, string> Content);

    private static string KeyText(StageKeyBuilder key, string path) => $"{Path.GetFileName(path)} from {key.Key}\n";

    private static IEnumerable<FakeItem> LoadInputsItems(StageContext c)
    {
        var k = new StageKeyBuilder("FakeLoadInputs/1")
            .Config("crop.margin", c.Config.Canonical("crop.margin"))
            .Config("image_scaling.zp_ref", c.Config.Canonical("image_scaling.zp_ref"))
            .Input("catalog", c.Hasher.HashFile(c.Config.Inputs.InputCatalog));
        foreach (var (band, path) in Bands(c)) k.Input("image." + band, c.Hasher.HashFile(path));
        string catalog = c.Config.Inputs.InputCatalog;
        yield return new FakeItem("all", k, [Frames(c), Flagged(c)],
            p => p == Flagged(c) ? File.ReadAllText(catalog) : KeyText(k, p));
    }

    private static IEnumerable<FakeItem> AugmentItems(StageContext c)
    {
        var k = new StageKeyBuilder("FakeAugmentGaia/1")
            .Config("zp.match_radius_arcsec", c.Config.Canonical("zp.match_radius_arcsec"))
            .Input("catalog_flagged", c.Hasher.HashFile(Flagged(c)))
            .Input("gaiaxp", c.Hasher.HashFile(c.Config.Inputs.GaiaxpSynphotCsv!));
        yield return new FakeItem("all", k, [c.Layout.AugmentedCatalog], p => KeyText(k, p));
    }

    private static IEnumerable<FakeItem> EpsfItems(StageContext c)
    {
        // One band's ePSF cells read that band's image only (plus the active-source list).
        foreach (var (band, path) in Bands(c))
            foreach (var cell in Cells)
            {
                var k = new StageKeyBuilder("FakeBuildEpsf/1")
                    .Config("epsf.max_stars", c.Config.Canonical("epsf.max_stars"))
                    .Value("cell", cell).Value("band", band)
                    .Input("image", c.Hasher.HashFile(path))
                    .Input("catalog_flagged", c.Hasher.HashFile(Flagged(c)));
                yield return new FakeItem($"{band}/{cell}", k, [Epsf(c, band, cell)], p => KeyText(k, p));
            }
    }

    private static IEnumerable<FakeItem> PatchesItems(StageContext c)
    {
        var k = new StageKeyBuilder("FakeBuildPatches/1")
            .Config("patches.halo_pix_min", c.Config.Canonical("patches.halo_pix_min"))
            .Input("catalog_flagged", c.Hasher.HashFile(Flagged(c)));
        yield return new FakeItem("all", k, [c.Layout.PatchesJson], p => string.Join("\n", PatchTags()) + "\n" + KeyText(k, p));
    }

    private static IEnumerable<FakeItem> PayloadItems(StageContext c)
    {
        string patches = c.Hasher.HashFile(c.Layout.PatchesJson);
        var images = Bands(c).Select(b => (b.Band, Hash: c.Hasher.HashFile(b.Path))).ToList();
        foreach (var tag in PatchTags())
        {
            var k = new StageKeyBuilder("FakeBuildPatchInputs/1").Input("patches", patches).Value("patch", tag);
            foreach (var (band, hash) in images) k.Input("image." + band, hash);
            yield return new FakeItem(tag, k, [Payload(c, tag)], p => KeyText(k, p));
        }
    }

    private static IEnumerable<FakeItem> FitItems(StageContext c)
    {
        var bands = Bands(c);
        foreach (var tag in PatchTags())
        {
            string cell = tag[..tag.LastIndexOf("_p", StringComparison.Ordinal)];
            var k = new StageKeyBuilder("FakeRunPatches/1")
                .Config("patch_run.n_opt_iters", c.Config.Canonical("patch_run.n_opt_iters"))
                .Config("patch_run.dlnp_stop", c.Config.Canonical("patch_run.dlnp_stop"))
                .Input("payload", c.Hasher.HashFile(Payload(c, tag)));
            foreach (var (band, _) in bands) k.Input("epsf." + band, c.Hasher.HashFile(Epsf(c, band, cell)));
            yield return new FakeItem(tag, k, [c.Layout.PatchFitCsv(tag)], p => $"patch,fit\n{tag},{k.Key}\n");
        }
    }

    private static IEnumerable<FakeItem> MergeItems(StageContext c)
    {
        var k = new StageKeyBuilder("FakeMerge/1").Config("merge.pattern", c.Config.Canonical("merge.pattern"));
        // A patch whose fit failed has no table: its row says so, as the real merge's patch_failed.
        foreach (var tag in PatchTags())
            k.Input("fit." + tag, File.Exists(c.Layout.PatchFitCsv(tag)) ? c.Hasher.HashFile(c.Layout.PatchFitCsv(tag)) : "absent");
        var tags = PatchTags().ToList();
        string Merged() => "patch,fit\n" + string.Concat(tags.Select(t =>
            (File.Exists(c.Layout.PatchFitCsv(t)) ? File.ReadAllLines(c.Layout.PatchFitCsv(t))[1] : t + ",patch_failed") + "\n"));
        // The stamped output lives in state/; the published copy is ComputeZp's to rewrite.
        yield return new FakeItem("all", k, [MergedCatalog(c.Layout), c.Layout.FinalCatalog], _ => Merged());
    }

    private static IEnumerable<FakeItem> ZpItems(StageContext c)
    {
        var k = new StageKeyBuilder("FakeComputeZp/1")
            .Config("zp.clip_sigma", c.Config.Canonical("zp.clip_sigma"))
            .Input("merged", c.Hasher.HashFile(MergedCatalog(c.Layout)));
        string zp = Path.Join(c.Layout.ZpDir, "zp_summary.csv");
        yield return new FakeItem("all", k, [zp, c.Layout.FinalCatalog],
            p => p == zp ? KeyText(k, p) : File.ReadAllText(MergedCatalog(c.Layout)) + "# zp " + k.Key + "\n");
    }

    private static IEnumerable<FakeItem> PictureItems(StageContext c)
    {
        // Pictures read the fit's table and a picture setting; a patch without a fit has none.
        foreach (var tag in PatchTags())
        {
            string fit = c.Layout.PatchFitCsv(tag);
            if (!File.Exists(fit)) continue;
            var k = new StageKeyBuilder("FakePatchDiagnostics/1")
                .Config("plotting.dpi", c.Config.Canonical("plotting.dpi"))
                .Input("fit", c.Hasher.HashFile(fit));
            yield return new FakeItem(tag, k, [Path.Join(c.Layout.PatchOutDir(tag), "fake_overview.png")], p => KeyText(k, p));
        }
    }

    private static IEnumerable<FakeItem> EpsfPictureItems(StageContext c)
    {
        // An ePSF cell's pictures read its ePSF and a picture setting; a cell without an ePSF has none.
        foreach (var (band, _) in Bands(c))
            foreach (var cell in Cells)
            {
                string epsf = Epsf(c, band, cell);
                if (!File.Exists(epsf)) continue;
                var k = new StageKeyBuilder("FakeEpsfDiagnostics/1")
                    .Config("plotting.dpi", c.Config.Canonical("plotting.dpi"))
                    .Input("epsf", c.Hasher.HashFile(epsf));
                yield return new FakeItem($"{band}/{cell}", k, [Path.Join(Path.GetDirectoryName(epsf)!, "fake_epsf.png")], p => KeyText(k, p));
            }
    }

    // --- the one stage class ------------------------------------------------------------------

    private sealed class Stage(StageId id, Func<StageContext, IEnumerable<FakeItem>> plan) : IKeyedStage
    {
        public StageId Id => id;

        public void Run(StageContext context) => KeyedStages.RunStale(this, context, "tract7dt.fake");

        public IReadOnlyList<StageItem> Plan(StageContext context) =>
            plan(context).Select(i => StageItem.From(i.Id, i.Key, StampOf(context, id, i.Id))).ToList();

        public void RunItems(StageContext context, IReadOnlyList<StageItem> items)
        {
            var byId = plan(context).ToDictionary(i => i.Id, StringComparer.Ordinal);
            foreach (var item in items)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                var f = byId[item.Id];
                if (id == StageId.RunPatches && PatchMilliseconds > 0) Thread.Sleep(PatchMilliseconds);
                if (id == StageId.RunPatches && item.Id == Environment.GetEnvironmentVariable(FailPatchVariable))
                {
                    // as the real stage: the failure is logged, the other patches go on
                    context.Log("tract7dt.fake").Error($"patch {item.Id} failed: stand-in failure");
                    continue;
                }
                // Stamped outputs: everything except a published copy another stage rewrites.
                var stamped = new List<string>();
                foreach (var output in f.Outputs)
                {
                    AtomicFile.WriteAllText(output, f.Content(output));
                    if (!(id == StageId.Merge && output == context.Layout.FinalCatalog)) stamped.Add(output);
                }
                Stamp.Write(item.StampPath, f.Key, stamped, context.Hasher);
                File.AppendAllText(RunLog(context.Layout), $"{id} {item.Id}\n", Encoding.UTF8);
            }
        }
    }

    /// <summary>Lines of the run log (empty when nothing ran yet).</summary>
    public static IReadOnlyList<string> ReadRunLog(WorkDirLayout layout) =>
        File.Exists(RunLog(layout)) ? File.ReadAllLines(RunLog(layout)) : [];
}
