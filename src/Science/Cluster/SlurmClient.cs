using CliWrap;
using CliWrap.Buffered;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Cluster;

/// <summary>
/// Talks to Slurm through its own command-line tools (sbatch, squeue, scontrol, scancel;
/// sacct only when accounting is on), run through CliWrap. Every call has a timeout so a
/// controller that stopped answering turns into a coded error rather than a hung run.
/// </summary>
public sealed class SlurmClient : ISlurmClient
{
    /// <summary>The tools the executor cannot do without.</summary>
    public static readonly IReadOnlyList<string> RequiredTools = ["sbatch", "squeue", "scontrol", "scancel"];

    private readonly TimeSpan _commandTimeout;
    private bool? _accounting;

    /// <param name="commandTimeout">Longest wait for one Slurm command (default 2 minutes).</param>
    public SlurmClient(TimeSpan? commandTimeout = null) => _commandTimeout = commandTimeout ?? TimeSpan.FromMinutes(2);

    /// <summary>Tools of <see cref="RequiredTools"/> that are not on PATH (empty when Slurm is usable).</summary>
    public static IReadOnlyList<string> MissingTools() => RequiredTools.Where(t => FindOnPath(t) is null).ToList();

    /// <summary>Full path of an executable on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string p = Path.Join(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>Throws <see cref="ErrorCodes.SlurmNotInstalled"/> naming the missing tools.</summary>
    public static void EnsureInstalled()
    {
        var missing = MissingTools();
        if (missing.Count > 0)
            throw new Tract7dtException(ErrorCodes.SlurmNotInstalled,
                $"cluster.executor is 'slurm' but {string.Join(", ", missing)} {(missing.Count == 1 ? "is" : "are")} not on PATH; " +
                "run on a Slurm login node (or load its module), or set cluster.executor: local.");
    }

    public async Task<string> SubmitArrayAsync(SlurmArraySubmission submission, CancellationToken cancellation)
    {
        var r = await RunAsync("sbatch", submission.SbatchArguments(), cancellation).ConfigureAwait(false);
        if (r.ExitCode != 0)
            throw Failed("sbatch", submission.SbatchArguments(), r,
                "check cluster.partition, cluster.account, cluster.time_limit, cluster.mem_per_task and cluster.extra_sbatch_args");
        return SlurmText.ParseSbatchJobId(r.StandardOutput);
    }

    public async Task<IReadOnlyList<SlurmTaskStatus>> QueryArraysAsync(IReadOnlyCollection<string> arrayJobIds, CancellationToken cancellation)
    {
        if (arrayJobIds.Count == 0) return [];
        string[] args = ["-h", "-r", "-t", "all", "-j", string.Join(",", arrayJobIds), "-o", SlurmText.SqueueFormat];
        var r = await RunAsync("squeue", args, cancellation).ConfigureAwait(false);
        // Jobs that aged out of the controller make squeue fail with "Invalid job id" when it
        // knows none of them: that is "no task listed", not an error.
        if (r.ExitCode != 0 && r.StandardError.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase)) return [];
        if (r.ExitCode != 0) throw Failed("squeue", args, r, "check that slurmctld is reachable (sinfo)");
        return SlurmText.ParseSqueue(r.StandardOutput);
    }

    /// <summary>The tasks of one array as <c>scontrol show job -o</c> reports them, with exit codes
    /// and reasons (empty when the controller no longer knows the array).</summary>
    public async Task<IReadOnlyList<SlurmTaskStatus>> ShowArrayAsync(string arrayJobId, CancellationToken cancellation)
    {
        string[] args = ["show", "job", "-o", arrayJobId];
        var r = await RunAsync("scontrol", args, cancellation).ConfigureAwait(false);
        if (r.ExitCode != 0 && r.StandardError.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase)) return [];
        if (r.ExitCode != 0) throw Failed("scontrol", args, r, "check that slurmctld is reachable (sinfo)");
        return SlurmText.TasksFromScontrol(SlurmText.ParseScontrolRecords(r.StandardOutput));
    }

    /// <summary>True when the cluster keeps job accounting (AccountingStorageType is not
    /// <c>accounting_storage/none</c>) and sacct is installed. Asked once per client.</summary>
    public async Task<bool> AccountingAvailableAsync(CancellationToken cancellation)
    {
        if (_accounting is bool known) return known;
        bool available = false;
        if (FindOnPath("sacct") is not null)
        {
            var r = await RunAsync("scontrol", ["show", "config"], cancellation).ConfigureAwait(false);
            if (r.ExitCode == 0)
            {
                var line = r.StandardOutput.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("AccountingStorageType", StringComparison.Ordinal));
                available = line is not null && !line.Contains("accounting_storage/none", StringComparison.Ordinal);
            }
        }
        _accounting = available;
        return available;
    }

    public async Task<IReadOnlyList<SlurmTaskStatus>> QueryAccountingAsync(IReadOnlyCollection<string> arrayJobIds, CancellationToken cancellation)
    {
        if (arrayJobIds.Count == 0 || !await AccountingAvailableAsync(cancellation).ConfigureAwait(false)) return [];
        string[] args = ["-n", "-P", "-X", "-j", string.Join(",", arrayJobIds), "-o", "JobID,State,ExitCode"];
        var r = await RunAsync("sacct", args, cancellation).ConfigureAwait(false);
        // Accounting is a convenience: a failing sacct leaves the decision to the stamps.
        return r.ExitCode == 0 ? SlurmText.ParseSacct(r.StandardOutput) : [];
    }

    public async Task CancelAsync(string arrayJobId, int? taskIndex, CancellationToken cancellation)
    {
        string target = taskIndex is int i ? $"{arrayJobId}_{i}" : arrayJobId;
        var r = await RunAsync("scancel", [target], cancellation).ConfigureAwait(false);
        if (r.ExitCode != 0 && !r.StandardError.Contains("already completing or completed", StringComparison.OrdinalIgnoreCase)
            && !r.StandardError.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase))
            throw Failed("scancel", [target], r, $"cancel it by hand with 'scancel {target}'");
    }

    private async Task<BufferedCommandResult> RunAsync(string tool, IReadOnlyList<string> args, CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(_commandTimeout);
        try
        {
            return await Cli.Wrap(tool)
                .WithArguments(args)
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(timeout.Token)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new Tract7dtException(ErrorCodes.SlurmCommandFailed,
                $"{tool} {string.Join(' ', args)} did not answer within {_commandTimeout.TotalSeconds:F0} s; check that slurmctld is up (sinfo).");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new Tract7dtException(ErrorCodes.SlurmNotInstalled,
                $"cannot start '{tool}' ({e.Message}); Slurm's tools must be on PATH for cluster.executor: slurm.", e);
        }
    }

    private static Tract7dtException Failed(string tool, IReadOnlyList<string> args, BufferedCommandResult r, string hint) =>
        new(ErrorCodes.SlurmCommandFailed,
            $"{tool} {string.Join(' ', args)} exited with code {r.ExitCode}: {r.StandardError.Trim()} ({hint}).");
}
