namespace Tract7dt.Science.Logging;

/// <summary>
/// Console (stderr) and optional file sink with one template and one minimum level for
/// both, as the original's <c>logging.*</c> keys describe. The file is opened for
/// appending, so successive runs of a command accumulate in one log.
/// </summary>
public sealed class TextLogSink : ILogSink, IDisposable
{
    private readonly TextWriter? _console;
    private readonly StreamWriter? _file;
    private readonly LogFormatter _formatter;
    private readonly object _gate = new();

    /// <param name="console">Usually <see cref="Console.Error"/>; null for file only.</param>
    /// <param name="filePath">Log file (parents created), or null for console only.</param>
    public TextLogSink(TextWriter? console, string? filePath, LogLevel minimumLevel, string? template = null)
    {
        _console = console;
        _formatter = new LogFormatter(template);
        MinimumLevel = minimumLevel;
        if (filePath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(filePath))!);
            _file = new StreamWriter(new FileStream(filePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
            FilePath = Path.GetFullPath(filePath);
        }
    }

    public LogLevel MinimumLevel { get; }

    public string? FilePath { get; }

    /// <summary>Set while a live progress line occupies the console line: the sink clears it first.</summary>
    public Action? BeforeConsoleWrite { get; set; }

    public void Write(DateTime localTime, LogLevel level, string component, string message)
    {
        if (level < MinimumLevel) return;
        string line = _formatter.Format(localTime, level, component, message);
        lock (_gate)
        {
            if (_console is not null)
            {
                BeforeConsoleWrite?.Invoke();
                _console.WriteLine(line);
            }
            _file?.WriteLine(line);
        }
    }

    public void Dispose()
    {
        lock (_gate) _file?.Dispose();
    }
}
