using System.Text.Json;
using Tract7dt.Science.Psf.Epsf;
using Xunit;
using Xunit.Abstractions;

namespace Tract7dt.Tests.Epsf;

/// <summary>
/// Same stars, same settings as photutils 1.6's EPSFBuilder (fixtures from
/// tools/fixtures/epsf/make_epsf_golden.py). photutils 1.6 rescales the ePSF after every
/// step so that the flux inside r = 5.5 pixels is 1 (2.3 does not; docs/epsf.md §7.3),
/// so arrays are compared after unit-sum normalisation and fluxes as ratios between stars.
/// </summary>
public class EpsfGoldenTests(ITestOutputHelper output)
{
    // Tolerances per case, from the measured agreement (report): with 2.3's un-normalised
    // models ("_norm23") the o = 1 build agrees to 6e-8 of the peak and 2e-7 px, and o = 2
    // to 2e-4 of the peak, all of it on sparse border nodes that photutils fills by
    // Clough–Tocher and we by neighbour averaging (centres still agree to 3e-8 px). Stock
    // 1.6 rescales each step's model to unit flux in r = 5.5 px, which moves the result by
    // ~1e-3 of the peak and ~3e-3 px and can change the iteration count by one.
    // F₀ is a plain sum of float32 stamp values in double: exact up to summation order.
    private const double Flux0RelTol = 1e-12;

    [Theory]
    [InlineData("moffat_o1_norm23", 1e-6, 1e-6, 1e-7, true)]
    [InlineData("moffat_o2_norm23", 3e-4, 1e-6, 1e-7, true)]
    [InlineData("moffat_o1", 3e-3, 5e-3, 1e-3, false)]
    [InlineData("moffat_o2", 3e-3, 5e-3, 1e-3, false)]
    public void MatchesPhotutils(string name, double epsfTolOfPeak, double centerTolPix, double fluxRatioTol, bool sameIterations)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Golden", "Epsf", name);
        using var starsDoc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "stars.json")));
        using var resDoc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "result.json")));
        var sj = starsDoc.RootElement;
        var rj = resDoc.RootElement;
        int w = sj.GetProperty("width").GetInt32(), h = sj.GetProperty("height").GetInt32();
        int size = sj.GetProperty("size").GetInt32(), o = sj.GetProperty("oversampling").GetInt32();
        int maxIters = sj.GetProperty("maxiters").GetInt32();
        double[] x = Doubles(sj, "x"), y = Doubles(sj, "y");
        var img = ReadFloats(Path.Combine(dir, "image.f32"), w * h);
        var err = Enumerable.Repeat(1f, w * h).ToArray();
        var refEpsf = ReadDoubles(Path.Combine(dir, "epsf.f64"));

        var stamps = StarStamps.Extract(img, err, w, h, x, y, null, size);
        Assert.Empty(stamps.Dropped);
        double[] flux0 = Doubles(rj, "flux0");
        for (int s = 0; s < flux0.Length; s++)
            Assert.Equal(flux0[s], stamps.Stars[s].Flux0, Math.Abs(flux0[s]) * Flux0RelTol);

        var r = EpsfBuilder.Build(stamps.Stars, new EpsfBuilderOptions { Oversampling = o, MaxIterations = maxIters });
        Assert.True(r.IsOk, r.Reason);
        Assert.Equal(rj.GetProperty("epsf_shape")[0].GetInt32(), r.Size);

        var data = r.Data!;
        double sumOurs = data.Sum(), sumRef = refEpsf.Sum(), peak = refEpsf.Max() / sumRef, worst = 0;
        for (int k = 0; k < refEpsf.Length; k++) worst = Math.Max(worst, Math.Abs(data[k] / sumOurs - refEpsf[k] / sumRef));

        double[] cx = Doubles(rj, "center_x"), cy = Doubles(rj, "center_y"), flux = Doubles(rj, "flux");
        double worstC = 0, worstF = 0;
        for (int s = 0; s < cx.Length; s++)
        {
            worstC = Math.Max(worstC, Math.Max(Math.Abs(r.Stars[s].CenterX - cx[s]), Math.Abs(r.Stars[s].CenterY - cy[s])));
            double ratioOurs = r.Stars[s].Flux / r.Stars[0].Flux, ratioRef = flux[s] / flux[0];
            worstF = Math.Max(worstF, Math.Abs(ratioOurs / ratioRef - 1));
        }
        output.WriteLine($"{name}: iterations ours {r.Iterations} / photutils {rj.GetProperty("iterations").GetInt32()}; " +
                         $"ePSF max diff {worst / peak:E2} of peak; centres {worstC:E2} px; flux ratios {worstF:E2}");
        Assert.True(worst / peak < epsfTolOfPeak, $"ePSF differs by {worst / peak:E3} of the peak");
        Assert.True(worstC < centerTolPix, $"centres differ by {worstC:E3} px");
        Assert.True(worstF < fluxRatioTol, $"flux ratios differ by {worstF:E3}");
        if (sameIterations) Assert.Equal(rj.GetProperty("iterations").GetInt32(), r.Iterations);
    }

    private static double[] Doubles(JsonElement e, string key) =>
        e.GetProperty(key).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static float[] ReadFloats(string path, int n)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(4 * n, bytes.Length);
        var a = new float[n];
        Buffer.BlockCopy(bytes, 0, a, 0, bytes.Length); // little-endian on every supported runtime
        return a;
    }

    private static double[] ReadDoubles(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var a = new double[bytes.Length / 8];
        Buffer.BlockCopy(bytes, 0, a, 0, bytes.Length);
        return a;
    }
}
