using Tract7dt.Science.Catalog;
using Tract7dt.Science.Simulation;
using Xunit;

namespace Tract7dt.Tests.Cli;

/// <summary>
/// The final catalogue appears only complete. With the zero point on, the merge writes the
/// merged catalogue to the state folder only; ComputeZp writes <c>output_catalog.csv</c> with its
/// MAG columns, atomically. So a run stopped anywhere before ComputeZp finishes (a kill inside
/// it included: its one write is a rename) leaves no final catalogue, never one without magnitudes.
/// </summary>
public sealed class CliFinalCatalogTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("t7d-final");

    public void Dispose() => _dir.Delete(true);

    private static int Run(params string[] args) => CliHarness.Run(args).Code;

    [Fact]
    public void Merged_but_not_calibrated_leaves_no_final_catalogue_and_the_zero_point_writes_it_whole()
    {
        string sim = Path.Combine(_dir.FullName, "sim");
        Simulator.Run(new SimulationOptions(sim, SimulationPreset.Tiny, Width: 200, Height: 200, Sources: 12));
        string cfg = Path.Combine(sim, "config.yaml");
        string final = Path.Combine(sim, "work", "output_catalog.csv");
        Assert.Equal(0, Run("build-patch-inputs", "--config", cfg));
        Assert.Equal(0, Run("run-patches", "--config", cfg));
        Assert.Equal(0, Run("merge", "--config", cfg));
        Assert.True(File.Exists(Path.Combine(sim, "work", "state", "merged_catalog.csv")));
        Assert.False(File.Exists(final), "a catalogue without magnitudes was published before the zero point");
        Assert.Empty(Directory.GetFiles(Path.Combine(sim, "work"), "output_catalog.csv.tmp-*"));

        Assert.Equal(0, Run("compute-zp", "--config", cfg));
        var table = SourceTableCsv.Read(final);
        Assert.Contains(table.ColumnNames, c => c.StartsWith("MAG_", StringComparison.Ordinal));
    }
}
