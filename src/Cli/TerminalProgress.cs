using Tract7dt.Science.Logging;

namespace Tract7dt.Cli;

/// <summary>
/// Progress on an interactive terminal: one status line on stderr redrawn in place
/// (carriage return, text cut and padded to the terminal width − 1, at least 40 columns),
/// ended by a newline; log lines printed meanwhile clear it first. When stderr is not a
/// terminal, progress is logged instead, throttled (cli.md §7).
/// </summary>
internal sealed class TerminalProgress : Progress
{
    private readonly TextWriter _err;
    private readonly TextLogSink _sink;
    private readonly object _gate = new();
    private string _current = "";
    private DateTime _lastDraw = DateTime.MinValue;

    private TerminalProgress(TextWriter err, TextLogSink sink)
    {
        _err = err;
        _sink = sink;
        _sink.BeforeConsoleWrite = Clear;
    }

    public static ProgressFactory Factory(CliContext context, TextLogSink sink)
    {
        bool tty = ReferenceEquals(context.Err, Console.Error) && !Console.IsErrorRedirected;
        return tty
            ? (_, _) => new TerminalProgress(context.Err, sink)
            : new ProgressFactory(Progress.Logged);
    }

    private static int LineWidth
    {
        get
        {
            int cols = 80;
            try { if (Console.WindowWidth > 0) cols = Console.WindowWidth; } catch (IOException) { }
            return Math.Max(40, cols - 1);
        }
    }

    public override void Report(string message, bool force = false)
    {
        lock (_gate)
        {
            var now = DateTime.UtcNow;
            if (!force && (now - _lastDraw).TotalSeconds < 0.1) { _current = message; return; }
            _lastDraw = now;
            _current = message;
            Draw();
        }
    }

    private void Draw()
    {
        int w = LineWidth;
        string text = _current.Length > w ? _current[..w] : _current.PadRight(w);
        _err.Write("\r" + text);
        _err.Flush();
    }

    private void Clear()
    {
        if (_current.Length == 0) return;
        _err.Write("\r" + new string(' ', LineWidth) + "\r");
    }

    public override void Dispose()
    {
        lock (_gate)
        {
            if (_current.Length > 0) { Draw(); _err.WriteLine(); }
            _current = "";
            _sink.BeforeConsoleWrite = null;
        }
    }
}
