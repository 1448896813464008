using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Logging;
using MSLogLevel = Tract7dt.Science.Logging.LogLevel;

namespace Tract7dt.Tasks;

/// <summary>
/// Base of every Tract7dt task: runs <see cref="ExecuteCore"/>, turns a
/// <see cref="Tract7dtException"/> into one MSBuild error carrying its T7D code, and
/// returns <c>!Log.HasLoggedErrors</c>. Tasks stay thin: they map items and properties to
/// one stage call in Tract7dt.Science and do no numerics themselves.
/// </summary>
public abstract class Tract7dtTask : Microsoft.Build.Utilities.Task
{
    /// <summary>The pipeline's YAML config file.</summary>
    [Required]
    public string ConfigFile { get; set; } = "";

    public sealed override bool Execute()
    {
        try
        {
            ExecuteCore(new Log(new MSBuildLogSink(Log), "tract7dt." + GetType().Name));
        }
        catch (Tract7dtException e)
        {
            Log.LogError(subcategory: null, errorCode: e.Code, helpKeyword: null, file: ConfigFile,
                lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0, message: e.Message);
        }
        return !Log.HasLoggedErrors;
    }

    /// <summary>The task's one job. Throw <see cref="Tract7dtException"/> for user errors.</summary>
    protected abstract void ExecuteCore(Log log);
}

/// <summary>Routes science-library log records to MSBuild (INFO → normal importance,
/// DEBUG → low, WARNING → warning, ERROR → error). Thread-safe: band and patch workers log concurrently.</summary>
public sealed class MSBuildLogSink(TaskLoggingHelper log) : ILogSink
{
    private readonly object _gate = new();

    public MSLogLevel MinimumLevel => MSLogLevel.Debug;

    public void Write(DateTime localTime, MSLogLevel level, string component, string message)
    {
        lock (_gate)
        {
            switch (level)
            {
                case >= MSLogLevel.Error: log.LogError(message); break;
                case MSLogLevel.Warning: log.LogWarning(message); break;
                case MSLogLevel.Info: log.LogMessage(MessageImportance.Normal, message); break;
                default: log.LogMessage(MessageImportance.Low, message); break;
            }
        }
    }
}
