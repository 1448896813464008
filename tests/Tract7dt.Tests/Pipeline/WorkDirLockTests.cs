using Tract7dt.Cli;
using Tract7dt.Science.Config;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Simulation;
using Xunit;

namespace Tract7dt.Tests.Pipeline;

/// <summary>One run at a time per work dir (state/run.lock).</summary>
public sealed class WorkDirLockTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("t7d-lock");

    public void Dispose() => _dir.Delete(true);

    private string Tiny()
    {
        string dir = Path.Combine(_dir.FullName, "sim");
        Simulator.Run(new SimulationOptions(dir, SimulationPreset.Tiny, Width: 200, Height: 200, Sources: 12));
        return Path.Combine(dir, "config.yaml");
    }

    [Fact]
    public void A_second_holder_is_refused_with_the_first_ones_name_until_it_lets_go()
    {
        var layout = new WorkDirLayout(ConfigLoader.Load(Tiny()).Config);
        using (WorkDirLock.Acquire(layout, "tract7dt run"))
        {
            var e = Assert.Throws<Tract7dtException>(() => WorkDirLock.Acquire(layout, "tract7dt merge"));
            Assert.Equal(ErrorCodes.WorkDirLocked, e.Code);
            Assert.Contains("tract7dt run (pid", e.Message);
            Assert.Contains(Environment.MachineName, e.Message);
            Assert.Contains(layout.WorkDir, e.Message);
        }
        using (WorkDirLock.Acquire(layout, "tract7dt merge")) { }
    }

    [Fact]
    public void Taking_the_lock_removes_the_temporary_files_of_dead_runs_and_only_those()
    {
        var layout = new WorkDirLayout(ConfigLoader.Load(Tiny()).Config);
        string deep = Path.Combine(layout.WorkDir, "EPSFs", "m400", "r00_c00");
        Directory.CreateDirectory(deep);
        string dead1 = Tract7dt.Science.IO.AtomicFile.TempPathFor(Path.Combine(deep, "epsf.npy"));
        string dead2 = Tract7dt.Science.IO.AtomicFile.TempPathFor(Path.Combine(layout.WorkDir, "output_catalog.csv"));
        string user = Path.Combine(layout.WorkDir, "notes.tmp-mine");
        foreach (var f in new[] { dead1, dead2, user }) File.WriteAllText(f, "x");
        using (var held = WorkDirLock.Acquire(layout, "tract7dt run"))
            Assert.Equal(2, held.StaleTempsRemoved);
        Assert.False(File.Exists(dead1));
        Assert.False(File.Exists(dead2));
        Assert.True(File.Exists(user)); // not a name our writers make
    }

    [Fact]
    public void A_cli_run_on_a_held_work_dir_exits_with_the_code_and_writes_nothing()
    {
        string config = Tiny();
        var layout = new WorkDirLayout(ConfigLoader.Load(config).Config);
        using var held = WorkDirLock.Acquire(layout, "another tract7dt run");
        var o = new StringWriter();
        var e = new StringWriter();
        int code = new CliApp().Run(["run", "--config", config], o, e);
        Assert.NotEqual(0, code);
        Assert.Contains(ErrorCodes.WorkDirLocked, e.ToString());
        Assert.Contains("another tract7dt run", e.ToString());
        Assert.False(File.Exists(layout.FramesManifest));
    }
}
