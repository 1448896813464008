using System.Diagnostics;
using System.Globalization;
using Tract7dt.Science.Cluster;
using Tract7dt.Science.Pipeline.Stages;
using Xunit;

namespace Tract7dt.Tests.Cluster;

/// <summary>
/// The whole pipeline with <c>--executor slurm</c> on the real single-node Slurm of the
/// fixture (GitHub issue "Scale out: run the patch fits on a Slurm cluster"): same catalog
/// bytes as the local executor, content keys decide what is submitted, a task cancelled
/// mid-run is resubmitted, a corrupt payload fails alone. The array tasks run the
/// <c>tract7dt</c> apphost built next to the test assembly (what
/// <see cref="RunPatchesStage.WorkerCommandPrefix"/> finds without <c>TRACT7DT_CLI</c>).
/// </summary>
[Collection(SlurmCollection.Name)]
public sealed class SlurmEndToEndTests(TinyTile tile)
{
    /// <summary>Longest wait for a condition on the cluster (scheduling passes are 1 s apart; a patch fits in ~2 s).</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [SlurmFact]
    public void SlurmRunMatchesLocalAndKeysDecideWhatIsSubmitted()
    {
        string config = tile.NewCopy("keys");
        string catalog = Path.Join(Path.GetDirectoryName(config)!, "work", "output_catalog.csv");

        var first = Cli.Run("run", "--config", config, "--executor", "slurm");
        Assert.True(first.Rc == 0, first.Err);
        Assert.Equal([TinyTile.PatchCount], Cli.Submissions(first.Err));
        Assert.Equal(tile.LocalCatalog, File.ReadAllBytes(catalog));

        // Nothing changed: every stage is up to date, nothing reaches Slurm.
        var again = Cli.Run("run", "--config", config, "--executor", "slurm");
        Assert.True(again.Rc == 0, again.Err);
        Assert.Empty(Cli.Submissions(again.Err));
        Assert.Equal(tile.LocalCatalog, File.ReadAllBytes(catalog));

        // A fit setting: every patch is refitted, as one array of all of them; nothing upstream reruns.
        YamlEdit.Set(config, "patch_run", "n_opt_iters", "19");
        var iters = Cli.Run("run", "--config", config, "--executor", "slurm");
        Assert.True(iters.Rc == 0, iters.Err);
        Assert.Equal([TinyTile.PatchCount], Cli.Submissions(iters.Err));
        // (each count includes the stage's summary item: epsf_summary, payload_list, run_summary)
        Assert.Equal((3 + 1, 3 + 1, 0), Cli.Plan(iters.Err, "BuildEpsf"));
        Assert.Equal((TinyTile.PatchCount + 1, TinyTile.PatchCount + 1, 0), Cli.Plan(iters.Err, "BuildPatchInputs"));
        Assert.Equal((TinyTile.PatchCount + 1, 0, TinyTile.PatchCount + 1), Cli.Plan(iters.Err, "RunPatches"));

        // A zero-point setting: only ComputeZp reruns, no patch is submitted.
        YamlEdit.Set(config, "zp", "clip_sigma", "2.5");
        var zp = Cli.Run("run", "--config", config, "--executor", "slurm");
        Assert.True(zp.Rc == 0, zp.Err);
        Assert.Empty(Cli.Submissions(zp.Err));
        Assert.Equal((TinyTile.PatchCount + 1, TinyTile.PatchCount + 1, 0), Cli.Plan(zp.Err, "RunPatches"));
        Assert.Equal((1, 1, 0), Cli.Plan(zp.Err, "Merge"));
        Assert.Equal((2, 0, 2), Cli.Plan(zp.Err, "ComputeZp")); // the numbers and their plots
        Assert.Contains("Wrote ZP summary", zp.Err);
    }

    [SlurmFact]
    public async Task ScancelOfOneTaskMidRunIsResubmittedAndTheCatalogIsUnchanged()
    {
        string config = tile.NewCopy("scancel");
        string dir = Path.GetDirectoryName(config)!;
        string work = Path.Join(dir, "work");
        // Tasks that stay RUNNING long enough to be caught: a wrapper sleeps, then runs the real CLI.
        // (3 s was too short once under a loaded full suite: the task finished between the squeue
        // that saw it running and the scancel.)
        string real = RunPatchesStage.WorkerCommandPrefix() is [var exe] ? exe
            : throw new InvalidOperationException("the test output folder has no tract7dt apphost");
        string wrapper = Path.Join(dir, "slow-tract7dt");
        File.WriteAllText(wrapper, $"#!/bin/bash\nsleep 8\nexec '{real}' \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        string? previous = Environment.GetEnvironmentVariable(RunPatchesStage.CliPathVariable);
        Environment.SetEnvironmentVariable(RunPatchesStage.CliPathVariable, wrapper);
        try
        {
            using var timeout = new CancellationTokenSource(Deadline * 2);
            var run = Task.Run(() => Cli.Run(timeout.Token, "run", "--config", config, "--executor", "slurm"));

            var client = new SlurmClient();
            string? job = null;
            SlurmTaskStatus? victim = null;
            await WaitUntil(async () =>
            {
                if (run.IsCompleted) throw new InvalidOperationException("the run ended before a task could be cancelled:\n" + run.Result.Err);
                job ??= ArrayOf(work);
                victim = job is null ? null
                    : (await client.QueryArraysAsync([job], default)).Where(s => s.State == "RUNNING").OrderBy(s => s.TaskIndex).FirstOrDefault();
                return victim is not null;
            });
            await client.CancelAsync(job!, victim!.TaskIndex, default);

            var r = await run;
            Assert.True(r.Rc == 0, r.Err);
            string patch = RunPatchTag(r.Err, job!, victim.TaskIndex);
            Assert.Contains($"resubmitting {patch}", r.Err);
            var subs = Cli.Submissions(r.Err);
            Assert.Equal(TinyTile.PatchCount, subs[0]);
            Assert.Equal(1, subs.Skip(1).Sum());                     // only the cancelled patch again
            Assert.Equal(tile.LocalCatalog, File.ReadAllBytes(Path.Join(work, "output_catalog.csv")));
        }
        finally
        {
            Environment.SetEnvironmentVariable(RunPatchesStage.CliPathVariable, previous);
        }
    }

    [SlurmFact]
    public void CorruptPayloadFailsAloneAndTheRunExitsNamingIt()
    {
        string config = tile.NewCopy("corrupt");
        string work = Path.Join(Path.GetDirectoryName(config)!, "work");
        Cli.Prepare(config);
        var payloads = Directory.GetFiles(Path.Join(work, "patch_payloads"), "*.payload.fits").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(TinyTile.PatchCount, payloads.Count);
        string bad = payloads[1];
        string badTag = Path.GetFileName(bad).Split('.')[0];
        // Garbage where the FITS header should be: readable file, unreadable payload, and a stamp
        // that vouches for it (else run-patches would rebuild the damaged payload first).
        string good = Science.Pipeline.ContentHasher.HashStream(bad);
        using (var f = new FileStream(bad, FileMode.Open, FileAccess.Write)) f.Write("NOT A FITS FILE "u8);
        Cli.Vouch(Path.Join(work, "state", "stamps", "BuildPatchInputs", badTag + ".json"), bad, good);

        var r = Cli.Run("run-patches", "--config", config, "--executor", "slurm");
        Assert.Equal(1, r.Rc);
        Assert.Equal([TinyTile.PatchCount], Cli.Submissions(r.Err));     // a permanent failure is not resubmitted
        string last = r.Err.TrimEnd().Split('\n')[^1];
        Assert.StartsWith("tract7dt: error T7D", last);
        Assert.Contains(badTag, last);
        Assert.Contains("1 patch fit(s) failed", last);

        var summary = File.ReadAllLines(Path.Join(work, "outputs", "run_summary.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(TinyTile.PatchCount, summary.Count);
        Assert.All(summary, s => Assert.Equal(s[0] == badTag ? "fail" : "ok", s[1]));
        // The failure's log is the Slurm task log, and it holds fit-patch's own error.
        string slurmLog = summary.Single(s => s[0] == badTag)[4];
        Assert.Contains(badTag, File.ReadAllText(slurmLog));
        foreach (string tag in summary.Select(s => s[0]))
        {
            string outDir = Path.Join(work, "outputs", tag);
            Assert.Equal(tag != badTag, File.Exists(Path.Join(work, "state", "stamps", "RunPatches", tag + ".json")));
            Assert.Equal(tag != badTag, File.Exists(Path.Join(outDir, tag + "_cat_fit.csv")));
        }
    }

    /// <summary>The Slurm array of the run in <paramref name="workDir"/> (the executor submits with --chdir there).</summary>
    private static string? ArrayOf(string workDir)
    {
        var (rc, o) = SlurmClusterFixture.Run("squeue", "-h", "-t", "all", "-n", "tract7dt-patches", "-o", "%F|%Z");
        return rc != 0 ? null : o.Split('\n').Select(l => l.Split('|')).Where(f => f.Length == 2 && f[1].Trim() == workDir)
            .Select(f => f[0].Trim()).OrderBy(s => long.Parse(s, CultureInfo.InvariantCulture)).FirstOrDefault();
    }

    /// <summary>The patch a task ran, from the executor's resubmission warning for that task.</summary>
    private static string RunPatchTag(string log, string job, int index)
    {
        var m = System.Text.RegularExpressions.Regex.Match(log, $@"Slurm task {job}_{index} ended [A-Z]+; resubmitting (\S+)");
        Assert.True(m.Success, $"no resubmission of task {job}_{index} in the log:\n{log}");
        return m.Groups[1].Value;
    }

    private static async Task WaitUntil(Func<Task<bool>> condition)
    {
        var sw = Stopwatch.StartNew();
        while (!await condition())
        {
            if (sw.Elapsed > Deadline) throw new TimeoutException($"condition not met within {Deadline.TotalSeconds} s");
            await Task.Delay(200);
        }
    }
}
