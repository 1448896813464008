using Tract7dt.Science.Config;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;

namespace Tract7dt.Cli;

/// <summary>
/// A pipeline command (<c>run</c>, <c>run-epsf</c>, …), docs/pipeline.md §1.3: load and validate
/// the config (any failure: exit 1 before anything is written), configure logging from
/// <c>logging.*</c>, create the work dir, save the config snapshot, run the stages.
/// </summary>
internal sealed class PipelineCommand(string name, string summary, IReadOnlyList<OptionSpec> options) : ICommand
{
    public string Name { get; } = name;

    public string Summary { get; } = summary;

    public IReadOnlyList<OptionSpec> Options { get; } = options;

    public int Execute(ParsedArgs args, CliContext context)
    {
        var (configPath, config, warnings) = ConfigArgument.Load(args, context);
        config = FitPatchCommand.WithExecutor(config, args.Get("executor"));
        var startup = context.Logger("tract7dt.cli");
        foreach (var w in warnings) startup.Warn(w);

        string? logFile = RunLog.PathFor(config, Name);
        var sink = new TextLogSink(context.Err, logFile, Log.ParseLevel(config.Logging.Level), config.Logging.Format);
        context.ConfiguredSink = sink;
        var log = new Log(sink, "tract7dt.cli");
        foreach (var w in warnings) sink.Write(DateTime.Now, LogLevel.Warning, "tract7dt.cli", w); // also in the file

        log.Info($"tract7dt {CliApp.Version}: {Name} --config {configPath}"); // which build made these outputs
        Directory.CreateDirectory(config.Outputs.WorkDir);
        using var workDirLock = WorkDirLock.Acquire(new WorkDirLayout(config), "tract7dt " + Name);
        if (ConfigSnapshot.Save(configPath, config.Outputs.WorkDir, DateTime.Now) is { } snapshot)
            log.Info($"Config snapshot saved: {snapshot}");

        var stageContext = new StageContext(config, sink, TerminalProgress.Factory(context, sink), cancellation: context.Cancellation);
        PipelineStages.RunCommand(Name, stageContext, frame: Name == "run");
        return 0;
    }
}
