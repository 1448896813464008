using Tract7dt.Science.Config;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Simulation;
using Xunit;

namespace Tract7dt.Tests.Stages;

/// <summary>
/// One simulated tiny input set (3 bands, 600×600, seed 7) made once per test run; each test
/// gets its own copy to run in (or to damage), so tests never share a work dir.
/// </summary>
public sealed class LoadInputsFixture : IDisposable
{
    private readonly object _lock = new();
    private int _copies;

    public LoadInputsFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "t7d-stage1-" + Guid.NewGuid().ToString("N")[..8]);
        Template = Path.Combine(Root, "template");
        Scene = Simulator.Run(new SimulationOptions(Template, SimulationPreset.Tiny));
    }

    public string Root { get; }

    /// <summary>The pristine simulated set (never modified).</summary>
    public string Template { get; }

    public Scene Scene { get; }

    /// <summary>
    /// A fresh copy of the set; <paramref name="extraYaml"/> is appended to its config.yaml
    /// (sections the simulator does not write, e.g. <c>plotting:</c>). Plots default to 30 dpi
    /// to keep the tests fast.
    /// </summary>
    public string Copy(string extraYaml = "plotting:\n  dpi: 30\n")
    {
        string dir;
        lock (_lock) dir = Path.Combine(Root, "case" + (++_copies).ToString(System.Globalization.CultureInfo.InvariantCulture));
        CopyDir(Template, dir);
        File.AppendAllText(Path.Combine(dir, "config.yaml"), extraYaml);
        return dir;
    }

    /// <summary>Loads <c>dir/config.yaml</c> and returns a stage context logging into <paramref name="sink"/>.</summary>
    public static StageContext Context(string dir, MemoryLogSink sink, int cpuCount = 2)
    {
        var (cfg, _) = ConfigLoader.Load(Path.Combine(dir, "config.yaml"));
        return new StageContext(cfg, sink) { CpuCount = cpuCount };
    }

    private static void CopyDir(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyDir(d, Path.Combine(to, Path.GetFileName(d)));
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class LoadInputsCollection : ICollectionFixture<LoadInputsFixture>
{
    public const string Name = "Stage1 simulated inputs";
}
