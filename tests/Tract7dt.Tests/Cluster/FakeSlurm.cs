using System.Diagnostics;
using Tract7dt.Science.Cluster;

namespace Tract7dt.Tests.Cluster;

/// <summary>
/// A scripted scheduler for the executor's decision logic: each array task shows RUNNING on
/// the first poll after submission, during which its generated script really runs under
/// bash (so the commands write their outputs), and its final state on the next poll
/// (COMPLETED or FAILED from the exit code) unless <see cref="Fate"/> forces another end
/// (NODE_FAIL, PREEMPTED, …: then the script does not run).
/// </summary>
internal sealed class FakeSlurm : ISlurmClient
{
    private sealed class FakeTask
    {
        public required string Script;
        public string State = "PENDING";
        public string? ExitCode;
    }

    private readonly Dictionary<(string Job, int Index), FakeTask> _tasks = new();
    private int _nextJob = 100;

    /// <summary>(submission number from 1, array index) → forced final state, or null for "run it".</summary>
    public Func<int, int, string?> Fate { get; set; } = (_, _) => null;

    /// <summary>Ended tasks vanish from the listing (a controller with MinJobAge ≈ 0 and no accounting).</summary>
    public bool ForgetEnded { get; set; }

    public List<SlurmArraySubmission> Submissions { get; } = new();
    public List<string> Cancels { get; } = new();
    public int Polls { get; private set; }

    public Task<string> SubmitArrayAsync(SlurmArraySubmission submission, CancellationToken cancellation)
    {
        Submissions.Add(submission);
        string job = (_nextJob++).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (int i in submission.Indices) _tasks[(job, i)] = new FakeTask { Script = submission.ScriptPath };
        return Task.FromResult(job);
    }

    public Task<IReadOnlyList<SlurmTaskStatus>> QueryArraysAsync(IReadOnlyCollection<string> arrayJobIds, CancellationToken cancellation)
    {
        Polls++;
        var list = new List<SlurmTaskStatus>();
        foreach (var ((job, index), t) in _tasks.Where(kv => arrayJobIds.Contains(kv.Key.Job)).OrderBy(kv => kv.Key.Index))
        {
            if (t.State is "PENDING")
            {
                t.State = "RUNNING";
            }
            else if (t.State is "RUNNING")
            {
                int submission = int.Parse(job, System.Globalization.CultureInfo.InvariantCulture) - 99;
                string? forced = Fate(submission, index);
                if (forced is not null) { t.State = forced; t.ExitCode = "0:9"; }
                else
                {
                    int rc = RunScript(t.Script, index);
                    t.State = rc == 0 ? "COMPLETED" : "FAILED";
                    t.ExitCode = $"{rc}:0";
                }
                if (ForgetEnded) continue;
            }
            else if (ForgetEnded) continue;
            list.Add(new SlurmTaskStatus(job, index, t.State, ""));
        }
        return Task.FromResult<IReadOnlyList<SlurmTaskStatus>>(list);
    }

    public Task<IReadOnlyList<SlurmTaskStatus>> ShowArrayAsync(string arrayJobId, CancellationToken cancellation) =>
        Task.FromResult<IReadOnlyList<SlurmTaskStatus>>(_tasks.Where(kv => kv.Key.Job == arrayJobId)
            .Select(kv => new SlurmTaskStatus(arrayJobId, kv.Key.Index, kv.Value.State, "", kv.Value.ExitCode)).ToList());

    public Task<IReadOnlyList<SlurmTaskStatus>> QueryAccountingAsync(IReadOnlyCollection<string> arrayJobIds, CancellationToken cancellation) =>
        Task.FromResult<IReadOnlyList<SlurmTaskStatus>>([]);

    public Task CancelAsync(string arrayJobId, int? taskIndex, CancellationToken cancellation)
    {
        Cancels.Add(taskIndex is int i ? $"{arrayJobId}_{i}" : arrayJobId);
        foreach (var (key, t) in _tasks)
            if (key.Job == arrayJobId && (taskIndex is null || key.Index == taskIndex) && t.State is "PENDING" or "RUNNING")
                t.State = "CANCELLED";
        return Task.CompletedTask;
    }

    private static int RunScript(string script, int index)
    {
        var psi = new ProcessStartInfo("bash", [script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["SLURM_ARRAY_TASK_ID"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }
}
