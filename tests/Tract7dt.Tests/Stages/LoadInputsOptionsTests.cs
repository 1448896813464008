using Tract7dt.Science.Errors;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Pipeline.Stages;
using Tract7dt.Science.State;
using Xunit;

namespace Tract7dt.Tests.Stages;

/// <summary>LoadInputs under other settings: worker counts, crop off, all-bands saturation rule, repeated FILTER.</summary>
[Collection(LoadInputsCollection.Name)]
public sealed class LoadInputsOptionsTests(LoadInputsFixture data)
{
    private static StageContext Run(string dir, int cpu = 2)
    {
        var ctx = LoadInputsFixture.Context(dir, new MemoryLogSink(), cpu);
        new LoadInputsStage().Run(ctx);
        return ctx;
    }

    [Fact]
    public void WorkerCountsDoNotChangeAnyByte()
    {
        var a = Run(data.Copy("plotting:\n  dpi: 30\nperformance:\n  white_stack_workers: 1\n  frame_prep_workers: 1\n"), cpu: 1);
        var b = Run(data.Copy("plotting:\n  dpi: 30\nperformance:\n  white_stack_workers: 4\n  frame_prep_workers: 3\n"), cpu: 4);
        foreach (var f in new Func<WorkDirLayout, string>[] { l => l.WhiteFits, l => l.FlaggedCatalog, l => l.SaturatedPixels })
            Assert.Equal(File.ReadAllBytes(f(a.Layout)), File.ReadAllBytes(f(b.Layout)));
    }

    [Fact]
    public void CropDisabledKeepsTheFullFrameAndFlagsNothingForCrop()
    {
        var ctx = Run(data.Copy("plotting:\n  dpi: 30\ncrop:\n  enabled: false\n"));
        var m = FramesManifest.Read(ctx.Layout.FramesManifest);
        Assert.Equal((0, 600, 0, 600), (m.CropX0, m.CropX1, m.CropY0, m.CropY1));
        var flagged = SourceTableCsv.Read(ctx.Layout.FlaggedCatalog);
        Assert.DoesNotContain(true, CatalogState.Flag(flagged, "excluded_crop"));
        // No crop plots; the overlay is still drawn (we create its folder; the original failed here).
        Assert.False(File.Exists(Path.Combine(ctx.Layout.CroppedImagesDir, "white_before_crop.png")));
        Assert.True(File.Exists(Path.Combine(ctx.Layout.CroppedImagesDir, "white_overlay.png")));
    }

    [Fact]
    public void AnyAndAllBandRulesMatchADirectDiskTestOnTheImages()
    {
        var any = Run(data.Copy());
        var all = Run(data.Copy("plotting:\n  dpi: 30\nsource_saturation_cut:\n  require_all_bands: true\n"));
        var m = FramesManifest.Read(any.Layout.FramesManifest);
        var flagged = SourceTableCsv.Read(any.Layout.FlaggedCatalog);
        var fa = CatalogState.Flag(flagged, "excluded_saturation");
        var fl = CatalogState.Flag(SourceTableCsv.Read(all.Layout.FlaggedCatalog), "excluded_saturation");
        var imgs = m.Frames.Select(f => Tract7dt.Science.Fits.FitsImage.ReadFloat(f.Path)).ToArray();
        var wcs = m.WhiteWcs();
        var ra = flagged.Numeric("RA");
        var dec = flagged.Numeric("DEC");
        int hitsAny = 0;
        for (int i = 0; i < flagged.RowCount; i++)
        {
            var (x, y) = wcs.SkyToPixel(ra[i], dec[i]);
            int cx = (int)Math.Round(x), cy = (int)Math.Round(y);
            int bandsHit = 0;
            for (int b = 0; b < imgs.Length; b++)
            {
                float thr = (float)(m.Frames[b].Saturate!.Value / 2);
                bool hit = false;
                for (int dy = -20; dy <= 20 && !hit; dy++)
                    for (int dx = -20; dx <= 20 && !hit; dx++)
                    {
                        int px = cx + dx, py = cy + dy;   // white frame; must stay inside it
                        if (dx * dx + dy * dy > 400 || px < 0 || py < 0 || px >= m.Width || py >= m.Height) continue;
                        float v = imgs[b].Data[(py + m.CropY0) * m.FullWidth + px + m.CropX0];
                        hit = float.IsFinite(v) && v >= thr;
                    }
                if (hit) bandsHit++;
            }
            Assert.Equal(bandsHit > 0, fa[i]);
            Assert.Equal(bandsHit == imgs.Length, fl[i]);
            if (bandsHit > 0) hitsAny++;
        }
        Assert.True(hitsAny > 0, "the tiny set has saturated stars");
    }

    [Fact]
    public void SaturationCutDisabledFlagsNothing()
    {
        var ctx = Run(data.Copy("plotting:\n  dpi: 30\nsource_saturation_cut:\n  enabled: false\n"));
        Assert.DoesNotContain(true, CatalogState.Flag(SourceTableCsv.Read(ctx.Layout.FlaggedCatalog), "excluded_saturation"));
    }

    [Fact]
    public void A_repeated_filter_is_an_error_naming_both_files()
    {
        // The original measured the band on the later file without a word.
        string dir = data.Copy();
        string list = Path.Combine(dir, "image_list.txt");
        File.Copy(Path.Combine(dir, "images", "7DT_SIM_m400.fits"), Path.Combine(dir, "images", "copy_m400.fits"));
        File.AppendAllText(list, "images/copy_m400.fits\n");
        var e = Assert.Throws<Tract7dtException>(() => Run(dir));
        Assert.Equal(ErrorCodes.DuplicateFilter, e.Code);
        Assert.Contains("7DT_SIM_m400.fits", e.Message);
        Assert.Contains("copy_m400.fits", e.Message);
    }
}
