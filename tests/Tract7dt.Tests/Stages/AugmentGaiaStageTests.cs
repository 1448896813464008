using System.Globalization;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Pipeline.Stages;
using Tract7dt.Science.State;
using Xunit;

namespace Tract7dt.Tests.Stages;

/// <summary>AugmentGaia after LoadInputs on the simulated tiny set.</summary>
[Collection(LoadInputsCollection.Name)]
public sealed class AugmentGaiaStageTests(LoadInputsFixture data)
{
    private static StageContext RunBoth(string dir, MemoryLogSink? sink = null)
    {
        var ctx = LoadInputsFixture.Context(dir, sink ?? new MemoryLogSink());
        new LoadInputsStage().Run(ctx);
        new AugmentGaiaStage().Run(ctx);
        return ctx;
    }

    [Fact]
    public void KeepsEveryInputRowAndInjectsTheGaiaOnlyStars()
    {
        string dir = data.Copy();
        var ctx = RunBoth(dir);
        var L = ctx.Layout;
        var flagged = SourceTableCsv.Read(L.FlaggedCatalog);
        var aug = SourceTableCsv.Read(L.AugmentedCatalog);
        Assert.EndsWith(Path.Combine("ZP", "input_catalog_with_Gaia.csv"), L.AugmentedCatalog);
        Assert.Equal(flagged.ColumnNames.Append("gaia_source_id"), aug.ColumnNames);   // TYPE and FLUX_* already there
        int n = flagged.RowCount;
        for (int r = 0; r < n; r++)
            foreach (var c in flagged.ColumnNames.Where(c => !c.StartsWith("FLUX_", StringComparison.Ordinal)))
                Assert.Equal(flagged.Text(c, r), aug.Text(c, r));

        // Truth: Gaia stars not in the input catalog, inside the frame, not near saturation, in the G cut.
        var truth = SourceTableCsv.Read(Path.Combine(dir, "truth.csv"));
        var gaia = GaiaXpCatalog.Read(Path.Combine(dir, "gaiaxp_synphot.csv"));
        var gByid = Enumerable.Range(0, gaia.Count).ToDictionary(i => gaia.SourceId![i]);
        var injected = Enumerable.Range(n, aug.RowCount - n).Select(r => aug.Text("gaia_source_id", r)).ToHashSet();
        Assert.NotEmpty(injected);
        for (int r = n; r < aug.RowCount; r++)
        {
            string id = aug.Text("gaia_source_id", r);
            Assert.Equal("gaia_" + id, aug.Text("ID", r));
            Assert.Equal("STAR", aug.Text("TYPE", r));
            Assert.Equal("", aug.Text("excluded_any", r));
            double mag = gaia.Mag("m550")![gByid[id]];
            Assert.Equal(Math.Pow(10, (25 - mag) / 2.5), double.Parse(aug.Text("FLUX_m550", r), CultureInfo.InvariantCulture));
        }
        var m = FramesManifest.Read(L.FramesManifest);
        var wcs = m.WhiteWcs();
        for (int t = 0; t < truth.RowCount; t++)
        {
            string gid = truth.Text("gaia_source_id", t);
            if (gid.Length == 0) continue;
            double g = gaia.GMag![gByid[gid]];
            var (x, y) = wcs.SkyToPixel(gaia.Ra[gByid[gid]], gaia.Dec[gByid[gid]]);
            bool inFrame = x >= 0 && x < m.Width && y >= 0 && y < m.Height && g >= 8 && g <= 18;
            if (truth.Text("in_catalog", t) == "False")
            {
                // A Gaia-only star in the frame is injected unless the saturation cut removed it.
                if (inFrame && truth.Text("expect_excluded_saturation", t) == "False")
                    Assert.Contains(gid, injected);
                if (!inFrame) Assert.DoesNotContain(gid, injected);
            }
            else
            {
                Assert.DoesNotContain(gid, injected);
                int row = Enumerable.Range(0, n).Single(r => aug.Text("ID", r) == truth.Text("ID", t));
                if (inFrame) Assert.Equal(gid, aug.Text("gaia_source_id", row));   // catalog noise ≪ 3" match radius
            }
        }

        var state = CatalogState.Read(L.CatalogStateFile);
        Assert.True(state.Augmented);
        Assert.Equal(Path.GetFullPath(L.AugmentedCatalog), state.Catalog);
        Assert.True(File.Exists(AugmentGaiaStage.OverlayPath(L)));
    }

    [Fact]
    public void MissingGaiaFileSkipsAndPointsAtTheFlaggedCatalog()
    {
        string dir = data.Copy();
        File.Delete(Path.Combine(dir, "gaiaxp_synphot.csv"));
        var sink = new MemoryLogSink();
        var ctx = RunBoth(dir, sink);
        Assert.False(File.Exists(ctx.Layout.AugmentedCatalog));
        var state = CatalogState.Read(ctx.Layout.CatalogStateFile);
        Assert.False(state.Augmented);
        Assert.Equal(Path.GetFullPath(ctx.Layout.FlaggedCatalog), state.Catalog);
        Assert.Contains(sink.Records, r => r.Level == LogLevel.Warning && r.Message.Contains("skipping augmentation"));
    }

    [Fact]
    public void RerunsOnlyWhenItsOwnKeysChange()
    {
        string dir = data.Copy();
        var ctx = RunBoth(dir);
        var stage = new AugmentGaiaStage();
        Assert.Empty(KeyedStages.Stale(ctx, stage.Plan(ctx), out _));
        // A patch-fitting key does not touch Stage 1b; a zp key does.
        File.AppendAllText(Path.Combine(dir, "config.yaml"), "patch_run:\n  n_opt_iters: 7\n");
        var ctx2 = LoadInputsFixture.Context(dir, new MemoryLogSink());
        Assert.Empty(KeyedStages.Stale(ctx2, stage.Plan(ctx2), out _));
        Assert.Empty(KeyedStages.Stale(ctx2, new LoadInputsStage().Plan(ctx2), out _));
        File.AppendAllText(Path.Combine(dir, "config.yaml"), "zp:\n  match_radius_arcsec: 1.0\n");
        var ctx3 = LoadInputsFixture.Context(dir, new MemoryLogSink());
        Assert.Equal(["all", AugmentGaiaStage.PicturesItemId], KeyedStages.Stale(ctx3, stage.Plan(ctx3), out _).Select(i => i.Id));
        Assert.Empty(KeyedStages.Stale(ctx3, new LoadInputsStage().Plan(ctx3), out _));
        // a picture setting: the overlay alone, the catalogue untouched
        stage.Run(ctx3);
        byte[] augmented = File.ReadAllBytes(ctx3.Layout.AugmentedCatalog);
        string config = File.ReadAllText(Path.Combine(dir, "config.yaml")).Replace("plotting:\n  dpi: 30\n", "plotting:\n  dpi: 25\n");
        File.WriteAllText(Path.Combine(dir, "config.yaml"), config);
        var ctx4 = LoadInputsFixture.Context(dir, new MemoryLogSink());
        Assert.Equal([AugmentGaiaStage.PicturesItemId], KeyedStages.Stale(ctx4, stage.Plan(ctx4), out _).Select(i => i.Id));
        long before = new FileInfo(AugmentGaiaStage.OverlayPath(ctx4.Layout)).Length;
        stage.Run(ctx4);
        Assert.NotEqual(before, new FileInfo(AugmentGaiaStage.OverlayPath(ctx4.Layout)).Length);
        Assert.Equal(augmented, File.ReadAllBytes(ctx4.Layout.AugmentedCatalog));
        Assert.Empty(KeyedStages.Stale(ctx4, stage.Plan(ctx4), out _));
    }
}
