using System.Globalization;
using Tract7dt.Science.Config;

namespace Tract7dt.Science.Cluster;

/// <summary>
/// One job-array submission: a batch script and the array indices to run it for.
/// Resources mirror the <c>cluster:</c> config section.
/// </summary>
/// <param name="ScriptPath">The batch script (absolute path; it reads <c>SLURM_ARRAY_TASK_ID</c>).</param>
/// <param name="Indices">Array indices to run (the --array list); at least one.</param>
/// <param name="JobName">--job-name.</param>
/// <param name="OutputPattern">--output (stdout and stderr together), with <c>%A</c> = array job id and
/// <c>%a</c> = index, e.g. <c>/work/state/slurm/slurm-%A_%a.out</c>.</param>
/// <param name="WorkingDirectory">--chdir: where each task starts (absolute; on the shared filesystem).</param>
public sealed record SlurmArraySubmission(string ScriptPath, IReadOnlyList<int> Indices, string JobName,
    string OutputPattern, string WorkingDirectory)
{
    /// <summary>--partition; null = the cluster default.</summary>
    public string? Partition { get; init; }
    /// <summary>--account; null = the user's default.</summary>
    public string? Account { get; init; }
    /// <summary>--time (Slurm time syntax, e.g. <c>00:30:00</c>); null = the partition default.</summary>
    public string? TimeLimit { get; init; }
    /// <summary>--mem (e.g. <c>4G</c>); null = the cluster default.</summary>
    public string? Memory { get; init; }
    /// <summary>--cpus-per-task (≥ 1).</summary>
    public int CpusPerTask { get; init; } = 1;
    /// <summary>The array throttle (%N): at most this many tasks run at once; null = no limit.</summary>
    public int? MaxSimultaneous { get; init; }
    /// <summary>Further sbatch arguments, passed verbatim before the script path.</summary>
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];

    /// <summary>The sbatch argument list (one argument per element, no shell quoting needed).</summary>
    public IReadOnlyList<string> SbatchArguments()
    {
        var a = new List<string>
        {
            "--parsable",
            "--array=" + SlurmText.FormatIndexExpression(Indices, MaxSimultaneous),
            "--job-name=" + JobName,
            "--output=" + OutputPattern,
            "--chdir=" + WorkingDirectory,
            "--cpus-per-task=" + CpusPerTask.ToString(CultureInfo.InvariantCulture),
            // Our resubmission policy decides what runs again, not Slurm's requeue.
            "--no-requeue",
        };
        if (Partition is not null) a.Add("--partition=" + Partition);
        if (Account is not null) a.Add("--account=" + Account);
        if (TimeLimit is not null) a.Add("--time=" + TimeLimit);
        if (Memory is not null) a.Add("--mem=" + Memory);
        a.AddRange(ExtraArgs);
        a.Add(ScriptPath);
        return a;
    }
}
