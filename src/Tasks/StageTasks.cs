using Microsoft.Build.Framework;
using Tract7dt.Science.Config;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Pipeline.Stages;

namespace Tract7dt.Tasks;

/// <summary>
/// Runs one stage for the items MSBuild found stale (the target's Inputs/Outputs partial
/// build over <see cref="PlanStage"/>'s items): <see cref="StageGraph.Run"/>, which hands
/// exactly those to <see cref="IKeyedStage.RunItems"/>. Each derived task names its stage.
/// </summary>
public abstract class StageTask : Tract7dtTask
{
    /// <summary>The stale items (from <see cref="PlanStage.Items"/>); metadata <c>ItemId</c> is used.</summary>
    [Required]
    public ITaskItem[] Items { get; set; } = [];

    /// <summary>The stage this task runs.</summary>
    public abstract StageId Stage { get; }

    /// <summary>The original's logger name for this stage's records.</summary>
    protected abstract string Component { get; }

    /// <summary>Items built by this invocation.</summary>
    [Output]
    public int BuiltCount { get; private set; }

    protected override void ExecuteCore(Log log)
    {
        var config = LoadConfig();
        using var workDirLock = WorkDirLock.Acquire(new WorkDirLayout(config), $"an MSBuild build ({Stage})");
        // the same records as the CLI's `run` in the same file, and the config it ran with
        // (once per change of the config: a build runs several tasks)
        using var runLog = RunLog.Open(config, "run");
        if (ConfigSnapshot.SaveIfChanged(config.ConfigPath, config.Outputs.WorkDir, DateTime.Now) is { } snapshot)
            log.Info($"Config snapshot saved: {snapshot}");
        var context = CreateContext(config, runLog);
        try
        {
            BeforeRun(context);
            var ids = Items.Select(i => i.GetMetadata("ItemId")).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).ToList();
            BuiltCount = StageGraph.Run(PipelineStages.Create(Stage), context, ids, Component);
        }
        finally
        {
            context.Hasher.Save();
        }
    }

    /// <summary>Stage-specific checks before the run (none by default).</summary>
    protected virtual void BeforeRun(StageContext context) { }
}

/// <summary>Stage 1: read images and catalog, white stack, crop and saturation flags.</summary>
public sealed class LoadInputs : StageTask
{
    public override StageId Stage => StageId.LoadInputs;
    protected override string Component => "tract7dt.pipeline";
}

/// <summary>Stage 1b (zp.enabled): match and inject Gaia XP sources.</summary>
public sealed class AugmentGaia : StageTask
{
    public override StageId Stage => StageId.AugmentGaia;
    protected override string Component => "tract7dt.zp";
}

/// <summary>Stage 2: one ePSF per active cell × band.</summary>
public sealed class BuildEpsf : StageTask
{
    public override StageId Stage => StageId.BuildEpsf;
    protected override string Component => "tract7dt.epsf";
}

/// <summary>Stage 3: patch geometry (patches.csv / patches.json).</summary>
public sealed class BuildPatches : StageTask
{
    public override StageId Stage => StageId.BuildPatches;
    protected override string Component => "tract7dt.patches";
}

/// <summary>Stage 4: one payload per patch.</summary>
public sealed class BuildPatchInputs : StageTask
{
    public override StageId Stage => StageId.BuildPatchInputs;
    protected override string Component => "tract7dt.patch_inputs";
}

/// <summary>Stage 5: one fit per patch, on the local worker pool or as one Slurm job array.</summary>
public sealed class RunPatches : StageTask
{
    /// <summary>
    /// <c>local</c> or <c>slurm</c> (<c>/p:Executor=…</c>); empty means <c>cluster.executor</c>
    /// from the config. Only where the fits run changes, never their numbers or keys.
    /// </summary>
    public string Executor { get; set; } = "";

    /// <summary>
    /// The <c>tract7dt</c> executable the Slurm array tasks run (<c>/p:Tract7dtCli=…</c>; the
    /// targets default it to the built CLI of this repository). Empty: the
    /// <c>TRACT7DT_CLI</c> environment variable, else the stage's own default.
    /// </summary>
    public string Cli { get; set; } = "";

    public override StageId Stage => StageId.RunPatches;
    protected override string Component => "tract7dt.run_patches";

    protected override PipelineConfig AdjustConfig(PipelineConfig config) => Executor switch
    {
        "" => config,
        "local" => config with { Cluster = config.Cluster with { Executor = ClusterExecutor.Local } },
        "slurm" => config with { Cluster = config.Cluster with { Executor = ClusterExecutor.Slurm } },
        _ => throw new Tract7dtException(ErrorCodes.ClusterBadRequest,
            $"/p:Executor={Executor} is not an executor; use /p:Executor=local or /p:Executor=slurm (or leave it empty for cluster.executor)."),
    };

    protected override void ExecuteCore(Log log)
    {
        // The stage reads the worker path from TRACT7DT_CLI; set it for this run only, so an
        // in-process build (tests, node reuse) keeps its environment.
        string? previous = Environment.GetEnvironmentVariable(RunPatchesStage.CliPathVariable);
        if (Cli.Length > 0) Environment.SetEnvironmentVariable(RunPatchesStage.CliPathVariable, Path.GetFullPath(Cli));
        try
        {
            base.ExecuteCore(log);
        }
        finally
        {
            Environment.SetEnvironmentVariable(RunPatchesStage.CliPathVariable, previous);
        }
    }

    protected override void BeforeRun(StageContext context)
    {
        if (context.Config.Cluster.Executor != ClusterExecutor.Slurm || Cli.Length == 0 || File.Exists(Path.GetFullPath(Cli))) return;
        throw new Tract7dtException(ErrorCodes.ClusterBadRequest,
            $"The tract7dt executable for the Slurm tasks is missing: {Path.GetFullPath(Cli)}. Build it (dotnet build src/Cli -c Release) " +
            "or pass /p:Tract7dtCli=<its path on the shared filesystem>.");
    }
}

/// <summary>Stage 6: merge the current run's patch catalogs into the final catalog.</summary>
public sealed class Merge : StageTask
{
    public override StageId Stage => StageId.Merge;
    protected override string Component => "tract7dt.merge";
}

/// <summary>Stage 7 (zp.enabled): zero points against Gaia XP, MAG_*_fit columns.</summary>
public sealed class ComputeZp : StageTask
{
    public override StageId Stage => StageId.ComputeZp;
    protected override string Component => "tract7dt.zp";
}
