using System.Diagnostics;
using System.Globalization;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Pipeline;

/// <summary>The stages, in the order the pipeline runs them.</summary>
public enum StageId
{
    LoadInputs,
    AugmentGaia,
    BuildEpsf,
    BuildPatches,
    BuildPatchInputs,
    RunPatches,
    Merge,
    ComputeZp,
    /// <summary>The patch fits' pictures (overview, source montages): after the catalogue.</summary>
    PatchDiagnostics,
    /// <summary>The ePSF cells' pictures: after the catalogue.</summary>
    EpsfDiagnostics,
}

/// <summary>A stage: a function from its input files and config section to its output files.</summary>
public interface IPipelineStage
{
    StageId Id { get; }

    /// <summary>Runs the stage; reruns only stale items where the stage is keyed per item.
    /// Throws <see cref="Tract7dtException"/> for user errors.</summary>
    void Run(StageContext context);
}

/// <summary>
/// The registered stage implementations and the CLI's way of running a command's stages
/// (the graph itself is <see cref="StageTable"/>; docs/pipeline.md §1.1). Each stage reads only files, so any later
/// stage can run in a new process.
/// </summary>
public static class PipelineStages
{
    private static readonly Dictionary<StageId, Func<IPipelineStage>> Factories = new();

    /// <summary>The original's names for the stage framing of <c>run</c> (from <see cref="StageTable"/>).</summary>
    public static string DisplayName(StageId id) => StageTable.Get(id).Title;

    /// <summary>Registers a stage implementation (each stage's static constructor or module initializer calls this).</summary>
    public static void Register(StageId id, Func<IPipelineStage> factory)
    {
        lock (Factories) Factories[id] = factory;
    }

    public static IPipelineStage Create(StageId id)
    {
        Func<IPipelineStage>? f;
        lock (Factories) Factories.TryGetValue(id, out f);
        return f?.Invoke() ?? throw new Tract7dtException(ErrorCodes.NotBuiltYet,
            $"The stage '{DisplayName(id)}' ({id}) is not built yet in this version; see the README's 'What works today'.");
    }

    /// <summary>The stages a command builds, in order (<see cref="StageTable.ForCommand"/>); the
    /// zero-point stages are planned and skipped when <c>zp.enabled</c> is false.</summary>
    public static IReadOnlyList<StageId> ForCommand(string command) => StageTable.ForCommand(command);

    /// <summary>
    /// Runs a command's stages in order through <see cref="StageRunner"/>, the code the MSBuild
    /// tasks run. With <paramref name="frame"/> (the <c>run</c> command) each stage is framed by
    /// "Starting …" / "Finished … in X.XXs" and the total is logged. Failed patch fits do not
    /// stop the merge (their rows say patch_failed); they fail the command at the end.
    /// </summary>
    public static void RunCommand(string command, StageContext context, bool frame)
    {
        var log = context.Log("tract7dt.pipeline");
        var stages = ForCommand(command).Select(Create).ToList();
        var total = Stopwatch.StartNew();
        try
        {
            foreach (var stage in stages)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                var sw = Stopwatch.StartNew();
                if (frame) log.Info($"Starting {DisplayName(stage.Id)}...");
                var plan = StageRunner.Run(stage, context, question: false);
                // after every stage, not only at exit: a run stopped later (killed during the pictures)
                // otherwise leaves every output it stamped to be hashed again by the next no-op (84 s on
                // the full tile, 1.8 s through BuildEpsf with the cache saved)
                context.Hasher.Save();
                if (frame) log.Info($"Finished {DisplayName(stage.Id)} in {Seconds(sw)}s");
                // The fit summary follows the merge in a full run (docs/pipeline.md §1.1).
                if (frame && stage.Id == StageId.Merge && plan.Skipped is null) Stages.FitSummary.Log(context);
            }
        }
        finally
        {
            context.Hasher.Save();
        }
        if (frame)
        {
            log.Info($"Pipeline finished in {Seconds(total)}s");
            foreach (var line in RunOutcome.Lines(context)) log.Info(line);
            if (RunReport.TryWrite(context, out string? reportError) is { } report) log.Info("Report: " + report);
            else log.Warn(reportError!);
        }
        if (stages.Any(s => s.Id == StageId.RunPatches) && Stages.RunPatchesStage.FailureOf(context) is { } failed) throw failed;
    }

    private static string Seconds(Stopwatch sw) => sw.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture);
}
