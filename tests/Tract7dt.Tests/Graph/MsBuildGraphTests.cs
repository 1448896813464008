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
/// record what they build. The stand-ins read what the real stages read, so these tests pin
/// the graph's behaviour; the science of each stage is tested in its own folder.
/// </summary>
public sealed class MsBuildGraphTests(BuiltTile built) : IClassFixture<BuiltTile>, IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("t7d-graph-e2e");

    public void Dispose() => _dir.Delete(true);

    private static readonly string[] Patches = FakePipeline.PatchTags().ToArray();

    /// <summary>A copy of the built tile (inputs, work dir, stamps, key files; dates kept).</summary>
    private (string Config, WorkDirLayout Layout) CopyBuilt()
    {
        GraphTile.CopyTree(built.Dir, _dir.FullName);
        string config = Path.Combine(_dir.FullName, "config.yaml");
        return (config, GraphTile.Context(config).Layout);
    }

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
        Assert.Equal(expected, ran);
        Assert.NotEmpty(built.FinalCatalog);
    }

    [Fact]
    public void Second_build_does_nothing_question_passes_and_the_log_says_all_up_to_date()
    {
        var (config, layout) = CopyBuilt();
        var q = MsBuildRunner.Run(config, "-question");
        Assert.True(q.ExitCode == 0, q.Output);

        var r = MsBuildRunner.Run(config);
        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Equal(FakePipeline.ReadRunLog(built.Layout), FakePipeline.ReadRunLog(layout));
        foreach (var stage in Enum.GetNames<StageId>())
            Assert.Matches($@"{stage}: all \d+ item\(s\) up to date", r.Output);
        Assert.Equal(built.FinalCatalog, File.ReadAllBytes(layout.FinalCatalog));
    }

    [Fact]
    public void Touching_every_input_and_output_reruns_nothing()
    {
        var (config, layout) = CopyBuilt();
        var later = DateTime.UtcNow.AddMinutes(5);
        foreach (var f in Directory.EnumerateFiles(_dir.FullName, "*", SearchOption.AllDirectories))
            if (!f.EndsWith("fake_runs.log", StringComparison.Ordinal))
                File.SetLastWriteTimeUtc(f, later);

        // -question fails as soon as any target would run or any plan would write, re-date or
        // remove a key file or stamp; passing means the build would do nothing.
        var q = MsBuildRunner.Run(config, "-question");
        Assert.True(q.ExitCode == 0, q.Output);
        Assert.Equal(FakePipeline.ReadRunLog(built.Layout), FakePipeline.ReadRunLog(layout));
    }

    [Fact]
    public void Changing_n_opt_iters_refits_every_patch_and_nothing_upstream()
    {
        var (config, layout) = CopyBuilt();
        GraphTile.SetConfig(config, "patch_run", "n_opt_iters", "7");
        var ran = Build(config, layout);
        Assert.Equal([.. Lines("RunPatches", Patches), "Merge all", "ComputeZp all"], ran);
    }

    [Fact]
    public void Changing_zp_clip_sigma_reruns_only_ComputeZp_also_as_its_own_target()
    {
        var (config, layout) = CopyBuilt();
        GraphTile.SetConfig(config, "zp", "clip_sigma", "2.5");
        Assert.Equal(["ComputeZp all"], Build(config, layout, "-t:ComputeZp"));
    }

    [Fact]
    public void Editing_one_bands_pixels_rebuilds_its_epsf_cells_and_the_patches_not_other_bands()
    {
        var (config, layout) = CopyBuilt();
        GraphTile.EditPixels(_dir.FullName, "m550");

        var ran = Build(config, layout);
        Assert.Equal(
            [
                "LoadInputs all",
                .. FakePipeline.Cells.Select(c => $"BuildEpsf m550/{c}"),
                .. Lines("BuildPatchInputs", Patches),
                .. Lines("RunPatches", Patches),
                "Merge all",
                "ComputeZp all",
            ], ran);
    }

    [Fact]
    public void Deleting_one_patch_output_refits_only_that_patch()
    {
        var (config, layout) = CopyBuilt();
        File.Delete(layout.PatchFitCsv("r0_c1_p1"));
        // The refit gives the same bytes, so Merge's key (content of the fit tables) is unchanged.
        Assert.Equal(["RunPatches r0_c1_p1"], Build(config, layout));
        Assert.Equal(built.FinalCatalog, File.ReadAllBytes(layout.FinalCatalog));
    }

    [Fact]
    public void A_build_killed_during_RunPatches_resumes_to_a_byte_identical_catalog()
    {
        string config = GraphTile.CreateIn(_dir.FullName);
        var layout = GraphTile.Context(config).Layout;
        var psi = MsBuildRunner.StartInfo(config, [], new Dictionary<string, string> { [FakePipeline.PatchSleepVariable] = "400" });
        using (var p = Process.Start(psi)!)
        {
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            var deadline = DateTime.UtcNow + MsBuildRunner.Timeout;
            while (FakePipeline.ReadRunLog(layout).Count(l => l.StartsWith("RunPatches", StringComparison.Ordinal)) < 3)
            {
                Assert.False(p.HasExited, "the build ended before it could be killed");
                Assert.True(DateTime.UtcNow < deadline, "RunPatches did not start");
                Thread.Sleep(50);
            }
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        var fittedBeforeKill = FakePipeline.ReadRunLog(layout).Where(l => l.StartsWith("RunPatches", StringComparison.Ordinal)).ToList();
        Assert.InRange(fittedBeforeKill.Count, 3, Patches.Length - 1);
        Assert.False(File.Exists(layout.FinalCatalog));

        var ran = Build(config, layout);
        var refit = ran.Where(l => l.StartsWith("RunPatches", StringComparison.Ordinal)).ToList();
        Assert.Empty(refit.Intersect(fittedBeforeKill));                       // finished patches kept
        Assert.Equal(Lines("RunPatches", Patches), fittedBeforeKill.Concat(refit)); // the rest done once
        Assert.DoesNotContain(ran, l => l.StartsWith("BuildEpsf", StringComparison.Ordinal));
        Assert.Equal(built.FinalCatalog, File.ReadAllBytes(layout.FinalCatalog));
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
        Assert.Equal("Merge all", ran[^1]);
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
        Assert.Empty(Directory.EnumerateFiles(_dir.FullName, "fake_runs.log", SearchOption.AllDirectories));
    }
}
