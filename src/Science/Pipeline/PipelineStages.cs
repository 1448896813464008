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
/// The stage table and the commands' stage lists (docs/pipeline.md §1.1). A command runs its stages
/// in order; each stage reads only files, so any later stage can run in a new process.
/// </summary>
public static class PipelineStages
{
    private static readonly Dictionary<StageId, Func<IPipelineStage>> Factories = new();

    /// <summary>The original's names for the stage framing of <c>run</c>.</summary>
    public static string DisplayName(StageId id) => id switch
    {
        StageId.LoadInputs => "load inputs + validation",
        StageId.AugmentGaia => "augment catalog with Gaia sources",
        StageId.BuildEpsf => "build ePSF",
        StageId.BuildPatches => "build patches",
        StageId.BuildPatchInputs => "build patch inputs",
        StageId.RunPatches => "run patch subprocesses",
        StageId.Merge => "merge patch catalogs",
        StageId.ComputeZp => "compute zero-point calibration",
        _ => id.ToString(),
    };

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

    /// <summary>The stages a command runs, in order (zp.enabled decides the bracketed ones).</summary>
    public static IReadOnlyList<StageId> ForCommand(string command, bool zpEnabled)
    {
        var load = zpEnabled ? new[] { StageId.LoadInputs, StageId.AugmentGaia } : new[] { StageId.LoadInputs };
        return command switch
        {
            "run" => [.. load, StageId.BuildEpsf, StageId.BuildPatches, StageId.BuildPatchInputs, StageId.RunPatches,
                StageId.Merge, .. (zpEnabled ? new[] { StageId.ComputeZp } : Array.Empty<StageId>())],
            "run-epsf" => [.. load, StageId.BuildEpsf],
            "build-patches" => [.. load, StageId.BuildPatches],
            "build-patch-inputs" => [.. load, StageId.BuildPatches, StageId.BuildPatchInputs],
            "run-patches" => [StageId.RunPatches],
            "merge" => [.. load, StageId.Merge],
            "compute-zp" => [StageId.ComputeZp],
            _ => throw new ArgumentException($"not a pipeline command: {command}", nameof(command)),
        };
    }

    /// <summary>
    /// Runs a command's stages in order. With <paramref name="frame"/> (the <c>run</c> command)
    /// each stage is framed by "Starting …" / "Finished … in X.XXs" and the total is logged.
    /// </summary>
    public static void RunCommand(string command, StageContext context, bool frame)
    {
        var log = context.Log("tract7dt.pipeline");
        var stages = ForCommand(command, context.Config.Zp.Enabled).Select(Create).ToList();
        var total = Stopwatch.StartNew();
        try
        {
            foreach (var stage in stages)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                var sw = Stopwatch.StartNew();
                if (frame) log.Info($"Starting {DisplayName(stage.Id)}...");
                stage.Run(context);
                if (frame) log.Info($"Finished {DisplayName(stage.Id)} in {Seconds(sw)}s");
                // The fit summary follows the merge in a full run (docs/pipeline.md §1.1).
                if (frame && stage.Id == StageId.Merge) Stages.FitSummary.Log(context);
            }
        }
        finally
        {
            context.Hasher.Save();
        }
        if (frame) log.Info($"Pipeline finished in {Seconds(total)}s");
    }

    private static string Seconds(Stopwatch sw) => sw.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture);
}
