using Tract7dt.Science.Config;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Psf.Stage;
using Xunit;

namespace Tract7dt.Tests.Stages;

/// <summary>
/// Cell-level pieces of BuildEpsf on noise-free synthetic cells: star selection rules and
/// their order (docs/epsf.md §5), the per-star plot's label check, the Python-style JSON.
/// </summary>
public class BuildEpsfCellTests
{
    private const int W = 300, H = 300;

    private static EpsfConfig Defaults() =>
        ConfigLoader.LoadText("", Path.Combine(Path.GetTempPath(), "t7d_defaults.yaml")).Config.Epsf;

    /// <summary>Gaussian stars (σ = 1.5 px, peak = amplitude) on a zero sky; σ map 1; no bad pixels.</summary>
    private static (float[] Image, float[] Sigma, byte[] Bad) Cell(params (double X, double Y, double Amp)[] stars)
    {
        var img = new float[W * H];
        foreach (var (x, y, a) in stars)
            for (int j = (int)y - 12; j <= (int)y + 12; j++)
                for (int i = (int)x - 12; i <= (int)x + 12; i++)
                    img[j * W + i] += (float)(a * Math.Exp(-((i - x) * (i - x) + (j - y) * (j - y)) / (2 * 1.5 * 1.5)));
        return (img, Enumerable.Repeat(1f, W * H).ToArray(), new byte[W * H]);
    }

    private static readonly (double, double, double)[] FourStars =
        [(80.3, 80.6, 1000), (200.2, 90.1, 800), (90.7, 210.4, 600), (210.5, 200.2, 400)];

    private static IReadOnlyList<PsfStar> Select(EpsfConfig cfg, (float[] I, float[] S, byte[] B) cell, float[] sx, float[] sy,
        double? saturation = null)
    {
        var s = EpsfCellSettings.From(cfg);
        var cand = PsfStarSelector.CandidatesVariantA(cell.I, cell.S, cell.B, W, H, s, saturation);
        return PsfStarSelector.Select(cell.I, cell.S, cell.B, W, H, sx, sy, cand, s, saturation, 3.0);
    }

    [Fact]
    public void SepModeTakesTheBrightestFirstUpToMaxStars()
    {
        var stars = Select(Defaults() with { PsfstarMode = PsfStarMode.Sep, MaxStars = 2 }, Cell(FourStars), [], []);
        Assert.Equal(2, stars.Count);
        Assert.All(stars, s => Assert.Equal(StarOrigin.Sep, s.Origin));
        Assert.Equal(80.3, stars[0].X, 1); // barycentre of the brightest star, within 0.05 px
        Assert.Equal(200.2, stars[1].X, 1);
        Assert.Equal([0, 1], stars.Select(s => s.Id));
    }

    [Fact]
    public void StarsWithSaturationMaskedCoresAreNotPsfStars()
    {
        // LoadInputs masks pixels at or above SATURATE/2, so SEP measures the brightest star's
        // peak on its unmasked wings (below the peak cut) and detects it. Its masked core would
        // leave the builder its wings only (fix, ours): it is skipped, as a Gaia seed and in the
        // fill pass alike, and the next star takes its place.
        var cell = Cell(FourStars);
        for (int j = 79; j <= 82; j++)
            for (int i = 79; i <= 82; i++) cell.Bad[j * W + i] = FramePixels.BadSaturated;
        var sep = Select(Defaults() with { PsfstarMode = PsfStarMode.Sep, MaxStars = 2 }, cell, [], []);
        Assert.Equal([200.2, 90.7], sep.Select(s => Math.Round(s.X, 1)));
        var gaia = Select(Defaults() with { PsfstarMode = PsfStarMode.Gaia, MaxStars = 4 }, cell, [80.3f, 200.2f], [80.6f, 90.1f]);
        Assert.Equal([200.2], gaia.Select(s => Math.Round(s.X, 1)));
        // a bad pixel that is not saturation (a NaN) does not make a saturated core
        var nan = Cell(FourStars);
        nan.Bad[80 * W + 84] = FramePixels.BadNonFinite;
        Assert.Equal(80.3, Select(Defaults() with { PsfstarMode = PsfStarMode.Sep, MaxStars = 1 }, nan, [], [])[0].X, 1);
    }

    [Fact]
    public void SeedsFillMaxStarsAndTheFillPassStillAddsOne()
    {
        // the original's quirk: the count test runs after the append attempt
        var cfg = Defaults() with { PsfstarMode = PsfStarMode.SepPlusGaia, MaxStars = 2 };
        var stars = Select(cfg, Cell(FourStars), [90.7f, 210.5f], [210.4f, 200.2f]);
        Assert.Equal(3, stars.Count);
        Assert.Equal([StarOrigin.Both, StarOrigin.Both, StarOrigin.Sep], stars.Select(s => s.Origin));
        Assert.Equal(80.3, stars[2].X, 1); // the brightest candidate not snapped to
        // snapped seeds take the SEP position, not the seed's
        Assert.NotEqual(90.7f, stars[0].X);
        Assert.Equal(90.7, stars[0].X, 1);
    }

    [Fact]
    public void GaiaModeUsesSeedsOnlyAndRejectsFaintOnes()
    {
        var cfg = Defaults() with { PsfstarMode = PsfStarMode.Gaia, GaiaSnrMin = 20 };
        // a seed on empty sky: no candidate to snap to, forced S/N 0 → skipped
        var stars = Select(cfg, Cell(FourStars), [150f, 200.2f], [150f, 90.1f]);
        Assert.Single(stars);
        Assert.Equal(StarOrigin.Both, stars[0].Origin);
        // without snapping the seed keeps its own position and is labelled "both" (a candidate lies within r_m)
        var noSnap = Select(cfg with { GaiaSnapToSep = false }, Cell(FourStars), [200f, 150f], [90f, 150f]);
        Assert.Single(noSnap);
        Assert.Equal((200f, 90f, StarOrigin.Both), (noSnap[0].X, noSnap[0].Y, noSnap[0].Origin));
    }

    [Fact]
    public void MinimumSeparationEdgeAndSaturationReject()
    {
        var cfg = Defaults() with { PsfstarMode = PsfStarMode.Sep };
        // a pair 20 px apart (< min_sep 30): only the brighter one
        var pair = Select(cfg, Cell((120, 150, 900), (140, 150, 700)), [], []);
        Assert.Single(pair);
        Assert.Equal(120, pair[0].X, 0);
        // within need = 61 div 2 + 10 = 40 of the edge: rejected
        Assert.Empty(Select(cfg, Cell((35, 150, 900)), [], []));
        // peak ≥ SATURATE·scale / 1.3: rejected as a candidate
        Assert.Empty(Select(cfg, Cell((150, 150, 900)), [], [], saturation: 1.3 * 800));
        Assert.Single(Select(cfg, Cell((150, 150, 900)), [], [], saturation: 1.3 * 1000));
    }

    [Fact]
    public void VariantBCellCandidatesKeepTheBandOrderWithAnInclusiveLowerBound()
    {
        var band = new StarCandidates([140.0, 45.0, 100.0, 300.0], [100.0, 100.0, 45.0, 100.0], [1.0, 1.1, 1.2, 1.0], [0, 1, 2, 3]);
        var cell = PsfStarSelector.CandidatesVariantBCell(band, new PixelBox(5, 205, 5, 205), 40);
        // x = x0+need = 45 and y = 45 are kept (inclusive), x = 300 is outside; band order kept
        Assert.Equal([135.0, 40.0, 95.0], cell.X);
        Assert.Equal([95.0, 95.0, 40.0], cell.Y);
        Assert.Equal([1.0, 1.1, 1.2], cell.Q);
    }

    [Fact]
    public void LocalBackgroundPlotNeedsUniqueNonEmptyLabels()
    {
        Assert.Equal("ok", EpsfCellProcessor.LocalDiagnosticRecord(["0", "1"]).Status);
        var missing = EpsfCellProcessor.LocalDiagnosticRecord(["0", ""]);
        Assert.Equal(("skipped_missing_id_label", "Missing id_label detected in used stars."), (missing.Status, missing.Message));
        var dup = EpsfCellProcessor.LocalDiagnosticRecord(["3", "3"]);
        Assert.Equal(("skipped_duplicate_id_label", "Duplicate id_label detected in used stars."), (dup.Status, dup.Message));
        Assert.Equal("skipped_no_stars", EpsfCellProcessor.LocalDiagnosticRecord([]).Status);
    }

    [Fact]
    public void JsonIsWrittenAsPythonsJsonDumpsIndent2()
    {
        var o = new PyJson().Add("a", 1.0).Add("b", 1e-5).Add("c", double.NaN).Add("d", double.NegativeInfinity)
            .Add("e", new[] { 55, 55 }).Add("f", null).Add("g", new PyJson()).Add("h", "é\"").Add("i", true)
            .Add("j", new PyJson().Add("k", 0.1f));
        Assert.Equal("{\n  \"a\": 1.0,\n  \"b\": 1e-05,\n  \"c\": NaN,\n  \"d\": -Infinity,\n  \"e\": [\n    55,\n    55\n  ],\n" +
                     "  \"f\": null,\n  \"g\": {},\n  \"h\": \"\\u00e9\\\"\",\n  \"i\": true,\n  \"j\": {\n    \"k\": 0.10000000149011612\n  }\n}",
            o.ToString());
    }
}
