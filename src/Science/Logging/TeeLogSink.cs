namespace Tract7dt.Science.Logging;

/// <summary>Hands every record to each of its sinks (e.g. MSBuild's log and the work dir's run log).</summary>
public sealed class TeeLogSink(params ILogSink[] sinks) : ILogSink
{
    public LogLevel MinimumLevel { get; } = sinks.Length == 0 ? LogLevel.Error : sinks.Min(s => s.MinimumLevel);

    public void Write(DateTime localTime, LogLevel level, string component, string message)
    {
        foreach (var s in sinks)
            if (level >= s.MinimumLevel) s.Write(localTime, level, component, message);
    }
}
