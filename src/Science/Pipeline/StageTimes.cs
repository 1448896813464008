using System.Globalization;

namespace Tract7dt.Science.Pipeline;

/// <summary>
/// <c>state/stage_times.tsv</c>: one line per stage build (UTC time, stage, items built, items
/// planned, seconds), appended by <see cref="StageRunner"/> on the CLI and MSBuild paths alike;
/// the run report shows each stage's last build. Not an output of any item (a time is not a
/// content), so it never makes anything stale.
/// </summary>
public static class StageTimes
{
    /// <summary>The file in the work dir's state folder.</summary>
    public static string PathIn(WorkDirLayout layout) => Path.Join(layout.StateDir, "stage_times.tsv");

    /// <summary>One stage build as the report reads it.</summary>
    public sealed record Entry(DateTime Utc, string Stage, int Built, int Planned, double Seconds);

    /// <summary>Appends one line; a failure to write it is not a failure of the stage.</summary>
    public static void Record(WorkDirLayout layout, StageId stage, int built, int planned, TimeSpan elapsed)
    {
        try
        {
            Directory.CreateDirectory(layout.StateDir);
            string line = string.Create(CultureInfo.InvariantCulture,
                $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ssZ}\t{stage}\t{built}\t{planned}\t{elapsed.TotalSeconds:F2}\n");
            lock (Gate) File.AppendAllText(PathIn(layout), line);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static readonly object Gate = new();

    /// <summary>Each stage's last recorded build, in the order they were last built; none when the file is missing.</summary>
    public static IReadOnlyList<Entry> Last(WorkDirLayout layout)
    {
        string path = PathIn(layout);
        if (!File.Exists(path)) return [];
        var last = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(path))
        {
            var f = line.Split('\t');
            if (f.Length != 5
                || !DateTime.TryParse(f[0], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
                || !int.TryParse(f[2], CultureInfo.InvariantCulture, out int built)
                || !int.TryParse(f[3], CultureInfo.InvariantCulture, out int planned)
                || !double.TryParse(f[4], NumberStyles.Float, CultureInfo.InvariantCulture, out double sec)) continue;
            last.Remove(f[1]);
            last[f[1]] = new Entry(t, f[1], built, planned, sec);
        }
        return last.Values.OrderBy(e => e.Utc).ToList();
    }
}
