using Tract7dt.Science.Catalog;
using Tract7dt.Science.Simulation;
using Xunit;

namespace Tract7dt.Tests.Cli;

/// <summary>
/// <c>tract7dt inspect --id</c>: any fitted source's data / model / residual in every band and its
/// fit in words; an unknown ID names the catalogue and suggests IDs; an excluded source says why.
/// </summary>
public sealed class CliInspectTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("t7d-inspect");

    public void Dispose() => _dir.Delete(true);

    [Fact]
    public void Inspect_draws_a_fitted_source_and_explains_the_others()
    {
        string sim = Path.Combine(_dir.FullName, "sim");
        Simulator.Run(new SimulationOptions(sim, SimulationPreset.Tiny, Width: 200, Height: 200, Sources: 12));
        string cfg = Path.Combine(sim, "config.yaml");
        Graph.GraphTile.SetConfig(cfg, "patch_run", "cutout_max_sources", "0");
        Assert.Equal(0, CliHarness.Run("run", "--config", cfg).Code);
        var cat = SourceTableCsv.Read(Path.Combine(sim, "work", "output_catalog.csv"));
        int row = Enumerable.Range(0, cat.RowCount).First(i => cat.Text("patch_tag", i).Length > 0 && cat.Text("fit_status", i) == "ok");
        string id = cat.Text("ID", row);
        // no montage was drawn by the run (cutout_max_sources 0); inspect draws this one
        string png = Path.Combine(_dir.FullName, "one.png");
        var (code, stdout, _) = CliHarness.Run("inspect", "--config", cfg, "--id", id, "--out", png);
        Assert.Equal(0, code);
        Assert.True(new FileInfo(png).Length > 5000);
        Assert.Contains($"{id}: patch {cat.Text("patch_tag", row)}", stdout);
        foreach (string band in new[] { "m400", "m550", "m700" }) Assert.Contains($"  {band}: flux ", stdout);

        var bad = CliHarness.Run("inspect", "--config", cfg, "--id", id[..^1]);
        Assert.NotEqual(0, bad.Code);
        Assert.Contains("No source with ID", bad.Err);
        Assert.Contains("did you mean", bad.Err);
        Assert.Contains(id, bad.Err);
        int excluded = Enumerable.Range(0, cat.RowCount).FirstOrDefault(i => cat.Text("patch_tag", i).Length == 0, -1);
        if (excluded >= 0)
        {
            var ex = CliHarness.Run("inspect", "--config", cfg, "--id", cat.Text("ID", excluded));
            Assert.NotEqual(0, ex.Code);
            Assert.Contains("was not fitted", ex.Err);
        }
    }
}
