using Tract7dt.Science.Config;
using Xunit;

namespace Tract7dt.Tests.Config;

public class ConfigPathsAndCanonicalTests
{
    [Fact]
    public void RelativeInputsResolveAgainstTheConfigFolder()
    {
        using var d = new TempConfigDir();
        string p = d.Write("inputs:\n  input_catalog: cat/../cat.csv\n  image_list_file: ./lists/images.txt\n" +
                           "  gaiaxp_synphot_csv: /abs/gaia.csv\n", "conf/config.yaml");
        var (cfg, _) = ConfigLoader.Load(p);
        string dir = Path.Join(d.Root, "conf");
        Assert.Equal(dir, cfg.ConfigDir);
        Assert.Equal(p, cfg.ConfigPath);
        Assert.Equal(Path.Join(dir, "cat.csv"), cfg.Inputs.InputCatalog);
        Assert.Equal(Path.Join(dir, "lists", "images.txt"), cfg.Inputs.ImageListFile);
        Assert.Equal("/abs/gaia.csv", cfg.Inputs.GaiaxpSynphotCsv);
    }

    [Fact]
    public void OutputsResolveAgainstWorkDirAndWorkDirAgainstTheConfigFolder()
    {
        using var d = new TempConfigDir();
        var (cfg, _) = d.Load("outputs:\n  work_dir: run1\n  epsf_dir: psf\n  final_catalog: ../final.csv\n" +
                              "  patches_dir: /elsewhere/patches\n");
        string work = Path.Join(d.Root, "run1");
        Assert.Equal(work, cfg.Outputs.WorkDir);
        Assert.Equal(Path.Join(work, "psf"), cfg.Outputs.EpsfDir);
        Assert.Equal(Path.Join(d.Root, "final.csv"), cfg.Outputs.FinalCatalog);
        Assert.Equal("/elsewhere/patches", cfg.Outputs.PatchesDir);
        Assert.Equal(Path.Join(work, "outputs"), cfg.Outputs.TractorOutDir);
        Assert.Equal(Path.Join(work, "patch_payloads"), cfg.Outputs.PatchInputsDir);
        Assert.Equal(Path.Join(work, "cropped_images"), cfg.Outputs.CroppedImagesDir);
    }

    [Fact]
    public void HomeIsExpanded()
    {
        using var d = new TempConfigDir();
        var (cfg, _) = d.Load("inputs:\n  input_catalog: ~/data/cat.csv\n");
        Assert.Equal(PathResolution.Canonicalize(Path.Join(PathResolution.HomeFolder, "data", "cat.csv")), cfg.Inputs.InputCatalog);
    }

    [Fact]
    public void SymbolicLinksAreFollowed()
    {
        using var d = new TempConfigDir();
        Directory.CreateDirectory(Path.Join(d.Root, "real"));
        Directory.CreateSymbolicLink(Path.Join(d.Root, "link"), Path.Join(d.Root, "real"));
        var (cfg, _) = d.Load("inputs:\n  input_catalog: link/cat.csv\n");
        Assert.Equal(Path.Join(d.Root, "real", "cat.csv"), cfg.Inputs.InputCatalog);
    }

    [Fact]
    public void WcsFitsModulePathAndLogFileRules()
    {
        using var d = new TempConfigDir();
        var (a, _) = d.Load("merge: {wcs_fits: ref.fits}\nmoffat_psf: {module_path: mod.py}\nlogging: {file: logs/x.log}\n" +
                            "outputs: {work_dir: w}\n");
        Assert.Equal(Path.Join(d.Root, "ref.fits"), a.Merge.WcsFits);
        Assert.Equal(Path.Join(d.Root, "mod.py"), a.MoffatPsf.ModulePath);
        Assert.Equal(Path.Join(d.Root, "w", "logs", "x.log"), a.Logging.File);   // relative to work_dir
        Assert.False(a.Logging.FileIsAuto);

        var (b, _) = d.Load("merge: {wcs_fits: \"\"}\nlogging: {file: \" AUTO \"}\n");
        Assert.Equal("", b.Merge.WcsFits);          // "" = no sky coordinates: kept as is
        Assert.Equal(" AUTO ", b.Logging.File);     // auto is kept verbatim
        Assert.True(b.Logging.FileIsAuto);

        var (c, _) = d.Load("merge: {wcs_fits: null}\nlogging: {file: null}\ninputs: {gaiaxp_synphot_csv: null}\n");
        Assert.Null(c.Merge.WcsFits);
        Assert.Null(c.Logging.File);
        Assert.Null(c.Inputs.GaiaxpSynphotCsv);
    }

    [Fact]
    public void CanonicalTextIsTheSameForWrittenAndDefaultedValues()
    {
        using var d = new TempConfigDir();
        var (def, _) = d.Load("");
        var (written, _) = d.Load("patch_run:\n  n_opt_iters: 20\n  r_ap: 5\n  dlnp_stop: 0.000001\n" +
                                  "epsf:\n  q_range: [0.7, 1.3]\n  psfstar_mode: SEP+GAIA\n" +
                                  "performance:\n  frame_prep_workers: AUTO\n");
        string[] keys = ["patch_run.n_opt_iters", "patch_run.r_ap", "patch_run.dlnp_stop", "epsf.q_range",
                         "epsf.psfstar_mode", "performance.frame_prep_workers"];
        foreach (string k in keys) Assert.Equal(def.Canonical(k), written.Canonical(k));
        Assert.Equal("5.0", written.Canonical("patch_run.r_ap"));

        var (w8, _) = d.Load("performance: {frame_prep_workers: \"8\"}\n");
        var (i8, _) = d.Load("performance: {frame_prep_workers: 8}\n");
        Assert.Equal("8", w8.Canonical("performance.frame_prep_workers"));
        Assert.Equal(i8.Canonical("performance.frame_prep_workers"), w8.Canonical("performance.frame_prep_workers"));

        var (q, _) = d.Load("epsf: {q_range: [1, 2]}\n");
        Assert.Equal("[1.0, 2.0]", q.Canonical("epsf.q_range"));
    }

    [Fact]
    public void CanonicalOfAKeyListIsSortedAndLineBased()
    {
        using var d = new TempConfigDir();
        var (cfg, _) = d.Load("patch_run: {gal_model: dev}\n");
        string text = cfg.Canonical(["zp.clip_sigma", "patch_run.gal_model", "zp.clip_sigma"]);
        Assert.Equal("patch_run.gal_model=\"dev\"\nzp.clip_sigma=3.0\n", text);
        Assert.Throws<ArgumentException>(() => cfg.Canonical("patch_run.nope"));
    }

    [Fact]
    public void CanonicalQuotesStringsAndPathsAreAbsolute()
    {
        using var d = new TempConfigDir();
        var (cfg, _) = d.Load("inputs: {tile_name: \"a\\\"b\\\\c\"}\n");
        Assert.Equal("\"a\\\"b\\\\c\"", cfg.Canonical("inputs.tile_name"));
        Assert.Equal("\"" + Path.Join(d.Root, "path/to/work_dir") + "\"", cfg.Canonical("outputs.work_dir"));
    }

    [Theory]
    // (setting, nImages, cpu, expected): auto = max(1, min(n, cpu)); explicit clamped to [1, cap].
    [InlineData(null, 7, 4, 4)]
    [InlineData(null, 2, 16, 2)]
    [InlineData(null, 0, 16, 1)]
    [InlineData(8, 40, 4, 4)]
    [InlineData(3, 40, 16, 3)]
    [InlineData(-3, 40, 16, 1)]
    public void FramePrepWorkers(int? setting, int nImages, int cpu, int expected) =>
        Assert.Equal(expected, WorkerCounts.ResolveFramePrepWorkers(new WorkerCount(setting), nImages, cpu));

    [Theory]
    // H -> chunk rows max(256, min(1024, H // 8)) (256 for H < 8), chunk count ceil(H / rows).
    [InlineData(5, 256, 1)]
    [InlineData(2048, 256, 8)]
    [InlineData(6800, 850, 8)]
    [InlineData(10200, 1024, 10)]
    [InlineData(300, 256, 2)]
    public void WhiteStackChunks(int h, int rows, int chunks)
    {
        Assert.Equal(rows, WorkerCounts.WhiteStackChunkRows(h));
        Assert.Equal(chunks, WorkerCounts.WhiteStackChunkCount(h));
    }

    [Fact]
    public void WhiteStackAndEpsfWorkers()
    {
        Assert.Equal(8, WorkerCounts.ResolveWhiteStackWorkers(WorkerCount.Auto, 6800, 64));
        Assert.Equal(2, WorkerCounts.ResolveWhiteStackWorkers(WorkerCount.Auto, 6800, 2));
        Assert.Equal(8, WorkerCounts.ResolveWhiteStackWorkers(new WorkerCount(100), 6800, 64));
        Assert.Equal(4, WorkerCounts.ResolveEpsfWorkers(WorkerCount.Auto, 40, 4));
        Assert.Equal(3, WorkerCounts.ResolveEpsfWorkers(WorkerCount.Auto, 3, 64));
        Assert.Equal(100, WorkerCounts.ResolveEpsfWorkers(new WorkerCount(100), 3, 2));   // explicit: as is
    }
}
