using Tract7dt.Science.Config;

namespace Tract7dt.Science.Logging;

/// <summary>
/// The log file a pipeline command appends to (<c>logging.file</c>): <c>auto</c> is
/// <c>{work_dir}/{command}.log</c>, a path is that file, null is none. The CLI and the MSBuild
/// tasks (as <c>run</c>) write the same file.
/// </summary>
public static class RunLog
{
    /// <summary>The file for <paramref name="command"/>, or null when the config asks for none.</summary>
    public static string? PathFor(PipelineConfig config, string command) =>
        config.Logging.FileIsAuto ? Path.Join(config.Outputs.WorkDir, command + ".log") : config.Logging.File;

    /// <summary>A file-only sink for <paramref name="command"/>'s log, or null when the config asks for none.</summary>
    public static TextLogSink? Open(PipelineConfig config, string command) =>
        PathFor(config, command) is { } path
            ? new TextLogSink(null, path, Log.ParseLevel(config.Logging.Level), config.Logging.Format)
            : null;
}
