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
            if (_file is null || _fileFailed) return;
            try
            {
                _file.WriteLine(line);
            }
            catch (IOException e)
            {
                // A log line must never end the run: a full disk would otherwise throw here from
                // whatever thread logs (a progress timer included) and take the process down. The
                // file stops; the console says so once; the run's own writes report the failure.
                _fileFailed = true;
                _console?.WriteLine(_formatter.Format(DateTime.Now, LogLevel.Warning, "tract7dt.log",
                    $"The log file {FilePath} can no longer be written ({e.Message.Trim()}); logging to it stopped."));
            }
        }
    }

    private bool _fileFailed;

    public void Dispose()
    {
        lock (_gate)
        {
            try { _file?.Dispose(); }
            catch (IOException) { } // its last flush on a full disk
        }
    }
}
