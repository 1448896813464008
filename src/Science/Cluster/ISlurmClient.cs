namespace Tract7dt.Science.Cluster;

/// <summary>
/// What the array executor needs from Slurm. <see cref="SlurmClient"/> talks to the real
/// command-line tools; tests substitute a scripted scheduler to drive the failure paths.
/// </summary>
public interface ISlurmClient
{
    /// <summary>Submits a job array; returns its array job id.</summary>
    Task<string> SubmitArrayAsync(SlurmArraySubmission submission, CancellationToken cancellation);

    /// <summary>
    /// The tasks of the given arrays that the controller still knows (queued, running, or
    /// recently ended), one entry per array index. Tasks the controller has forgotten are
    /// simply absent; the caller decides what that means.
    /// </summary>
    Task<IReadOnlyList<SlurmTaskStatus>> QueryArraysAsync(IReadOnlyCollection<string> arrayJobIds, CancellationToken cancellation);

    /// <summary>The tasks of one array with exit codes and reasons (<c>scontrol show job</c>);
    /// empty when the controller no longer knows it. Used to describe failures.</summary>
    Task<IReadOnlyList<SlurmTaskStatus>> ShowArrayAsync(string arrayJobId, CancellationToken cancellation);

    /// <summary>Final states from accounting (sacct) for tasks the controller no longer lists;
    /// empty when accounting is off.</summary>
    Task<IReadOnlyList<SlurmTaskStatus>> QueryAccountingAsync(IReadOnlyCollection<string> arrayJobIds, CancellationToken cancellation);

    /// <summary>Cancels a whole array (<paramref name="taskIndex"/> null) or one of its tasks.</summary>
    Task CancelAsync(string arrayJobId, int? taskIndex, CancellationToken cancellation);
}
