using Tract7dt.Science.Config;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Pipeline.Stages;

namespace Tract7dt.Cli;

/// <summary>
/// <c>tract7dt fit-patch --config C --patch TAG [--force]</c>: fits one patch of the current
/// patch list and writes its outputs and stamp (what each Slurm array task runs). Up to date
/// (stamp matches key) → nothing to do, exit 0. A failed fit → exit 1, the error on stderr and
/// in the patch's logs. Logs go to stderr only (the Slurm task log), never to the run's log file.
/// </summary>
internal sealed class FitPatchCommand : ICommand
{
    public string Name => "fit-patch";

    public string Summary => "fit one patch (the per-patch command a cluster array task runs)";

    public IReadOnlyList<OptionSpec> Options { get; } = new OptionSpec[]
    {
        new("config", "PATH", "the YAML config file", Required: true),
        new("patch", "TAG", "patch tag of the current patch list, e.g. r00_c00_pr00_pc01", Required: true),
        new("force", null, "refit even when the patch's stamp is up to date"),
    };

    public int Execute(ParsedArgs args, CliContext context)
    {
        var (configPath, config, _) = ConfigArgument.Load(args, context);
        var sink = new TextLogSink(context.Err, null, Log.ParseLevel(config.Logging.Level), config.Logging.Format);
        context.ConfiguredSink = sink;
        // A private hash cache: many tasks on many nodes must not race on the run's shared one.
        var hasher = new ContentHasher(null);
        var stage = new StageContext(config, sink, hasher: hasher, cancellation: context.Cancellation);
        string tag = args.Get("patch")!;
        var r = RunPatchesStage.FitOne(stage, tag, args.Has("force"));
        var log = new Log(sink, "tract7dt.run_patches");
        if (r.Status == "fail")
        {
            log.Error($"patch={r.Patch} FAILED: {r.Error} (log {r.RunnerLog})");
            return 1;
        }
        log.Info($"patch={r.Patch} {r.Status} in {r.Seconds.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)}s");
        return 0;
    }

    /// <summary>Applies <c>--executor local|slurm</c> (null: keep the config's).</summary>
    internal static PipelineConfig WithExecutor(PipelineConfig config, string? executor) => executor switch
    {
        null => config,
        "local" => config with { Cluster = config.Cluster with { Executor = ClusterExecutor.Local } },
        "slurm" => config with { Cluster = config.Cluster with { Executor = ClusterExecutor.Slurm } },
        _ => throw new UsageException($"--executor must be 'local' or 'slurm', not '{executor}'"),
    };

}
