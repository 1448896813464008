using System.Globalization;

namespace Tract7dt.Science.Pipeline;

/// <summary>
/// <c>state/stage_times.tsv</c>: one line per stage build (UTC time, stage, items built, items
/// planned, build seconds, the build's CPU seconds, the process's peak resident memory so far in
/// MiB, planning seconds), appended by <see cref="StageRunner"/> on the CLI and MSBuild paths
/// alike; the run report and the end-to-end benchmark read it. Not an output of any item (a time
/// is not a content), so it never makes anything stale.
/// </summary>
/// <remarks>CPU is the process's (every thread's) time over the build; the peak memory is the
/// process's high-water mark (Linux <c>VmHWM</c>): per stage under MSBuild, whose stage tasks each
/// run in a task-host process of their own, and the whole run's so far on the CLI, which runs every
/// stage in one process. Lines of five fields (older versions) are read with those unknown.</remarks>
public static class StageTimes
{
    /// <summary>The file in the work dir's state folder.</summary>
    public static string PathIn(WorkDirLayout layout) => Path.Join(layout.StateDir, "stage_times.tsv");

    /// <summary>One stage build as the report reads it (NaN where an older line does not say).</summary>
    public sealed record Entry(DateTime Utc, string Stage, int Built, int Planned, double Seconds,
        double CpuSeconds = double.NaN, double PeakRssMiB = double.NaN, double PlanSeconds = double.NaN);

    /// <summary>Appends one line; a failure to write it is not a failure of the stage.</summary>
    public static void Record(WorkDirLayout layout, StageId stage, int built, int planned, TimeSpan elapsed, TimeSpan cpu, TimeSpan plan)
    {
        try
        {
            Directory.CreateDirectory(layout.StateDir);
            double rss = PeakRssBytes() / (1024.0 * 1024.0);
            string line = string.Create(CultureInfo.InvariantCulture,
                $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}\t{stage}\t{built}\t{planned}\t{elapsed.TotalSeconds:F2}\t{cpu.TotalSeconds:F2}\t{rss:F0}\t{plan.TotalSeconds:F2}\n");
            lock (Gate) File.AppendAllText(PathIn(layout), line);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static readonly object Gate = new();

    /// <summary>The CPU time of this process so far (every thread).</summary>
    public static TimeSpan ProcessCpu()
    {
        using var p = System.Diagnostics.Process.GetCurrentProcess();
        return p.TotalProcessorTime;
    }

    /// <summary>This process's peak resident memory so far: <c>VmHWM</c> of <c>/proc/self/status</c>
    /// where there is one, else the runtime's peak working set.</summary>
    public static long PeakRssBytes()
    {
        long kb = HighWaterKb("/proc/self/status");
        if (kb > 0) return kb * 1024;
        using var p = System.Diagnostics.Process.GetCurrentProcess();
        return p.PeakWorkingSet64;
    }

    /// <summary>The <c>VmHWM</c> (peak resident memory, KiB) of a Linux <c>/proc/&lt;pid&gt;/status</c> file; 0 when
    /// there is none or it cannot be read (another OS, a process that just ended).</summary>
    public static long HighWaterKb(string procStatusPath)
    {
        try
        {
            if (!File.Exists(procStatusPath)) return 0;
            foreach (string line in File.ReadLines(procStatusPath))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal)
                    && long.TryParse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture, out long kb))
                    return kb;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 0;
    }

    /// <summary>Each stage's last recorded build, in the order they were last built; none when the file is missing.</summary>
    public static IReadOnlyList<Entry> Last(WorkDirLayout layout)
    {
        string path = PathIn(layout);
        if (!File.Exists(path)) return [];
        var last = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(path))
        {
            var f = line.Split('\t');
            if (f.Length is not (5 or 8)
                || !DateTime.TryParse(f[0], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
                || !int.TryParse(f[2], CultureInfo.InvariantCulture, out int built)
                || !int.TryParse(f[3], CultureInfo.InvariantCulture, out int planned)
                || !double.TryParse(f[4], NumberStyles.Float, CultureInfo.InvariantCulture, out double sec)) continue;
            double Opt(int i) => f.Length > i && double.TryParse(f[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;
            last.Remove(f[1]);
            last[f[1]] = new Entry(t, f[1], built, planned, sec, Opt(5), Opt(6), Opt(7));
        }
        return last.Values.OrderBy(e => e.Utc).ToList();
    }
}
