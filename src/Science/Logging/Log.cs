namespace Tract7dt.Science.Logging;

/// <summary>Severity, with the numeric values of Python's logging levels so that
/// <c>logging.level</c> names map one to one.</summary>
public enum LogLevel
{
    Debug = 10,
    Info = 20,
    Warning = 30,
    Error = 40,
    Critical = 50,
}

/// <summary>
/// Where log records go: the CLI's console/file sink, the MSBuild tasks' engine sink,
/// or a memory sink in tests. Implementations must be thread-safe (band and patch
/// workers log concurrently).
/// </summary>
public interface ILogSink
{
    /// <summary>Records below this level are dropped before formatting.</summary>
    LogLevel MinimumLevel { get; }

    /// <param name="component">Logger name, e.g. <c>tract7dt.pipeline</c>.</param>
    void Write(DateTime localTime, LogLevel level, string component, string message);
}

/// <summary>
/// A named logger over a sink. Stage functions take one of these; nothing in the science
/// library writes to the console directly.
/// </summary>
public sealed class Log
{
    public Log(ILogSink sink, string component)
    {
        Sink = sink;
        Component = component;
    }

    /// <summary>A logger that drops everything (for library calls that need no log).</summary>
    public static Log Null { get; } = new(NullSink.Instance, "tract7dt");

    public ILogSink Sink { get; }

    public string Component { get; }

    /// <summary>A logger with another component name on the same sink.</summary>
    public Log For(string component) => new(Sink, component);

    public bool IsEnabled(LogLevel level) => level >= Sink.MinimumLevel;

    public void Write(LogLevel level, string message)
    {
        if (level >= Sink.MinimumLevel)
            Sink.Write(DateTime.Now, level, Component, message);
    }

    public void Debug(string message) => Write(LogLevel.Debug, message);

    public void Info(string message) => Write(LogLevel.Info, message);

    public void Warn(string message) => Write(LogLevel.Warning, message);

    public void Error(string message) => Write(LogLevel.Error, message);

    /// <summary>Parses a Python logging level name (case-insensitive). Unknown names give
    /// <paramref name="fallback"/>, as the original does (it silently uses INFO).</summary>
    public static LogLevel ParseLevel(string? name, LogLevel fallback = LogLevel.Info) =>
        (name ?? "").Trim().ToUpperInvariant() switch
        {
            "DEBUG" => LogLevel.Debug,
            "INFO" => LogLevel.Info,
            "WARNING" or "WARN" => LogLevel.Warning,
            "ERROR" => LogLevel.Error,
            "CRITICAL" or "FATAL" => LogLevel.Critical,
            "NOTSET" => LogLevel.Debug,
            _ => fallback,
        };

    private sealed class NullSink : ILogSink
    {
        public static readonly NullSink Instance = new();
        public LogLevel MinimumLevel => LogLevel.Critical + 1;
        public void Write(DateTime localTime, LogLevel level, string component, string message) { }
    }
}

/// <summary>Keeps records in memory (tests, and tasks that replay them).</summary>
public sealed class MemoryLogSink : ILogSink
{
    private readonly List<(LogLevel Level, string Component, string Message)> _records = new();
    private readonly object _gate = new();

    public MemoryLogSink(LogLevel minimumLevel = LogLevel.Debug) => MinimumLevel = minimumLevel;

    public LogLevel MinimumLevel { get; }

    public IReadOnlyList<(LogLevel Level, string Component, string Message)> Records
    {
        get { lock (_gate) return _records.ToArray(); }
    }

    public void Write(DateTime localTime, LogLevel level, string component, string message)
    {
        lock (_gate) _records.Add((level, component, message));
    }
}
