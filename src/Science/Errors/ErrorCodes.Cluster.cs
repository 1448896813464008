namespace Tract7dt.Science.Errors;

public static partial class ErrorCodes
{
    /// <summary>The Slurm command-line tools (sbatch, squeue, scontrol, scancel) are not on PATH.</summary>
    public const string SlurmNotInstalled = "T7D900";
    /// <summary>A Slurm command exited with an error (sbatch rejected the job, squeue cannot reach the controller, …).</summary>
    public const string SlurmCommandFailed = "T7D901";
    /// <summary>A Slurm command printed something we cannot parse.</summary>
    public const string SlurmUnexpectedOutput = "T7D902";
    /// <summary>Some cluster work items failed every attempt (the message names them and their logs).</summary>
    public const string ClusterItemsFailed = "T7D903";
    /// <summary>An executor setting is invalid (e.g. a work item with an empty command).</summary>
    public const string ClusterBadRequest = "T7D904";
}
