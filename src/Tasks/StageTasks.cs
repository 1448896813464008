using Microsoft.Build.Framework;
using Tract7dt.Science.Config;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Pipeline.Stages;

namespace Tract7dt.Tasks;

/// <summary>
/// Runs one stage through <see cref="StageRunner"/>, the code the CLI runs: plan (pure), then
/// build the stale items. With MSBuild's <c>-question</c> (<see cref="Question"/>) it plans
/// only, writes nothing, and fails naming every item that is not up to date. Each derived task
/// names its stage; the targets call them in <see cref="StageTable"/>'s order.
/// </summary>
public abstract class StageTask : Tract7dtTask, IIncrementalTask
{
    /// <summary>The stage this task runs.</summary>
    public abstract StageId Stage { get; }

    /// <summary>Set by MSBuild's <c>-question</c> on an in-process task.</summary>
    public bool FailIfNotIncremental { get; set; }

    /// <summary>The same from the targets (<c>$(Tract7dtQuestion)</c>): the tasks run in the
    /// out-of-process task host, which MSBuild does not hand <see cref="FailIfNotIncremental"/>.</summary>
    public bool Question { get; set; }

    /// <summary>The token of the build's work-dir lock (<c>$(Tract7dtLockToken)</c>), empty when the
    /// build took none (the task then takes the lock for its own work).</summary>
    public string? LockToken { get; set; }

    /// <summary>Items built by this invocation (0 when everything was up to date).</summary>
    [Output]
    public int BuiltCount { get; private set; }

    protected override void ExecuteCore(Log log)
    {
        var config = LoadConfig();
        bool question = FailIfNotIncremental || Question;
        if (question)
        {
            // a check reads only: no lock, no log file, no snapshot, no hash cache
            var check = CreateContext(config);
            var plan = StageRunner.Run(PipelineStages.Create(Stage), check, question: true);
            foreach (var p in plan.Items.Where(p => !p.UpToDate))
                Log.LogError($"{Stage}: not up to date: {p.Item.Id} ({p.Reason})");
            return;
        }
        // the build's lock (taken once by Tract7dtBuildLock, held to the end of the build), or,
        // when the task is run without it, one of its own
        using var workDirLock = string.IsNullOrEmpty(LockToken)
            ? WorkDirLock.Acquire(new WorkDirLayout(config), $"an MSBuild task ({Stage})")
            : WorkDirLock.Join(new WorkDirLayout(config), LockToken);
        // the same records as the CLI's `run` in the same file, and the config it ran with
        // (once per change of the config: a build runs several tasks)
        using var runLog = RunLog.Open(config, "run");
        if (ConfigSnapshot.SaveIfChanged(config.ConfigPath, config.Outputs.WorkDir, DateTime.Now) is { } snapshot)
            log.Info($"Config snapshot saved: {snapshot}");
        var context = CreateContext(config, runLog);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            BeforeRun(context);
            var plan = StageRunner.Run(PipelineStages.Create(Stage), context, question: false);
            BuiltCount = plan.Skipped is null ? plan.ToBuild.Count : 0;
            // one line per stage that a plain `dotnet msbuild` shows: what it did and how long it took
            string seconds = clock.Elapsed.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
            Say(plan.Skipped is not null ? $"Tract7dt {Stage}: skipped ({plan.Skipped})"
                : BuiltCount == 0 ? $"Tract7dt {Stage}: up to date ({plan.Items.Count} item(s)), {seconds} s"
                : $"Tract7dt {Stage}: built {BuiltCount} of {plan.Items.Count} item(s) in {seconds} s", runLog);
            AfterRun(context);
        }
        finally
        {
            context.Hasher.Save();
        }
    }

    /// <summary>Stage-specific checks before the run (none by default).</summary>
    protected virtual void BeforeRun(StageContext context) { }

    /// <summary>Stage-specific outcome after the run (none by default).</summary>
    protected virtual void AfterRun(StageContext context) { }
}

/// <summary>Stage 1: read images and catalog, white stack, crop and saturation flags.</summary>
public sealed class LoadInputs : StageTask
{
    public override StageId Stage => StageId.LoadInputs;
}

/// <summary>Stage 1b (zp.enabled): match and inject Gaia XP sources.</summary>
public sealed class AugmentGaia : StageTask
{
    public override StageId Stage => StageId.AugmentGaia;
}

/// <summary>Stage 2: one ePSF per active cell × band.</summary>
public sealed class BuildEpsf : StageTask
{
    public override StageId Stage => StageId.BuildEpsf;
}

/// <summary>Stage 3: patch geometry (patches.csv / patches.json).</summary>
public sealed class BuildPatches : StageTask
{
    public override StageId Stage => StageId.BuildPatches;
}

/// <summary>Stage 4: one payload per patch.</summary>
public sealed class BuildPatchInputs : StageTask
{
    public override StageId Stage => StageId.BuildPatchInputs;
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

    /// <summary>Failed fits fail the task (as the CLI's exit code); the targets let the merge run first.</summary>
    protected override void AfterRun(StageContext context)
    {
        if (RunPatchesStage.FailureOf(context) is { } failed) throw failed;
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
}

/// <summary>Stage 7 (zp.enabled): zero points against Gaia XP, MAG_*_fit columns.</summary>
public sealed class ComputeZp : StageTask
{
    public override StageId Stage => StageId.ComputeZp;

    /// <summary>A build that computed new zero points says them (<c>-t:ComputeZp</c> has no closing summary).</summary>
    protected override void AfterRun(StageContext context)
    {
        if (BuiltCount == 0) return;
        foreach (var line in RunOutcome.Lines(context).Where(l => l.StartsWith("Zero points:", StringComparison.Ordinal)))
            Log.LogMessage(MessageImportance.High, "Tract7dt: " + line);
    }
}

/// <summary>Stage 8: the pictures of each fitted patch, after the catalogue.</summary>
public sealed class PatchDiagnostics : StageTask
{
    public override StageId Stage => StageId.PatchDiagnostics;
}

/// <summary>Stage 9: the pictures of each ePSF cell, after the catalogue.</summary>
public sealed class EpsfDiagnostics : StageTask
{
    public override StageId Stage => StageId.EpsfDiagnostics;
}

/// <summary>The closing summary of a build (<see cref="RunOutcome"/>): what the catalogue holds,
/// the zero points, failed patches and where the catalogue is; the same lines as the CLI's <c>run</c>.</summary>
public sealed class Summarize : Tract7dtTask
{
    protected override void ExecuteCore(Log log)
    {
        var config = LoadConfig();
        using var runLog = RunLog.Open(config, "run");
        var context = CreateContext(config, runLog);
        foreach (var line in RunOutcome.Lines(context)) Say("Tract7dt: " + line, runLog);
        if (RunReport.TryWrite(context, out string? error) is { } report) Say("Tract7dt: Report: " + report, runLog);
        else log.Warn(error!);
    }
}
