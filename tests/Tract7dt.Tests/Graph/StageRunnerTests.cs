using System.Xml.Linq;
using Tract7dt.Science.Errors;
using Tract7dt.Science.IO;
using Tract7dt.Science.Pipeline;
using Tract7dt.Tasks;
using Xunit;

namespace Tract7dt.Tests.Graph;

/// <summary>
/// The one stage runner (<see cref="StageRunner"/>) and the stage table (<see cref="StageTable"/>),
/// in process, on the stand-in stages (<see cref="FakePipeline"/>) over a small simulated tile;
/// and the targets file checked against the table.
/// </summary>
public sealed class StageRunnerTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("t7d-graph-unit");
    private readonly string _config;

    public StageRunnerTests() => _config = GraphTile.CreateIn(_dir.FullName);

    public void Dispose() => _dir.Delete(true);

    private static readonly IReadOnlyList<IKeyedStage> Stages = FakePipeline.All();

    private static IKeyedStage S(StageId id) => Stages.Single(s => s.Id == id);

    /// <summary>What the CLI does: every stage in order through the runner.</summary>
    private void RunAll()
    {
        var ctx = GraphTile.Context(_config);
        foreach (var s in Stages) StageRunner.Run(s, ctx, question: false);
        ctx.Hasher.Save();
    }

    /// <summary>Every file under the tile: bytes and last-write time.</summary>
    private Dictionary<string, (byte[] Bytes, DateTime Time)> Snapshot() =>
        Directory.EnumerateFiles(_dir.FullName, "*", SearchOption.AllDirectories)
            .ToDictionary(f => f, f => (File.ReadAllBytes(f), File.GetLastWriteTimeUtc(f)));

    private void AssertUnchanged(Dictionary<string, (byte[] Bytes, DateTime Time)> before)
    {
        var after = Snapshot();
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        foreach (var (f, (bytes, time)) in before)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(after[f].Bytes), $"{f} changed");
            Assert.Equal(time, after[f].Time);
        }
    }

    [Fact]
    public void Planning_every_stage_writes_nothing_even_with_stale_items()
    {
        RunAll();
        var ctx0 = GraphTile.Context(_config);
        File.Delete(ctx0.Layout.PatchFitCsv("r0_c0_p0"));
        GraphTile.SetConfig(_config, "patch_run", "n_opt_iters", "9");
        var before = Snapshot();

        var ctx = GraphTile.Context(_config);
        var plans = Stages.Select(s => StageRunner.Plan(s, ctx)).ToList();
        var question = Stages.Select(s => StageRunner.Run(s, GraphTile.Context(_config), question: true)).ToList();

        AssertUnchanged(before);
        var fits = plans.Single(p => p.Stage == StageId.RunPatches);
        Assert.All(fits.Items, i => Assert.False(i.UpToDate));
        Assert.Contains(fits.Items, i => i.Item.Id == "r0_c0_p0" && i.Reason == "inputs or settings changed");
        Assert.Equal(plans.Select(p => p.ToBuild.Count), question.Select(p => p.ToBuild.Count));
    }

    [Fact]
    public void A_second_run_builds_nothing_and_a_deleted_output_rebuilds_only_its_item()
    {
        RunAll();
        var ctx = GraphTile.Context(_config);
        int before = FakePipeline.ReadRunLog(ctx.Layout).Count;
        RunAll();
        Assert.Equal(before, FakePipeline.ReadRunLog(ctx.Layout).Count);

        File.Delete(ctx.Layout.PatchFitCsv("r1_c0_p1"));
        RunAll();
        var ran = FakePipeline.ReadRunLog(ctx.Layout).Skip(before).ToList();
        // the fit is rebuilt to the same bytes, so nothing that reads it is stale
        Assert.Equal(["RunPatches r1_c0_p1"], ran);

        // a changed fit setting: every fit, then what reads the fits
        GraphTile.SetConfig(_config, "patch_run", "dlnp_stop", "0.001");
        int mid = FakePipeline.ReadRunLog(ctx.Layout).Count;
        RunAll();
        ran = FakePipeline.ReadRunLog(ctx.Layout).Skip(mid).ToList();
        Assert.Equal(FakePipeline.PatchTags().Select(t => "RunPatches " + t)
            .Concat(["Merge all", "ComputeZp all"]).Concat(FakePipeline.PatchTags().Select(t => "PatchDiagnostics " + t)), ran);
    }

    [Fact]
    public void A_picture_setting_redraws_pictures_and_rebuilds_nothing_else()
    {
        RunAll();
        var ctx = GraphTile.Context(_config);
        int before = FakePipeline.ReadRunLog(ctx.Layout).Count;
        GraphTile.SetConfig(_config, "plotting", "dpi", "80");
        RunAll();
        var ran = FakePipeline.ReadRunLog(ctx.Layout).Skip(before).ToList();
        Assert.Equal(FakePipeline.PatchTags().Select(t => "PatchDiagnostics " + t)
            .Concat(GraphTile.BandNames.SelectMany(b => FakePipeline.Cells.Select(c => $"EpsfDiagnostics {b}/{c}"))), ran);
    }

    [Fact]
    public void A_summary_item_is_built_with_any_other_item_and_alone_when_its_own_output_goes()
    {
        var stage = new SummaryStage(_dir.FullName);
        var ctx = GraphTile.Context(_config);
        Assert.Equal(["a", "b", "summary"], StageRunner.Run(stage, ctx, question: false).ToBuild.Select(i => i.Id));
        Assert.Empty(StageRunner.Run(stage, ctx, question: false).ToBuild);

        File.Delete(stage.Output("b"));
        Assert.Equal(["b", "summary"], StageRunner.Run(stage, ctx, question: false).ToBuild.Select(i => i.Id));

        File.Delete(stage.Output("summary"));
        Assert.Equal(["summary"], StageRunner.Run(stage, ctx, question: false).ToBuild.Select(i => i.Id));
        Assert.Equal(["a", "b", "summary", "b", "summary", "summary"], stage.Built);
    }

    [Fact]
    public void A_stage_that_plans_an_id_twice_fails_with_its_code()
    {
        var stage = new SummaryStage(_dir.FullName, duplicate: true);
        var e = Assert.Throws<Tract7dtException>(() => StageRunner.Plan(stage, GraphTile.Context(_config)));
        Assert.Equal(ErrorCodes.GraphDuplicateItem, e.Code);
    }

    [Fact]
    public void Zero_point_stages_are_planned_as_skipped_without_zp_enabled()
    {
        GraphTile.SetConfig(_config, "zp", "enabled", "false");
        var plan = StageRunner.Plan(S(StageId.ComputeZp), GraphTile.Context(_config));
        Assert.Equal("zp.enabled is false", plan.Skipped);
        Assert.Empty(plan.ToBuild);
    }

    [Fact]
    public void Commands_build_their_stage_and_what_it_needs_in_table_order()
    {
        Assert.Equal([StageId.LoadInputs, StageId.AugmentGaia, StageId.BuildEpsf, StageId.BuildPatches, StageId.BuildPatchInputs,
            StageId.RunPatches, StageId.Merge, StageId.ComputeZp, StageId.PatchDiagnostics, StageId.EpsfDiagnostics], StageTable.ForCommand("run"));
        // the ePSF's pictures need the ePSF only; the ePSF command builds no pictures
        Assert.Equal(StageTable.ForCommand("run-epsf").Append(StageId.EpsfDiagnostics), StageTable.ForCommand("plot-epsf"));
        // merge never reads a stale fit: it builds the fits first, as run does
        Assert.Equal(StageTable.ForCommand("run-patches").Append(StageId.Merge), StageTable.ForCommand("merge"));
        Assert.Equal([StageId.LoadInputs, StageId.AugmentGaia, StageId.BuildPatches], StageTable.ForCommand("build-patches"));
        Assert.DoesNotContain(StageId.PatchDiagnostics, StageTable.ForCommand("compute-zp"));
        Assert.Equal(Enum.GetValues<StageId>(), StageTable.All.Select(d => d.Id));
        // prerequisites come earlier in the table (so table order is a build order)
        foreach (var d in StageTable.All)
            Assert.All(d.Prerequisites, p => Assert.True(p < d.Id, $"{d.Id} needs {p}, which comes later"));
    }

    [Fact]
    public void The_targets_file_has_one_target_per_stage_depending_on_the_tables_closure()
    {
        string targets = Path.Combine(MsBuildRunner.RepoRoot, "build", "Tract7dt.targets");
        var doc = XDocument.Load(targets);
        XNamespace ns = doc.Root!.Name.Namespace;
        var byName = doc.Root.Elements(ns + "Target").ToDictionary(t => (string)t.Attribute("Name")!, StringComparer.Ordinal);
        foreach (var d in StageTable.All)
        {
            Assert.True(byName.TryGetValue(d.Id.ToString(), out var target), $"no target {d.Id} in {targets}");
            var depends = ((string?)target.Attribute("DependsOnTargets") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries);
            var closure = StageTable.Closure([d.Id]).Where(s => s != d.Id).Select(s => s.ToString());
            Assert.Equal(["Tract7dtPrepare", .. closure], depends);
            var task = Assert.Single(target.Elements());
            Assert.Equal(d.Id.ToString(), task.Name.LocalName);
            Assert.Equal("$(Tract7dtQuestion)", (string?)task.Attribute("Question"));
            Assert.Contains(doc.Root.Elements(ns + "UsingTask"), u => (string?)u.Attribute("TaskName") == "Tract7dt.Tasks." + d.Id);
            Assert.NotNull(Type.GetType($"Tract7dt.Tasks.{d.Id}, Tract7dt.Tasks"));
        }
        var run = ((string)byName["Tract7dtRun"].Attribute("DependsOnTargets")!).Split(';');
        Assert.Equal(StageTable.RunTargets.Select(s => s.ToString()), run);
    }

    [Fact]
    public void A_stage_task_logs_T7D_codes_as_msbuild_errors_naming_the_file()
    {
        var engine = new RecordingBuildEngine();
        var task = new BuildEpsf { BuildEngine = engine, ConfigFile = Path.Combine(_dir.FullName, "missing.yaml") };
        Assert.False(task.Execute());
        var error = Assert.Single(engine.Errors);
        Assert.Equal(ErrorCodes.FileNotFound, error.Code);
        Assert.Contains("missing.yaml", error.Message);
    }

    [Fact]
    public void RunPatches_task_refuses_an_unknown_executor_rather_than_running_locally()
    {
        var engine = new RecordingBuildEngine();
        var task = new RunPatches { BuildEngine = engine, ConfigFile = _config, Executor = "pbs" };
        Assert.False(task.Execute());
        var error = Assert.Single(engine.Errors);
        Assert.Equal(ErrorCodes.ClusterBadRequest, error.Code);
        Assert.Contains("/p:Executor=pbs", error.Message);
    }

    /// <summary>Two items and a summary of them, each writing one file; records what it built.</summary>
    private sealed class SummaryStage(string dir, bool duplicate = false) : IKeyedStage
    {
        public List<string> Built { get; } = [];

        public StageId Id => StageId.RunPatches;

        public string Output(string id) => Path.Join(dir, "summary-stage", id + ".txt");

        public void Run(StageContext context) => StageRunner.Run(this, context, question: false);

        public IReadOnlyList<StageItem> Plan(StageContext context) =>
        [
            Item("a"), Item(duplicate ? "a" : "b"),
            StageItem.From("summary", new StageKeyBuilder("Summary/1").Value("of", "a,b"), Stamp("summary"), followsItems: true),
        ];

        private StageItem Item(string id) => StageItem.From(id, new StageKeyBuilder("Item/1").Value("id", id), Stamp(id));

        private string Stamp(string id) => Output(id) + ".stamp.json";

        public void RunItems(StageContext context, IReadOnlyList<StageItem> items)
        {
            foreach (var item in items)
            {
                AtomicFile.WriteAllText(Output(item.Id), item.Id);
                Science.Pipeline.Stamp.Write(item, [Output(item.Id)], context.Hasher);
                Built.Add(item.Id);
            }
        }
    }
}

/// <summary>How a stage's log says why items are built (<see cref="StageRunner.ReasonLines"/>).</summary>
public sealed class StageReasonLinesTests
{
    [Fact]
    public void A_few_items_get_a_line_each()
    {
        var lines = StageRunner.ReasonLines("RunPatches", [("p1", "no stamp"), ("p2", "output missing: outputs/p2/meta.json")]);
        Assert.Equal(["RunPatches p1: no stamp", "RunPatches p2: output missing: outputs/p2/meta.json"], lines);
    }

    [Fact]
    public void Many_items_are_counted_by_the_kind_of_reason_not_one_line_per_path()
    {
        var items = Enumerable.Range(0, 141).Select(i => ($"p{i:D3}", $"output missing: outputs/p{i:D3}/meta.json"))
            .Append(("run_summary", "no stamp")).ToList();
        var lines = StageRunner.ReasonLines("RunPatches", items);
        Assert.Equal(2, lines.Count);
        Assert.Equal("RunPatches: 141 item(s): output missing (e.g. p000: output missing: outputs/p000/meta.json; "
            + "p001: output missing: outputs/p001/meta.json; p002: output missing: outputs/p002/meta.json)", lines[0]);
        Assert.Equal("RunPatches: 1 item(s): no stamp (e.g. run_summary)", lines[1]);
    }
}
