using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Tract7dt.Science.Cluster;
using Tract7dt.Science.Config;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Pipeline.Stages;
using Tract7dt.Science.Simulation;

namespace Tract7dt.Bench;

/// <summary>
/// What the Slurm executor costs on the tiny tile (300×300 px, 30 sources, 4 patches):
/// the full <c>run</c> with the local pool and with <c>cluster.executor: slurm</c> on the
/// same inputs, RunPatches' wall time for each, and the executor's own time split into
/// submit (sbatch), poll (squeue/scontrol) and collect (stamp checks); then a no-op rerun on
/// Slurm (nothing submitted). Needs a running Slurm (<c>.ci/slurm/start.sh</c>) and the
/// built CLI (<c>src/Cli/bin/Release/net10.0/tract7dt</c>, or <c>TRACT7DT_CLI</c>), which
/// the array tasks run. Usage: <c>slurm-overhead [patches_per_task]</c> (default 1).
/// </summary>
public sealed class SlurmOverheadBench : IBenchmark
{
    public string Name => "slurm-overhead";

    public string Description => "tiny tile: run with the local pool vs. a Slurm job array (submit + poll + collect overhead)";

    public void Run(string[] args)
    {
        int perTask = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
        if (SlurmClient.MissingTools() is { Count: > 0 } missing)
        {
            Console.WriteLine($"skipped: Slurm is not installed ({string.Join(", ", missing)}); run .ci/slurm/install.sh and start.sh as root");
            return;
        }
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(RunPatchesStage.CliPathVariable)))
        {
            string cli = Path.Combine(RepoRoot(), "src", "Cli", "bin", "Release", "net10.0", "tract7dt");
            if (!File.Exists(cli))
            {
                Console.WriteLine($"skipped: {cli} is missing; build it (dotnet build src/Cli -c Release) or set {RunPatchesStage.CliPathVariable}");
                return;
            }
            Environment.SetEnvironmentVariable(RunPatchesStage.CliPathVariable, cli);
        }

        string root = Directory.CreateTempSubdirectory("t7d-bench-slurm-").FullName;
        try
        {
            // Two copies of the same inputs: each config names its own work dir (the Slurm tasks read it from disk).
            string local = Path.Combine(root, "local"), slurm = Path.Combine(root, "slurm");
            Simulator.Run(new SimulationOptions(local, SimulationPreset.Tiny, Width: 300, Height: 300, Sources: 30));
            string text = File.ReadAllText(Path.Combine(local, "config.yaml")).Replace("  ngrid: 1\n", "  ngrid: 2\n", StringComparison.Ordinal) +
                          $"cluster:\n  patches_per_task: {perTask}\n  poll_interval_sec: 0.5\n  mem_per_task: \"500M\"\n";
            File.WriteAllText(Path.Combine(local, "config.yaml"), text);
            CopyTree(local, slurm);
            CopyTree(local, Path.Combine(root, "warm"));
            File.WriteAllText(Path.Combine(slurm, "config.yaml"), text + "  executor: slurm\n");

            RunPipeline(Path.Combine(root, "warm", "config.yaml"));   // JIT warm-up, so the local pool is not charged for it
            var tLocal = RunPipeline(Path.Combine(local, "config.yaml"));
            var tSlurm = RunPipeline(Path.Combine(slurm, "config.yaml"));
            var tNoop = RunPipeline(Path.Combine(slurm, "config.yaml"));
            bool same = File.ReadAllBytes(Path.Combine(local, "work", "output_catalog.csv"))
                .AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(slurm, "work", "output_catalog.csv")));

            Console.WriteLine($"{"",-28} {"run total",10} {"RunPatches",11} {"submit",8} {"poll",8} {"collect",8} {"arrays",7}");
            Print("local pool", tLocal);
            Print($"slurm ({perTask} patch(es)/task)", tSlurm);
            Print("slurm, nothing changed", tNoop);
            double overhead = tSlurm.RunPatches - tLocal.RunPatches;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Slurm overhead on RunPatches: {overhead:F2} s wall ({(tLocal.RunPatches > 0 ? tSlurm.RunPatches / tLocal.RunPatches : 0):F2}× the local pool); " +
                $"executor's own time (submit + poll + collect) {tSlurm.Submit + tSlurm.Poll + tSlurm.Collect:F2} s; " +
                $"the rest is scheduling latency and one CLI start per task. Catalogs byte-identical: {(same ? "yes" : "NO")}"));
        }
        finally
        {
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    private sealed record Timing(double Total, double RunPatches, double Submit, double Poll, double Collect, int Arrays);

    private static void Print(string label, Timing t) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label,-28} {t.Total,9:F3}s {t.RunPatches,10:F3}s {t.Submit,7:F3}s {t.Poll,7:F3}s {t.Collect,7:F3}s {t.Arrays,7}"));

    /// <summary>The whole <c>run</c> command in this process; times from the stage framing and the executor's summary line.</summary>
    private static Timing RunPipeline(string configPath)
    {
        var (config, _) = ConfigLoader.Load(configPath);
        Directory.CreateDirectory(config.Outputs.WorkDir);
        var sink = new MemoryLogSink(LogLevel.Info);
        var context = new StageContext(config, sink);
        var sw = Stopwatch.StartNew();
        PipelineStages.RunCommand("run", context, frame: true);
        sw.Stop();
        context.Hasher.Save();

        string log = string.Join("\n", sink.Records.Select(r => r.Message));
        double runPatches = Seconds(log, @"Finished run patch subprocesses in ([0-9.]+)s");
        var m = Regex.Match(log, @"arrays ([0-9,]*); submit ([0-9.]+)s poll ([0-9.]+)s collect ([0-9.]+)s");
        int arrays = Regex.Matches(log, "Submitted Slurm array").Count;
        return m.Success
            ? new Timing(sw.Elapsed.TotalSeconds, runPatches, D(m.Groups[2].Value), D(m.Groups[3].Value), D(m.Groups[4].Value), arrays)
            : new Timing(sw.Elapsed.TotalSeconds, runPatches, 0, 0, 0, arrays);
    }

    private static void CopyTree(string src, string dst)
    {
        Directory.CreateDirectory(dst);
        foreach (string f in Directory.EnumerateFiles(src)) File.Copy(f, Path.Combine(dst, Path.GetFileName(f)));
        foreach (string d in Directory.EnumerateDirectories(src)) CopyTree(d, Path.Combine(dst, Path.GetFileName(d)));
    }

    private static double Seconds(string log, string pattern)
    {
        var m = Regex.Match(log, pattern);
        return m.Success ? D(m.Groups[1].Value) : double.NaN;
    }

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private static string RepoRoot()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Tract7dt.sln"))) return d.FullName;
        throw new InvalidOperationException("Tract7dt.sln not found above the benchmark or the current folder");
    }
}
