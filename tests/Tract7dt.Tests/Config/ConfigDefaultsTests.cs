using Tract7dt.Science.Config;
using Xunit;

namespace Tract7dt.Tests.Config;

public class ConfigDefaultsTests
{
    private static string Golden(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "Golden", "Config", .. parts]);

    [Fact]
    public void EmptyFileGivesEveryDefault()
    {
        using var d = new TempConfigDir();
        var (cfg, warnings) = d.Load("");
        Assert.Empty(warnings);
        // Spot checks against docs/config.md §8, by dotted name (canonical text) and typed value.
        var expected = new Dictionary<string, string>
        {
            ["inputs.tile_name"] = "\"your_tile_name\"",
            ["image_scaling.zp_ref"] = "25.0",
            ["crop.enabled"] = "true",
            ["crop.margin"] = "500",
            ["crop.overlay_crop_box"] = "[4000, 5000, 4000, 5000]",
            ["crop.overlay_crop_enabled"] = "true",
            ["checks.wcs_tolerance.crval"] = "1e-06",
            ["checks.wcs_tolerance.cd"] = "1e-09",
            ["checks.require_same_shape"] = "true",
            ["source_saturation_cut.radius_pix"] = "20.0",
            ["source_saturation_cut.require_all_bands"] = "false",
            ["logging.level"] = "\"INFO\"",
            ["logging.file"] = "\"auto\"",
            ["logging.format"] = "\"%(asctime)s | %(name)s | %(levelname)s | %(message)s\"",
            ["plotting.dpi"] = "300",
            ["performance.frame_prep_workers"] = "\"auto\"",
            ["performance.white_stack_workers"] = "\"auto\"",
            ["epsf.epsf_ngrid"] = "7",
            ["epsf.ngrid"] = "6",
            ["epsf.thresh_sigma"] = "10.0",
            ["epsf.cutout_size"] = "61",
            ["epsf.q_range"] = "[0.7, 1.3]",
            ["epsf.psfstar_mode"] = "\"sep+gaia\"",
            ["epsf.gaia_seed_sat_div"] = "1.3",
            ["epsf.final_psf_size"] = "55",
            ["epsf.background_boxsize"] = "96",
            ["epsf.star_local_bkg_annulus_rout_pix"] = "30.0",
            ["epsf.max_workers"] = "\"auto\"",
            ["patches.halo_pix_min"] = "20",
            ["patch_inputs.max_workers"] = "16",
            ["patch_inputs.gzip_compresslevel"] = "1",
            ["patch_run.python_exe"] = "\"python\"",
            ["patch_run.max_workers"] = "32",
            ["patch_run.gal_model"] = "\"exp\"",
            ["patch_run.n_opt_iters"] = "20",
            ["patch_run.dlnp_stop"] = "1e-06",
            ["patch_run.eps_flux"] = "0.0001",
            ["patch_run.psf_model"] = "\"pixelized\"",
            ["patch_run.psf_fallback_model"] = "\"moffat\"",
            ["patch_run.min_epsf_nstars_for_use"] = "2",
            ["patch_run.hybrid_psf_n"] = "9",
            ["patch_run.cutout_max_sources"] = "null",
            ["patch_run.cutout_resid_p_abs"] = "99",
            ["patch_run.flag_maxiter_margin"] = "0",
            ["moffat_psf.beta"] = "3.5",
            ["moffat_psf.radius_pix"] = "25.0",
            ["moffat_psf.module_path"] = "null",
            ["merge.pattern"] = "\"*_cat_fit.csv\"",
            ["merge.wcs_fits"] = "null",
            ["zp.enabled"] = "true",
            ["zp.inject_gaia_sources"] = "true",
            ["zp.gaia_mag_min"] = "8.0",
            ["zp.min_box_size_pix"] = "3000",
            ["zp.clip_max_iters"] = "10",
            ["cluster.executor"] = "\"local\"",
            ["cluster.time_limit"] = "\"00:30:00\"",
            ["cluster.mem_per_task"] = "\"4G\"",
            ["cluster.max_simultaneous"] = "null",
            ["cluster.extra_sbatch_args"] = "[]",
            ["cluster.poll_interval_sec"] = "5.0",
            ["cluster.max_resubmits"] = "2",
        };
        foreach (var (key, text) in expected)
            Assert.True(text == cfg.Canonical(key), $"{key}: expected {text}, got {cfg.Canonical(key)}");

        Assert.Equal(25.0, cfg.ImageScaling.ZpRef);
        Assert.Equal(1e-9, cfg.Checks.WcsTolerance.Cdelt);
        Assert.Equal([0.7, 1.3], cfg.Epsf.QRange);
        Assert.Equal(PsfStarMode.SepPlusGaia, cfg.Epsf.PsfstarMode);
        Assert.Equal(GalModel.Exp, cfg.PatchRun.GalModel);
        Assert.Equal(PsfModel.Pixelized, cfg.PatchRun.PsfModel);
        Assert.Equal(PsfFallbackModel.Moffat, cfg.PatchRun.PsfFallbackModel);
        Assert.Equal(3, cfg.PatchRun.NcircularGaussianN);
        Assert.Equal(5.0, cfg.PatchRun.RAp);
        Assert.Null(cfg.PatchRun.CutoutMaxSources);
        Assert.True(cfg.Performance.FramePrepWorkers.IsAuto);
        Assert.True(cfg.Logging.FileIsAuto);
        Assert.Equal(ClusterExecutor.Local, cfg.Cluster.Executor);
        Assert.Empty(cfg.Cluster.ExtraSbatchArgs);
        Assert.Equal(2, cfg.Cluster.MaxResubmits);
    }

    [Fact]
    public void KeyEnumerationIsCompleteAndOrdered()
    {
        // 136 keys of the original (docs/config.md §1) + 11 of the cluster section + 26 of ours:
        // epsf.smoothing_kernel, epsf.stack, epsf.reject_extended, epsf.background_star_subtract,
        // epsf.psf_field, epsf.cell_prior_stars, epsf.norm_core_fwhm, epsf.mask_neighbours,
        // patches.model_halo_sources, patch_run.psf_subpixel_shift, patch_run.photon_noise_errors,
        // patch_run.band_recentre_snr, patch_run.sersic_n_scan, patch_run.stop_when_settled,
        // patch_run.ellipticity_prior_sigma, patch_run.sersic_n_max_step_frac,
        // patch_run.sersic_n_prior_sigma, patch_run.size_prior_sigma, patch_run.max_shift_pix,
        // patch_run.max_size_factor, patch_run.mask_unmodelled_light, patch_run.no_mosaics,
        // zp.match_max_flux_ratio, zp.ref_mag_err, outputs.fits_catalog, outputs.region_files.
        Assert.Equal(136 + 11 + 26, PipelineConfig.AllKeys.Count);
        Assert.Equal("inputs.tile_name", PipelineConfig.AllKeys[0]);
        Assert.Equal(PipelineConfig.AllKeys.Count, PipelineConfig.AllKeys.Distinct().Count());
        int i = PipelineConfig.AllKeys.ToList().IndexOf("checks.require_wcs_alignment");
        Assert.Equal("checks.wcs_tolerance.crval", PipelineConfig.AllKeys[i + 1]);
        Assert.Equal("checks.require_same_shape", PipelineConfig.AllKeys[i + 5]);
        Assert.Equal("cluster.max_resubmits", PipelineConfig.AllKeys[^1]);
    }

    [Fact]
    public void OriginalSampleConfigLoadsWithoutWarningsAndEqualsDefaults()
    {
        string text = File.ReadAllText(Golden("original_sample_config.yaml"));
        using var d = new TempConfigDir();
        var (orig, warnings) = d.Load(text);
        Assert.Empty(warnings);
        var (defaults, _) = ConfigLoader.LoadText("", orig.ConfigPath);
        foreach (string k in PipelineConfig.AllKeys)
            Assert.True(defaults.Canonical(k) == orig.Canonical(k), $"{k}: {orig.Canonical(k)} vs default {defaults.Canonical(k)}");
    }

    [Fact]
    public void DumpedTemplateLoadsBackToExactlyTheDefaults()
    {
        using var d = new TempConfigDir();
        string path = ConfigTemplate.Write(Path.Join(d.Root, "sub", "dir", "sample_config.yaml"), force: false);
        Assert.True(File.Exists(path));
        var (cfg, warnings) = ConfigLoader.Load(path);
        Assert.Empty(warnings);
        var (defaults, _) = ConfigLoader.LoadText("", cfg.ConfigPath);
        Assert.Equal(defaults.Canonical(PipelineConfig.AllKeys), cfg.Canonical(PipelineConfig.AllKeys));
    }

    [Fact]
    public void TemplateListsEveryKeyInDefinitionOrderWithAComment()
    {
        string text = ConfigTemplate.Text;
        var keys = new List<string>();
        var stack = new List<(int Indent, string Name)>();
        foreach (string line in text.Split('\n'))
        {
            if (line.TrimStart().StartsWith('#') || line.Trim().Length == 0) continue;
            int indent = line.Length - line.TrimStart().Length;
            string name = line.Trim()[..line.Trim().IndexOf(':')];
            while (stack.Count > 0 && stack[^1].Indent >= indent) stack.RemoveAt(stack.Count - 1);
            string path = string.Join('.', stack.Select(s => s.Name).Append(name));
            string rest = line[(line.IndexOf(':') + 1)..].Trim();
            if (rest.Length == 0) stack.Add((indent, name));
            else
            {
                keys.Add(path);
                Assert.True(rest.Contains(" # "), $"template line for {path} has no comment");
            }
        }
        Assert.Equal(PipelineConfig.AllKeys, keys);
    }

    [Fact]
    public void TemplateWriteRefusesToOverwriteWithoutForce()
    {
        using var d = new TempConfigDir();
        string p = d.Write("old: 1\n", "existing.yaml");
        var e = Assert.Throws<Tract7dt.Science.Errors.Tract7dtException>(() => ConfigTemplate.Write(p, force: false));
        Assert.Equal("T7D056", e.Code);
        Assert.Contains(p, e.Message);
        Assert.Contains("--force", e.Message);
        Assert.Equal("old: 1\n", File.ReadAllText(p));
        ConfigTemplate.Write(p, force: true);
        Assert.Equal(ConfigTemplate.Text, File.ReadAllText(p));
        Assert.Single(Directory.GetFiles(d.Root));   // no temporary file left behind
    }

    [Fact]
    public void SnapshotIsAByteCopyNamedByTheLocalTime()
    {
        using var d = new TempConfigDir();
        byte[] bytes = "# comment kept\r\npatch_run:\n  n_opt_iters: 7   # odd spacing\n"u8.ToArray();
        string cfgPath = Path.Join(d.Root, "my.yaml");
        File.WriteAllBytes(cfgPath, bytes);
        string work = Path.Join(d.Root, "work", "deeper");
        string? snap = ConfigSnapshot.Save(cfgPath, work, new DateTime(2025, 1, 31, 23, 59, 59));
        Assert.Equal(Path.Join(work, "config_used_20250131_235959.yaml"), snap);
        Assert.Equal(bytes, File.ReadAllBytes(snap!));
        Assert.Null(ConfigSnapshot.Save(Path.Join(d.Root, "gone.yaml"), work, DateTime.Now));
    }
}
