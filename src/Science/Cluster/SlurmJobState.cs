namespace Tract7dt.Science.Cluster;

/// <summary>What the executor does with an array task in a given Slurm state.</summary>
public enum SlurmStateKind
{
    /// <summary>Still queued or running (PENDING, RUNNING, COMPLETING, SUSPENDED, REQUEUED, …): keep waiting.</summary>
    Active,
    /// <summary>COMPLETED (exit code 0). Its items are still checked by key.</summary>
    Completed,
    /// <summary>Ended by the machine rather than by the work (NODE_FAIL, PREEMPTED, BOOT_FAIL,
    /// CANCELLED, REVOKED): the same work may well succeed on a second try, so it is resubmitted.</summary>
    Transient,
    /// <summary>Ended by the work itself (FAILED, TIMEOUT, OUT_OF_MEMORY, DEADLINE, SPECIAL_EXIT):
    /// a resubmission would fail the same way.</summary>
    Permanent,
    /// <summary>The controller no longer knows the task (it aged out of memory and accounting is
    /// off): the items' stamps decide; an item without a valid stamp counts as transient.</summary>
    Unknown,
}

/// <summary>Slurm job states (the long names squeue %T, scontrol JobState and sacct State print).</summary>
public static class SlurmJobState
{
    /// <summary>Classifies a state name. sacct's "CANCELLED by 123" and a trailing '+' are accepted;
    /// unknown names are <see cref="SlurmStateKind.Active"/> (a state Slurm adds later is more
    /// likely a waiting state than an end, and waiting is the safe reading).</summary>
    public static SlurmStateKind Classify(string state)
    {
        string s = Normalize(state);
        return s switch
        {
            "COMPLETED" => SlurmStateKind.Completed,
            "NODE_FAIL" or "PREEMPTED" or "BOOT_FAIL" or "CANCELLED" or "REVOKED" => SlurmStateKind.Transient,
            "FAILED" or "TIMEOUT" or "OUT_OF_MEMORY" or "DEADLINE" or "SPECIAL_EXIT" => SlurmStateKind.Permanent,
            "" or "UNKNOWN" => SlurmStateKind.Unknown,
            _ => SlurmStateKind.Active,
        };
    }

    /// <summary>Upper-case first word without sacct's trailing '+' ("CANCELLED by 0" → "CANCELLED").</summary>
    public static string Normalize(string state)
    {
        string s = state.Trim();
        int space = s.IndexOf(' ');
        if (space >= 0) s = s[..space];
        return s.TrimEnd('+').ToUpperInvariant();
    }

    /// <summary>True for PENDING (and the held/requeued forms that wait in the queue).</summary>
    public static bool IsPending(string state) => Normalize(state) is "PENDING" or "REQUEUED" or "REQUEUE_HOLD" or "REQUEUE_FED" or "RESV_DEL_HOLD";
}
