using System.Diagnostics;
using Tract7dt.Science.Cluster;
using Tract7dt.Science.Logging;
using Xunit;

namespace Tract7dt.Tests.Cluster;

/// <summary>The client and the executor against the real single-node Slurm of the fixture.</summary>
[Collection(SlurmCollection.Name)]
public class SlurmClusterTests
{
    /// <summary>Longest wait for a short test array on an idle node (scheduling passes are 1 s apart).</summary>
    private static readonly TimeSpan ArrayDeadline = TimeSpan.FromSeconds(60);

    private readonly SlurmClient _client = new();

    [SlurmFact]
    public async Task ClientSubmitsPollsAndReportsAnArray()
    {
        using var w = new KeyedWork(0);
        string script = Path.Join(w.Root, "t.sh");
        File.WriteAllText(script, "#!/bin/bash\necho \"task $SLURM_ARRAY_TASK_ID\"\n[ \"$SLURM_ARRAY_TASK_ID\" != 2 ] || exit 4\n");
        var sub = new SlurmArraySubmission(script, [0, 1, 2], "t7d-client", Path.Join(w.Root, "slurm-%A_%a.out"), w.Root)
        {
            MaxSimultaneous = 2, Memory = "100M", TimeLimit = "00:05:00",
        };
        string job = await _client.SubmitArrayAsync(sub, default);
        Assert.Matches("^[0-9]+$", job);

        var states = await WaitEnded(job, 3);
        Assert.Equal(["COMPLETED", "COMPLETED", "FAILED"], states.OrderBy(s => s.TaskIndex).Select(s => s.State));
        var shown = (await _client.ShowArrayAsync(job, default)).OrderBy(s => s.TaskIndex).ToList();
        Assert.Equal(["0:0", "0:0", "4:0"], shown.Select(s => s.ExitCode));
        Assert.Equal("task 1\n", File.ReadAllText(Path.Join(w.Root, $"slurm-{job}_1.out")));
        // Unknown ids are "nothing listed", not an error.
        Assert.Empty(await _client.QueryArraysAsync(["999999"], default));
    }

    [SlurmFact]
    public async Task ClientCancelsOneTaskThenTheArray()
    {
        using var w = new KeyedWork(0);
        string script = Path.Join(w.Root, "sleep.sh");
        File.WriteAllText(script, "#!/bin/bash\nsleep 60\n");
        var sub = new SlurmArraySubmission(script, [0, 1], "t7d-cancel", Path.Join(w.Root, "slurm-%A_%a.out"), w.Root) { Memory = "100M" };
        string job = await _client.SubmitArrayAsync(sub, default);
        await WaitUntil(async () => (await _client.QueryArraysAsync([job], default)).Count(s => s.State == "RUNNING") == 2);
        await _client.CancelAsync(job, 1, default);
        await WaitUntil(async () => (await _client.QueryArraysAsync([job], default)).Any(s => s.TaskIndex == 1 && s.State == "CANCELLED"));
        Assert.Equal("RUNNING", (await _client.QueryArraysAsync([job], default)).Single(s => s.TaskIndex == 0).State);
        await _client.CancelAsync(job, null, default);
        var states = await WaitEnded(job, 2);
        Assert.All(states, s => Assert.Equal(SlurmStateKind.Transient, s.Kind));
        await _client.CancelAsync(job, null, default);           // cancelling an ended array is not an error
    }

    [SlurmFact]
    public async Task ExecutorRunsItemsReportsTheBrokenOneWithItsLog()
    {
        using var w = new KeyedWork(5, broken: i => i == 3);
        var sink = new MemoryLogSink();
        var exec = new SlurmArrayExecutor(_client, w.Options(perTask: 2, pollSec: 0.2) with { Memory = "100M" }, new Log(sink, "tract7dt.run_patches"));
        var r = await exec.RunAsync(w.Items, w.IsComplete, Timeout());
        Assert.Equal(["p00", "p01", "p02", "p04"], r.Completed);
        var f = Assert.Single(r.Failed);
        Assert.Equal(("p03", "FAILED", "1:0"), (f.ItemId, f.State, f.ExitCode));
        Assert.Contains("corrupt payload", File.ReadAllText(f.LogPath));
        Assert.Single(r.ArrayJobIds);
    }

    [SlurmFact]
    public async Task ScancelOfOneTaskMidRunIsResubmitted()
    {
        using var w = new KeyedWork(3);
        // Every item waits for a release file, so no task can finish before the test has
        // cancelled task 1 and seen the executor resubmit it. A fixed sleep raced the cancel
        // on a loaded machine: the task finished first, and nothing was left to resubmit.
        string release = Path.Join(w.Root, "release");
        for (int i = 0; i < w.Items.Count; i++)
            w.Items[i] = w.Items[i] with
            {
                Command = ["bash", "-c", $"while [ ! -e {release} ]; do sleep 0.2; done; " + w.Items[i].Command[2]],
            };
        var exec = new SlurmArrayExecutor(_client, w.Options(pollSec: 0.2) with { Memory = "100M" }, Log.Null);
        var run = exec.RunAsync(w.Items, w.IsComplete, Timeout());
        try
        {
            // Find the first array and cancel its task 1 while it runs (as a user or an admin would).
            string? job = null;
            await WaitUntil(async () =>
            {
                job ??= JobsOf(w.Root).FirstOrDefault();
                return job is not null && (await _client.QueryArraysAsync([job], default)).Any(s => s.TaskIndex == 1 && s.State == "RUNNING");
            });
            await _client.CancelAsync(job!, 1, default);
            await WaitUntil(() => Task.FromResult(JobsOf(w.Root).Count >= 2));
        }
        finally
        {
            File.WriteAllText(release, "");                      // never leave the executor waiting on a failed wait
        }

        var r = await run;
        Assert.Equal(["p00", "p01", "p02"], r.Completed);
        Assert.Empty(r.Failed);
        Assert.Equal(2, r.ArrayJobIds.Count);
        Assert.Equal(1, r.Resubmitted);
    }

    [SlurmFact]
    public async Task CancellationTokenScancelsTheArray()
    {
        using var w = new KeyedWork(2);
        for (int i = 0; i < w.Items.Count; i++)
            w.Items[i] = w.Items[i] with { Command = ["sleep", "60"] };
        var exec = new SlurmArrayExecutor(_client, w.Options(pollSec: 0.2) with { Memory = "100M" }, Log.Null);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => exec.RunAsync(w.Items, w.IsComplete, cts.Token));
        string job = FirstJob(w.Root)!;
        var states = await WaitEnded(job, 2);
        Assert.All(states, s => Assert.Equal("CANCELLED", s.State));
    }

    /// <summary>The first array id of this test's work, or null before squeue lists any.</summary>
    private static string? FirstJob(string root) => JobsOf(root).FirstOrDefault();

    /// <summary>The array ids squeue lists for this test's job name and work directory, oldest first.</summary>
    private static List<string> JobsOf(string root)
    {
        var (rc, o) = SlurmClusterFixture.Run("squeue", "-h", "-t", "all", "-n", "t7d-test", "-o", "%F|%Z");
        return rc != 0 ? [] : o.Split('\n').Select(l => l.Split('|')).Where(f => f.Length == 2 && f[1].Trim() == root)
            .Select(f => f[0].Trim()).Distinct().OrderBy(s => long.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToList();
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(ArrayDeadline).Token;

    private async Task<IReadOnlyList<SlurmTaskStatus>> WaitEnded(string job, int count)
    {
        IReadOnlyList<SlurmTaskStatus> s = [];
        await WaitUntil(async () =>
        {
            s = await _client.QueryArraysAsync([job], default);
            return s.Count == count && s.All(t => t.Kind != SlurmStateKind.Active);
        });
        return s;
    }

    private static async Task WaitUntil(Func<Task<bool>> condition)
    {
        var sw = Stopwatch.StartNew();
        while (!await condition())
        {
            if (sw.Elapsed > ArrayDeadline) throw new TimeoutException($"condition not met within {ArrayDeadline.TotalSeconds} s");
            await Task.Delay(200);
        }
    }
}
