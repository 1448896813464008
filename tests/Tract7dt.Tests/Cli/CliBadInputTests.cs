using Tract7dt.Cli;
using Tract7dt.Science.Simulation;
using Xunit;

namespace Tract7dt.Tests.Cli;

/// <summary>
/// Bad input files through the whole CLI: each gives one clear line with its code and a
/// non-zero exit, and LoadInputs writes none of its outputs (GitHub issue "Foundation").
/// </summary>
public sealed class CliBadInputTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("t7d-badin");

    public void Dispose() => _dir.Delete(true);

    private static (int Code, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = new CliApp().Run(args, o, e);
        return (code, e.ToString());
    }

    private string SimulateTiny(bool small = true)
    {
        string dir = Path.Combine(_dir.FullName, "sim");
        Simulator.Run(small
            ? new SimulationOptions(dir, SimulationPreset.Tiny, Width: 200, Height: 200, Sources: 12)
            : new SimulationOptions(dir, SimulationPreset.Tiny));
        return dir;
    }

    [Theory]
    [InlineData("truncated", "T7D012")]
    [InlineData("no-end", "T7D011")]
    [InlineData("not-fits", "T7D010")]
    public void A_bad_FITS_file_is_one_coded_error_naming_it(string damage, string code)
    {
        string sim = SimulateTiny();
        string fits = Directory.GetFiles(Path.Combine(sim, "images"), "*.fits").OrderBy(f => f, StringComparer.Ordinal).Last();
        byte[] bytes = File.ReadAllBytes(fits);
        switch (damage)
        {
            case "truncated":
                File.WriteAllBytes(fits, bytes[..(bytes.Length - 5000)]);
                break;
            case "no-end":
                // Blank every END card of the (first) header: the header never ends.
                for (int off = 0; off + 80 <= bytes.Length && off < 2880 * 8; off += 80)
                    if (bytes[off] == (byte)'E' && bytes[off + 1] == (byte)'N' && bytes[off + 2] == (byte)'D' && bytes[off + 3] == (byte)' ')
                        bytes.AsSpan(off, 3).Fill((byte)' ');
                File.WriteAllBytes(fits, bytes);
                break;
            default:
                File.WriteAllText(fits, "ID,RA,DEC\n1,150.0,2.0\n");
                break;
        }

        var (rc, err) = Run("build-patches", "--config", Path.Combine(sim, "config.yaml"));
        Assert.Equal(1, rc);
        Assert.Contains(code, err);
        Assert.Contains(Path.GetFileName(fits), err);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("tract7dt: error", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(sim, "work", "state", "frames.json")), "LoadInputs must write nothing on bad input");
    }

    [Fact]
    public void A_corrupt_payload_fails_its_patch_alone_and_the_command_exits_non_zero()
    {
        string sim = SimulateTiny(small: false);
        string cfg = Path.Combine(sim, "config.yaml");
        Assert.Equal(0, Run("build-patch-inputs", "--config", cfg).Code);
        var payloads = Directory.GetFiles(Path.Combine(sim, "work", "patch_payloads"), "*.payload.fits").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        Assert.True(payloads.Length >= 2);
        string tag = Path.GetFileName(payloads[0]).Replace(".payload.fits", "");

        // A payload damaged after it was built is an output that no longer matches its stamp:
        // run-patches builds it again before fitting.
        string good = Science.Pipeline.ContentHasher.HashStream(payloads[0]);
        File.WriteAllText(payloads[0], "garbage");
        Assert.Equal(0, Run("run-patches", "--config", cfg).Code);
        Assert.Equal(good, Science.Pipeline.ContentHasher.HashStream(payloads[0]));

        // One the builder got wrong (its stamp vouches for the bad bytes) fails its fit alone.
        File.WriteAllText(payloads[0], "garbage");
        string stamp = Path.Combine(sim, "work", "state", "stamps", "BuildPatchInputs", tag + ".json");
        File.WriteAllText(stamp, File.ReadAllText(stamp).Replace(good, Science.Pipeline.ContentHasher.HashStream(payloads[0])));
        var (rc, err) = Run("run-patches", "--config", cfg);
        Assert.Equal(1, rc);
        Assert.Contains("T7D413", err);
        Assert.Contains(tag, err);
        string summary = File.ReadAllText(Path.Combine(sim, "work", "outputs", "run_summary.csv"));
        Assert.Contains(tag + ",fail", summary);
        // the others were fitted by the run before and are up to date
        Assert.Equal(payloads.Length - 1, summary.Split('\n').Count(l => l.Contains(",skipped,")));
    }
}
