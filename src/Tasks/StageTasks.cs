using Microsoft.Build.Framework;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;

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
        var context = CreateContext();
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

/// <summary>Stage 5: one fit per patch, on the local worker pool.</summary>
public sealed class RunPatches : StageTask
{
    /// <summary>
    /// <c>local</c> (default) or a cluster executor. Empty means <c>cluster.executor</c> from
    /// the config. Only the local executor exists yet; <c>slurm</c> is reserved for the
    /// cluster issue and fails with T7D004 rather than silently running locally.
    /// </summary>
    public string Executor { get; set; } = "";

    public override StageId Stage => StageId.RunPatches;
    protected override string Component => "tract7dt.run_patches";

    protected override void BeforeRun(StageContext context)
    {
        string executor = Executor.Length > 0 ? Executor : context.Config.Cluster.Executor.ToString().ToLowerInvariant();
        if (!string.Equals(executor, "local", StringComparison.Ordinal))
            throw new Tract7dtException(ErrorCodes.NotBuiltYet,
                $"Executor '{executor}' (from {(Executor.Length > 0 ? "/p:Executor" : "cluster.executor")}) is not built yet; use /p:Executor=local.");
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
