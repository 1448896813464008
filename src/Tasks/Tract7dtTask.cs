using System.Reflection;
using System.Runtime.Loader;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Tract7dt.Science.Config;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;
using MSLogLevel = Tract7dt.Science.Logging.LogLevel;

namespace Tract7dt.Tasks;

/// <summary>
/// Base of every Tract7dt task: runs <see cref="ExecuteCore"/>, turns a
/// <see cref="Tract7dtException"/> into one MSBuild error carrying its T7D code, and
/// returns <c>!Log.HasLoggedErrors</c>. Tasks stay thin: they map items and properties to
/// one stage call in Tract7dt.Science and do no numerics themselves.
/// </summary>
public abstract class Tract7dtTask : Microsoft.Build.Utilities.Task, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>The pipeline's YAML config file.</summary>
    [Required]
    public string ConfigFile { get; set; } = "";

    /// <summary>
    /// Optional assemblies that register stage implementations (item spec = assembly path,
    /// metadata <c>Type</c> = a type with a public static parameterless <c>Register()</c>).
    /// Registrations replace the built-in stages of the same id; tests use this to drive the
    /// graph with small stand-in stages.
    /// </summary>
    public ITaskItem[] StagePlugins { get; set; } = [];

    /// <summary>Cancelled when MSBuild cancels the build (Ctrl-C): stages stop between items.</summary>
    protected CancellationToken Cancellation => _cancel.Token;

    public void Cancel() => _cancel.Cancel();

    public sealed override bool Execute()
    {
        try
        {
            LoadPlugins(StagePlugins);
            ExecuteCore(new Log(new MSBuildLogSink(Log), "tract7dt." + GetType().Name));
        }
        catch (Exception ex) when (Tract7dtException.Find(ex) is { } e)
        {
            // at the file the error is about (config line, image-list line, FITS file) when known
            Log.LogError(subcategory: null, errorCode: e.Code, helpKeyword: null, file: e.File ?? ConfigFile,
                lineNumber: e.Line, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0, message: e.Message);
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
            Log.LogError("Cancelled; finished items keep their stamps and the next build resumes from them.");
        }
        catch (Exception ex) when (IoFailure.Find(ex) is { } io)
        {
            Log.LogError(subcategory: null, errorCode: ErrorCodes.IoFailure, helpKeyword: null, file: ConfigFile,
                lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0,
                message: IoFailure.Describe(io));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // a defect of ours: one coded error instead of MSBuild's MSB4018 stack trace
            Log.LogError(subcategory: null, errorCode: ErrorCodes.Internal, helpKeyword: null, file: ConfigFile,
                lineNumber: 0, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0,
                message: CrashReport.Write(ex, GetType().Name));
        }
        return !Log.HasLoggedErrors;
    }

    /// <summary>The task's one job. Throw <see cref="Tract7dtException"/> for user errors.</summary>
    protected abstract void ExecuteCore(Log log);

    /// <summary>Whether this task reports the config's warnings: <see cref="ReadConfig"/> does, once per
    /// build; every other task loads the same file and stays quiet about it.</summary>
    protected virtual bool ReportsConfigWarnings => false;

    /// <summary>Loads <see cref="ConfigFile"/> and builds the stage context every task shares:
    /// MSBuild log sink, the work dir's hash cache. Config warnings (unknown keys, …) are
    /// MSBuild warnings located at the config file, not at the targets.</summary>
    protected StageContext CreateContext() => CreateContext(LoadConfig());

    /// <summary>The stage context over <paramref name="config"/>: MSBuild's log, and also
    /// <paramref name="alsoTo"/> when given (the work dir's run log).</summary>
    protected StageContext CreateContext(PipelineConfig config, ILogSink? alsoTo = null) =>
        new(config, alsoTo is null ? new MSBuildLogSink(Log) : new TeeLogSink(new MSBuildLogSink(Log), alsoTo),
            (log, interval) => MSBuildProgress(alsoTo, log.Component, interval), cancellation: Cancellation);

    /// <summary>The least time between two progress lines of a stage on the MSBuild path.</summary>
    private static readonly TimeSpan ProgressSpacing = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A stage's progress on the MSBuild path: at high importance, so a plain <c>dotnet msbuild</c>
    /// shows it between its target lines, at a steady rate (a forced line, which the stages send
    /// at every finished item for a terminal's sake, also waits <see cref="ProgressSpacing"/>),
    /// and the same line in the run log.
    /// </summary>
    private Progress MSBuildProgress(ILogSink? runLog, string component, TimeSpan interval) =>
        Progress.Throttled(line =>
        {
            Log.LogMessage(MessageImportance.High, "  " + line);
            runLog?.Write(DateTime.Now, MSLogLevel.Info, component, line);
        }, interval, ProgressSpacing);

    /// <summary>A message every reader of the build sees (the default console verbosity and the
    /// terminal logger show high-importance messages), and the same line in the run log.</summary>
    protected void Say(string message, ILogSink? alsoTo)
    {
        Log.LogMessage(MessageImportance.High, message);
        alsoTo?.Write(DateTime.Now, MSLogLevel.Info, "tract7dt.msbuild", message);
    }

    /// <summary>Loads and checks <see cref="ConfigFile"/> (its warnings reported when
    /// <see cref="ReportsConfigWarnings"/>), with the task's overrides applied.</summary>
    protected PipelineConfig LoadConfig()
    {
        if (!File.Exists(ConfigFile))
            throw new Tract7dtException(ErrorCodes.FileNotFound,
                $"Config file not found: {Path.GetFullPath(ConfigFile)}. Pass /p:Config=path/to/config.yaml, or write a template with 'tract7dt dump-config'.");
        var (config, warnings) = ConfigLoader.Load(ConfigFile);
        if (ReportsConfigWarnings)
            foreach (var w in warnings)
            {
                // the config's warnings say "(line N of FILE)" or "(lines N and M of FILE)": point at the (first) line
                var m = System.Text.RegularExpressions.Regex.Match(w, @"\(lines? (\d+)");
                int line = m.Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
                Log.LogWarning(subcategory: null, warningCode: null, helpKeyword: null, file: Path.GetFullPath(ConfigFile),
                    lineNumber: line, columnNumber: 0, endLineNumber: 0, endColumnNumber: 0, message: w);
            }
        return AdjustConfig(config);
    }

    /// <summary>Task properties that override config values (e.g. RunPatches' <c>Executor</c>); none by default.</summary>
    protected virtual PipelineConfig AdjustConfig(PipelineConfig config) => config;

    private static readonly HashSet<string> Loaded = new(StringComparer.Ordinal);

    private static void LoadPlugins(ITaskItem[] plugins)
    {
        foreach (var p in plugins)
        {
            string path = Path.GetFullPath(p.ItemSpec);
            string typeName = p.GetMetadata("Type");
            lock (Loaded)
            {
                if (!Loaded.Add(path + "|" + typeName)) continue;
                try
                {
                    // Load beside the science library so the plugin sees the same PipelineStages.
                    var alc = AssemblyLoadContext.GetLoadContext(typeof(PipelineStages).Assembly) ?? AssemblyLoadContext.Default;
                    var asm = alc.LoadFromAssemblyPath(path);
                    var register = asm.GetType(typeName, throwOnError: true)!
                        .GetMethod("Register", BindingFlags.Public | BindingFlags.Static, Type.EmptyTypes)
                        ?? throw new MissingMethodException(typeName, "Register");
                    register.Invoke(null, null);
                }
                catch (Exception e) when (e is not Tract7dtException)
                {
                    Loaded.Remove(path + "|" + typeName);
                    throw new Tract7dtException(ErrorCodes.GraphPluginFailed,
                        $"Stage plugin '{path}' (Type='{typeName}') could not be registered: {e.GetBaseException().Message}. " +
                        "Check the Tract7dtStagePlugin item's path and its Type metadata (a type with public static void Register()).", e);
                }
            }
        }
    }
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
