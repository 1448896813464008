using System.Globalization;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Simulation;
using Xunit;

namespace Tract7dt.Tests.Simulation;

public sealed class SmallSimFixture : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "t7d_score_" + Guid.NewGuid().ToString("N"));
    public SmallSimFixture() => Simulator.Run(new SimulationOptions(Dir, SimulationPreset.Tiny, Width: 400, Height: 400, Sources: 120, Seed: 5));
    public void Dispose() { try { Directory.Delete(Dir, true); } catch (IOException) { } }
}

public class ScorerTests(SmallSimFixture fx) : IClassFixture<SmallSimFixture>
{
    [Fact]
    public void TruthAgainstItselfIsPerfect()
    {
        string cat = Path.Combine(fx.Dir, "ideal.csv");
        Scorer.WriteIdealCatalog(fx.Dir, cat);
        var r = Scorer.Score(fx.Dir, cat);
        Assert.True(r.Matched > 10);
        Assert.Equal(1.0, r.Completeness);
        Assert.Equal(0.0, r.PositionMedianArcsec, 9);
        Assert.Equal(1.0, r.FlagAgreement);
        foreach (var b in r.Bands)
        {
            Assert.Equal(1.0, b.Completeness);
            Assert.Equal(0.0, b.PullMedian, 12);
            Assert.Equal(0.0, b.PullSpread, 12);
            Assert.Equal(0.0, b.ZpError, 9);
            Assert.NotEmpty(b.FluxBins);
            Assert.All(b.FluxBins, f => Assert.Equal(0.0, f.MedianBias, 12));
        }
        Assert.Contains("completeness", r.ToText());
        Assert.Contains("\"Bands\"", r.ToJson());
    }

    [Fact]
    public void PerturbedCatalogScoresMeasurablyWorse()
    {
        string ideal = Path.Combine(fx.Dir, "ideal2.csv"), bad = Path.Combine(fx.Dir, "perturbed.csv");
        Scorer.WriteIdealCatalog(fx.Dir, ideal);
        var lines = File.ReadAllLines(ideal);
        var head = lines[0].Split(',');
        int raFit = Array.IndexOf(head, "RA_fit"), crop = Array.IndexOf(head, "excluded_crop");
        var fluxCols = head.Select((h, i) => (h, i)).Where(p => p.h.StartsWith("FLUX_") && p.h.EndsWith("_fit") && !p.h.StartsWith("FLUXERR")).Select(p => p.i).ToArray();
        var outLines = new List<string> { lines[0] };
        for (int k = 1; k < lines.Length; k++)
        {
            var f = lines[k].Split(',');
            if (k % 10 == 0) foreach (int c in fluxCols) f[c] = "";             // 10% lose their fit
            foreach (int c in fluxCols)
                if (f[c].Length > 0) f[c] = (double.Parse(f[c], CultureInfo.InvariantCulture) * 1.05).ToString("R", CultureInfo.InvariantCulture);
            if (f[raFit].Length > 0) f[raFit] = (double.Parse(f[raFit], CultureInfo.InvariantCulture) + 0.3 / 3600).ToString("R", CultureInfo.InvariantCulture);
            if (k == 1) f[crop] = f[crop] == "True" ? "False" : "True";
            outLines.Add(string.Join(",", f));
        }
        File.WriteAllLines(bad, outLines);
        var r = Scorer.Score(fx.Dir, bad);
        Assert.InRange(r.Completeness, 0.8, 0.95);
        Assert.InRange(r.PositionMedianArcsec, 0.25, 0.35);
        Assert.True(r.FlagAgreement < 1.0);
        Assert.Equal(1, r.CropMismatches);
        foreach (var b in r.Bands)
        {
            Assert.All(b.FluxBins, x => Assert.Equal(0.05, x.MedianBias, 9));
            Assert.True(b.PullMedian > 0);
            // MAG columns unchanged while fluxes grew 5%: the recovered ZP moves by 2.5·log10(1.05).
            Assert.Equal(2.5 * Math.Log10(1.05), b.ZpError, 6);
        }
    }

    [Fact]
    public void MissingTruthIsAnError()
    {
        var e = Assert.Throws<Tract7dtException>(() => Scorer.Score(Path.Combine(fx.Dir, "nope"), Path.Combine(fx.Dir, "truth.csv")));
        Assert.Equal(ErrorCodes.ScoreTruthInvalid, e.Code);
    }
}
