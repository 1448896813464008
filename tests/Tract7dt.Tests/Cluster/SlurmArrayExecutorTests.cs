using Tract7dt.Science.Cluster;
using Tract7dt.Science.Logging;
using Xunit;

namespace Tract7dt.Tests.Cluster;

/// <summary>The executor's decisions against a scripted scheduler (fast; no Slurm needed).</summary>
public class SlurmArrayExecutorTests
{
    private static (SlurmArrayExecutor Exec, MemoryLogSink Sink) Make(FakeSlurm slurm, SlurmArrayOptions o)
    {
        var sink = new MemoryLogSink();
        return (new SlurmArrayExecutor(slurm, o, new Log(sink, "tract7dt.run_patches")), sink);
    }

    [Fact]
    public void AllItemsCompleteInOneArrayPackedPerTask()
    {
        using var w = new KeyedWork(7);
        var slurm = new FakeSlurm();
        var (exec, _) = Make(slurm, w.Options(perTask: 3) with { MaxSimultaneous = 2 });
        var r = exec.Run(w.Items, w.IsComplete, default);
        Assert.Equal(w.Items.Select(i => i.Id), r.Completed);
        Assert.Empty(r.Failed);
        var sub = Assert.Single(slurm.Submissions);              // one job array
        Assert.Equal([0, 1, 2], sub.Indices);                    // ceil(7/3) tasks
        Assert.Contains("--array=0-2%2", sub.SbatchArguments());
        Assert.Equal(0, r.Resubmitted);
    }

    [Fact]
    public void TransientEndIsResubmittedAndThenSucceeds()
    {
        using var w = new KeyedWork(4);
        // Task 2 of the first array dies with its node; everything else runs.
        var slurm = new FakeSlurm { Fate = (sub, idx) => sub == 1 && idx == 2 ? "NODE_FAIL" : null };
        var (exec, sink) = Make(slurm, w.Options());
        var r = exec.Run(w.Items, w.IsComplete, default);
        Assert.Equal(4, r.Completed.Count);
        Assert.Empty(r.Failed);
        Assert.Equal(2, slurm.Submissions.Count);
        Assert.Equal([0], slurm.Submissions[1].Indices);          // only the lost item, repacked
        Assert.Equal(1, r.Resubmitted);
        Assert.Contains(sink.Records, m => m.Message.Contains("ended NODE_FAIL; resubmitting p02", StringComparison.Ordinal));
    }

    [Fact]
    public void TransientEveryTimeFailsAfterMaxResubmits()
    {
        using var w = new KeyedWork(2);
        var slurm = new FakeSlurm { Fate = (_, idx) => "PREEMPTED" };
        var (exec, _) = Make(slurm, w.Options(maxResubmits: 2));
        var r = exec.Run(w.Items, w.IsComplete, default);
        Assert.Empty(r.Completed);
        Assert.Equal(3, slurm.Submissions.Count);                // 1 + max_resubmits
        Assert.All(r.Failed, f => { Assert.Equal("PREEMPTED", f.State); Assert.Equal(3, f.Attempts); });
        Assert.Equal(["p00", "p01"], r.Failed.Select(f => f.ItemId));
    }

    [Fact]
    public void PermanentFailureIsNotResubmittedAndOthersInTheTaskFinish()
    {
        using var w = new KeyedWork(5, broken: i => i == 1);
        var slurm = new FakeSlurm();
        var (exec, sink) = Make(slurm, w.Options(perTask: 2));
        var r = exec.Run(w.Items, w.IsComplete, default);
        Assert.Single(slurm.Submissions);
        Assert.Equal(["p00", "p02", "p03", "p04"], r.Completed);  // p00 shares task 0 with the broken p01
        var f = Assert.Single(r.Failed);
        Assert.Equal(("p01", "FAILED", "1:0", 1), (f.ItemId, f.State, f.ExitCode, f.Attempts));
        Assert.EndsWith(Path.Join("slurm", "slurm-100_0.out"), f.LogPath);
        Assert.Contains(sink.Records, m => m.Level == LogLevel.Error && m.Message.Contains("p01", StringComparison.Ordinal)
                                          && m.Message.Contains(f.LogPath, StringComparison.Ordinal));
    }

    [Fact]
    public void CompletionIsByKeyNotByFileExistence()
    {
        using var w = new KeyedWork(2, key: "new", broken: i => i == 0);
        File.WriteAllText(w.KeyFile(0), "old");                  // a leftover output of another key
        var slurm = new FakeSlurm();
        var (exec, _) = Make(slurm, w.Options());
        var r = exec.Run(w.Items, w.IsComplete, default);
        Assert.Equal(["p01"], r.Completed);
        Assert.Equal("p00", Assert.Single(r.Failed).ItemId);
    }

    [Fact]
    public void ExitZeroWithoutValidOutputIsAFailure()
    {
        using var w = new KeyedWork(1);
        w.Items[0] = w.Items[0] with { Command = ["true"] };
        var (exec, _) = Make(new FakeSlurm(), w.Options());
        var f = Assert.Single(exec.Run(w.Items, w.IsComplete, default).Failed);
        Assert.Equal("COMPLETED", f.State);
    }

    [Fact]
    public void ForgottenTasksAreJudgedByTheirOutputs()
    {
        // The controller drops ended tasks at once and there is no accounting: items with a
        // valid key file are done, the one without is retried as state UNKNOWN.
        using var w = new KeyedWork(3, broken: i => i == 2);
        var slurm = new FakeSlurm { ForgetEnded = true };
        var (exec, _) = Make(slurm, w.Options(maxResubmits: 1));
        var r = exec.Run(w.Items, w.IsComplete, default);
        Assert.Equal(["p00", "p01"], r.Completed);
        var f = Assert.Single(r.Failed);
        Assert.Equal(("p02", "UNKNOWN", 2), (f.ItemId, f.State, f.Attempts));
    }

    [Fact]
    public async Task CancellationScancelsTheArrayAndKeepsFinishedItems()
    {
        using var w = new KeyedWork(3);
        var slurm = new FakeSlurm();
        using var cts = new CancellationTokenSource();
        var (exec, sink) = Make(slurm, w.Options(pollSec: 0.05));
        cts.CancelAfter(TimeSpan.FromMilliseconds(20));          // before the first poll ends anything
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => exec.RunAsync(w.Items, w.IsComplete, cts.Token));
        Assert.Equal(["100"], slurm.Cancels);
        Assert.Contains(sink.Records, m => m.Message.Contains("Cancelled Slurm array 100", StringComparison.Ordinal));
    }

    [Fact]
    public void DuplicateIdsAreRejected()
    {
        using var w = new KeyedWork(1);
        var (exec, _) = Make(new FakeSlurm(), w.Options());
        Assert.Throws<ArgumentException>(() => exec.Run([w.Items[0], w.Items[0]], w.IsComplete, default));
    }

    [Fact]
    public void NoItemsSubmitsNothing()
    {
        using var w = new KeyedWork(0);
        var slurm = new FakeSlurm();
        var r = Make(slurm, w.Options()).Exec.Run(w.Items, w.IsComplete, default);
        Assert.Empty(slurm.Submissions);
        Assert.Empty(r.Completed);
        Assert.Equal(0, slurm.Polls);
    }
}
