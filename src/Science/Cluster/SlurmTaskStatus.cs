namespace Tract7dt.Science.Cluster;

/// <summary>The state of one task of a job array as Slurm reports it.</summary>
/// <param name="ArrayJobId">The array's job id (what sbatch --parsable printed), e.g. <c>"123"</c>.</param>
/// <param name="TaskIndex">The array index (SLURM_ARRAY_TASK_ID).</param>
/// <param name="State">The long state name, e.g. <c>RUNNING</c>, <c>NODE_FAIL</c>.</param>
/// <param name="Reason">Slurm's reason field (pending reason or failure reason), or empty.</param>
/// <param name="ExitCode">"code:signal" as scontrol/sacct print it, or null when the source has none (squeue).</param>
public sealed record SlurmTaskStatus(string ArrayJobId, int TaskIndex, string State, string Reason, string? ExitCode = null)
{
    public SlurmStateKind Kind => SlurmJobState.Classify(State);
}
