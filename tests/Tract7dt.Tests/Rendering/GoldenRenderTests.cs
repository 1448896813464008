using System.Text.Json;
using Tract7dt.Science.Fitting;
using Xunit;
using Xunit.Abstractions;

namespace Tract7dt.Tests.Rendering;

/// <summary>Every model image of the Tractor's render/ golden set (source × PSF × position, _ps1 variants).</summary>
public class GoldenRenderTests(ITestOutputHelper log)
{
    /// <summary>
    /// Relative to the image peak. The brief's bound is 1e-4 of the peak; the measured errors
    /// (printed) are at f32 round-off for deterministic paths.
    /// </summary>
    private const double PeakRelTolerance = 1e-4;

    public static IEnumerable<object[]> Cases()
    {
        foreach (var r in GoldenSetup.Index.GetProperty("images").EnumerateArray())
        {
            string file = r.GetProperty("file").GetString()!;
            string psf = r.GetProperty("psf").GetString()!;
            string pos = r.GetProperty("position_name").GetString()!;
            string src = r.GetProperty("source").GetString()!.Replace(".", "p");
            yield return new object[] { src, psf, pos, false };
            if (r.GetProperty("pixscale1_variant").TryGetProperty("file", out _))
                yield return new object[] { src, psf, pos, true };
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Model_image_matches_tractor(string source, string psfKey, string posName, bool ps1)
    {
        var rec = GoldenSetup.Index.GetProperty("images").EnumerateArray().First(r =>
            r.GetProperty("source").GetString()!.Replace(".", "p") == source &&
            r.GetProperty("psf").GetString() == psfKey && r.GetProperty("position_name").GetString() == posName);
        JsonElement use = ps1 ? rec.GetProperty("pixscale1_variant") : rec;
        string file = use.GetProperty("file").GetString()!;
        var values = use.GetProperty("params").GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        double x = rec.GetProperty("x").GetDouble(), y = rec.GetProperty("y").GetDouble();
        var model = GoldenSetup.Model(source, GoldenSetup.Psf(psfKey), x, y, values, ps1 ? 1.0 : 0.505);
        var mine = new float[GoldenSetup.Size * GoldenSetup.Size];
        model.RenderModel(0, mine);
        var (gold, _, _) = GoldenFits.Read(file);
        double peak = gold.Max();
        double err = GoldenSetup.MaxAbsDiff(mine, gold);
        log.WriteLine($"{file} ({psfKey}): max|Δ| = {err:E3} = {err / peak:E2} of peak {peak:F3}");
        Assert.True(err <= PeakRelTolerance * peak, $"{file}: max|Δ| {err:E3} > {PeakRelTolerance} × peak {peak}");

        // The rendered extent is the Tractor's patch extent.
        var ext = use.GetProperty("model_patch_extent");
        var u = model.UnitFluxPatch(0, 0)!;
        int x0 = Math.Max(0, u.X0), y0 = Math.Max(0, u.Y0);
        Assert.Equal(ext.GetProperty("x0").GetInt32(), x0);
        Assert.Equal(ext.GetProperty("y0").GetInt32(), y0);
        Assert.Equal(ext.GetProperty("w").GetInt32(), Math.Min(GoldenSetup.Size, u.X0 + u.W) - x0);
        Assert.Equal(ext.GetProperty("h").GetInt32(), Math.Min(GoldenSetup.Size, u.Y0 + u.H) - y0);
    }
}
