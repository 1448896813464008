using System.Diagnostics;
using Tract7dt.Cli;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace Tract7dt.Tests.Cli;

/// <summary>One reference run of the small tiny world, shared by the kill tests.</summary>
public sealed class KillReference : IDisposable
{
    public KillReference()
    {
        Root = Directory.CreateTempSubdirectory("t7d-kill").FullName;
        string sim = Sim("reference");
        Assert.Equal(0, CliHarness.Run("run", "--config", Path.Combine(sim, "config.yaml")).Code);
        FinalCatalog = File.ReadAllBytes(Path.Combine(sim, "work", "output_catalog.csv"));
    }

    public string Root { get; }

    public byte[] FinalCatalog { get; }

    /// <summary>A fresh copy of the input set (same seed: same bytes) in its own folder.</summary>
    public string Sim(string name)
    {
        string dir = Path.Combine(Root, name);
        Simulator.Run(new SimulationOptions(dir, SimulationPreset.Tiny, Width: 200, Height: 200, Sources: 12));
        return dir;
    }

    public void Dispose() => Directory.Delete(Root, true);
}

/// <summary>
/// `tract7dt run` killed (SIGKILL) as each stage starts: nothing partial is left (no temporary
/// file, no final catalogue without its magnitudes), and the rerun finishes with the same bytes
/// as a run never killed. The kill follows the stage's "Starting …" line in run.log within a few
/// milliseconds; where the stage had already finished, the test says so.
/// </summary>
public sealed class CliKillTests(KillReference reference, ITestOutputHelper output) : IClassFixture<KillReference>
{
    [Theory]
    [InlineData("Starting load inputs")]
    [InlineData("Starting build ePSF")]
    [InlineData("Starting build patch inputs")]
    [InlineData("Starting run patch subprocesses")]
    [InlineData("Starting merge patch catalogs")]
    [InlineData("Starting compute zero-point calibration")]
    public void A_run_killed_as_a_stage_starts_leaves_nothing_partial_and_resumes_to_the_same_catalogue(string stageStart)
    {
        string sim = reference.Sim("kill-" + stageStart.Split(' ')[^1]);
        string config = Path.Combine(sim, "config.yaml");
        string work = Path.Combine(sim, "work");
        string log = Path.Combine(work, "run.log");

        string bin = Path.GetDirectoryName(typeof(CliApp).Assembly.Location)!;
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = sim,
        };
        foreach (string a in new[] { "exec", "--runtimeconfig", Path.Combine(bin, "Tract7dt.Tests.runtimeconfig.json"),
                     "--depsfile", Path.Combine(bin, "Tract7dt.Tests.deps.json"), typeof(CliApp).Assembly.Location, "run", "--config", config })
            psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!)
        {
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (!(File.Exists(log) && ReadShared(log).Contains(stageStart, StringComparison.Ordinal)))
            {
                Assert.False(p.HasExited, $"the run ended before '{stageStart}'");
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), "the stage never started");
                Thread.Sleep(2);
            }
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        string text = ReadShared(log);
        string stage = stageStart["Starting ".Length..];
        output.WriteLine(text.Contains("Finished " + stage, StringComparison.Ordinal)
            ? $"killed after '{stage}' had finished"
            : $"killed inside '{stage}'");

        // a temporary file the kill cut short may remain: the next run sweeps it (checked below)
        string final = Path.Combine(work, "output_catalog.csv");
        if (File.Exists(final))
            Assert.Contains(SourceTableCsv.Read(final).ColumnNames, c => c.StartsWith("MAG_", StringComparison.Ordinal));

        Assert.Equal(0, CliHarness.Run("run", "--config", config).Code);
        Assert.Equal(reference.FinalCatalog, File.ReadAllBytes(final));
        Assert.Empty(Directory.GetFiles(work, "*.tmp-*", SearchOption.AllDirectories));
    }

    private static string ReadShared(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var r = new StreamReader(fs);
        return r.ReadToEnd();
    }
}
