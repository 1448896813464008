using System.Diagnostics;
using System.Globalization;

namespace Tract7dt.Science.Logging;

/// <summary>
/// A stage's progress line. On a terminal the CLI redraws it in place; elsewhere (pipes,
/// batch jobs, MSBuild) it is logged at INFO, throttled so a long run leaves a readable
/// heartbeat rather than thousands of lines (docs/pipeline.md §11.2). Stages only call
/// <see cref="Report"/>; how it is shown is the host's business.
/// </summary>
public abstract class Progress : IDisposable
{
    /// <summary>Shows <paramref name="message"/>; <paramref name="force"/> bypasses throttling
    /// (first and last messages of a phase).</summary>
    public abstract void Report(string message, bool force = false);

    /// <summary>Ends the phase (a TTY line gets its newline).</summary>
    public virtual void Dispose() { }

    /// <summary>Progress that goes through the log at most every <paramref name="interval"/>.</summary>
    public static Progress Logged(Log log, TimeSpan interval) => Throttled(log.Info, interval, forcedSpacing: TimeSpan.Zero);

    /// <summary>
    /// Progress that hands <paramref name="write"/> the first line of a message at most every
    /// <paramref name="interval"/>; a forced message waits only <paramref name="forcedSpacing"/>
    /// after the last line (zero: always shown). Stages force a message at every finished item
    /// so a terminal redraws at once; a log may want a steadier heartbeat than that.
    /// </summary>
    public static Progress Throttled(Action<string> write, TimeSpan interval, TimeSpan forcedSpacing) =>
        new ThrottledProgress(write, interval, forcedSpacing);

    /// <summary>Drops everything (library calls without a host).</summary>
    public static Progress None { get; } = new NoProgress();

    private sealed class ThrottledProgress(Action<string> write, TimeSpan interval, TimeSpan forcedSpacing) : Progress
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _last = TimeSpan.MinValue;
        private readonly object _gate = new();

        public override void Report(string message, bool force = false)
        {
            lock (_gate)
            {
                var now = _clock.Elapsed;
                if (_last != TimeSpan.MinValue && now - _last < (force ? forcedSpacing : interval)) return;
                _last = now;
            }
            // a multi-line live block (ePSF workers) logs its first, overall line
            int nl = message.IndexOf('\n');
            write(nl < 0 ? message : message[..nl]);
        }
    }

    private sealed class NoProgress : Progress
    {
        public override void Report(string message, bool force = false) { }
    }
}

/// <summary>Creates progress lines; the CLI supplies a terminal-aware one.</summary>
public delegate Progress ProgressFactory(Log log, TimeSpan logInterval);

/// <summary>The building blocks of progress messages (docs/pipeline.md §11.2).</summary>
public static class ProgressText
{
    /// <summary><paramref name="width"/> characters: round(width·done/total) '#' (ties to even), then '-'.</summary>
    public static string Bar(long done, long total, int width = 24)
    {
        if (total <= 0) return new string('-', width);
        int n = (int)Math.Clamp(Math.Round(width * (double)done / total, MidpointRounding.ToEven), 0, width);
        return new string('#', n) + new string('-', width - n);
    }

    /// <summary>Rate with two decimals and "/s".</summary>
    public static string Rate(double perSecond) => perSecond.ToString("F2", CultureInfo.InvariantCulture) + "/s";

    /// <summary>ETA as MM:SS, H:MM:SS from an hour up, or "--:--" when unknown.</summary>
    public static string Eta(long remaining, double perSecond)
    {
        if (!(perSecond > 0) || !double.IsFinite(perSecond)) return "--:--";
        long s = (long)Math.Round(remaining / perSecond);
        return s >= 3600
            ? $"{s / 3600}:{s / 60 % 60:00}:{s % 60:00}"
            : $"{s / 60:00}:{s % 60:00}";
    }
}
