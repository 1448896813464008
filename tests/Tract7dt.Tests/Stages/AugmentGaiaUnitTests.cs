using System.Globalization;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline.Stages;
using Tract7dt.Science.Wcs;
using Xunit;

namespace Tract7dt.Tests.Stages;

/// <summary>
/// GaiaAugmentation on hand-made catalogs in a 540×540 frame with a 0.5"/px TAN WCS, so every
/// expected row, box and flux follows from the rules of docs/pipeline.md §4.2.
/// </summary>
public sealed class AugmentGaiaUnitTests : IDisposable
{
    private const int W = 540, H = 540;
    private const double Scale = 0.5 / 3600;   // deg per pixel
    private static readonly TanWcs Wcs = new("RA---TAN", "DEC--TAN", 150, 2, 271, 271, WcsLinear.FromCd(-Scale, 0, 0, Scale));
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "t7d-augunit-" + Guid.NewGuid().ToString("N")[..8]);

    public AugmentGaiaUnitTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, true);

    private static GaiaAugmentationOptions Options(double minBox = 100, bool inject = true, bool sat = true) =>
        new(8, 18, 3.0, minBox, inject, sat, 2.0, false, 25.0);

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Catalog rows at pixel positions: (id, x, y, flux_m400 text, excluded_any).</summary>
    private static SourceTable Catalog(params (string Id, double X, double Y, string Flux, bool Excluded)[] rows)
    {
        var t = new SourceTable(rows.Length);
        var sky = rows.Select(r => Wcs.PixelToSky(r.X, r.Y)).ToArray();
        t.AddText("ID", rows.Select(r => r.Id).ToArray());
        t.AddText("RA", sky.Select(s => F(s.Ra)).ToArray());
        t.AddText("DEC", sky.Select(s => F(s.Dec)).ToArray());
        t.AddText("FLUX_m400", rows.Select(r => r.Flux).ToArray());
        t.AddText("excluded_crop", rows.Select(r => r.Excluded ? "True" : "False").ToArray());
        t.AddText("excluded_saturation", rows.Select(_ => "False").ToArray());
        t.AddText("excluded_any", rows.Select(r => r.Excluded ? "True" : "False").ToArray());
        return t;
    }

    /// <summary>Gaia stars at pixel positions: (source_id, x, y, G, mag_m400).</summary>
    private GaiaXpCatalog Gaia(params (string Id, double X, double Y, double G, double Mag)[] stars)
    {
        string path = Path.Combine(_dir, "gaia" + Guid.NewGuid().ToString("N")[..6] + ".csv");
        var lines = new List<string> { "source_id,ra,dec,phot_g_mean_mag,mag_m400" };
        foreach (var s in stars)
        {
            var (ra, dec) = Wcs.PixelToSky(s.X, s.Y);
            lines.Add($"{s.Id},{F(ra)},{F(dec)},{F(s.G)},{(double.IsNaN(s.Mag) ? "" : F(s.Mag))}");
        }
        File.WriteAllLines(path, lines);
        return GaiaXpCatalog.Read(path);
    }

    private static GaiaAugmentationResult Run(SourceTable cat, GaiaXpCatalog gaia, GaiaAugmentationOptions o,
        IReadOnlyList<SaturatedPixels>? sat = null) =>
        GaiaAugmentation.Run(cat, gaia, Wcs, W, H, ["m400"], sat ?? [new SaturatedPixels(W, H, [])], o, Log.Null);

    /// <summary>
    /// zp.match_max_flux_ratio (ours): a faint galaxy 1" from a bright Gaia star the catalogue does not list is
    /// not that star. Matched (the original), it took the star's id and the star was never injected, so the
    /// galaxy's fit took the star's light; with the test the star is injected beside it. A row whose flux
    /// agrees, or that has none (it is back-filled), matches as before.
    /// </summary>
    [Fact]
    public void A_faint_row_does_not_take_the_place_of_a_bright_Gaia_star_beside_it()
    {
        // mag 16 at zp_ref 25 is a flux of 3981
        var cat = Catalog(("gal", 200, 200, "30", false), ("star", 300, 300, "3500", false), ("blank", 250, 150, "", false));
        var gaia = Gaia(("bright", 202, 200, 15, 16), ("same", 301, 300, 15, 16), ("nofluxrow", 251, 150, 15, 16));
        foreach (double ratio in new[] { 0.0, 10.0 })
        {
            var r = Run(cat, gaia, Options() with { MatchMaxFluxRatio = ratio });
            var t = r.Table!;
            string Id(int row) => t.Text("gaia_source_id", row);
            Assert.Equal("same", Id(1));
            Assert.Equal("nofluxrow", Id(2));
            if (ratio == 0)
            {
                Assert.Equal("bright", Id(0));              // the original: the galaxy becomes the star
                Assert.Equal(0, r.InjectedRows);
            }
            else
            {
                Assert.Equal("", Id(0));
                Assert.Equal(1, r.InjectedRows);
                Assert.Equal("gaia_bright", t.Text("ID", 3));
                Assert.Equal("30", t.Text("FLUX_m400", 0)); // the galaxy keeps its own flux
            }
        }
    }

    [Fact]
    public void BoxAtTheLeftEdgeShiftsInsideAndExcludedRowsDoNotInflateIt()
    {
        // Active rows span x 5..15, y 250..260 → centre (10, 255), side 100 → x shifted to [0, 100].
        // The crop-excluded row at x = 500 would widen the box if it counted.
        var cat = Catalog(("a", 5, 250, "1", false), ("b", 15, 260, "2", false), ("far", 500, 255, "3", true));
        var gaia = Gaia(("g_in", 90, 255, 15, 16), ("g_out", 120, 255, 15, 16), ("g_low", 50, 200, 15, 16));
        var r = Run(cat, gaia, Options());
        // x0, y0 are exact; x1 = 100 and y1 = 305 up to the sky round trip's ~1e-9 px, which ceil may lift by one.
        Assert.Equal((0, 205), (r.Box.X0, r.Box.Y0));
        Assert.InRange(r.Box.X1, 100, 101);
        Assert.InRange(r.Box.Y1, 305, 306);
        var t = r.Table!;
        Assert.Equal(4, t.RowCount);                               // 3 input + g_in (g_out, g_low outside)
        Assert.Equal("gaia_g_in", t.Text("ID", 3));
    }

    [Fact]
    public void BoxAtTheTopRightCornerShiftsInside()
    {
        var cat = Catalog(("a", 530, 535, "1", false), ("b", 520, 525, "1", false));
        var r = Run(cat, Gaia(("g", 450, 450, 15, 16)), Options());
        // Shifted left/down so x1 = y1 = 540 exactly; x0 = y0 = 440 up to round-off, which floor may lower by one.
        Assert.Equal((540, 540), (r.Box.X1, r.Box.Y1));
        Assert.InRange(r.Box.X0, 439, 440);
        Assert.InRange(r.Box.Y0, 439, 440);
        Assert.Equal(1, r.InjectedRows);
    }

    [Fact]
    public void FrameSmallerThanTheMinimumBoxIsClampedToTheFrame()
    {
        var r = Run(Catalog(("a", 270, 270, "1", false)), Gaia(("g", 2, 538, 15, 16)), Options(minBox: 3000));
        Assert.Equal(new PixelBox(0, W, 0, H), r.Box);
        Assert.Equal(1, r.InjectedRows);
    }

    [Fact]
    public void MatchedRowsAreTaggedAndEmptyOrZeroFluxesBackFilled()
    {
        // Row positions 1 px (0.5") from their star: matched within 3". "x" is 20 px away: not matched.
        var cat = Catalog(("e", 100, 100, "", false), ("z", 200, 200, "0", false), ("k", 300, 300, "123.5", false),
            ("x", 420, 400, "", false));
        var gaia = Gaia(("g1", 101, 100, 15, 16), ("g2", 200, 201, 15, 17), ("g3", 300, 301, 15, 18), ("g4", 400, 400, 15, 19));
        var r = Run(cat, gaia, Options(minBox: 540));
        var t = r.Table!;
        Assert.Equal(["g1", "g2", "g3", ""], Enumerable.Range(0, 4).Select(i => t.Text("gaia_source_id", i)));
        Assert.Equal(GaiaAugmentation.Flux(25, 16), double.Parse(t.Text("FLUX_m400", 0), CultureInfo.InvariantCulture));
        Assert.Equal(GaiaAugmentation.Flux(25, 17), double.Parse(t.Text("FLUX_m400", 1), CultureInfo.InvariantCulture));
        Assert.Equal("123.5", t.Text("FLUX_m400", 2));             // a usable prior is kept as written
        Assert.Equal("", t.Text("FLUX_m400", 3));                  // unmatched rows are not back-filled
        Assert.Equal(2, r.Filled);
        // g4 is unmatched: injected with FLUX from its magnitude, empty flags, TYPE STAR (new column).
        Assert.Equal(5, t.RowCount);
        Assert.Equal("gaia_g4", t.Text("ID", 4));
        Assert.Equal("STAR", t.Text("TYPE", 4));
        Assert.Equal("", t.Text("TYPE", 0));
        Assert.Equal("", t.Text("excluded_any", 4));
        Assert.Equal(GaiaAugmentation.Flux(25, 19), double.Parse(t.Text("FLUX_m400", 4), CultureInfo.InvariantCulture));
        Assert.Equal(["ID", "RA", "DEC", "FLUX_m400", "excluded_crop", "excluded_saturation", "excluded_any", "gaia_source_id", "TYPE"],
            t.ColumnNames);
        Assert.Equal(1e-4 * 0.5, SkyMathSeparationArcsec(t, 4, Wcs.PixelToSky(400, 400)), 3);
    }

    private static double SkyMathSeparationArcsec(SourceTable t, int row, (double Ra, double Dec) p) =>
        Tract7dt.Science.Calibration.SkyMatcher.SeparationDeg(
            double.Parse(t.Text("RA", row), CultureInfo.InvariantCulture), double.Parse(t.Text("DEC", row), CultureInfo.InvariantCulture),
            p.Ra, p.Dec) * 3600 + 5e-5;

    [Fact]
    public void MagnitudeCutIsInclusiveAndNaNFails()
    {
        var cat = Catalog(("a", 270, 270, "1", false));
        var gaia = Gaia(("bright", 100, 100, 8.0, 9), ("faint", 200, 200, 18.0, 19), ("too_faint", 300, 300, 18.01, 19),
            ("too_bright", 400, 400, 7.99, 9), ("nan", 450, 450, double.NaN, 9));
        var r = Run(cat, gaia, Options(minBox: 540));
        Assert.Equal(["gaia_bright", "gaia_faint"], Enumerable.Range(1, r.InjectedRows).Select(i => r.Table!.Text("ID", i)));
    }

    [Fact]
    public void InjectionDisabledKeepsOnlyTheInputRows()
    {
        var cat = Catalog(("e", 100, 100, "", false));
        var r = Run(cat, Gaia(("g1", 101, 100, 15, 16), ("g2", 300, 300, 15, 16)), Options(minBox: 540, inject: false));
        Assert.Equal(1, r.Table!.RowCount);
        Assert.Equal("g1", r.Table.Text("gaia_source_id", 0));
        Assert.False(r.Table.Contains("TYPE"));
    }

    [Fact]
    public void SaturationCutKeepsSaturatedGaiaStarsOut()
    {
        var cat = Catalog(("a", 270, 270, "1", false));
        var sat = new SaturatedPixels(W, H, [(long)101 * W + 102]);  // pixel (102, 101): 2 px from g_sat
        var gaia = Gaia(("g_sat", 100, 101, 15, 16), ("g_ok", 300, 300, 15, 16));
        var r = Run(cat, gaia, Options(minBox: 540), [sat]);
        Assert.Equal(1, r.InjectedRows);
        Assert.Equal("gaia_g_ok", r.Table!.Text("ID", 1));
        Assert.Equal([100.0], r.SaturatedX.Select(v => Math.Round(v, 6)));
        // With the cut disabled both are injected.
        Assert.Equal(2, Run(cat, gaia, Options(minBox: 540, sat: false), [sat]).InjectedRows);
    }

    [Fact]
    public void NoGaiaStarInTheBoxWritesNothing()
    {
        var r = Run(Catalog(("a", 20, 20, "1", false)), Gaia(("g", 500, 500, 15, 16)), Options(minBox: 50));
        Assert.Null(r.Table);
        Assert.NotNull(r.SkipReason);
    }
}
