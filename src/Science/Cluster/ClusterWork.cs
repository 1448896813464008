namespace Tract7dt.Science.Cluster;

/// <summary>One unit of work sent to the cluster: an id (a patch tag) and the command that
/// builds it (argv, first element the executable), run with the shared work dir mounted.</summary>
public sealed record ClusterWorkItem(string Id, IReadOnlyList<string> Command);

/// <summary>An item that did not end with a valid stamp after every attempt.</summary>
/// <param name="ItemId">The work item id.</param>
/// <param name="State">The Slurm state of its last task (<c>FAILED</c>, <c>NODE_FAIL</c>, <c>COMPLETED</c> when the
/// task exited 0 but left no valid stamp, <c>UNKNOWN</c> when the controller forgot it).</param>
/// <param name="ExitCode">"code:signal" of the last task when Slurm still reported it, else null.</param>
/// <param name="LogPath">The Slurm log (stdout and stderr) of the last attempt.</param>
/// <param name="Attempts">How many times it was submitted.</param>
public sealed record ClusterItemFailure(string ItemId, string State, string? ExitCode, string LogPath, int Attempts);

/// <summary>What an array run did. Completion is decided by each item's stamp, never by Slurm's word.</summary>
public sealed record ClusterRunResult
{
    /// <summary>Items whose outputs carry a valid stamp for their current key, in input order.</summary>
    public required IReadOnlyList<string> Completed { get; init; }
    /// <summary>Items that failed every attempt, in input order.</summary>
    public required IReadOnlyList<ClusterItemFailure> Failed { get; init; }
    /// <summary>The array job ids submitted, first submission first.</summary>
    public required IReadOnlyList<string> ArrayJobIds { get; init; }
    /// <summary>Item submissions beyond the first (transient failures retried).</summary>
    public int Resubmitted { get; init; }
    /// <summary>Wall time spent in sbatch calls.</summary>
    public TimeSpan SubmitTime { get; init; }
    /// <summary>Wall time spent in squeue/scontrol/sacct calls.</summary>
    public TimeSpan PollTime { get; init; }
    /// <summary>Wall time spent checking stamps.</summary>
    public TimeSpan CollectTime { get; init; }
    /// <summary>Wall time of the whole run.</summary>
    public TimeSpan Elapsed { get; init; }
}
