using System.Diagnostics;
using System.Text.RegularExpressions;
using Tract7dt.Science.Simulation;

namespace Tract7dt.Tests.Cluster;

/// <summary>
/// A small simulated tile (300×300 px, 30 sources, 3 bands, epsf.ngrid 2 → 4 patches) and
/// its local run, made once per test class on first use (so skipped Slurm tests cost
/// nothing). Each test takes its own copy of the inputs (<see cref="NewCopy"/>) with its own
/// work dir, and compares against <see cref="LocalCatalog"/>.
/// </summary>
public sealed class TinyTile : IDisposable
{
    /// <summary>Patches of the tile: one ePSF cell split 2×2.</summary>
    public const int PatchCount = 4;

    private readonly Lazy<(string Inputs, byte[] Catalog, double LocalSeconds)> _made;
    private int _copies;

    public TinyTile()
    {
        Root = Directory.CreateTempSubdirectory("t7d-slurm-e2e-").FullName;
        _made = new Lazy<(string, byte[], double)>(Make, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Temp folder holding the pristine inputs and every copy (deleted on dispose).</summary>
    public string Root { get; }

    /// <summary>Bytes of <c>output_catalog.csv</c> of the local-executor run.</summary>
    public byte[] LocalCatalog => _made.Value.Catalog;

    /// <summary>Wall time of the local <c>run</c>, seconds.</summary>
    public double LocalSeconds => _made.Value.LocalSeconds;

    /// <summary>A fresh copy of the simulated inputs (no work dir); returns its config.yaml path.</summary>
    public string NewCopy(string name)
    {
        string src = _made.Value.Inputs;
        string dst = Path.Join(Root, $"{Interlocked.Increment(ref _copies):D2}-{name}");
        CopyTree(src, dst);
        return Path.Join(dst, "config.yaml");
    }

    private (string, byte[], double) Make()
    {
        string inputs = Path.Join(Root, "inputs");
        Simulator.Run(new SimulationOptions(inputs, SimulationPreset.Tiny, Width: 300, Height: 300, Sources: 30));
        string config = Path.Join(inputs, "config.yaml");
        YamlEdit.Set(config, "epsf", "ngrid", "2");
        // Small Slurm asks so the 2-core test node runs two tasks at once; fast polls.
        YamlEdit.Set(config, "cluster", "patches_per_task", "1");
        YamlEdit.Set(config, "cluster", "poll_interval_sec", "0.5");
        YamlEdit.Set(config, "cluster", "mem_per_task", "\"500M\"");
        YamlEdit.Set(config, "cluster", "time_limit", "\"00:10:00\"");

        string local = Path.Join(Root, "local");
        CopyTree(inputs, local);
        var sw = Stopwatch.StartNew();
        var r = Cli.Run("run", "--config", Path.Join(local, "config.yaml"), "--executor", "local");
        sw.Stop();
        if (r.Rc != 0) throw new InvalidOperationException($"local run failed ({r.Rc}):\n{r.Err}");
        return (inputs, File.ReadAllBytes(Path.Join(local, "work", "output_catalog.csv")), sw.Elapsed.TotalSeconds);
    }

    private static void CopyTree(string src, string dst)
    {
        Directory.CreateDirectory(dst);
        foreach (string f in Directory.EnumerateFiles(src))
            File.Copy(f, Path.Join(dst, Path.GetFileName(f)));
        foreach (string d in Directory.EnumerateDirectories(src))
            if (Path.GetFileName(d) != "work") CopyTree(d, Path.Join(dst, Path.GetFileName(d)));
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>The CLI run in-process, its two streams captured.</summary>
internal static class Cli
{
    public static (int Rc, string Out, string Err) Run(params string[] args) => Run(default, args);

    public static (int Rc, string Out, string Err) Run(CancellationToken cancellation, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int rc = new Tract7dt.Cli.CliApp().Run(args, o, e, cancellation);
        return (rc, o.ToString(), e.ToString());
    }

    /// <summary>Every stage before RunPatches, locally: <c>run-epsf</c> then <c>build-patch-inputs</c>
    /// (which alone would leave the patches without ePSFs).</summary>
    public static void Prepare(string config)
    {
        foreach (string command in new[] { "run-epsf", "build-patch-inputs" })
        {
            var r = Run(command, "--config", config);
            if (r.Rc != 0) throw new Xunit.Sdk.XunitException($"{command} failed ({r.Rc}):\n{r.Err}");
        }
    }

    /// <summary>The item counts of the "Submitted Slurm array N: K item(s)" lines of a log, in order.</summary>
    public static List<int> Submissions(string log) =>
        Regex.Matches(log, @"Submitted Slurm array [0-9]+: ([0-9]+) item\(s\)")
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();

    /// <summary>A stage's plan line, "Stage: N item(s), U up to date, B to build" or "Stage: all N
    /// item(s) up to date", → (N, U, B); fails when absent.</summary>
    public static (int Items, int UpToDate, int ToBuild) Plan(string log, string stage)
    {
        int G(Match m, string g) => int.Parse(m.Groups[g].Value, System.Globalization.CultureInfo.InvariantCulture);
        var all = Regex.Match(log, Regex.Escape(stage) + @": all (?<n>[0-9]+) item\(s\) up to date");
        if (all.Success) return (G(all, "n"), G(all, "n"), 0);
        var m = Regex.Match(log, Regex.Escape(stage) + @": (?<n>[0-9]+) item\(s\), (?<u>[0-9]+) up to date, (?<b>[0-9]+) to build");
        if (!m.Success) throw new Xunit.Sdk.XunitException($"no plan line for '{stage}' in the log:\n{log}");
        return (G(m, "n"), G(m, "u"), G(m, "b"));
    }

    /// <summary>Makes an output's stamp vouch for the file's present bytes (a builder that wrote a
    /// bad file and stamped it), so the next run uses the file instead of rebuilding it.</summary>
    public static void Vouch(string stampPath, string output, string hashBefore) =>
        File.WriteAllText(stampPath, File.ReadAllText(stampPath).Replace(hashBefore, Science.Pipeline.ContentHasher.HashStream(output)));
}

/// <summary>Line edits of the simple two-level YAML the simulator writes (section: / two-space keys).</summary>
internal static class YamlEdit
{
    /// <summary>Sets <c>section.key</c> to <paramref name="value"/> (YAML text), adding the key or the section as needed.</summary>
    public static void Set(string path, string section, string key, string value)
    {
        var lines = File.ReadAllLines(path).ToList();
        int s = lines.FindIndex(l => l == section + ":");
        if (s < 0)
        {
            lines.Add(section + ":");
            lines.Add($"  {key}: {value}");
        }
        else
        {
            int end = s + 1;
            while (end < lines.Count && lines[end].StartsWith("  ", StringComparison.Ordinal)) end++;
            int k = lines.FindIndex(s + 1, end - s - 1, l => l.StartsWith($"  {key}:", StringComparison.Ordinal));
            if (k >= 0) lines[k] = $"  {key}: {value}";
            else lines.Insert(s + 1, $"  {key}: {value}");
        }
        File.WriteAllLines(path, lines);
    }
}
