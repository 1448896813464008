using System.Diagnostics;
using Tract7dt.Science.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace Tract7dt.Tests.Cli;

/// <summary>
/// A full disk in the middle of a run: one coded line naming the path, no temporary file left,
/// no final catalogue; with space again the rerun finishes with the same bytes as a run that
/// never met the full disk. The work dir is a small tmpfs, which only root can mount; elsewhere
/// the test says so and does nothing.
/// </summary>
public sealed class CliDiskFullTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("t7d-diskfull");
    private string? _mounted;

    public void Dispose()
    {
        if (_mounted is not null) Sh("umount", _mounted);
        _dir.Delete(true);
    }

    private static (int Code, string Err) Run(params string[] args)
    {
        var (code, _, err) = CliHarness.Run(args);
        return (code, err);
    }

    private static int Sh(string file, params string[] args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception) { return -1; }
    }

    /// <param name="size">The tmpfs size: 1000k fills up while the ePSFs are written, 2250k while
    /// the patches are fitted (on worker threads, where an escaping exception would end the process;
    /// on the 200-px world the payloads end at ~2.0 MB and the fits at ~2.4 MB).</param>
    [Theory]
    [InlineData("1000k")]
    [InlineData("2250k")]
    public void A_full_disk_is_one_coded_error_leaves_nothing_partial_and_the_rerun_completes(string size)
    {
        string reference = Path.Combine(_dir.FullName, "reference");
        Simulator.Run(new SimulationOptions(reference, SimulationPreset.Tiny, Width: 200, Height: 200, Sources: 12));
        string sim = Path.Combine(_dir.FullName, "full");
        Simulator.Run(new SimulationOptions(sim, SimulationPreset.Tiny, Width: 200, Height: 200, Sources: 12));
        string work = Path.Combine(sim, "work");
        Directory.CreateDirectory(work);
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || Sh("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", work) != 0)
        {
            output.WriteLine("skipped: mounting a small tmpfs for the work dir needs root on Linux");
            return;
        }
        _mounted = work;

        var (rc, err) = Run("run", "--config", Path.Combine(sim, "config.yaml"));
        Assert.Equal(1, rc);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("tract7dt:", StringComparison.Ordinal)).ToList();
        Assert.Single(lines);
        Assert.Contains("error T7D005", lines[0]);
        Assert.Contains(work, lines[0]); // the path that could not be written
        Assert.DoesNotContain("   at ", err);
        Assert.Empty(Directory.GetFiles(work, "*.tmp*", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(work, "output_catalog.csv")));

        Assert.Equal(0, Sh("mount", "-o", "remount,size=40m", work));
        Assert.Equal(0, Run("run", "--config", Path.Combine(sim, "config.yaml")).Code);
        Assert.Equal(0, Run("run", "--config", Path.Combine(reference, "config.yaml")).Code);
        Assert.Equal(File.ReadAllBytes(Path.Combine(reference, "work", "output_catalog.csv")),
            File.ReadAllBytes(Path.Combine(work, "output_catalog.csv")));
    }
}
