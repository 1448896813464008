using Tract7dt.Science.Diagnostics;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Pipeline.Stages;
using Tract7dt.Science.Psf.Stage;
using Tract7dt.Science.State;
using Xunit;

namespace Tract7dt.Tests.Stages;

/// <summary>
/// The ePSF pictures as their own stage: drawn from the data BuildEpsf saves, they must be the
/// pictures drawn from the cell in memory (the background map given back bit for bit from its
/// mesh, every stamp and record read back as written); a picture setting redraws them and
/// rebuilds no ePSF; a rebuilt cell loses its old pictures until they are redrawn.
/// </summary>
public class EpsfDiagnosticsStageTests(BuildEpsfFixture fx) : IClassFixture<BuildEpsfFixture>
{
    [Fact]
    public void SavedDataGiveTheSamePicturesAsTheCellInMemory()
    {
        var (ctx, _) = fx.NewWork(("epsf.parallel_bands", "false"), ("epsf.maxiters", "5"), ("epsf.save_star_montage_max", "12"));
        var manifest = FramesManifest.Read(ctx.Layout.FramesManifest);
        var s = EpsfCellSettings.From(ctx.Config.Epsf);
        var frame = manifest.Frame("m550");
        var wcs = manifest.WhiteWcs("m550");
        var box = new Science.Imaging.PixelBox(0, manifest.Width, 0, manifest.Height);
        var win = Science.Imaging.FrameWindow.Read(manifest, frame, box);
        var gaia = Science.Catalog.GaiaXpCatalog.Read(ctx.Config.Inputs.GaiaxpSynphotCsv!, false);
        var (gx, gy) = EpsfBandInputs.Seeds(gaia, "m550", wcs, ctx.Config.Epsf);
        var nb = EpsfBandInputs.Neighbours(CatalogState.Load(ctx.Layout.CurrentCatalog(ctx.Config.Zp.Enabled)), "m550", wcs);
        var r = EpsfCellProcessor.Process(new EpsfCellInput("m550", "r00_c00", box, win.Scaled, win.SigmaSky, win.Bad,
            frame.Saturate * frame.Scale, EpsfBandInputs.ForcedRadius(frame, wcs, s, out _), gx, gy, null, null, nb,
            EpsfBandInputs.FwhmPix(frame, wcs)), s);
        Assert.True(r.IsOk);
        Assert.NotNull(r.BackgroundMap);

        string dir = Path.Combine(fx.Dir, "pictures_" + Guid.NewGuid().ToString("N"));
        var inMemory = EpsfCellPictureData.From(r);
        string file = Path.Join(dir, "cell.bin");
        inMemory.Write(file);
        var read = EpsfCellPictureData.Read(file);

        // the background map from the saved mesh is the one the cell subtracted, bit for bit
        Assert.Equal(r.BackgroundMap, read.BackgroundMap());
        Assert.Equal(r.Stamps.Count, read.Stamps.Count);
        Assert.True(read.Stamps.Count > 3);
        for (int i = 0; i < r.Stamps.Count; i++)
        {
            Assert.Equal(r.Stamps[i].Data, read.Stamps[i].Data);
            Assert.Equal(r.Stamps[i].Weights, read.Stamps[i].Weights);
            Assert.Equal((r.Stamps[i].CenterX, r.Stamps[i].CenterY), (read.Stamps[i].CenterX, read.Stamps[i].CenterY));
            Assert.Equal(r.OriginOf(r.Stamps[i].Id), read.OriginOf(read.Stamps[i].Id));
            Assert.Equal(r.CatalogueIdOf(r.Stamps[i].Id), read.CatalogueIdOf(read.Stamps[i].Id));
        }
        Assert.Contains(read.Stamps, st => read.CatalogueIdOf(st.Id) is not null); // the labels are catalogue IDs
        Assert.Equal(r.LocalRecords, read.LocalRecords);
        Assert.Equal(r.Residual.NormResiduals, read.Residual.NormResiduals);
        Assert.Equal(r.Product!.Data, read.Product!.Data);
        Assert.Equal(r.Product.GrowthFraction, read.Product.GrowthFraction);

        // and the PNGs drawn from either are the same bytes
        var settings = EpsfPictureSettings.From(ctx.Config);
        var a = EpsfCellPictures.Draw(Path.Join(dir, "memory"), inMemory, win.Scaled, settings, _ => { });
        var b = EpsfCellPictures.Draw(Path.Join(dir, "file"), read, win.Scaled, settings, _ => { });
        Assert.Equal(a.Select(Path.GetFileName), b.Select(Path.GetFileName));
        Assert.Contains("background_diagnostics.png", a.Select(Path.GetFileName));
        Assert.Contains("used_stars.png", a.Select(Path.GetFileName));
        for (int i = 0; i < a.Count; i++)
            Assert.True(File.ReadAllBytes(a[i]).AsSpan().SequenceEqual(File.ReadAllBytes(b[i])), Path.GetFileName(a[i]));
    }

    [Fact]
    public void APictureSettingRedrawsPicturesAndRebuildsNoEpsf()
    {
        var (ctx, log) = fx.NewWork(("epsf.parallel_bands", "false"), ("epsf.maxiters", "3"), ("epsf.save_star_montage_max", "0"));
        var epsf = new BuildEpsfStage();
        var pictures = new EpsfDiagnosticsStage();
        epsf.Run(ctx);
        Assert.Equal(["m400/r00_c00", "m550/r00_c00", "m700/r00_c00"], pictures.Plan(ctx).Select(i => i.Id));
        pictures.Run(ctx);
        string dir = ctx.Layout.EpsfCellDir("m400", "r00_c00");
        Assert.True(File.Exists(Path.Join(dir, "epsf_growth_curve.png")));
        Assert.False(File.Exists(Path.Join(dir, "used_stars.png")));
        Assert.Empty(KeyedStages.Stale(ctx, pictures.Plan(ctx), out _));
        byte[] npy = File.ReadAllBytes(ctx.Layout.EpsfNpy("m400", "r00_c00"));
        DateTime npyTime = File.GetLastWriteTimeUtc(ctx.Layout.EpsfNpy("m400", "r00_c00"));

        var ctx2 = fx.Reconfigure(ctx, log, ("epsf.save_growth_curve", "false"), ("epsf.save_star_montage_max", "9"), ("plotting.dpi", "60"));
        Assert.Empty(KeyedStages.Stale(ctx2, epsf.Plan(ctx2), out _));
        Assert.Equal(3, KeyedStages.Stale(ctx2, pictures.Plan(ctx2), out _).Count);
        epsf.Run(ctx2);
        pictures.Run(ctx2);
        Assert.False(File.Exists(Path.Join(dir, "epsf_growth_curve.png")));
        Assert.True(File.Exists(Path.Join(dir, "used_stars.png")));
        Assert.Equal(npy, File.ReadAllBytes(ctx.Layout.EpsfNpy("m400", "r00_c00")));
        Assert.Equal(npyTime, File.GetLastWriteTimeUtc(ctx.Layout.EpsfNpy("m400", "r00_c00")));
        Assert.Empty(KeyedStages.Stale(ctx2, pictures.Plan(ctx2), out _));

        // an ePSF rebuilt takes its old pictures away; the next picture pass draws them again
        var ctx3 = fx.Reconfigure(ctx2, log, ("epsf.maxiters", "4"));
        epsf.Run(ctx3);
        Assert.Empty(Directory.EnumerateFiles(dir, "*.png"));
        Assert.Equal(3, KeyedStages.Stale(ctx3, pictures.Plan(ctx3), out _).Count);
        pictures.Run(ctx3);
        Assert.True(File.Exists(Path.Join(dir, "psfstars.png")));
    }
}
