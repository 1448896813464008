using System.Diagnostics;
using System.Globalization;
using Tract7dt.Science.Config;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Simulation;

namespace Tract7dt.Bench;

/// <summary>
/// The whole pipeline, end to end, stage by stage: <c>tract7dt run</c> in a process of its own on
/// a fresh work dir, then a no-op rerun, with a table per stage of items, planning, build wall and
/// CPU seconds and the process's peak memory (from <c>state/stage_times.tsv</c>, which every stage
/// build appends to), the whole run's wall time and peak memory (sampled from <c>/proc</c>), and,
/// when given, the original tract7dt's seconds measured on the same machine and the ratio.
/// </summary>
/// <remarks>
/// Usage: <c>e2e [config.yaml] [--original STAGE=SECONDS,…] [--keep]</c>. Without a config the
/// <c>sample</c> preset (5 bands, 2000×2000 px, 1000 sources) is simulated into a temporary folder
/// and run with its own config; a config runs as it is, in a copy of its work dir's name with
/// <c>_e2e</c> appended so an existing work dir is left alone. <c>--original</c> takes the
/// original's per-stage seconds by our stage names, and <c>total</c> or <c>catalogue</c> for its
/// end-to-end time and its time to the final catalogue. The CLI must be built
/// (<c>dotnet build src/Cli -c Release</c>).
/// </remarks>
public sealed class EndToEndBench : IBenchmark
{
    public string Name => "e2e";

    public string Description => "tract7dt run end to end: per stage planning, wall, CPU, peak memory; no-op rerun; ratio to the original when given";

    public void Run(string[] args)
    {
        string? configArg = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && !a.Contains('='));
        bool keep = args.Contains("--keep");
        var original = ParseOriginal(args);
        string root = NoOpRebuildBench.FindRepoRoot();
        string cli = Path.Combine(root, "src", "Cli", "bin", "Release", "net10.0", "tract7dt.dll");
        if (!File.Exists(cli))
        {
            Console.WriteLine($"the CLI is not built ({cli}): dotnet build src/Cli -c Release");
            return;
        }

        string? temp = null;
        string config;
        if (configArg is null)
        {
            temp = Path.Combine(Path.GetTempPath(), $"t7d-e2e-{Environment.ProcessId}");
            var sim = Stopwatch.StartNew();
            Simulator.Run(new SimulationOptions(temp, SimulationPreset.Sample, Seed: 7));
            Console.WriteLine($"simulate (sample preset): {sim.Elapsed.TotalSeconds:F1} s into {temp}");
            config = Path.Combine(temp, "config.yaml");
        }
        else
        {
            // the user's config with its own work dir renamed, so a real run's outputs are not touched
            string source = Path.GetFullPath(configArg);
            var (loaded, _) = ConfigLoader.Load(source);
            string e2eWork = loaded.Outputs.WorkDir.TrimEnd('/') + "_e2e";
            config = Path.Combine(Path.GetDirectoryName(source)!, Path.GetFileNameWithoutExtension(source) + "_e2e.yaml");
            string yaml = File.ReadAllText(source);
            yaml = System.Text.RegularExpressions.Regex.Replace(yaml, @"(?m)^(\s*work_dir:\s*).*$", m => m.Groups[1].Value + "\"" + e2eWork + "\"");
            File.WriteAllText(config, yaml);
        }
        try
        {
            var (cfg, _) = ConfigLoader.Load(config);
            var layout = new WorkDirLayout(cfg);
            if (Directory.Exists(layout.WorkDir)) Directory.Delete(layout.WorkDir, true);

            var first = RunCli(cli, config);
            Console.WriteLine($"tract7dt run: exit {first.Exit}, {first.Wall.TotalSeconds:F1} s wall, peak memory {first.PeakRssMiB:F0} MiB");
            var times = StageTimes.Last(layout);
            var noop = RunCli(cli, config);

            Console.WriteLine();
            Console.WriteLine("| stage | items built / planned | planning s | build s | CPU s | CPU / wall | peak MiB | original s | ratio |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var t in times)
            {
                string orig = original.TryGetValue(t.Stage, out double o) ? o.ToString("F1", CultureInfo.InvariantCulture) : "";
                string ratio = original.TryGetValue(t.Stage, out o) && t.Seconds > 0 ? (o / t.Seconds).ToString("F1", CultureInfo.InvariantCulture) + "×" : "";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {t.Stage} | {t.Built} / {t.Planned} | {t.PlanSeconds:F2} | {t.Seconds:F1} | {t.CpuSeconds:F1} | {t.CpuSeconds / Math.Max(1e-9, t.Seconds):F2} | {t.PeakRssMiB:F0} | {orig} | {ratio} |"));
            }
            // the catalogue is final once ComputeZp (or Merge, without zero points) is built
            var catalogue = times.LastOrDefault(t => t.Stage is nameof(StageId.ComputeZp))
                            ?? times.LastOrDefault(t => t.Stage is nameof(StageId.Merge));
            double toCatalogue = catalogue is null ? double.NaN
                : (catalogue.Utc - first.StartUtc).TotalSeconds;
            Row("to the final catalogue", toCatalogue, original.GetValueOrDefault("catalogue", double.NaN));
            Row("end to end", first.Wall.TotalSeconds, original.GetValueOrDefault("total", double.NaN));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| no-op rerun | | | {noop.Wall.TotalSeconds:F1} | | | {noop.PeakRssMiB:F0} | | |"));
            Console.WriteLine();
            Console.WriteLine("planning: the stage's content check (reads and hashes its inputs); build: its stale items; CPU: every thread of the");
            Console.WriteLine("process over the build (2 cores give at most 2.0 CPU / wall); peak MiB: the run's high-water mark when the stage ended.");
            Console.WriteLine("'to the final catalogue' counts from the start of the run to the end of the stage that publishes it (stage times");
            Console.WriteLine("are stamped to the second).");
        }
        finally
        {
            if (temp is not null && !keep) try { Directory.Delete(temp, true); } catch (IOException) { }
        }
    }

    private static void Row(string what, double seconds, double original)
    {
        string orig = double.IsFinite(original) ? original.ToString("F1", CultureInfo.InvariantCulture) : "";
        string ratio = double.IsFinite(original) && seconds > 0 ? (original / seconds).ToString("F1", CultureInfo.InvariantCulture) + "×" : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | | | {seconds:F1} | | | | {orig} | {ratio} |"));
    }

    private sealed record CliRun(int Exit, TimeSpan Wall, double PeakRssMiB, DateTime StartUtc);

    /// <summary>Runs <c>tract7dt run</c> in its own process; samples its peak resident memory (VmHWM) until it ends.</summary>
    private static CliRun RunCli(string cli, string config)
    {
        var psi = new ProcessStartInfo("dotnet", ["exec", cli, "run", "--config", config])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var start = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        long peakKb = 0;
        string status = $"/proc/{p.Id}/status";
        while (!p.WaitForExit(200))
            peakKb = Math.Max(peakKb, StageTimes.HighWaterKb(status));
        return new CliRun(p.ExitCode, clock.Elapsed, peakKb / 1024.0, start);
    }

    /// <summary><c>--original Stage=s,…</c> (our stage names; <c>total</c>, <c>catalogue</c> for the whole run).</summary>
    private static Dictionary<string, double> ParseOriginal(string[] args)
    {
        var map = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        int i = Array.IndexOf(args, "--original");
        if (i < 0 || i + 1 >= args.Length) return map;
        foreach (string pair in args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=');
            if (kv.Length == 2 && double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) map[kv[0].Trim()] = v;
        }
        return map;
    }
}
