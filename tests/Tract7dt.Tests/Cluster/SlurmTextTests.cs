using Tract7dt.Science.Cluster;
using Tract7dt.Science.Errors;
using Xunit;

namespace Tract7dt.Tests.Cluster;

public class SlurmTextTests
{
    [Theory]
    [InlineData("7", new[] { 7 })]
    [InlineData("0-3", new[] { 0, 1, 2, 3 })]
    [InlineData("0-9:4", new[] { 0, 4, 8 })]
    [InlineData("3-5,9,11-12%2", new[] { 3, 4, 5, 9, 11, 12 })]
    [InlineData(" 1 , 2 ", new[] { 1, 2 })]
    public void IndexExpressionExpands(string expr, int[] expected) =>
        Assert.Equal(expected, SlurmText.ParseIndexExpression(expr));

    [Theory]
    [InlineData("5-3")]
    [InlineData("a")]
    [InlineData("1-4:0")]
    [InlineData("-1")]
    public void BadIndexExpressionIsCoded(string expr)
    {
        var e = Assert.Throws<Tract7dtException>(() => SlurmText.ParseIndexExpression(expr));
        Assert.Equal(ErrorCodes.SlurmUnexpectedOutput, e.Code);
    }

    [Fact]
    public void FormatCompactsRunsAndRoundTrips()
    {
        int[] idx = [9, 0, 1, 2, 3, 7, 10, 3];
        string s = SlurmText.FormatIndexExpression(idx, 4);
        Assert.Equal("0-3,7,9-10%4", s);
        Assert.Equal(idx.Distinct().Order(), SlurmText.ParseIndexExpression(s));
        Assert.Equal("5", SlurmText.FormatIndexExpression([5]));
        // Sweep: every subset of 0..9 round-trips.
        for (int mask = 1; mask < 1 << 10; mask++)
        {
            var set = Enumerable.Range(0, 10).Where(i => (mask >> i & 1) != 0).ToList();
            Assert.Equal(set, SlurmText.ParseIndexExpression(SlurmText.FormatIndexExpression(set)));
        }
    }

    [Theory]
    [InlineData("123\n", "123")]
    [InlineData("4567;t7dtest\n", "4567")]
    public void SbatchParsable(string stdout, string id) => Assert.Equal(id, SlurmText.ParseSbatchJobId(stdout));

    [Fact]
    public void SbatchGarbageIsCoded()
    {
        var e = Assert.Throws<Tract7dtException>(() => SlurmText.ParseSbatchJobId("sbatch: error: something"));
        Assert.Equal(ErrorCodes.SlurmUnexpectedOutput, e.Code);
    }

    [Fact]
    public void SqueueLinesBecomeTasks()
    {
        // Recorded from `squeue -h -r -t all -j 1 -o '%i|%T|%r'` on Slurm 22.05 (one unexpanded line added).
        const string text = "1_1|PENDING|Resources\n1_0|RUNNING|None\n1_2|COMPLETED|None\n1_[5-6%2]|PENDING|JobArrayTaskLimit\n";
        var t = SlurmText.ParseSqueue(text);
        Assert.Equal([("1", 1), ("1", 0), ("1", 2), ("1", 5), ("1", 6)], t.Select(s => (s.ArrayJobId, s.TaskIndex)));
        Assert.Equal(["PENDING", "RUNNING", "COMPLETED", "PENDING", "PENDING"], t.Select(s => s.State));
        Assert.Equal("Resources", t[0].Reason);
        Assert.Null(t[0].ExitCode);
    }

    [Fact]
    public void ScontrolRecordsKeepValuesWithSpacesAndExpandPendingRanges()
    {
        // Shortened from `scontrol show job -o` on Slurm 22.05.
        const string text =
            "JobId=2 ArrayJobId=1 ArrayTaskId=0 JobName=t.sh JobState=FAILED Reason=NonZeroExitCode ExitCode=1:0 ReqB:S:C:T=0:0:*:* " +
            "Command=/tmp/a dir/t.sh WorkDir=/tmp StdOut=/tmp/t_1_0.out\n" +
            "JobId=1 ArrayJobId=1 ArrayTaskId=3-4%2 ArrayTaskThrottle=2 JobState=PENDING Reason=JobArrayTaskLimit ExitCode=0:0\n" +
            "JobId=9 JobName=plain JobState=RUNNING\n";
        var recs = SlurmText.ParseScontrolRecords(text);
        Assert.Equal(3, recs.Count);
        Assert.Equal("/tmp/a dir/t.sh", recs[0]["Command"]);
        Assert.Equal("0:0:*:*", recs[0]["ReqB:S:C:T"]);
        var tasks = SlurmText.TasksFromScontrol(recs);
        Assert.Equal([0, 3, 4], tasks.Select(t => t.TaskIndex));
        Assert.Equal("1:0", tasks[0].ExitCode);
        Assert.Equal(SlurmStateKind.Permanent, tasks[0].Kind);
        Assert.Equal("JobArrayTaskLimit", tasks[2].Reason);
    }

    [Fact]
    public void SacctSkipsStepsAndNormalizesStates()
    {
        const string text = "12_0|COMPLETED|0:0\n12_0.batch|COMPLETED|0:0\n12_1|CANCELLED by 0|0:15\n12_[2-3]|PENDING|0:0\n";
        var t = SlurmText.ParseSacct(text);
        Assert.Equal([0, 1, 2, 3], t.Select(s => s.TaskIndex));
        Assert.Equal("CANCELLED", t[1].State);
        Assert.Equal("0:15", t[1].ExitCode);
    }

    [Theory]
    [InlineData("COMPLETED", SlurmStateKind.Completed)]
    [InlineData("NODE_FAIL", SlurmStateKind.Transient)]
    [InlineData("PREEMPTED", SlurmStateKind.Transient)]
    [InlineData("CANCELLED by 0", SlurmStateKind.Transient)]
    [InlineData("BOOT_FAIL", SlurmStateKind.Transient)]
    [InlineData("FAILED", SlurmStateKind.Permanent)]
    [InlineData("TIMEOUT", SlurmStateKind.Permanent)]
    [InlineData("OUT_OF_MEMORY", SlurmStateKind.Permanent)]
    [InlineData("PENDING", SlurmStateKind.Active)]
    [InlineData("RUNNING", SlurmStateKind.Active)]
    [InlineData("COMPLETING", SlurmStateKind.Active)]
    [InlineData("REQUEUED", SlurmStateKind.Active)]
    [InlineData("SOME_FUTURE_STATE", SlurmStateKind.Active)]
    [InlineData("UNKNOWN", SlurmStateKind.Unknown)]
    public void StatesAreClassified(string state, SlurmStateKind kind) => Assert.Equal(kind, SlurmJobState.Classify(state));

    [Fact]
    public void SbatchArgumentsCarryEveryResource()
    {
        var s = new SlurmArraySubmission("/w/s.sh", [0, 1, 2, 5], "t7d", "/w/slurm-%A_%a.out", "/w")
        {
            Partition = "short", Account = "astro", TimeLimit = "00:10:00", Memory = "2G", CpusPerTask = 3,
            MaxSimultaneous = 2, ExtraArgs = ["--qos=low", "--constraint=x86"],
        };
        Assert.Equal(
            ["--parsable", "--array=0-2,5%2", "--job-name=t7d", "--output=/w/slurm-%A_%a.out", "--chdir=/w", "--cpus-per-task=3",
             "--no-requeue", "--partition=short", "--account=astro", "--time=00:10:00", "--mem=2G", "--qos=low", "--constraint=x86", "/w/s.sh"],
            s.SbatchArguments());
        var bare = new SlurmArraySubmission("/w/s.sh", [0], "t7d", "o", "/w").SbatchArguments();
        Assert.DoesNotContain(bare, a => a.StartsWith("--partition", StringComparison.Ordinal) || a.StartsWith("--account", StringComparison.Ordinal));
    }
}
