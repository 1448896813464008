using System.Diagnostics;
using Tract7dt.Cli;
using Tract7dt.Science.Simulation;

namespace Tract7dt.Tests.EndToEnd;

/// <summary>One <c>tract7dt run</c> of the tiny simulation: where it ran and what it said.</summary>
/// <param name="Dir">The input set's folder (config.yaml, images, catalogs, truth).</param>
/// <param name="WorkDir">Its <c>outputs.work_dir</c>.</param>
/// <param name="ExitCode">The CLI's exit code.</param>
/// <param name="Err">Everything the CLI wrote to stderr (the log).</param>
/// <param name="Seconds">Wall time of the run.</param>
public sealed record TinyRun(string Dir, string WorkDir, int ExitCode, string Err, double Seconds)
{
    public string FinalCatalog => Path.Combine(WorkDir, "output_catalog.csv");
}

/// <summary>
/// Simulates the <c>tiny</c> preset once (600×600 px, 3 bands, 60 sources, seed 7), then
/// runs the whole pipeline through the CLI on two copies of it: the default joint
/// multi-band fit and the single-band mode
/// (<c>patch_run.enable_multi_band_simultaneous_fitting: false</c>). Each run takes ~30 s on
/// 2 cores; every test of the class reads these two runs.
/// </summary>
public sealed class TinyRunFixture : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("t7d-e2e");

    public TinyRunFixture()
    {
        string sim = Path.Combine(_root.FullName, "sim");
        Simulator.Run(new SimulationOptions(sim, SimulationPreset.Tiny));
        Multi = RunCopy(sim, "multi", singleBand: false);
        Single = RunCopy(sim, "single", singleBand: true);
    }

    /// <summary>The joint multi-band run (the default).</summary>
    public TinyRun Multi { get; }

    /// <summary>The band-by-band run.</summary>
    public TinyRun Single { get; }

    public TinyRun Get(string mode) => mode switch
    {
        "multi" => Multi,
        "single" => Single,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "multi or single"),
    };

    public void Dispose()
    {
        try { _root.Delete(true); }
        catch (IOException) { }
    }

    private TinyRun RunCopy(string sim, string name, bool singleBand)
    {
        string dir = Path.Combine(_root.FullName, name);
        CopyTree(sim, dir);
        string config = Path.Combine(dir, "config.yaml");
        if (singleBand) SetKey(config, "patch_run", "enable_multi_band_simultaneous_fitting", "false");
        var o = new StringWriter();
        var e = new StringWriter();
        var sw = Stopwatch.StartNew();
        int code = new CliApp().Run(["run", "--config", config], o, e);
        return new TinyRun(dir, Path.Combine(dir, "work"), code, e.ToString(), sw.Elapsed.TotalSeconds);
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var d in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(f, Path.Combine(to, Path.GetRelativePath(from, f)));
    }

    /// <summary>Sets <c>section.key: value</c> in a YAML config written by the simulator (adds what is absent).</summary>
    private static void SetKey(string configPath, string section, string key, string value)
    {
        var lines = File.ReadAllLines(configPath).ToList();
        int s = lines.FindIndex(l => l == section + ":");
        if (s < 0)
        {
            lines.Add(section + ":");
            lines.Add($"  {key}: {value}");
        }
        else
        {
            int k = lines.FindIndex(s + 1, l => l.StartsWith($"  {key}:", StringComparison.Ordinal));
            int end = lines.FindIndex(s + 1, l => !l.StartsWith("  ", StringComparison.Ordinal));
            if (k > s && (end < 0 || k < end)) lines[k] = $"  {key}: {value}";
            else lines.Insert(s + 1, $"  {key}: {value}");
        }
        File.WriteAllLines(configPath, lines);
    }
}
