using System.Globalization;
using System.Text;

namespace Tract7dt.Science.Logging;

/// <summary>
/// Formats a record with a Python <c>%</c>-style template (<c>logging.format</c>), so an
/// existing tract7dt config keeps its log layout. Supported fields: <c>asctime</c>
/// (<c>2025-01-31 23:59:59,123</c>, local time), <c>name</c>, <c>levelname</c>,
/// <c>levelno</c>, <c>message</c>, <c>process</c>, <c>thread</c>; width/alignment
/// specs such as <c>%(levelname)-8s</c> are honoured. <c>%%</c> is a literal percent.
/// </summary>
public sealed class LogFormatter
{
    /// <summary>The original's default format.</summary>
    public const string DefaultTemplate = "%(asctime)s | %(name)s | %(levelname)s | %(message)s";

    private readonly List<Piece> _pieces = new();

    public LogFormatter(string? template = null)
    {
        Template = string.IsNullOrEmpty(template) ? DefaultTemplate : template;
        Parse(Template);
    }

    public string Template { get; }

    public string Format(DateTime localTime, LogLevel level, string component, string message)
    {
        var sb = new StringBuilder(message.Length + 64);
        foreach (var p in _pieces)
        {
            if (p.Field is null) { sb.Append(p.Literal); continue; }
            string value = p.Field switch
            {
                "asctime" => localTime.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture),
                "name" => component,
                "levelname" => LevelName(level),
                "levelno" => ((int)level).ToString(CultureInfo.InvariantCulture),
                "message" => message,
                "process" => Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
                "thread" => Environment.CurrentManagedThreadId.ToString(CultureInfo.InvariantCulture),
                _ => "%(" + p.Field + ")" + p.Spec,
            };
            if (p.Width > 0) value = p.LeftAlign ? value.PadRight(p.Width) : value.PadLeft(p.Width);
            sb.Append(value);
        }
        return sb.ToString();
    }

    public static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Debug => "DEBUG",
        LogLevel.Info => "INFO",
        LogLevel.Warning => "WARNING",
        LogLevel.Error => "ERROR",
        LogLevel.Critical => "CRITICAL",
        _ => "LEVEL " + (int)level,
    };

    private void Parse(string t)
    {
        var lit = new StringBuilder();
        for (int i = 0; i < t.Length; i++)
        {
            if (t[i] == '%' && i + 1 < t.Length && t[i + 1] == '%') { lit.Append('%'); i++; continue; }
            if (t[i] == '%' && i + 1 < t.Length && t[i + 1] == '(')
            {
                int close = t.IndexOf(')', i + 2);
                if (close > 0)
                {
                    // Conversion spec after ')': optional '-', width digits, then a type letter.
                    int j = close + 1;
                    bool left = j < t.Length && t[j] == '-';
                    if (left) j++;
                    int w0 = j;
                    while (j < t.Length && char.IsDigit(t[j])) j++;
                    int width = j > w0 ? int.Parse(t.AsSpan(w0, j - w0), CultureInfo.InvariantCulture) : 0;
                    if (j < t.Length && char.IsLetter(t[j]))
                    {
                        if (lit.Length > 0) { _pieces.Add(new Piece(lit.ToString(), null, "", 0, false)); lit.Clear(); }
                        _pieces.Add(new Piece("", t.Substring(i + 2, close - i - 2), t.Substring(close + 1, j - close), width, left));
                        i = j;
                        continue;
                    }
                }
            }
            lit.Append(t[i]);
        }
        if (lit.Length > 0) _pieces.Add(new Piece(lit.ToString(), null, "", 0, false));
    }

    private sealed record Piece(string Literal, string? Field, string Spec, int Width, bool LeftAlign);
}
