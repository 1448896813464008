using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Patches;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Pipeline.Stages;
using Tract7dt.Science.State;
using Xunit;

namespace Tract7dt.Tests.Stages;

[CollectionDefinition("patchstage")]
public sealed class PatchStageCollection : ICollectionFixture<PatchStageWorld>;

[Collection("patchstage")]
public sealed class PatchInputsStageTests(PatchStageWorld world)
{
    [Fact]
    public void BuildPatches_writes_the_layout_and_reruns_only_when_its_inputs_change()
    {
        var ctx = world.NewContext("bp");
        var stage = new BuildPatchesStage();
        stage.Run(ctx);
        var manifest = FramesManifest.Read(ctx.Layout.FramesManifest);
        var expected = PatchLayout.Build(new EpsfGrid(manifest.Width, manifest.Height, 1), 3, PatchLayout.HaloPix(55, 20), null);
        var read = PatchList.Read(ctx.Layout.PatchesJson);
        Assert.Equal(expected, read);
        Assert.Equal(9, read.Count);
        Assert.Equal(29, read[0].HaloPix);
        var csv = File.ReadAllLines(ctx.Layout.PatchesCsv);
        Assert.Equal(string.Join(',', PatchList.Fields), csv[0]);
        Assert.Equal("0,0,0,0,r00_c00,r00_c00_pr00_pc00,0,180,0,180,0,209,0,209,29", csv[1]);

        // Same inputs: up to date, nothing rewritten.
        var before = File.GetLastWriteTimeUtc(ctx.Layout.PatchesJson);
        Assert.Empty(KeyedStages.Stale(ctx, stage.Plan(ctx), out _));
        stage.Run(ctx);
        Assert.Equal(before, File.GetLastWriteTimeUtc(ctx.Layout.PatchesJson));

        // Another grid: stale.
        var ctx2 = world.NewContext("bp", "epsf.ngrid: 2");
        new BuildPatchesStage().Run(ctx2);
        Assert.Equal(4, PatchList.Read(ctx2.Layout.PatchesJson).Count);
    }

    [Fact]
    public void Payloads_hold_each_active_source_once_and_the_pixels_of_the_band_files()
    {
        var ctx = world.NewContext("pi");
        new BuildPatchesStage().Run(ctx);
        new BuildPatchInputsStage().Run(ctx);
        var patches = PatchList.Read(ctx.Layout.PatchesJson);
        var manifest = FramesManifest.Read(ctx.Layout.FramesManifest);
        var sources = PatchSources.Load(ctx.Layout.FlaggedCatalog, manifest.WhiteWcs());
        int inFrame = Enumerable.Range(0, sources.X.Length).Count(i => new PixelBox(0, manifest.Width, 0, manifest.Height).Contains(sources.X[i], sources.Y[i]));

        var listed = PayloadList.TryRead(ctx.Layout.PayloadList)!;
        var ids = new List<string>();
        foreach (var tag in listed)
        {
            var p = PatchPayload.Read(PatchPayload.FitsPath(ctx.Layout.PatchInputsDir, tag));
            var def = patches.Single(d => d.PatchTag == tag);
            Assert.Equal(def, p.Patch);
            Assert.Equal(manifest.Frames.Select(f => f.Band), p.Bands.Select(b => b.Band));
            var xw = p.Catalog.Numeric("x_pix_white");
            var yw = p.Catalog.Numeric("y_pix_white");
            var xp = p.Catalog.Numeric("x_pix_patch");
            int owned = PatchRunner.OwnedRows(p.Catalog, tag);
            for (int i = 0; i < p.Catalog.RowCount; i++)
            {
                Assert.Equal(xw[i] - def.Roi.X0, xp[i]);
                if (i >= owned)
                {
                    // other patches' sources in the halo (and saturated stars): in the ROI, never owned here
                    Assert.True(def.Roi.Contains(xw[i], yw[i]) && !def.Base.Contains(xw[i], yw[i]) || p.Catalog.Text("excluded_saturation", i) == "True");
                    continue;
                }
                Assert.True(def.Base.Contains(xw[i], yw[i]));
                ids.Add(p.Catalog.Text("ID", i));
            }
            // Pixels: exactly the band window the frame reader prepares.
            var w = FrameWindow.Read(manifest, manifest.Frames[1], def.Roi);
            Assert.Equal(w.Scaled, p.Bands[1].Image);
            Assert.Equal(w.SigmaSky, p.Bands[1].SigmaSky);
            Assert.Equal(w.Bad, p.Bands[1].Bad);
            // the sky + source σ is rebuilt from the image (raw = scaled / s), not stored: the
            // frame reader's from the raw pixel, to within a float's last bits
            for (int k = 0; k < w.SigmaTotal.Length; k++)
                if (float.IsFinite(w.SigmaTotal[k]))
                    Assert.True(Math.Abs(p.Bands[1].SigmaTotal[k] - w.SigmaTotal[k]) <= 4e-7 * w.SigmaTotal[k], $"pixel {k}: {p.Bands[1].SigmaTotal[k]:R} vs {w.SigmaTotal[k]:R}");
                else Assert.Equal(w.SigmaTotal[k], p.Bands[1].SigmaTotal[k]);
            Assert.Equal(manifest.Frames[1].SkySig, p.Bands[1].SkySigmaAdu);
            Assert.Equal(manifest.Frames[1].EGain, p.Bands[1].GainEPerAdu);
            Assert.Equal(manifest.Frames[1].Scale, p.Bands[1].Scale);
            Assert.NotNull(p.Bands[0].HeaderFwhmPix);
        }
        Assert.Equal(inFrame, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.True(listed.Count is > 0 and <= 9);
    }

    [Fact]
    public void Empty_patches_get_payloads_only_when_not_skipped_and_one_edited_row_rebuilds_one_payload()
    {
        var ctx = world.NewContext("pe", "patch_inputs.skip_empty_patch: false");
        new BuildPatchesStage().Run(ctx);
        var stage = new BuildPatchInputsStage();
        stage.Run(ctx);
        Assert.Equal(9, PayloadList.TryRead(ctx.Layout.PayloadList)!.Count);
        Assert.Empty(KeyedStages.Stale(ctx, stage.Plan(ctx), out int upToDate));
        Assert.Equal(9 + 1, upToDate); // nine payloads and the payload list

        // Edit one active source's flux text: only its patch's payload is stale.
        var cat = Science.Catalog.SourceTableCsv.Read(ctx.Layout.FlaggedCatalog);
        int row = Enumerable.Range(0, cat.RowCount).First(i => cat.Text("excluded_any", i) == "False");
        var col = (Science.Catalog.TextColumn)cat["FLUX_m400"];
        col.Values[row] = "12345.0";
        Science.Catalog.SourceTableCsv.Write(cat, ctx.Layout.FlaggedCatalog);
        var stale = KeyedStages.Stale(ctx, stage.Plan(ctx), out _);
        Assert.Single(stale);
    }

    [Fact]
    public void A_payload_whose_catalogue_does_not_match_is_refused_with_a_clear_error()
    {
        var ctx = world.NewContext("pc");
        new BuildPatchesStage().Run(ctx);
        new BuildPatchInputsStage().Run(ctx);
        string tag = PayloadList.TryRead(ctx.Layout.PayloadList)![0];
        string fits = PatchPayload.FitsPath(ctx.Layout.PatchInputsDir, tag);
        File.AppendAllText(PatchPayload.CsvPathFor(fits), "x\n");
        var e = Assert.Throws<Tract7dtException>(() => PatchPayload.Read(fits));
        Assert.Equal(ErrorCodes.PayloadInvalid, e.Code);
        Assert.Contains(tag, e.Message);
        Assert.Contains("build-patch-inputs", e.Message);

        File.WriteAllText(fits, "not a fits file");
        Assert.Equal(ErrorCodes.PayloadInvalid, Assert.Throws<Tract7dtException>(() => PatchPayload.Read(fits)).Code);
    }

    [Fact]
    public void Missing_patch_list_names_the_command_to_run()
    {
        var ctx = world.NewContext("pm");
        var e = Assert.Throws<Tract7dtException>(() => new BuildPatchInputsStage().Run(ctx));
        Assert.Equal(ErrorCodes.PatchListMissing, e.Code);
        Assert.Contains("build-patches", e.Message);
    }
}
