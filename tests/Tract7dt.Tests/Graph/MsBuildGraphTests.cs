using System.Diagnostics;
using Tract7dt.Science.Pipeline;
using Xunit;

namespace Tract7dt.Tests.Graph;

/// <summary>A tile built once by <c>dotnet msbuild</c> from scratch; each test works on a copy.</summary>
public sealed class BuiltTile : IDisposable
{
    public BuiltTile()
    {
        Dir = Directory.CreateTempSubdirectory("t7d-graph-built").FullName;
        string config = GraphTile.CreateIn(Dir);
        First = MsBuildRunner.Run(config);
        Layout = GraphTile.Context(config).Layout;
        FinalCatalog = File.Exists(Layout.FinalCatalog) ? File.ReadAllBytes(Layout.FinalCatalog) : [];
    }

    public string Dir { get; }

    public WorkDirLayout Layout { get; }

    internal MsBuildRunner.Result First { get; }

    public byte[] FinalCatalog { get; }

    public void Dispose() => Directory.Delete(Dir, true);
}

/// <summary>
/// End-to-end checks of the build graph (issue "The build graph"): <c>dotnet msbuild
/// examples/Run.proj</c> on a copy of a small simulated tile, with stand-in stages that
/// record what they build: the execution order, the CLI/MSBuild hand-over, single targets,
/// the zp switch and config errors, in about a second per build. The seven incremental
/// scenarios of the issue run against the real stages in <see cref="RealGraphTests"/>.
/// </summary>
public sealed class MsBuildGraphTests(BuiltTile built) : IClassFixture<BuiltTile>, IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("t7d-graph-e2e");

    public void Dispose() => _dir.Delete(true);

    private static readonly string[] Patches = FakePipeline.PatchTags().ToArray();

    /// <summary>Runs msbuild (asserting success) and returns what the stages built, as "Stage item" lines.</summary>
    private static List<string> Build(string config, WorkDirLayout layout, params string[] args)
    {
        int before = FakePipeline.ReadRunLog(layout).Count;
        var r = MsBuildRunner.Run(config, args);
        Assert.True(r.ExitCode == 0, r.Output);
        return FakePipeline.ReadRunLog(layout).Skip(before).ToList();
    }

    private static IEnumerable<string> Lines(string stage, IEnumerable<string> items) => items.Select(i => $"{stage} {i}");

    [Fact]
    public void First_build_runs_every_stage_item_once_in_the_seeds_order()
    {
        Assert.True(built.First.ExitCode == 0, built.First.Output);
        var ran = FakePipeline.ReadRunLog(built.Layout);
        string[] bands = GraphTile.BandNames;
        var expected = new List<string> { "LoadInputs all", "AugmentGaia all" };
        expected.AddRange(bands.SelectMany(b => FakePipeline.Cells.Select(c => $"BuildEpsf {b}/{c}")));
        expected.Add("BuildPatches all");
        expected.AddRange(Lines("BuildPatchInputs", Patches));
        expected.AddRange(Lines("RunPatches", Patches));
        expected.Add("Merge all");
        expected.Add("ComputeZp all");
        expected.AddRange(Lines("PatchDiagnostics", Patches)); // the pictures after the catalogue
        expected.AddRange(bands.SelectMany(b => FakePipeline.Cells.Select(c => $"EpsfDiagnostics {b}/{c}")));
        Assert.Equal(expected, ran);
        Assert.NotEmpty(built.FinalCatalog);
    }

    [Fact]
    public void A_build_writes_the_run_log_and_one_config_snapshot_per_config()
    {
        // what the CLI's `run` leaves: {work_dir}/run.log (logging.file: auto) and config_used_*.yaml
        Assert.True(built.First.ExitCode == 0, built.First.Output);
        string log = Path.Combine(built.Layout.WorkDir, "run.log");
        Assert.True(File.Exists(log), "the MSBuild path wrote no run.log");
        Assert.Contains(" | INFO | ", File.ReadAllText(log));
        Assert.Single(Directory.GetFiles(built.Layout.WorkDir, "config_used_*.yaml")); // several tasks, one config

        string config = GraphTile.CreateIn(_dir.FullName);
        var layout = GraphTile.Context(config).Layout;
        Build(config, layout);
        Assert.Single(Directory.GetFiles(layout.WorkDir, "config_used_*.yaml"));
        Thread.Sleep(1100); // snapshots are named by the second
        GraphTile.SetConfig(config, "patch_run", "n_opt_iters", "7");
        Build(config, layout);
        var snaps = Directory.GetFiles(layout.WorkDir, "config_used_*.yaml").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, snaps.Count);
        Assert.Equal(File.ReadAllBytes(config), File.ReadAllBytes(snaps[^1]));
    }

    [Fact]
    public void A_cli_run_followed_by_msbuild_redoes_nothing_and_the_reverse()
    {
        // CLI path: each stage's Run (KeyedStages.RunStale) in order, in this process.
        string config = GraphTile.CreateIn(_dir.FullName);
        var ctx = GraphTile.Context(config);
        foreach (var s in FakePipeline.All()) s.Run(ctx);
        ctx.Hasher.Save();
        int cliRuns = FakePipeline.ReadRunLog(ctx.Layout).Count;
        Assert.Equal(FakePipeline.ReadRunLog(built.Layout).Count, cliRuns);

        Assert.Empty(Build(config, ctx.Layout));

        var again = GraphTile.Context(config);
        foreach (var s in FakePipeline.All()) s.Run(again);
        Assert.Equal(cliRuns, FakePipeline.ReadRunLog(again.Layout).Count);
        Assert.Equal(built.FinalCatalog, File.ReadAllBytes(again.Layout.FinalCatalog));
    }

    [Fact]
    public void BuildEpsf_target_alone_builds_its_prerequisites_and_nothing_downstream()
    {
        string config = GraphTile.CreateIn(_dir.FullName);
        var layout = GraphTile.Context(config).Layout;
        var ran = Build(config, layout, "-t:BuildEpsf");
        Assert.Equal(2 + GraphTile.BandNames.Length * FakePipeline.Cells.Length, ran.Count);
        Assert.Equal(["LoadInputs all", "AugmentGaia all"], ran.Take(2));
        Assert.All(ran.Skip(2), l => Assert.StartsWith("BuildEpsf ", l));
    }

    [Fact]
    public void With_zp_disabled_the_zero_point_stages_are_skipped()
    {
        string config = GraphTile.CreateIn(_dir.FullName);
        GraphTile.SetConfig(config, "zp", "enabled", "false");
        var layout = GraphTile.Context(config).Layout;
        var ran = Build(config, layout);
        Assert.DoesNotContain(ran, l => l.StartsWith("AugmentGaia", StringComparison.Ordinal) || l.StartsWith("ComputeZp", StringComparison.Ordinal));
        int epsfPictures = GraphTile.BandNames.Length * FakePipeline.Cells.Length;
        Assert.Equal("Merge all", ran[^(Patches.Length + epsfPictures + 1)]);
        Assert.Equal(Lines("PatchDiagnostics", Patches), ran.SkipLast(epsfPictures).TakeLast(Patches.Length));
        Assert.All(ran.TakeLast(epsfPictures), l => Assert.StartsWith("EpsfDiagnostics ", l));
    }

    [Fact]
    public void A_failed_patch_fails_the_build_after_the_merge_as_the_cli_does()
    {
        string config = GraphTile.CreateIn(_dir.FullName);
        var layout = GraphTile.Context(config).Layout;
        string bad = Patches[1];
        var r = MsBuildRunner.Run(config, new Dictionary<string, string> { [FakePipeline.FailPatchVariable] = bad });
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains($"patch {bad} failed", r.Output);
        var ran = FakePipeline.ReadRunLog(layout);
        // the other patches are fitted, and the catalogue is still merged (its rows of the
        // failed patch marked patch_failed by the real Merge)
        Assert.Equal(Patches.Where(p => p != bad).Select(p => $"RunPatches {p}"), ran.Where(l => l.StartsWith("RunPatches ", StringComparison.Ordinal)));
        Assert.True(ran.Contains("Merge all"), r.Output);
        // the next build retries only the failed patch
        int before = ran.Count;
        var again = MsBuildRunner.Run(config);
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains($"RunPatches {bad}", FakePipeline.ReadRunLog(layout).Skip(before));
    }

    [Fact]
    public void A_cli_run_during_an_msbuild_build_stops_at_once_naming_the_build()
    {
        string config = GraphTile.CreateIn(_dir.FullName);
        var layout = GraphTile.Context(config).Layout;
        // patches slow enough that the first build is still in RunPatches after a CLI run and a
        // second build have tried the work dir (each takes a few seconds to start)
        var psi = MsBuildRunner.StartInfo(config, [], new Dictionary<string, string> { [FakePipeline.PatchSleepVariable] = "2500" });
        using var build = Process.Start(psi)!;
        build.OutputDataReceived += (_, _) => { };
        build.ErrorDataReceived += (_, _) => { };
        build.BeginOutputReadLine();
        build.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + MsBuildRunner.Timeout;
        while (!FakePipeline.ReadRunLog(layout).Any(l => l.StartsWith("RunPatches ", StringComparison.Ordinal)))
        {
            Assert.False(build.HasExited, "the build ended before RunPatches");
            Assert.True(DateTime.UtcNow < deadline, "RunPatches did not start");
            Thread.Sleep(20);
        }

        var clock = Stopwatch.StartNew();
        var (code, _, err) = Tract7dt.Tests.Cli.CliHarness.Run("run", "--config", config);
        Assert.NotEqual(0, code);
        Assert.Contains(Tract7dt.Science.Errors.ErrorCodes.WorkDirLocked, err);
        Assert.Contains("an MSBuild build of Run.proj", err); // the holder: what it is, with pid and host
        Assert.Contains(Environment.MachineName, err);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the CLI took {clock.Elapsed} to give up");

        // a second build stops as soon as it would start its first stage, naming the first
        clock.Restart();
        var second = MsBuildRunner.Run(config);
        Assert.NotEqual(0, second.ExitCode);
        Assert.Contains("error T7D705", second.Output);
        Assert.Contains("is in use by an MSBuild build of Run.proj (pid " + build.Id, second.Output);
        Assert.False(build.HasExited, "the first build ended before the second was tried; lengthen its patches");

        Assert.True(build.WaitForExit(MsBuildRunner.Timeout));
        Assert.Equal(0, build.ExitCode);
        Assert.Equal(built.First.ExitCode == 0 ? FakePipeline.ReadRunLog(built.Layout).Count : -1, FakePipeline.ReadRunLog(layout).Count);
        // the build released its lock when it ended
        Assert.False(File.Exists(Path.Join(layout.StateDir, "run.lock.holder")));
        using (WorkDirLock.Acquire(layout, "a test")) { }
    }

    [Fact]
    public void A_build_while_a_cli_run_holds_the_work_dir_stops_before_its_first_stage_naming_the_run()
    {
        string config = GraphTile.CreateIn(_dir.FullName);
        var layout = GraphTile.Context(config).Layout;
        // the lock the CLI's commands take (an exclusive open of state/run.lock), held by this process
        using (WorkDirLock.Acquire(layout, "tract7dt run (the test's stand-in)"))
        {
            var r = MsBuildRunner.Run(config);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("error T7D705", r.Output);
            Assert.Contains("is in use by tract7dt run (the test's stand-in) (pid " + Environment.ProcessId, r.Output);
            Assert.Empty(FakePipeline.ReadRunLog(layout)); // no stage ran
        }
        var after = MsBuildRunner.Run(config);
        Assert.True(after.ExitCode == 0, after.Output);
    }

    [Fact]
    public void A_config_warning_is_reported_once_at_the_config_file()
    {
        string config = GraphTile.CreateIn(_dir.FullName);
        GraphTile.SetConfig(config, "patch_run", "no_such_key", "1");
        var r = MsBuildRunner.Run(config);
        Assert.True(r.ExitCode == 0, r.Output);
        // Each warning is printed where it happens and again in the closing summary: once from
        // ReadConfig, not once per task; located at the config, not at build/Tract7dt.targets.
        var lines = r.Output.Split('\n').Where(l => l.Contains("no_such_key", StringComparison.Ordinal) && l.Contains("warning", StringComparison.Ordinal)).ToList();
        Assert.InRange(lines.Count, 1, 2);
        // at the key's own line: "config.yaml(N): warning"
        Assert.All(lines, l => Assert.Matches(System.Text.RegularExpressions.Regex.Escape(Path.GetFullPath(config)) + @"\([1-9]\d*\): warning", l));
        Assert.DoesNotContain(lines, l => l.Contains("Tract7dt.targets", StringComparison.Ordinal));
    }

    [Fact]
    public void A_config_error_fails_the_build_with_a_T7D_code_before_any_stage_runs()
    {
        string config = GraphTile.CreateIn(_dir.FullName);
        GraphTile.SetConfig(config, "patch_run", "n_opt_iters", "-3");
        var r = MsBuildRunner.Run(config);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Matches(@"error T7D0\d\d", r.Output);
        Assert.Contains("n_opt_iters", r.Output);
        // shown at the config's line of the key, not at the targets file
        int line = File.ReadAllLines(config).ToList().FindIndex(l => l.TrimStart().StartsWith("n_opt_iters:", StringComparison.Ordinal)) + 1;
        Assert.True(line > 0);
        Assert.Contains($"{Path.GetFullPath(config)}({line}): error T7D0", r.Output);
        Assert.Empty(Directory.EnumerateFiles(_dir.FullName, "fake_runs.log", SearchOption.AllDirectories));
    }
}
