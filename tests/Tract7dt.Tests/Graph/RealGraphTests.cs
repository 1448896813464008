using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Pipeline.Stages;
using Tract7dt.Science.Simulation;
using Xunit;

namespace Tract7dt.Tests.Graph;

/// <summary>
/// A small simulated tile (3 bands, 300 × 300 px, 30 sources; 2 × 2 ePSF cells with 2 × 2
/// patches each) built once from scratch by <c>dotnet msbuild</c> with the real stages, and a
/// snapshot of the result. Every scenario restores the snapshot into the same folder: keys
/// record the resolved (absolute) input paths, so a copy elsewhere would be a different tile.
/// </summary>
public sealed class RealBuiltTile : IDisposable
{
    private readonly string _root;

    public RealBuiltTile()
    {
        _root = Directory.CreateTempSubdirectory("t7d-graph-real").FullName;
        TileDir = Path.Combine(_root, "tile");
        Simulator.Run(new SimulationOptions(TileDir, SimulationPreset.Tiny, Width: 300, Height: 300, Sources: 30));
        Config = Path.Combine(TileDir, "config.yaml");
        // Four ePSF cells per band and several patches, so "which items rebuilt" has content.
        GraphTile.SetConfig(Config, "epsf", "epsf_ngrid", "2");
        GraphTile.SetConfig(Config, "epsf", "ngrid", "2");
        Layout = GraphTile.Context(Config).Layout;

        First = MsBuildRunner.RunReal(Config);
        if (First.ExitCode != 0)
        {
            Directory.Delete(_root, true); // xunit does not dispose a fixture whose constructor threw
            throw new InvalidOperationException("first build failed:\n" + First.Output);
        }
        FirstBuild = BuildLog.Parse(First.Output);
        FinalCatalog = File.ReadAllBytes(Layout.FinalCatalog);
        Snapshot = Path.Combine(_root, "built");
        GraphTile.CopyTree(TileDir, Snapshot);
    }

    /// <summary>The tile's folder (inputs, config, work dir); scenarios edit it after <see cref="Restore"/>.</summary>
    public string TileDir { get; }

    public string Config { get; }

    public WorkDirLayout Layout { get; }

    internal MsBuildRunner.Result First { get; }

    internal BuildLog FirstBuild { get; }

    /// <summary>The final catalog of the uninterrupted first build.</summary>
    public byte[] FinalCatalog { get; }

    private string Snapshot { get; }

    /// <summary>Puts the tile back exactly as the first build left it (contents and dates).</summary>
    public void Restore()
    {
        Directory.Delete(TileDir, true);
        GraphTile.CopyTree(Snapshot, TileDir);
    }

    public void Dispose() => Directory.Delete(_root, true);
}

/// <summary>
/// What one msbuild run's plan said, parsed from the graph's per-stage lines
/// ("<c>Stage: N item(s), U up to date, B to build</c>" or "<c>Stage: all N item(s) up to
/// date</c>") and per-item lines ("<c>Stage item: reason</c>", normal verbosity).
/// </summary>
internal sealed class BuildLog
{
    private static readonly Regex Summary = new(
        @"^\s*(?<stage>[A-Za-z]+): (?:all (?<n>\d+) item\(s\) up to date|(?<n>\d+) item\(s\), (?<u>\d+) up to date, (?<b>\d+) to build)\s*$",
        RegexOptions.Multiline | RegexOptions.CultureInvariant);

    private static readonly Regex Skipped = new(@"^\s*(?<stage>[A-Za-z]+): skipped \(", RegexOptions.Multiline | RegexOptions.CultureInvariant);

    private static readonly Regex ItemLine = new(
        @"^\s*(?<stage>[A-Za-z]+) (?<item>[A-Za-z0-9_./+-]+): (?<reason>.+?)\s*$",
        RegexOptions.Multiline | RegexOptions.CultureInvariant);

    /// <summary>The build's console output.</summary>
    public string Output { get; private init; } = "";

    /// <summary>Stage → (items planned, items to build), for every stage the build planned.</summary>
    public Dictionary<string, (int Items, int ToBuild)> Stages { get; } = new(StringComparer.Ordinal);

    /// <summary>Stage → ids of the items it rebuilt.</summary>
    public Dictionary<string, List<string>> Stale { get; } = new(StringComparer.Ordinal);

    public static BuildLog Parse(string output)
    {
        var log = new BuildLog { Output = output };
        var stages = Enum.GetNames<StageId>().ToHashSet(StringComparer.Ordinal);
        foreach (Match m in Summary.Matches(output))
        {
            string stage = m.Groups["stage"].Value;
            if (!stages.Contains(stage)) continue;
            int n = int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            int b = m.Groups["b"].Success ? int.Parse(m.Groups["b"].Value, CultureInfo.InvariantCulture) : 0;
            Assert.False(log.Stages.ContainsKey(stage), $"stage {stage} planned twice in one build");
            log.Stages[stage] = (n, b);
            log.Stale[stage] = [];
        }
        foreach (Match m in Skipped.Matches(output))
            if (stages.Contains(m.Groups["stage"].Value))
            {
                log.Stages[m.Groups["stage"].Value] = (0, 0);
                log.Stale[m.Groups["stage"].Value] = [];
            }
        foreach (Match m in ItemLine.Matches(output))
            if (stages.Contains(m.Groups["stage"].Value) && log.Stale.TryGetValue(m.Groups["stage"].Value, out var list))
                list.Add(m.Groups["item"].Value);
        foreach (var (stage, (_, b)) in log.Stages)
            Assert.True(log.Stale[stage].Count == b, $"{stage}: {b} to build but {log.Stale[stage].Count} item lines:\n{output}");
        return log;
    }

    /// <summary>Stages that rebuilt at least one item, in pipeline order.</summary>
    public List<string> Rebuilt() =>
        Enum.GetNames<StageId>().Where(s => Stages.TryGetValue(s, out var c) && c.ToBuild > 0).ToList();

    public int Items(string stage) => Stages[stage].Items;

    public int ToBuild(string stage) => Stages[stage].ToBuild;
}

/// <summary>
/// The build graph's scenarios, run by <c>dotnet msbuild examples/Run.proj</c> and by the
/// in-process CLI against the real stages on a small simulated tile. Each test restores the
/// built tile, changes one thing, rebuilds and checks from the stages' log lines exactly which
/// items were rebuilt, and that both paths give the same bytes (tests of one class run one
/// after another, so sharing the tile's folder is safe).
/// </summary>
public sealed class RealGraphTests(RealBuiltTile tile, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RealBuiltTile>
{
    private static readonly string[] AllStages = Enum.GetNames<StageId>();

    private BuildLog Build(params string[] args)
    {
        var r = MsBuildRunner.RunReal(tile.Config, args);
        Assert.True(r.ExitCode == 0, r.Output);
        var log = BuildLog.Parse(r.Output);
        // every stage the target needs is planned (a -t:Stage build: that stage's closure)
        string? target = args.FirstOrDefault(a => a.StartsWith("-t:", StringComparison.Ordinal))?[3..];
        var planned = target is null ? AllStages
            : StageTable.Closure([Enum.Parse<StageId>(target)]).Select(s => s.ToString()).ToArray();
        Assert.Equal(planned, log.Stages.Keys.OrderBy(s => Array.IndexOf(AllStages, s)));
        return log;
    }

    /// <summary>The stage-level summary items (built whenever another item of their stage is).</summary>
    private static readonly string[] SummaryItems =
        [BuildEpsfStage.SummaryItemId, BuildPatchInputsStage.ListItemId, RunPatchesStage.SummaryItem];

    private List<string> PatchTags() => tile.FirstBuild.Stale["RunPatches"].Except(SummaryItems).ToList();

    private static List<string> With(List<string> items, string summary) => [.. items, summary];

    [Fact]
    public void First_build_plans_every_item_of_every_stage_and_several_cells_and_patches()
    {
        var first = tile.FirstBuild;
        Assert.Equal(AllStages, first.Rebuilt());
        foreach (var (stage, (n, b)) in first.Stages) Assert.True(n == b, $"{stage}: {b} of {n} built from scratch");
        Assert.Equal(3 * 4 + 1, first.Items("BuildEpsf"));           // 3 bands × 2 × 2 cells, and the summary
        Assert.InRange(first.Items("RunPatches"), 3, 16);             // ≤ 2² × 2² patches, empty ones pruned
        Assert.Equal(first.Items("BuildPatchInputs"), first.Items("RunPatches"));
        Assert.NotEmpty(tile.FinalCatalog);
    }

    [Fact]
    public void Second_build_does_nothing_question_passes_and_every_item_is_up_to_date()
    {
        tile.Restore();
        var q = MsBuildRunner.RunReal(tile.Config, "-question");
        Assert.True(q.ExitCode == 0, q.Output);

        var log = Build();
        Assert.Empty(log.Rebuilt());
        foreach (var stage in AllStages)
            Assert.Contains($"{stage}: all {tile.FirstBuild.Items(stage)} item(s) up to date", log.Output);
        Assert.Equal(tile.FinalCatalog, File.ReadAllBytes(tile.Layout.FinalCatalog));
    }

    [Fact]
    public void Changing_n_opt_iters_refits_every_patch_and_nothing_upstream()
    {
        tile.Restore();
        // 3: below the step at which this tile's patches settle (patch_run.stop_when_settled); a
        // cap none of them reaches, such as 7, leaves every fit byte-identical and Merge up to date
        GraphTile.SetConfig(tile.Config, "patch_run", "n_opt_iters", "3");
        // -question says so and writes nothing: no stamp removed, no cache saved, nothing re-dated
        // (it used to delete every patch's stamp, so a CLI merge afterwards saw no fits).
        var before = Snapshot(tile.TileDir);
        var q = MsBuildRunner.RunReal(tile.Config, "-question");
        Assert.NotEqual(0, q.ExitCode);
        Assert.Contains("RunPatches: not up to date", q.Output);
        Assert.Equal(before, Snapshot(tile.TileDir));

        var log = Build();
        // the fits and what reads them; the pictures are redrawn from the new fits
        Assert.Equal(["RunPatches", "Merge", "ComputeZp", "PatchDiagnostics"], log.Rebuilt());
        Assert.Equal(With(PatchTags(), RunPatchesStage.SummaryItem), log.Stale["RunPatches"]);
    }

    /// <summary>Every file under <paramref name="dir"/> with its length and write time.</summary>
    private static List<string> Snapshot(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Select(f => $"{Path.GetRelativePath(dir, f)} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f):O}")
            .OrderBy(s => s, StringComparer.Ordinal).ToList();

    [Fact]
    public void Changing_zp_clip_sigma_reruns_only_ComputeZp_also_as_its_own_target()
    {
        tile.Restore();
        GraphTile.SetConfig(tile.Config, "zp", "clip_sigma", "2.5");
        var log = Build("-t:ComputeZp");
        Assert.Equal(["ComputeZp"], log.Rebuilt());
        Assert.Equal(["all", ComputeZpStage.PicturesItemId], log.Stale["ComputeZp"]); // the plots show the new zero points
        Assert.Contains("Tract7dt: Zero points: m400 ", log.Output); // -t:ComputeZp says the new zero points
    }

    [Fact]
    public void Editing_one_bands_pixels_rebuilds_its_epsf_cells_and_the_patches_reading_them_only()
    {
        tile.Restore();
        GraphTile.EditPixels(tile.TileDir, "m550");
        var log = Build();
        // LoadInputs (white stack, frames.json) and AugmentGaia (reads the white stack) must
        // rerun; BuildPatches must not: patch geometry comes from the catalog and the crop.
        Assert.Equal(["LoadInputs", "AugmentGaia", "BuildEpsf", "BuildPatchInputs", "RunPatches", "Merge", "ComputeZp", "PatchDiagnostics",
            "EpsfDiagnostics"], log.Rebuilt());

        // Only m550's four cells; the other bands' ePSFs are kept.
        Assert.Equal(With(tile.FirstBuild.Stale["BuildEpsf"].Where(i => i.StartsWith("m550/", StringComparison.Ordinal)).ToList(),
            BuildEpsfStage.SummaryItemId), log.Stale["BuildEpsf"]);
        Assert.Equal(4 + 1, log.ToBuild("BuildEpsf"));
        // and only their pictures are drawn again
        Assert.Equal(log.Stale["BuildEpsf"].Where(i => i != BuildEpsfStage.SummaryItemId), log.Stale["EpsfDiagnostics"]);
        // Every payload holds a window of every band, so every patch reads m550.
        Assert.Equal(With(PatchTags(), BuildPatchInputsStage.ListItemId), log.Stale["BuildPatchInputs"]);
        Assert.Equal(With(PatchTags(), RunPatchesStage.SummaryItem), log.Stale["RunPatches"]);
    }

    [Fact]
    public void Changing_a_scheduling_key_reruns_nothing()
    {
        tile.Restore();
        GraphTile.SetConfig(tile.Config, "patch_run", "max_workers", "1");
        GraphTile.SetConfig(tile.Config, "epsf", "max_workers", "1");
        var q = MsBuildRunner.RunReal(tile.Config, "-question");
        Assert.True(q.ExitCode == 0, q.Output);
    }

    [Fact]
    public void Changing_epsf_ngrid_rekeys_every_epsf_cell_because_its_meta_records_it()
    {
        tile.Restore();
        var before = new BuildEpsfStage().Plan(GraphTile.Context(tile.Config)).Where(i => i.Id != BuildEpsfStage.SummaryItemId).ToList();
        GraphTile.SetConfig(tile.Config, "epsf", "ngrid", "1");
        var after = new BuildEpsfStage().Plan(GraphTile.Context(tile.Config)).Where(i => i.Id != BuildEpsfStage.SummaryItemId).ToList();
        Assert.Equal(before.Select(i => i.Id), after.Select(i => i.Id));
        Assert.All(before.Zip(after), p => Assert.NotEqual(p.First.Key, p.Second.Key));
        Assert.All(after, i => Assert.Contains("settings epsf.Config.Ngrid = 1", i.Manifest));
    }

    [Fact]
    public void Touching_every_input_and_output_reruns_nothing()
    {
        tile.Restore();
        var later = DateTime.UtcNow.AddMinutes(5);
        foreach (var f in Directory.EnumerateFiles(tile.TileDir, "*", SearchOption.AllDirectories))
            File.SetLastWriteTimeUtc(f, later);

        // -question fails as soon as a stage has an item to build; passing means a build
        // would do nothing: dates alone never make an item stale.
        var q = MsBuildRunner.RunReal(tile.Config, "-question");
        Assert.True(q.ExitCode == 0, q.Output);
        var log = BuildLog.Parse(q.Output);
        Assert.Empty(log.Rebuilt());
        Assert.Equal(tile.FinalCatalog, File.ReadAllBytes(tile.Layout.FinalCatalog));
    }

    [Fact]
    public void Deleting_one_patch_output_refits_only_that_patch()
    {
        tile.Restore();
        string tag = PatchTags()[1];
        File.Delete(tile.Layout.PatchFitCsv(tag));
        var log = Build();
        // The refit writes the same bytes, so Merge's key (the fit tables' content) is unchanged;
        // the refit starts from an empty patch folder, so that patch's pictures are drawn again.
        Assert.Equal(["RunPatches", "PatchDiagnostics"], log.Rebuilt());
        Assert.Equal([tag, RunPatchesStage.SummaryItem], log.Stale["RunPatches"]);
        Assert.Equal([tag], log.Stale["PatchDiagnostics"]);
        Assert.Equal(tile.FinalCatalog, File.ReadAllBytes(tile.Layout.FinalCatalog));
    }

    [Fact]
    public void A_build_killed_during_RunPatches_resumes_to_a_byte_identical_final_catalog()
    {
        tile.Restore();
        var tags = PatchTags();
        // Drop every fit and what follows from them, as if the build had never got past
        // BuildPatchInputs; upstream stays built.
        foreach (var t in tags) Directory.Delete(tile.Layout.PatchOutDir(t), true);
        Directory.Delete(Path.Join(tile.Layout.StampsDir, nameof(StageId.RunPatches)), true);
        File.Delete(MergeStage.MergedCatalogPath(tile.Layout));
        File.Delete(tile.Layout.FinalCatalog);

        var psi = MsBuildRunner.StartInfo(tile.Config, [], realStages: true);
        List<string> doneBeforeKill;
        using (var p = Process.Start(psi)!)
        {
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            var deadline = DateTime.UtcNow + MsBuildRunner.Timeout;
            while ((doneBeforeKill = FittedPatches(tags)).Count == 0)
            {
                Assert.False(p.HasExited, "the build ended before it could be killed");
                Assert.True(DateTime.UtcNow < deadline, "RunPatches did not start");
                Thread.Sleep(20);
            }
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        doneBeforeKill = FittedPatches(tags);
        Assert.InRange(doneBeforeKill.Count, 1, tags.Count - 1);
        Assert.False(File.Exists(tile.Layout.FinalCatalog));

        var log = Build();
        Assert.Equal(["RunPatches", "Merge", "ComputeZp", "PatchDiagnostics"], log.Rebuilt());
        Assert.Equal(With(tags.Except(doneBeforeKill).ToList(), RunPatchesStage.SummaryItem), log.Stale["RunPatches"]); // finished fits kept
        Assert.Equal(tile.FinalCatalog, File.ReadAllBytes(tile.Layout.FinalCatalog));
    }

    // ---- the CLI and MSBuild run the same stages through the same runner -----------------

    /// <summary>Runs <c>tract7dt &lt;command&gt; --config</c> in this process and parses what its
    /// stages said (the log lines without their time/level/component prefix).</summary>
    private (int Code, BuildLog Log, string Err) Cli(string command)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = new Tract7dt.Cli.CliApp().Run([command, "--config", tile.Config], o, e);
        string text = string.Join("\n", e.ToString().Split('\n').Select(l =>
        {
            int i = l.LastIndexOf(" | ", StringComparison.Ordinal);
            return i < 0 ? l : l[(i + 3)..];
        }));
        return (code, BuildLog.Parse(text), e.ToString());
    }

    [Fact]
    public void A_cli_run_after_msbuild_redoes_nothing_and_msbuild_after_a_cli_run_neither_with_the_same_bytes()
    {
        tile.Restore();
        var cli = Cli("run");
        Assert.True(cli.Code == 0, cli.Err);
        Assert.Equal(AllStages, cli.Log.Stages.Keys.OrderBy(s => Array.IndexOf(AllStages, s)));
        Assert.Empty(cli.Log.Rebuilt());
        Assert.Equal(tile.FinalCatalog, File.ReadAllBytes(tile.Layout.FinalCatalog));

        // a change built by the CLI leaves MSBuild nothing to do ...
        GraphTile.SetConfig(tile.Config, "patch_run", "n_opt_iters", "3");
        cli = Cli("run");
        Assert.True(cli.Code == 0, cli.Err);
        Assert.Equal(["RunPatches", "Merge", "ComputeZp", "PatchDiagnostics"], cli.Log.Rebuilt());
        byte[] byCli = File.ReadAllBytes(tile.Layout.FinalCatalog);
        Assert.Empty(Build().Rebuilt());
        var q = MsBuildRunner.RunReal(tile.Config, "-question");
        Assert.True(q.ExitCode == 0, q.Output);

        // ... and the same change built by MSBuild gives the same catalogue, byte for byte
        tile.Restore();
        GraphTile.SetConfig(tile.Config, "patch_run", "n_opt_iters", "3");
        Assert.Equal(["RunPatches", "Merge", "ComputeZp", "PatchDiagnostics"], Build().Rebuilt());
        Assert.Equal(byCli, File.ReadAllBytes(tile.Layout.FinalCatalog));
        Assert.Empty(Cli("run").Log.Rebuilt());
    }

    [Fact]
    public void The_run_report_links_only_files_that_exist_and_says_what_the_run_did()
    {
        tile.Restore();
        string page = Path.Join(tile.Layout.WorkDir, RunReport.FileName);
        string html = File.ReadAllText(page);
        foreach (string section in new[] { "id=\"summary\"", "id=\"stages\"", "id=\"zp\"", "id=\"epsf\"", "id=\"patches\"", "id=\"mosaics\"", "id=\"pictures\"" })
            Assert.Contains(section, html);
        // every stage of the first build has its time, the zero points their plots, each band its ePSF maps
        foreach (string stage in new[] { "LoadInputs", "BuildEpsf", "RunPatches", "Merge", "ComputeZp", "PatchDiagnostics", "EpsfDiagnostics" })
            Assert.Contains($"<td>{stage}</td>", html);
        foreach (string band in new[] { "m400", "m550", "m700" })
        {
            Assert.Contains($"ZP/zp_vs_mag__{band}.png", html);
            Assert.Contains($"<h3>{band}</h3>", html);
            Assert.Contains($"outputs/mosaics/residual_{band}.fits", html);
        }
        Assert.Contains("No failed patch fit.", html);
        // every link and picture is a file of the work dir
        var refs = System.Text.RegularExpressions.Regex.Matches(html, "(?:href|src)=\"([^\"]+)\"").Select(m => System.Net.WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();
        Assert.True(refs.Count > 20, $"only {refs.Count} links");
        foreach (string r in refs) Assert.True(File.Exists(Path.Join(tile.Layout.WorkDir, r)), $"the report links {r}, which does not exist");
        Assert.Equal(Directory.GetFiles(tile.Layout.WorkDir, "*.png", SearchOption.AllDirectories).Length,
            refs.Where(r => r.EndsWith(".png", StringComparison.Ordinal)).Distinct().Count());
    }

    [Tract7dt.Tests.Diagnostics.ChromiumFact]
    public void The_run_report_renders_in_a_browser_with_every_picture()
    {
        tile.Restore();
        string page = Path.Join(tile.Layout.WorkDir, RunReport.FileName);
        string dom = Tract7dt.Tests.Diagnostics.HeadlessChromium.Run(page, "--dump-dom");
        var images = System.Text.RegularExpressions.Regex.Match(dom, "data-images=\"(\\d+)\"");
        var broken = System.Text.RegularExpressions.Regex.Match(dom, "data-broken-images=\"(\\d+)\"");
        Assert.True(images.Success && broken.Success, "the page's load script did not run");
        Assert.True(int.Parse(images.Groups[1].Value) >= 4, $"{images.Groups[1].Value} pictures shown");
        Assert.Equal("0", broken.Groups[1].Value);
        string shot = Path.Join(tile.Layout.WorkDir, "report_screenshot.png");
        Tract7dt.Tests.Diagnostics.HeadlessChromium.Run(page, $"--screenshot={shot}", "--window-size=1280,2400");
        // a page with tables, maps and plots: a blank or unstyled page compresses to a few kB
        Assert.True(new FileInfo(shot).Length > 60_000, $"screenshot of {new FileInfo(shot).Length} bytes");
    }

    [Fact]
    public void The_field_mosaics_are_the_fits_and_no_mosaics_removes_them_without_refitting()
    {
        tile.Restore();
        var frames = Science.State.FramesManifest.Read(tile.Layout.FramesManifest);
        var white = frames.WhiteWcs();
        var tags = PatchTags();
        foreach (string band in frames.Bands)
        {
            string mp = Science.Diagnostics.FieldMosaic.ModelPath(tile.Layout.MosaicsDir, band);
            string rp = Science.Diagnostics.FieldMosaic.ResidualPath(tile.Layout.MosaicsDir, band);
            using var mf = Science.Fits.FitsFile.Open(mp);
            using var rf = Science.Fits.FitsFile.Open(rp);
            var h = mf.GetHdu(0).Header;
            Assert.Equal((long)frames.Width, h.GetInt("NAXIS1"));
            Assert.Equal((long)frames.Height, h.GetInt("NAXIS2"));
            Assert.Equal((long)tags.Count, h.GetInt("NPATCHES"));
            var wcs = Science.Wcs.TanWcs.FromHeader(h, mp);
            Assert.Equal(white.PixelToSky(12.5, 200.25), wcs.PixelToSky(12.5, 200.25));
            var model = mf.ReadImage(0);
            var resid = rf.ReadImage(0);
            // inside a patch's base box: payload image = model + sky + residual, pixel for pixel
            foreach (string tag in tags)
            {
                string payload = Science.Patches.PatchPayload.FitsPath(tile.Layout.PatchInputsDir, tag);
                var def = Science.Patches.PatchPayload.ReadDefinition(payload);
                var p = Science.Patches.PatchPayload.Read(payload);
                var img = p.Bands.Single(b => b.Band == band).Image;
                string modelFits = Science.Patches.PatchModelImages.PathIn(tile.Layout.PatchOutDir(tag));
                double sky = Science.Patches.PatchModelImages.ReadSky(modelFits)[band];
                var fitted = Science.Patches.PatchModelImages.Read(modelFits)[band];
                Assert.True(double.IsFinite(sky));
                foreach (var (x, y) in new[] { (def.Base.X0, def.Base.Y0), (def.Base.X1 - 1, def.Base.Y1 - 1), ((def.Base.X0 + def.Base.X1) / 2, (def.Base.Y0 + def.Base.Y1) / 2) })
                {
                    int k = y * frames.Width + x, q = (y - def.Roi.Y0) * def.Roi.Width + (x - def.Roi.X0);
                    Assert.Equal(fitted[q] - sky, model[k], 1e-3 * (1 + Math.Abs(fitted[q])));
                    Assert.Equal(img[q] - fitted[q], resid[k], 1e-3 * (1 + Math.Abs(img[q])));
                }
            }
            // each patch's χ² per pixel of the residual: noise (1) plus the tiny world's sources missing
            // from its catalogue and its saturated star (measured 2–3); σ or units wrong would be far off
            var stats = Science.Catalog.SourceTableCsv.Read(Science.Diagnostics.FieldMosaic.StatsPath(tile.Layout.MosaicsDir, band));
            Assert.Equal(tags.Count, stats.RowCount);
            var chi = stats.Numeric("chi2_per_pixel").Order().ToArray();
            Assert.InRange(chi[chi.Length / 2], 0.8, 6.0);
            // the fit is good: the residual is noise around 0 where the model is faint
            var sky0 = resid.Where((v, k) => float.IsFinite(v) && Math.Abs(model[k]) < 0.01).Select(v => (double)v).Order().ToArray();
            Assert.True(sky0.Length > 1000);
            Assert.InRange(sky0[sky0.Length / 2], -1.0, 1.0);
        }

        GraphTile.SetConfig(tile.Config, "patch_run", "no_mosaics", "true");
        var log = Build();
        Assert.Equal(["PatchDiagnostics"], log.Rebuilt());
        Assert.Equal(frames.Bands.Select(b => PatchDiagnosticsStage.MosaicPrefix + b).Order(StringComparer.Ordinal),
            log.Stale["PatchDiagnostics"].Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetFiles(tile.Layout.MosaicsDir, "*.fits"));
        Assert.Empty(Directory.GetFiles(tile.Layout.MosaicsDir, "*.csv"));
        Assert.Equal(tile.FinalCatalog, File.ReadAllBytes(tile.Layout.FinalCatalog));
    }

    [Fact]
    public void A_picture_setting_refits_nothing_and_redraws_every_patchs_pictures_on_both_paths()
    {
        foreach (bool msbuild in new[] { true, false })
        {
            tile.Restore();
            string png = Path.Join(tile.Layout.PatchOutDir(PatchTags()[0]), "patch_overview.png");
            long before = new FileInfo(png).Length;
            GraphTile.SetConfig(tile.Config, "plotting", "dpi", "40");
            GraphTile.SetConfig(tile.Config, "patch_run", "no_cutouts", "true");
            var epsf = Directory.GetFiles(tile.Layout.EpsfDir, "*.npy", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .Select(File.ReadAllBytes).ToList();
            var log = msbuild ? Build() : Cli("run").Log;
            // Nothing that computes numbers reruns: every patch's and every ePSF cell's pictures are
            // drawn again from the files their stages saved, and the crop plots, the Gaia overlay and
            // the zero-point plots are their stages' picture items.
            Assert.Equal(["LoadInputs", "AugmentGaia", "ComputeZp", "PatchDiagnostics", "EpsfDiagnostics"], log.Rebuilt());
            Assert.Equal([LoadInputsStage.PicturesItemId], log.Stale["LoadInputs"]);
            Assert.Equal([AugmentGaiaStage.PicturesItemId], log.Stale["AugmentGaia"]);
            Assert.Equal([ComputeZpStage.PicturesItemId], log.Stale["ComputeZp"]);
            Assert.Equal(PatchTags(), log.Stale["PatchDiagnostics"]);
            Assert.Equal(tile.FirstBuild.Stale["BuildEpsf"].Where(i => i != BuildEpsfStage.SummaryItemId), log.Stale["EpsfDiagnostics"]);
            Assert.Equal(epsf, Directory.GetFiles(tile.Layout.EpsfDir, "*.npy", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .Select(File.ReadAllBytes).ToList());
            Assert.NotEqual(before, new FileInfo(png).Length);
            Assert.False(Directory.Exists(Path.Join(tile.Layout.PatchOutDir(PatchTags()[0]), "cutouts")));
            Assert.Equal(tile.FinalCatalog, File.ReadAllBytes(tile.Layout.FinalCatalog));
        }
    }

    [Fact]
    public void Msbuild_errors_point_at_the_image_lists_line_and_at_the_fits_file()
    {
        tile.Restore();
        string list = Path.Join(tile.TileDir, "image_list.txt");
        var lines = File.ReadAllLines(list).ToList();
        int at = lines.FindIndex(l => l.Contains("m550", StringComparison.Ordinal));
        string good = lines[at];
        lines[at] = "images/no_such_image.fits";
        File.WriteAllLines(list, lines);
        var missing = MsBuildRunner.RunReal(tile.Config);
        Assert.NotEqual(0, missing.ExitCode);
        // "<list>(<line>): error T7D…": the list's own line, not the targets file or the config
        Assert.Matches(Regex.Escape(Path.GetFullPath(list)) + "\\(" + (at + 1).ToString(CultureInfo.InvariantCulture) + "\\): error T7D", missing.Output);
        Assert.DoesNotContain("Tract7dt.targets(", missing.Output.Split('\n').Where(l => l.Contains(": error T7D", StringComparison.Ordinal)).FirstOrDefault() ?? "");

        // a damaged FITS header: the error is at the image file
        lines[at] = good;
        File.WriteAllLines(list, lines);
        string fits = Path.GetFullPath(Path.Join(tile.TileDir, good.Trim()));
        using (var f = new FileStream(fits, FileMode.Open, FileAccess.Write)) f.Write("NOT A FITS FILE "u8);
        var damaged = MsBuildRunner.RunReal(tile.Config);
        Assert.NotEqual(0, damaged.ExitCode);
        Assert.Matches(Regex.Escape(fits) + "(\\([0-9,]+\\))? ?: error T7D010", damaged.Output); // MSBuild writes "file : error" without a line
        tile.Restore();
    }

    /// <summary>Every FITS file a run writes (final catalogue table, white stack, ePSFs, payloads,
    /// patch models, mosaics) passes HEASARC's <c>fitsverify</c> (Debian's package, which <c>.ci/run</c>
    /// installs) with no error and no warning.</summary>
    [Fact]
    public void Every_fits_file_of_a_run_passes_fitsverify()
    {
        tile.Restore();
        string? fitsverify = Environment.GetEnvironmentVariable("PATH")?.Split(':')
            .Select(d => Path.Join(d, "fitsverify")).FirstOrDefault(File.Exists);
        if (fitsverify is null)
        {
            output.WriteLine("skipped: fitsverify is not installed (apt-get install fitsverify; .ci/run does)");
            return;
        }
        var files = Directory.GetFiles(tile.Layout.WorkDir, "*.fits", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        foreach (string kind in new[] { "output_catalog.fits", "white.fits", "epsf.fits", ".payload.fits", "model.fits", "residual_" })
            Assert.Contains(files, f => f.Contains(kind, StringComparison.Ordinal));
        var failed = new List<string>();
        foreach (var chunk in files.Chunk(40))
        {
            var psi = new ProcessStartInfo(fitsverify, ["-q", .. chunk]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            string text = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
            p.WaitForExit();
            failed.AddRange(text.Split('\n').Where(l => l.Trim().Length > 0 && !l.Contains("verification OK", StringComparison.Ordinal)));
        }
        output.WriteLine($"fitsverify: {files.Count} files");
        Assert.True(failed.Count == 0, string.Join("\n", failed));
    }

    [Fact]
    public void Merge_after_a_fit_setting_changed_refits_first_and_never_writes_patch_failed()
    {
        tile.Restore();
        GraphTile.SetConfig(tile.Config, "patch_run", "n_opt_iters", "3");
        var merge = Cli("merge");
        Assert.True(merge.Code == 0, merge.Err);
        Assert.Equal(["RunPatches", "Merge"], merge.Log.Rebuilt());
        string merged = File.ReadAllText(MergeStage.MergedCatalogPath(tile.Layout));
        Assert.DoesNotContain("patch_failed", merged);
        // the zero point then has only its own work left
        var zp = Cli("compute-zp");
        Assert.True(zp.Code == 0, zp.Err);
        Assert.Equal(["ComputeZp"], zp.Log.Rebuilt());

        // MSBuild's Merge target is the same closure and gives the same merged catalogue
        tile.Restore();
        GraphTile.SetConfig(tile.Config, "patch_run", "n_opt_iters", "3");
        Assert.Equal(["RunPatches", "Merge"], Build("-t:Merge").Rebuilt());
        Assert.Equal(merged, File.ReadAllText(MergeStage.MergedCatalogPath(tile.Layout)));
    }

    [Fact]
    public void Toggling_zp_enabled_both_ways_gives_the_right_catalogue_on_both_paths()
    {
        foreach (bool msbuildOff in new[] { true, false })
        {
            tile.Restore();
            GraphTile.SetConfig(tile.Config, "zp", "enabled", "false");
            var off = msbuildOff ? Build() : Cli("run").Log;
            Assert.Contains("Merge", off.Rebuilt());
            string header = File.ReadLines(tile.Layout.FinalCatalog).First();
            Assert.DoesNotContain("MAG_", header, StringComparison.Ordinal);
            Assert.DoesNotContain("gaia_source_id", header, StringComparison.Ordinal); // the flagged catalogue, not the augmented one
            int rows = File.ReadLines(File.Exists(tile.Layout.FlaggedCatalog) ? tile.Layout.FlaggedCatalog : "").Count();
            Assert.Equal(rows, File.ReadLines(tile.Layout.FinalCatalog).Count());

            GraphTile.SetConfig(tile.Config, "zp", "enabled", "true");
            var on = msbuildOff ? Cli("run").Log : Build();
            Assert.Contains("ComputeZp", on.Rebuilt());
            Assert.Equal(tile.FinalCatalog, File.ReadAllBytes(tile.Layout.FinalCatalog));
        }
    }

    /// <summary>Patches whose stamp exists (a stamp is written last, after the fit's outputs).</summary>
    private List<string> FittedPatches(List<string> tags) =>
        tags.Where(t => File.Exists(RunPatchesStage.StampPath(tile.Layout, t))).ToList();
}
