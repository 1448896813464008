using Tract7dt.Science.Catalog;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Pipeline.Stages;
using Tract7dt.Science.State;
using Xunit;

namespace Tract7dt.Tests.Stages;

/// <summary>LoadInputs end to end on the simulated tiny set (3 bands, 600×600, crop margin 30).</summary>
[Collection(LoadInputsCollection.Name)]
public sealed class LoadInputsStageTests(LoadInputsFixture data)
{
    /// <summary>White stack vs a direct per-pixel computation: both sum f32 in band order, so only
    /// the division/sqrt rounding can differ; 2 float ulps relative.</summary>
    private const double WhiteRelTol = 2.5e-7;

    private static (StageContext Ctx, MemoryLogSink Sink) RunLoad(string dir)
    {
        var sink = new MemoryLogSink();
        var ctx = LoadInputsFixture.Context(dir, sink);
        new LoadInputsStage().Run(ctx);
        return (ctx, sink);
    }

    [Fact]
    public void WritesEveryStateFileAndPlot()
    {
        string dir = data.Copy();
        var (ctx, sink) = RunLoad(dir);
        var L = ctx.Layout;
        var m = FramesManifest.Read(L.FramesManifest);
        Assert.Equal(["m400", "m550", "m700"], m.Bands.ToArray());
        Assert.Equal((30, 570, 30, 570), (m.CropX0, m.CropX1, m.CropY0, m.CropY1));
        Assert.Equal((600, 600), (m.FullWidth, m.FullHeight));

        using (var f = FitsFile.Open(L.WhiteFits))
        {
            Assert.Equal((540, 540), (f.GetHdu(0).Width, f.GetHdu(0).Height));
            Assert.Equal("SIGMA", f.GetHdu(1).Name);
            // The white FITS carries the white-frame WCS: the first band's, shifted by the crop.
            var wcs = Tract7dt.Science.Wcs.TanWcs.FromHeader(f.GetHdu(0).Header);
            Assert.Equal(m.WhiteWcs().CrPix1, wcs.CrPix1, 12);
        }

        var input = SourceTableCsv.Read(Path.Combine(dir, "input_catalog.csv"));
        var flagged = SourceTableCsv.Read(L.FlaggedCatalog);
        Assert.Equal(input.RowCount, flagged.RowCount);
        Assert.Equal(input.ColumnNames.Concat(["excluded_crop", "excluded_saturation", "excluded_any"]), flagged.ColumnNames);
        for (int r = 0; r < input.RowCount; r++)          // every input cell kept as its exact text
            foreach (var c in input.ColumnNames) Assert.Equal(input.Text(c, r), flagged.Text(c, r));

        // the current catalogue is the flagged one until AugmentGaia says otherwise; the pointer
        // is AugmentGaia's alone (rewriting it here reran AugmentGaia after every LoadInputs rebuild)
        Assert.False(File.Exists(L.CatalogStateFile));
        Assert.Equal(Path.GetFullPath(L.FlaggedCatalog), Path.GetFullPath(L.CurrentCatalog(zpEnabled: true)));
        Assert.Equal(Path.GetFullPath(L.FlaggedCatalog), Path.GetFullPath(L.CurrentCatalog(zpEnabled: false)));

        foreach (var png in new[] { "white_before_crop.png", "white_after_crop.png", "white_overlay.png" })
            Assert.True(File.Exists(Path.Combine(L.CroppedImagesDir, png)), png);
        Assert.True(File.Exists(L.SaturatedPixels));
        Assert.True(File.Exists(LoadInputsStage.StampPath(L)));

        var msgs = sink.Records.Select(r => r.Message).ToList();
        Assert.Contains(msgs, s => s.StartsWith("load_inputs timing [s]: prep=", StringComparison.Ordinal) && s.Contains(" total="));
        int active = CatalogState.ExcludedAny(flagged).Count(b => !b);
        Assert.Contains($"Active (non-excluded) sources: {active}/{flagged.RowCount}", msgs);
    }

    [Fact]
    public void ScaleAndHeaderValuesMatchTheFormula()
    {
        string dir = data.Copy();
        var (ctx, _) = RunLoad(dir);
        var m = FramesManifest.Read(ctx.Layout.FramesManifest);
        foreach (var f in m.Frames)
        {
            var h = FitsFile.ReadPrimaryHeader(f.Path);
            double zp = h.GetDouble("ZP_AUTO")!.Value;
            Assert.Equal(Math.Pow(10.0, -0.4 * (zp - 25.0)), f.Scale);  // same double expression: exact
            Assert.Equal(zp, f.ZpAuto);
            Assert.Equal(h.GetDouble("SKYSIG"), f.SkySig);
            Assert.Equal(h.GetDouble("EGAIN"), f.EGain);
            Assert.Equal(h.GetDouble("SATURATE"), f.Saturate);
            Assert.Equal(h.GetDouble("PEEING"), f.PeeingPix);
            Assert.Equal(ContentHasher.HashStream(f.Path), f.ContentHash);
        }
    }

    [Fact]
    public void WhiteStackEqualsDirectPerPixelComputation()
    {
        string dir = data.Copy();
        var (ctx, _) = RunLoad(dir);
        var m = FramesManifest.Read(ctx.Layout.FramesManifest);
        var raws = m.Frames.Select(f => FitsImage.ReadFloat(f.Path)).ToArray();
        float[] white, sigma;
        using (var f = FitsFile.Open(ctx.Layout.WhiteFits)) { white = f.ReadImage(0); sigma = f.ReadImage(1); }
        int W = m.Width, fullW = m.FullWidth;
        int nanPixels = 0, partial = 0;
        for (int y = 0; y < m.Height; y++)
            for (int x = 0; x < W; x++)
            {
                // Direct formula (docs/pipeline.md §3.5; README.md, Differences #12): w = 1/(SKYSIG·s)² on good pixels.
                float num = 0, den = 0;
                int good = 0;
                for (int b = 0; b < raws.Length; b++)
                {
                    var fr = m.Frames[b];
                    float raw = raws[b].Data[(y + m.CropY0) * fullW + x + m.CropX0];
                    bool bad = !float.IsFinite(raw) || raw >= (float)(fr.Saturate!.Value / 2);
                    if (bad) continue;
                    good++;
                    float sig = (float)(fr.SkySig * fr.Scale);
                    float w = 1f / Math.Max(sig * sig, 1e-12f);
                    num += w * (raw * (float)fr.Scale);
                    den += w;
                }
                float got = white[y * W + x], gotSig = sigma[y * W + x];
                if (good == 0) { Assert.True(float.IsNaN(got)); Assert.Equal(float.PositiveInfinity, gotSig); nanPixels++; continue; }
                if (good < raws.Length) partial++;
                Assert.True(Math.Abs(got - num / den) <= WhiteRelTol * Math.Max(1e-3, Math.Abs(num / den)), $"white at ({x},{y}): {got} vs {num / den}");
                Assert.True(Math.Abs(gotSig - MathF.Sqrt(1f / den)) <= WhiteRelTol * MathF.Sqrt(1f / den));
            }
        // The simulation has NaN pixels and a dead column per band: fix #12 must keep the
        // other bands there (partial pixels stay finite).
        Assert.True(partial > 0, "expected pixels where only some bands are good");
    }

    [Fact]
    public void CropAndSaturationFlagsMatchTruth()
    {
        string dir = data.Copy();
        var (ctx, _) = RunLoad(dir);
        var flagged = SourceTableCsv.Read(ctx.Layout.FlaggedCatalog);
        var truth = SourceTableCsv.Read(Path.Combine(dir, "truth.csv"));
        var byId = Enumerable.Range(0, truth.RowCount).ToDictionary(i => truth.Text("ID", i));
        var crop = CatalogState.Flag(flagged, "excluded_crop");
        var sat = CatalogState.Flag(flagged, "excluded_saturation");
        var any = CatalogState.ExcludedAny(flagged);
        int nCrop = 0, nSat = 0;
        for (int r = 0; r < flagged.RowCount; r++)
        {
            int t = byId[flagged.Text("ID", r)];
            Assert.Equal(truth.Text("expect_excluded_crop", t) == "True", crop[r]);
            Assert.Equal(truth.Text("expect_excluded_saturation", t) == "True", sat[r]);
            Assert.Equal(crop[r] || sat[r], any[r]);
            if (crop[r]) nCrop++;
            if (sat[r]) nSat++;
        }
        Assert.True(nCrop > 0 && nSat > 0, $"the tiny set should exercise both flags (crop {nCrop}, saturation {nSat})");
    }

    [Fact]
    public void SecondRunIsUpToDateAndConfigChangeReruns()
    {
        string dir = data.Copy();
        var (ctx, sink) = RunLoad(dir);
        var stamp = LoadInputsStage.StampPath(ctx.Layout);
        var t0 = File.GetLastWriteTimeUtc(ctx.Layout.WhiteFits);
        var stage = new LoadInputsStage();
        Assert.Empty(KeyedStages.Stale(ctx, stage.Plan(ctx), out int upToDate));
        Assert.Equal(2, upToDate); // the numbers and the crop plots
        stage.Run(ctx);
        Assert.Equal(t0, File.GetLastWriteTimeUtc(ctx.Layout.WhiteFits));

        // A key the stage reads (the saturation radius) makes it stale; a worker count does not.
        File.AppendAllText(Path.Combine(dir, "config.yaml"), "performance:\n  white_stack_workers: 1\n");
        var ctx2 = LoadInputsFixture.Context(dir, new MemoryLogSink());
        Assert.Empty(KeyedStages.Stale(ctx2, stage.Plan(ctx2), out _));
        File.AppendAllText(Path.Combine(dir, "config.yaml"), "image_scaling:\n  zp_ref: 24.0\n");
        var ctx3 = LoadInputsFixture.Context(dir, new MemoryLogSink());
        Assert.Equal(["all", LoadInputsStage.PicturesItemId], KeyedStages.Stale(ctx3, stage.Plan(ctx3), out _).Select(i => i.Id));
        Assert.True(File.Exists(stamp));

        // a display setting: the plots alone; the files the later stages read keep their bytes and dates
        stage.Run(ctx3);
        var white = File.GetLastWriteTimeUtc(ctx3.Layout.WhiteFits);
        string config = Path.Combine(dir, "config.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace("crop:\n  enabled: true\n", "crop:\n  enabled: true\n  post_crop_display_downsample: 3\n"));
        var ctx4 = LoadInputsFixture.Context(dir, new MemoryLogSink());
        Assert.Equal([LoadInputsStage.PicturesItemId], KeyedStages.Stale(ctx4, stage.Plan(ctx4), out _).Select(i => i.Id));
        stage.Run(ctx4);
        Assert.Equal(white, File.GetLastWriteTimeUtc(ctx4.Layout.WhiteFits));
        Assert.Empty(KeyedStages.Stale(ctx4, stage.Plan(ctx4), out _));
    }
}
