using System.Collections;
using Microsoft.Build.Framework;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Pipeline;
using Tract7dt.Tasks;
using Xunit;

namespace Tract7dt.Tests.Graph;

/// <summary>
/// The bridge between content keys and MSBuild dates (<see cref="StageGraph"/>), in process,
/// on the stand-in stages (<see cref="FakePipeline"/>) over a small simulated tile.
/// </summary>
public sealed class StageGraphTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("t7d-graph-unit");
    private readonly string _config;

    public StageGraphTests() => _config = GraphTile.CreateIn(_dir.FullName);

    public void Dispose() => _dir.Delete(true);

    private static readonly IReadOnlyList<IKeyedStage> Stages = FakePipeline.All();

    private static IKeyedStage S(StageId id) => Stages.Single(s => s.Id == id);

    /// <summary>What the CLI does: every stage in order, stale items only.</summary>
    private void RunAllLikeTheCli()
    {
        var ctx = GraphTile.Context(_config);
        foreach (var s in Stages) KeyedStages.RunStale(s, ctx, "test");
    }

    [Fact]
    public void Plan_writes_one_key_file_per_item_with_the_manifest_and_reports_staleness()
    {
        var ctx = GraphTile.Context(_config);
        KeyedStages.RunStale(S(StageId.LoadInputs), ctx, "test");
        var plan = StageGraph.Plan(S(StageId.BuildEpsf), ctx);

        Assert.Equal(GraphTile.BandNames.Length * FakePipeline.Cells.Length, plan.Items.Count);
        Assert.All(plan.Items, i => Assert.False(i.UpToDate));
        Assert.All(plan.Items, i => Assert.Equal("no stamp", i.Reason));
        var first = plan.Items[0];
        Assert.Equal("m400/r0_c0", first.Id);
        Assert.Equal(Path.Combine(ctx.Layout.StateDir, "keys", "BuildEpsf", "m400", "r0_c0.key"), first.KeyFile);
        Assert.Equal(S(StageId.BuildEpsf).Plan(ctx)[0].Manifest, File.ReadAllText(first.KeyFile));
    }

    [Fact]
    public void Unchanged_key_keeps_the_key_files_date_and_a_changed_key_moves_it()
    {
        var ctx = GraphTile.Context(_config);
        KeyedStages.RunStale(S(StageId.LoadInputs), ctx, "test");
        var item = StageGraph.Plan(S(StageId.BuildEpsf), ctx).Items[0];
        var old = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(item.KeyFile, old);

        var again = StageGraph.Plan(S(StageId.BuildEpsf), GraphTile.Context(_config));
        Assert.Empty(again.Changes);
        Assert.Equal(old, File.GetLastWriteTimeUtc(item.KeyFile));

        GraphTile.SetConfig(_config, "epsf", "max_stars", "17");
        var changed = StageGraph.Plan(S(StageId.BuildEpsf), GraphTile.Context(_config));
        Assert.NotEqual(item.Key, changed.Items[0].Key);
        Assert.True(File.GetLastWriteTimeUtc(item.KeyFile) > old);
        Assert.Contains("epsf.max_stars = 17", File.ReadAllText(item.KeyFile));
    }

    [Fact]
    public void After_a_cli_run_key_files_are_dated_before_their_stamps_so_msbuild_sees_them_current()
    {
        RunAllLikeTheCli();
        var ctx = GraphTile.Context(_config);
        foreach (var stage in Stages)
        {
            var plan = StageGraph.Plan(stage, ctx);
            Assert.All(plan.Items, i => Assert.True(i.UpToDate, $"{stage.Id} {i.Id}: {i.Reason}"));
            Assert.All(plan.Items, i => Assert.True(File.GetLastWriteTimeUtc(i.KeyFile) < File.GetLastWriteTimeUtc(i.StampPath)));
        }
        // Now everything agrees: a second plan changes nothing at all.
        foreach (var stage in Stages)
            Assert.Empty(StageGraph.Plan(stage, GraphTile.Context(_config)).Changes);
    }

    [Fact]
    public void A_deleted_output_removes_its_stamp_so_only_that_item_is_stale_by_date()
    {
        RunAllLikeTheCli();
        var ctx = GraphTile.Context(_config);
        foreach (var stage in Stages) StageGraph.Plan(stage, ctx);
        File.Delete(ctx.Layout.PatchFitCsv("r1_c0_p1"));

        var plan = StageGraph.Plan(S(StageId.RunPatches), GraphTile.Context(_config));
        var stale = plan.Items.Where(i => !i.UpToDate).ToList();
        Assert.Equal(["r1_c0_p1"], stale.Select(i => i.Id));
        Assert.StartsWith("output missing", stale[0].Reason);
        Assert.False(File.Exists(stale[0].StampPath));
        Assert.All(plan.Items.Where(i => i.UpToDate), i => Assert.True(File.Exists(i.StampPath)));
    }

    [Fact]
    public void Dry_run_changes_nothing_and_lists_what_it_would_change()
    {
        RunAllLikeTheCli();
        var ctx = GraphTile.Context(_config);
        File.Delete(ctx.Layout.PatchFitCsv("r0_c0_p0"));
        var snapshot = Directory.EnumerateFiles(ctx.Layout.StateDir, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith("hashcache.tsv", StringComparison.Ordinal))
            .ToDictionary(f => f, File.GetLastWriteTimeUtc);

        var plan = StageGraph.Plan(S(StageId.RunPatches), ctx, dryRun: true);

        Assert.NotEmpty(plan.Changes);
        Assert.Contains(plan.Changes, c => c.StartsWith("wrote ", StringComparison.Ordinal)); // key files never written yet
        Assert.Contains(plan.Changes, c => c.Contains("removed stale stamp", StringComparison.Ordinal) && c.Contains("r0_c0_p0", StringComparison.Ordinal));
        Assert.False(Directory.Exists(StageGraph.KeysDir(ctx.Layout, StageId.RunPatches)));
        foreach (var (f, t) in snapshot) Assert.Equal(t, File.GetLastWriteTimeUtc(f));
    }

    [Fact]
    public void Run_builds_exactly_the_given_items_in_plan_order()
    {
        RunAllLikeTheCli();
        var ctx = GraphTile.Context(_config);
        int before = FakePipeline.ReadRunLog(ctx.Layout).Count;
        int n = StageGraph.Run(S(StageId.RunPatches), ctx, ["r1_c1_p0", "r0_c0_p1"], "test");
        var ran = FakePipeline.ReadRunLog(ctx.Layout).Skip(before).ToList();
        Assert.Equal(2, n);
        Assert.Equal(["RunPatches r0_c0_p1", "RunPatches r1_c1_p0"], ran);
    }

    [Fact]
    public void Run_with_an_item_the_plan_no_longer_has_fails_with_its_code()
    {
        RunAllLikeTheCli();
        var e = Assert.Throws<Tract7dtException>(() =>
            StageGraph.Run(S(StageId.RunPatches), GraphTile.Context(_config), ["r9_c9_p0"], "test"));
        Assert.Equal(ErrorCodes.GraphItemNotPlanned, e.Code);
        Assert.Contains("r9_c9_p0", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("../x")]
    [InlineData("a//b")]
    [InlineData("/abs")]
    [InlineData("a b")]
    [InlineData("a/..")]
    public void Item_ids_that_could_escape_the_keys_folder_are_rejected(string id)
    {
        var layout = GraphTile.Context(_config).Layout;
        var e = Assert.Throws<Tract7dtException>(() => StageGraph.KeyFile(layout, StageId.RunPatches, id));
        Assert.Equal(ErrorCodes.GraphBadItemId, e.Code);
    }

    [Theory]
    [InlineData("buildepsf")]
    [InlineData("7")]
    [InlineData("Epsf")]
    public void Unknown_stage_names_fail_with_the_list_of_stages(string name)
    {
        var e = Assert.Throws<Tract7dtException>(() => StageGraph.ParseStage(name));
        Assert.Equal(ErrorCodes.GraphUnknownStage, e.Code);
        Assert.Contains("BuildEpsf", e.Message);
    }

    [Fact]
    public void PlanStage_task_logs_T7D_codes_as_msbuild_errors_naming_the_file()
    {
        var engine = new MockEngine();
        var task = new PlanStage { BuildEngine = engine, Stage = "BuildEpsf", ConfigFile = Path.Combine(_dir.FullName, "missing.yaml") };
        Assert.False(task.Execute());
        var error = Assert.Single(engine.Errors);
        Assert.Equal(ErrorCodes.FileNotFound, error.Code);
        Assert.Contains("missing.yaml", error.Message);

        engine = new MockEngine();
        task = new PlanStage { BuildEngine = engine, Stage = "NoSuchStage", ConfigFile = _config };
        Assert.False(task.Execute());
        Assert.Equal(ErrorCodes.GraphUnknownStage, Assert.Single(engine.Errors).Code);
    }

    [Fact]
    public void RunPatches_task_refuses_an_unknown_executor_rather_than_running_locally()
    {
        var engine = new MockEngine();
        var task = new RunPatches { BuildEngine = engine, ConfigFile = _config, Executor = "pbs", Items = [] };
        Assert.False(task.Execute());
        var error = Assert.Single(engine.Errors);
        Assert.Equal(ErrorCodes.ClusterBadRequest, error.Code);
        Assert.Contains("/p:Executor=pbs", error.Message);
    }

    /// <summary>A build engine that records errors (the STYLE's mock-engine habit).</summary>
    private sealed class MockEngine : IBuildEngine
    {
        public List<BuildErrorEventArgs> Errors { get; } = new();
        public List<string> Messages { get; } = new();
        public bool ContinueOnError => false;
        public int LineNumberOfTaskNode => 0;
        public int ColumnNumberOfTaskNode => 0;
        public string ProjectFileOfTaskNode => "test.proj";
        public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Add(e);
        public void LogWarningEvent(BuildWarningEventArgs e) => Messages.Add(e.Message ?? "");
        public void LogMessageEvent(BuildMessageEventArgs e) => Messages.Add(e.Message ?? "");
        public void LogCustomEvent(CustomBuildEventArgs e) { }
        public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => false;
    }
}
