using Tract7dt.Science.Logging;

namespace Tract7dt.Cli;

/// <summary>
/// Progress on an interactive terminal: a block of status lines on stderr redrawn in place
/// (one line per <c>\n</c>-separated part of the message, e.g. the ePSF stage's overall line
/// and one line per band worker; each cut to the terminal width − 1, at least 40 columns),
/// ended by a newline; log lines printed meanwhile clear the block first and it is drawn
/// again below them at the next report. When stderr is not a terminal, progress is logged
/// instead, throttled (docs/pipeline.md §11.2).
/// </summary>
/// <remarks>Redrawing uses ANSI cursor-up (<c>ESC[nA</c>), erase-line (<c>ESC[K</c>) and
/// erase-below (<c>ESC[J</c>), which every terminal emulator in use understands.</remarks>
internal sealed class TerminalProgress : Progress
{
    private readonly TextWriter _err;
    private readonly TextLogSink _sink;
    private readonly object _gate = new();
    private string _current = "";
    private int _drawnLines; // lines of the block now on screen (0 = none)
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
        var lines = _current.Split('\n');
        var sb = new System.Text.StringBuilder();
        if (_drawnLines > 1) sb.Append("\x1b[").Append(_drawnLines - 1).Append('A');
        sb.Append('\r');
        for (int i = 0; i < lines.Length; i++)
        {
            string text = lines[i].Length > w ? lines[i][..w] : lines[i];
            sb.Append(text).Append("\x1b[K");
            if (i < lines.Length - 1) sb.Append('\n');
        }
        sb.Append("\x1b[J"); // a block that shrank leaves no stale lines below
        _err.Write(sb.ToString());
        _err.Flush();
        _drawnLines = lines.Length;
    }

    private void Clear()
    {
        if (_drawnLines == 0) return;
        _err.Write((_drawnLines > 1 ? $"\x1b[{_drawnLines - 1}A" : "") + "\r\x1b[J");
        _drawnLines = 0;
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
