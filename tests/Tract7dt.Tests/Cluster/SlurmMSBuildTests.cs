using Tract7dt.Science.Errors;
using Tract7dt.Science.Pipeline.Stages;
using Tract7dt.Tasks;
using Tract7dt.Tests.Graph;
using Xunit;

namespace Tract7dt.Tests.Cluster;

/// <summary>
/// <c>/p:Executor=slurm</c>: the graph's RunPatches task (on a mock engine,
/// as MSBuild would call them) fit the stale patches as a Slurm array, and the CLI's merge
/// and zero point then give the local run's catalog byte for byte.
/// </summary>
[Collection(SlurmCollection.Name)]
public sealed class SlurmMSBuildTests(TinyTile tile)
{
    [SlurmFact]
    public void RunPatchesTaskWithExecutorSlurmMatchesTheLocalRun()
    {
        string config = tile.NewCopy("msbuild");
        string work = Path.Join(Path.GetDirectoryName(config)!, "work");
        Cli.Prepare(config);
        string cli = RunPatchesStage.WorkerCommandPrefix() is [var exe] ? exe
            : throw new InvalidOperationException("the test output folder has no tract7dt apphost");

        var engine = new RecordingBuildEngine();
        var run = new RunPatches { BuildEngine = engine, ConfigFile = config, Executor = "slurm", Cli = cli };
        Assert.True(run.Execute(), string.Join("\n", engine.Errors.Select(e => e.Message)));
        Assert.Equal(TinyTile.PatchCount + 1, run.BuiltCount); // every fit and run_summary.csv
        Assert.Equal([TinyTile.PatchCount], Cli.Submissions(string.Join("\n", engine.Messages)));

        var merge = Cli.Run("merge", "--config", config);
        Assert.True(merge.Rc == 0, merge.Err);
        var zp = Cli.Run("compute-zp", "--config", config);
        Assert.True(zp.Rc == 0, zp.Err);
        Assert.Equal(tile.LocalCatalog, File.ReadAllBytes(Path.Join(work, "output_catalog.csv")));
    }

    [SlurmFact]
    public void RunPatchesTaskNamesAMissingWorkerExecutable()
    {
        string config = tile.NewCopy("msbuild-nocli");
        Cli.Prepare(config);
        var engine = new RecordingBuildEngine();
        string missing = Path.Join(tile.Root, "no-such-tract7dt");
        string? before = Environment.GetEnvironmentVariable(RunPatchesStage.CliPathVariable);
        var run = new RunPatches { BuildEngine = engine, ConfigFile = config, Executor = "slurm", Cli = missing };
        Assert.False(run.Execute());
        var error = Assert.Single(engine.Errors);
        Assert.Equal(ErrorCodes.ClusterBadRequest, error.Code);
        Assert.Contains(missing, error.Message);
        Assert.Equal(before, Environment.GetEnvironmentVariable(RunPatchesStage.CliPathVariable));   // restored after the task
    }
}
