using System.Text.Json;
using Tract7dt.Science.Fitting;
using Xunit;
using Xunit.Abstractions;

namespace Tract7dt.Tests.Rendering;

/// <summary>Derivative patches against the Tractor's deriv_*.fits (render_index.json → derivatives).</summary>
public class GoldenDerivativeTests(ITestOutputHelper log)
{
    /// <summary>
    /// Relative to the golden derivative's max |value|. Shape / Sersic derivatives are forward
    /// differences over a step of 0.01 of f32 renders: an f32 rounding of the unit patch
    /// (~6e-8 of its peak) becomes ~6e-6 of the peak per 0.01, and the derivative's own
    /// scale is a few times the model's, hence 1e-4 (the brief's bound) holds with margin.
    /// </summary>
    private const double PeakRelTolerance = 1e-4;

    public static IEnumerable<object[]> Cases()
    {
        var ds = GoldenSetup.Index.GetProperty("derivatives").EnumerateArray().ToArray();
        for (int c = 0; c < ds.Length; c++)
            foreach (var d in ds[c].GetProperty("derivatives").EnumerateArray())
                yield return new object[] { c, d.GetProperty("index").GetInt32() };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Derivative_matches_tractor(int caseIndex, int paramIndex)
    {
        var c = GoldenSetup.Index.GetProperty("derivatives")[caseIndex];
        var d = c.GetProperty("derivatives").EnumerateArray().First(e => e.GetProperty("index").GetInt32() == paramIndex);
        string source = c.GetProperty("source").GetString()!.Replace(".", "p");
        string psf = c.GetProperty("psf").GetString()!;
        var values = c.GetProperty("derivatives").EnumerateArray().Select(e => e.GetProperty("value").GetDouble()).ToArray();
        var model = GoldenSetup.Model(source, GoldenSetup.Psf(psf), c.GetProperty("x").GetDouble(), c.GetProperty("y").GetDouble(), values, 0.505);
        string name = d.GetProperty("param").GetString()!;
        int j = Enumerable.Range(0, model.ParameterCount).Single(i => model.ParameterName(i) == "catalog.source0." + name);
        var lists = Enumerable.Range(0, model.ParameterCount).Select(_ => new List<DerivativePatch>()).ToArray();
        model.GetDerivatives(lists);
        var img = new double[GoldenSetup.Size * GoldenSetup.Size];
        foreach (var p in lists[j])
            for (int r = 0; r < p.Height; r++)
                for (int q = 0; q < p.Width; q++)
                {
                    int x = p.X0 + q, y = p.Y0 + r;
                    if (x >= 0 && y >= 0 && x < GoldenSetup.Size && y < GoldenSetup.Size) img[y * GoldenSetup.Size + x] += (float)(p.Scale * p.Values[r * p.Width + q]);
                }
        var (gold, _, _) = GoldenFits.Read(d.GetProperty("file").GetString()!);
        // README fix #1: the Tractor's galaxy position derivatives carry CD⁻¹ = 3600/pixscale;
        // ours are in pixels, so compare with the golden divided by that factor.
        double scale = source != "point" && name.StartsWith("pos.", StringComparison.Ordinal) ? 0.505 / 3600.0 : 1.0;
        double peak = gold.Max(Math.Abs) * scale, err = 0;
        for (int i = 0; i < img.Length; i++) err = Math.Max(err, Math.Abs(img[i] - gold[i] * scale));
        log.WriteLine($"{d.GetProperty("file").GetString()}: max|Δ| = {err:E3} = {err / peak:E2} of max|golden| {peak:E3}");
        Assert.True(err <= PeakRelTolerance * peak, $"max|Δ| {err:E3} > {PeakRelTolerance} × {peak:E3}");
    }
}
