using Tract7dt.Science.Config;

namespace Tract7dt.Science.Cluster;

/// <summary>How <see cref="SlurmArrayExecutor"/> packs, submits and watches work items.</summary>
/// <param name="JobName">The Slurm job name (shown by squeue).</param>
/// <param name="Directory">Where batch scripts and Slurm logs go (must be on the shared filesystem).</param>
/// <param name="WorkingDirectory">Where each task starts (shared filesystem).</param>
public sealed record SlurmArrayOptions(string JobName, string Directory, string WorkingDirectory)
{
    /// <summary>Items run one after another by one array task (≥ 1).</summary>
    public int ItemsPerTask { get; init; } = 1;
    /// <summary>The array throttle (%N); null = no limit.</summary>
    public int? MaxSimultaneous { get; init; }
    public string? Partition { get; init; }
    public string? Account { get; init; }
    public string? TimeLimit { get; init; }
    public string? Memory { get; init; }
    public int CpusPerTask { get; init; } = 1;
    public IReadOnlyList<string> ExtraSbatchArgs { get; init; } = [];
    /// <summary>Time between two squeue polls.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>How often an item whose task ended transiently (node failure, preemption,
    /// cancellation by someone else) is submitted again.</summary>
    public int MaxResubmits { get; init; } = 2;
    /// <summary>Progress lines while waiting are logged at most this often when not on a terminal.</summary>
    public TimeSpan ProgressLogInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Options from the <c>cluster:</c> config section.</summary>
    public static SlurmArrayOptions FromConfig(ClusterConfig c, string jobName, string directory, string workingDirectory) =>
        new(jobName, directory, workingDirectory)
        {
            ItemsPerTask = c.PatchesPerTask,
            MaxSimultaneous = c.MaxSimultaneous,
            Partition = c.Partition,
            Account = c.Account,
            TimeLimit = c.TimeLimit,
            Memory = c.MemPerTask,
            CpusPerTask = c.CpusPerTask,
            ExtraSbatchArgs = c.ExtraSbatchArgs,
            PollInterval = TimeSpan.FromSeconds(c.PollIntervalSec),
            MaxResubmits = c.MaxResubmits,
        };

    /// <summary>The Slurm log of one task (what --output expands to).</summary>
    public string LogPath(string arrayJobId, int index) => Path.Join(Directory, $"slurm-{arrayJobId}_{index}.out");

    internal SlurmArraySubmission Submission(string script, IReadOnlyList<int> indices) =>
        new(script, indices, JobName, Path.Join(Directory, "slurm-%A_%a.out"), WorkingDirectory)
        {
            Partition = Partition,
            Account = Account,
            TimeLimit = TimeLimit,
            Memory = Memory,
            CpusPerTask = CpusPerTask,
            MaxSimultaneous = MaxSimultaneous,
            ExtraArgs = ExtraSbatchArgs,
        };
}
