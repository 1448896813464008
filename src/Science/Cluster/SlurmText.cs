using System.Globalization;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Cluster;

/// <summary>
/// Parsers for what Slurm's tools print (Slurm 22.05 formats; stable since 17.x): sbatch
/// --parsable, squeue with our format string, scontrol show job -o, sacct -P, and array
/// index expressions such as <c>0-9:2,12,15-17%4</c>. Pure functions, so they are tested
/// on recorded text as well as on a live cluster.
/// </summary>
public static class SlurmText
{
    /// <summary>The squeue output format the client asks for: id, long state, reason.</summary>
    public const string SqueueFormat = "%i|%T|%r";

    /// <summary>The job id in <c>sbatch --parsable</c> output (<c>"123"</c> or <c>"123;cluster"</c>).</summary>
    public static string ParseSbatchJobId(string stdout)
    {
        string line = stdout.Trim().Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "";
        string id = line.Split(';')[0];
        if (id.Length == 0 || !id.All(char.IsAsciiDigit))
            throw new Tract7dtException(ErrorCodes.SlurmUnexpectedOutput,
                $"sbatch --parsable printed '{stdout.Trim()}' instead of a job id; check the sbatch options in cluster.extra_sbatch_args.");
        return id;
    }

    /// <summary>
    /// Parses squeue lines printed with <see cref="SqueueFormat"/> and <c>-r</c> (one line per
    /// array task, id <c>arrayid_index</c>). Lines of plain jobs or unexpanded ranges are expanded
    /// through <see cref="ParseJobId"/>.
    /// </summary>
    public static List<SlurmTaskStatus> ParseSqueue(string stdout)
    {
        var result = new List<SlurmTaskStatus>();
        foreach (string[] f in PipeRecords(stdout, "squeue", "id|STATE|reason"))
            foreach (var (job, index) in ParseJobId(f[0]))
                result.Add(new SlurmTaskStatus(job, index, f[1].Trim(), f[2].Trim()));
        return result;
    }

    /// <summary>
    /// Parses <c>sacct -n -P -X -o JobID,State,ExitCode</c> lines (<c>123_4|FAILED|1:0</c>,
    /// <c>123_[5-7%2]|PENDING|0:0</c>). Step lines (<c>123_4.batch</c>) are skipped.
    /// </summary>
    public static List<SlurmTaskStatus> ParseSacct(string stdout)
    {
        var result = new List<SlurmTaskStatus>();
        foreach (string[] f in PipeRecords(stdout, "sacct", "JobID|State|ExitCode"))
        {
            if (f[0].Contains('.')) continue;
            foreach (var (job, index) in ParseJobId(f[0]))
                result.Add(new SlurmTaskStatus(job, index, SlurmJobState.Normalize(f[1]), "", f[2].Trim()));
        }
        return result;
    }

    /// <summary>
    /// The '|'-separated records of squeue/sacct output (<c>--parsable</c>-style, one per
    /// non-blank line, trimmed); a record of fewer than three fields means the tool printed
    /// something else (an error, a changed format) and stops the parse.
    /// </summary>
    private static IEnumerable<string[]> PipeRecords(string stdout, string tool, string expected)
    {
        foreach (string raw in stdout.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0) continue;
            string[] f = line.Split('|');
            if (f.Length < 3)
                throw new Tract7dtException(ErrorCodes.SlurmUnexpectedOutput, $"{tool} printed '{line}', expected '{expected}'.");
            yield return f;
        }
    }

    /// <summary>
    /// Parses the records of <c>scontrol show job -o</c> (one job per line, space-separated
    /// <c>Key=Value</c> pairs) into dictionaries. A value containing spaces (a command path,
    /// a reason) continues until the next token that looks like <c>Key=</c>.
    /// </summary>
    public static List<Dictionary<string, string>> ParseScontrolRecords(string stdout)
    {
        var records = new List<Dictionary<string, string>>();
        foreach (string raw in stdout.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0) continue;
            var rec = new Dictionary<string, string>(StringComparer.Ordinal);
            string? key = null;
            foreach (string token in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = token.IndexOf('=');
                if (eq > 0 && LooksLikeKey(token.AsSpan(0, eq)))
                {
                    key = token[..eq];
                    rec[key] = token[(eq + 1)..];
                }
                else if (key is not null)
                {
                    rec[key] += " " + token;
                }
            }
            if (rec.Count > 0) records.Add(rec);
        }
        return records;
    }

    /// <summary>
    /// Array task states from <c>scontrol show job -o</c> records. A record of not-yet-split
    /// pending tasks has <c>ArrayTaskId=3-5%2</c> and stands for each of those indices.
    /// Records that are not array tasks are skipped.
    /// </summary>
    public static List<SlurmTaskStatus> TasksFromScontrol(IEnumerable<Dictionary<string, string>> records)
    {
        var result = new List<SlurmTaskStatus>();
        foreach (var rec in records)
        {
            if (!rec.TryGetValue("ArrayJobId", out var job) || !rec.TryGetValue("ArrayTaskId", out var ids)) continue;
            string state = rec.GetValueOrDefault("JobState", "");
            string reason = rec.GetValueOrDefault("Reason", "");
            string? exit = rec.GetValueOrDefault("ExitCode");
            foreach (int i in ParseIndexExpression(ids))
                result.Add(new SlurmTaskStatus(job, i, state, reason == "None" ? "" : reason, exit));
        }
        return result;
    }

    /// <summary>
    /// Splits a job id as squeue/sacct print it: <c>123_4</c> → (123, 4);
    /// <c>123_[4-6%2]</c> → (123, 4), (123, 5), (123, 6); <c>123</c> (not an array) → (123, -1).
    /// </summary>
    public static List<(string Job, int Index)> ParseJobId(string id)
    {
        id = id.Trim();
        int us = id.IndexOf('_');
        if (us < 0)
        {
            RequireDigits(id, id);
            return [(id, -1)];
        }
        string job = id[..us];
        RequireDigits(job, id);
        string rest = id[(us + 1)..];
        if (rest.StartsWith('[') && rest.EndsWith(']')) rest = rest[1..^1];
        return ParseIndexExpression(rest).Select(i => (job, i)).ToList();
    }

    /// <summary>
    /// Expands an array index expression (sbatch --array syntax): comma-separated items, each
    /// <c>n</c>, <c>a-b</c> or <c>a-b:step</c>, with an optional <c>%max</c> throttle suffix
    /// that is ignored here. Indices are returned in the order written.
    /// </summary>
    public static List<int> ParseIndexExpression(string expr)
    {
        string e = expr.Trim();
        int pct = e.IndexOf('%');
        if (pct >= 0) e = e[..pct];
        var result = new List<int>();
        foreach (string part in e.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string p = part.Trim();
            int step = 1;
            int colon = p.IndexOf(':');
            if (colon >= 0)
            {
                step = ParseInt(p[(colon + 1)..], expr);
                p = p[..colon];
                if (step <= 0) throw Bad(expr);
            }
            int dash = p.IndexOf('-');
            if (dash < 0)
            {
                result.Add(ParseInt(p, expr));
                continue;
            }
            int a = ParseInt(p[..dash], expr), b = ParseInt(p[(dash + 1)..], expr);
            if (b < a) throw Bad(expr);
            for (int i = a; i <= b; i += step) result.Add(i);
        }
        return result;
    }

    /// <summary>
    /// Writes indices as a compact --array expression (<c>0-3,7,9-10</c>), ascending and
    /// deduplicated, with <c>%max</c> appended when <paramref name="maxSimultaneous"/> is set.
    /// </summary>
    public static string FormatIndexExpression(IEnumerable<int> indices, int? maxSimultaneous = null)
    {
        var sorted = indices.Distinct().Order().ToList();
        if (sorted.Count == 0) throw new ArgumentException("an array needs at least one index", nameof(indices));
        var parts = new List<string>();
        int start = sorted[0], prev = sorted[0];
        for (int k = 1; k <= sorted.Count; k++)
        {
            if (k < sorted.Count && sorted[k] == prev + 1) { prev = sorted[k]; continue; }
            parts.Add(start == prev ? Inv(start) : Inv(start) + "-" + Inv(prev));
            if (k < sorted.Count) start = prev = sorted[k];
        }
        string s = string.Join(",", parts);
        return maxSimultaneous is int m ? s + "%" + Inv(m) : s;
    }

    private static bool LooksLikeKey(ReadOnlySpan<char> k)
    {
        if (k.Length == 0 || !char.IsAsciiLetter(k[0])) return false;
        foreach (char c in k)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' or '/')) return false;
        return true;
    }

    private static void RequireDigits(string s, string whole)
    {
        if (s.Length == 0 || !s.All(char.IsAsciiDigit))
            throw new Tract7dtException(ErrorCodes.SlurmUnexpectedOutput, $"'{whole}' is not a Slurm job id.");
    }

    private static int ParseInt(string s, string whole) =>
        int.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : throw Bad(whole);

    private static Tract7dtException Bad(string expr) =>
        new(ErrorCodes.SlurmUnexpectedOutput, $"'{expr}' is not a Slurm array index expression (expected e.g. 0-9:2,12%4).");

    private static string Inv(int v) => v.ToString(CultureInfo.InvariantCulture);
}
