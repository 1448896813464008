using Tract7dt.Science.Fits;
using Tract7dt.Science.Psf.Stage;
using Tract7dt.Science.Simulation;
using Xunit;

namespace Tract7dt.Tests.Cli;

/// <summary>
/// A file damaged in place with its size and date kept is invisible to a build (its cached hash
/// still stands); <c>tract7dt verify</c> finds it from the bytes, and the next run rebuilds it.
/// </summary>
public sealed class CliVerifyTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("t7d-verify");

    public void Dispose() => _dir.Delete(true);

    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    [Fact]
    public void Verify_finds_an_ePSF_damaged_in_place_and_the_next_run_rebuilds_it()
    {
        string sim = Path.Combine(_dir.FullName, "sim");
        Simulator.Run(new SimulationOptions(sim, SimulationPreset.Tiny, Width: 200, Height: 200, Sources: 12));
        string cfg = Path.Combine(sim, "config.yaml");
        Assert.Equal(0, Run("run", "--config", cfg).Code);
        Assert.Equal(0, Run("verify", "--config", cfg).Code);

        string npy = Directory.GetFiles(Path.Combine(sim, "work", "EPSFs"), "epsf.npy", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).First();
        var info = new FileInfo(npy);
        var (size, mtime) = (info.Length, info.LastWriteTimeUtc);
        var bytes = File.ReadAllBytes(npy);
        for (int k = bytes.Length - 4 * 200; k < bytes.Length; k += 28) bytes[k + 3] ^= 0x70; // exponent bytes of some floats
        File.WriteAllBytes(npy, bytes);
        File.SetLastWriteTimeUtc(npy, mtime);
        Assert.Equal(size, new FileInfo(npy).Length);

        // a no-op build cannot see it: same size, same date
        Assert.Equal(0, Run("run", "--config", cfg).Code);
        var a = Npy.ReadFloat(npy);
        Assert.NotNull(EpsfStampCheck.Problem(a.Data, a.Cols, a.Rows));

        var (rc, output, _) = Run("verify", "--config", cfg);
        Assert.Equal(1, rc);
        Assert.Contains("1 damaged output(s)", output);

        Assert.Equal(0, Run("run", "--config", cfg).Code);
        a = Npy.ReadFloat(npy);
        Assert.Null(EpsfStampCheck.Problem(a.Data, a.Cols, a.Rows));
        Assert.Equal(0, Run("verify", "--config", cfg).Code);
    }
}
