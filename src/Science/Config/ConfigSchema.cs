namespace Tract7dt.Science.Config;

/// <summary>
/// The table of every config key, in the original's definition order (docs/config.md §8), plus
/// our <c>cluster</c> section. It is the single source for defaults, accepted types, value
/// rules, the dotted-key enumeration and the canonical values.
/// </summary>
internal static class ConfigSchema
{
    private static readonly List<ConfigKeyDef> s_keys = new();

    /// <summary>Every leaf key, in order.</summary>
    public static IReadOnlyList<ConfigKeyDef> Keys => s_keys;

    /// <summary>Dotted paths of every mapping (sections and <c>checks.wcs_tolerance</c>), in order.</summary>
    public static IReadOnlyList<string> Mappings { get; }

    private static readonly Dictionary<string, ConfigKeyDef> s_byPath;
    private static readonly HashSet<string> s_mappings;

    /// <summary>Choices of the four model keys a per-patch fit parses (case-sensitive).</summary>
    public static readonly string[] GalModels = ["dev", "exp", "sersic", "star"];
    public static readonly string[] PsfModels = ["pixelized", "hybrid", "gaussian_mixture_from_stamp"];
    public static readonly string[] PsfFallbackModels = ["moffat", "ncircular_gaussian", "gaussian_mixture"];
    public static readonly string[] PsfStarModes = ["sep", "sep+gaia", "gaia"];
    public static readonly string[] EpsfSmoothingKernels = ["auto", "quartic", "quadratic", "none"];
    public static readonly string[] EpsfStacks = ["weighted_mean", "median"];
    public static readonly string[] EpsfPsfFields = ["band", "cell"];
    public static readonly string[] PsfSubpixelShifts = ["fourier", "lanczos3"];
    /// <summary>Python logging level names accepted (case-insensitive).</summary>
    public static readonly string[] LogLevels = ["DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL", "NOTSET"];
    public static readonly string[] Executors = ["local", "slurm"];

    static ConfigSchema()
    {
        // inputs
        S("inputs.tile_name", "your_tile_name");
        S("inputs.input_catalog", "path/to/input_catalog.csv", nonEmpty: true);
        S("inputs.image_list_file", "path/to/image_list.txt", nonEmpty: true);
        // Null is allowed here (the docs' intent; the original rejected it): "no GaiaXP file".
        Add(new("inputs.gaiaxp_synphot_csv", ConfigKind.StringOrNull, "path/to/gaiaxp_synphot.csv") { NonEmpty = true });
        // outputs
        S("outputs.work_dir", "path/to/work_dir", nonEmpty: true);
        S("outputs.epsf_dir", "EPSFs", nonEmpty: true);
        S("outputs.patches_dir", "patches", nonEmpty: true);
        S("outputs.patch_inputs_dir", "patch_payloads", nonEmpty: true);
        S("outputs.tractor_out_dir", "outputs", nonEmpty: true);
        S("outputs.final_catalog", "output_catalog.csv", nonEmpty: true);
        S("outputs.cropped_images_dir", "cropped_images", nonEmpty: true);
        // Ours (docs/outputs.md §11): products beside the final catalogue's CSV.
        B("outputs.fits_catalog", true);
        B("outputs.region_files", true);
        // image_scaling
        F("image_scaling.zp_ref", 25.0, finite: true);
        // crop
        B("crop.enabled", true);
        I("crop.margin", 500, min: 0);
        B("crop.plot_pre_crop", true);
        I("crop.display_downsample", 4, min: 1);
        I("crop.post_crop_display_downsample", 4);
        B("crop.overlay_catalog", true);
        I("crop.overlay_downsample_full", 4, min: 1);
        I("crop.overlay_downsample_crop", 4);
        Add(new("crop.overlay_crop_box", ConfigKind.List, new List<object?> { 4000L, 5000L, 4000L, 5000L }));
        B("crop.overlay_crop_enabled", true);
        // checks
        B("checks.require_wcs_alignment", true);
        F("checks.wcs_tolerance.crval", 1e-6, min: 0);
        F("checks.wcs_tolerance.crpix", 1e-6, min: 0);
        F("checks.wcs_tolerance.cd", 1e-9, min: 0);
        F("checks.wcs_tolerance.cdelt", 1e-9, min: 0);
        B("checks.require_same_shape", true);
        // source_saturation_cut
        B("source_saturation_cut.enabled", true);
        F("source_saturation_cut.radius_pix", 20.0, min: 0, finite: true);
        B("source_saturation_cut.require_all_bands", false);
        // logging
        B("logging.ignore_warnings", true);
        Add(new("logging.level", ConfigKind.String, "INFO") { Choices = LogLevels, ChoicesFolded = true });
        Add(new("logging.file", ConfigKind.StringOrNull, "auto") { NonEmpty = true });
        S("logging.format", "%(asctime)s | %(name)s | %(levelname)s | %(message)s", nonEmpty: true);
        // plotting
        I("plotting.dpi", 300, min: 1);
        // performance
        Add(new("performance.frame_prep_workers", ConfigKind.Workers, "auto"));
        Add(new("performance.white_stack_workers", ConfigKind.Workers, "auto"));
        // epsf
        B("epsf.use_gaiaxp", true);
        I("epsf.epsf_ngrid", 7, min: 1);
        I("epsf.ngrid", 6, min: 1);
        B("epsf.skip_empty_epsf_patches", true);
        F("epsf.thresh_sigma", 10.0, min: 0, exclusive: true, finite: true);
        I("epsf.minarea", 25, min: 1);
        I("epsf.cutout_size", 61, min: 3);
        I("epsf.edge_pad", 10, min: 0);
        F("epsf.min_sep", 30.0, min: 0);
        I("epsf.max_stars", 30, min: 1);
        Add(new("epsf.q_range", ConfigKind.List, new List<object?> { 0.7, 1.3 }));
        Add(new("epsf.psfstar_mode", ConfigKind.String, "sep+gaia")
            { Choices = PsfStarModes, ChoicesFolded = true, ChoiceMode = ChoiceMode.WarnAndUseDefault });
        F("epsf.gaia_mag_min", 10.0);
        F("epsf.gaia_mag_max", 30.0);
        B("epsf.gaia_snap_to_sep", true);
        F("epsf.gaia_forced_k_fwhm", 1.5, min: 0, exclusive: true, finite: true);
        F("epsf.gaia_forced_rmin_pix", 3.0, min: 0, finite: true);
        F("epsf.gaia_forced_rmax_pix", 15.0, min: 0, finite: true);
        F("epsf.gaia_snr_min", 20.0);
        F("epsf.gaia_match_r_pix", 5.0, min: 0, finite: true);
        I("epsf.gaia_seed_sat_r", 5, min: 0);
        F("epsf.gaia_seed_sat_div", 1.3, min: 0, exclusive: true, finite: true);
        I("epsf.oversamp", 1, min: 1);
        // Ours (README, differences): photutils' quartic kernel at oversampling 1 widens the ePSF.
        Add(new("epsf.smoothing_kernel", ConfigKind.String, "auto") { Choices = EpsfSmoothingKernels });
        I("epsf.maxiters", 30, min: 1);
        B("epsf.do_clip", true);
        // Ours (README, differences): the median stack lets the fainter stars' noisy wings set the ePSF's normalisation.
        Add(new("epsf.stack", ConfigKind.String, "weighted_mean") { Choices = EpsfStacks });
        // Ours (README, differences): SEP candidates less concentrated than the stellar locus are not PSF stars.
        B("epsf.reject_extended", true);
        I("epsf.recenter_boxsize", 9, min: 3);
        I("epsf.final_psf_size", 55, min: 1);
        I("epsf.save_star_montage_max", 100, min: 0);
        B("epsf.background_subtract_patch", true);
        I("epsf.background_boxsize", 96);
        I("epsf.background_filtersize", 9);
        F("epsf.background_source_mask_sigma", 3.0);
        I("epsf.background_mask_dilate", 1, min: 0);
        // Ours (README, differences): the PSF stars' wings raise the cell background around them.
        B("epsf.background_star_subtract", true);
        // Ours (README, differences): one band-wide model informs every cell; core/wing normalisation.
        Add(new("epsf.psf_field", ConfigKind.String, "band") { Choices = EpsfPsfFields });
        F("epsf.cell_prior_stars", 8.0, min: 0, finite: true);
        F("epsf.norm_core_fwhm", 3.0, min: 0, exclusive: true, finite: true);
        B("epsf.mask_neighbours", true);
        B("epsf.star_local_bkg_subtract", true);
        F("epsf.star_local_bkg_annulus_rin_pix", 20.0, min: 0, finite: true);
        F("epsf.star_local_bkg_annulus_rout_pix", 30.0, min: 0, finite: true);
        F("epsf.star_local_bkg_sigma", 3.0, min: 0, exclusive: true);
        I("epsf.star_local_bkg_minpix", 30, min: 0);
        B("epsf.save_patch_background_diagnostics", true);
        B("epsf.save_star_local_background_diagnostics", true);
        B("epsf.diagnostics_show_colorbar", true);
        B("epsf.save_growth_curve", true);
        B("epsf.save_residual_diagnostics", true);
        I("epsf.residual_diag_max_stars", 100, min: 0);
        B("epsf.parallel_bands", true);
        Add(new("epsf.max_workers", ConfigKind.Workers, "auto"));
        // patches
        I("patches.halo_pix_min", 20, min: 0);
        // Ours (README, differences): sources another patch owns in the ROI's halo are modelled, not left to the sky.
        B("patches.model_halo_sources", true);
        // patch_inputs
        B("patch_inputs.save_patch_inputs", true);
        B("patch_inputs.skip_empty_patch", true);
        B("patch_inputs.include_wcs_in_payload", false);
        I("patch_inputs.max_workers", 16, min: 0); // 0 or 1: written one after the other
        I("patch_inputs.gzip_compresslevel", 1, min: -1, max: 9);
        B("patch_inputs.keep_payloads_in_memory", false);
        // patch_run
        B("patch_run.enable_multi_band_simultaneous_fitting", true);
        S("patch_run.python_exe", "python");
        B("patch_run.resume", false);
        I("patch_run.max_workers", 32, min: 1);
        I("patch_run.threads_per_process", 1);
        Add(new("patch_run.gal_model", ConfigKind.String, "exp") { Choices = GalModels });
        I("patch_run.n_opt_iters", 20, min: 1);
        F("patch_run.dlnp_stop", 1e-6, min: 0, exclusive: true);
        F("patch_run.r_ap", 5.0, min: 0, exclusive: true, finite: true);
        F("patch_run.eps_flux", 1e-4, min: 0, exclusive: true, finite: true);
        F("patch_run.sersic_n_init", 3.0, min: 0, exclusive: true, finite: true);
        F("patch_run.re_fallback_pix", 3.0, min: 0, exclusive: true, finite: true);
        Add(new("patch_run.psf_model", ConfigKind.String, "pixelized") { Choices = PsfModels });
        Add(new("patch_run.psf_fallback_model", ConfigKind.String, "moffat") { Choices = PsfFallbackModels });
        // Ours (README, differences): Lanczos-3 shifts of a ~3-px PSF bias fitted star fluxes low by up to 0.4%.
        Add(new("patch_run.psf_subpixel_shift", ConfigKind.String, "fourier") { Choices = PsfSubpixelShifts });
        // Ours (README, differences): flux errors with the sources' own photon noise.
        B("patch_run.photon_noise_errors", true);
        // Ours (docs/algorithms.md, "Band positions of bright stars"): 0 turns it off.
        F("patch_run.band_recentre_snr", 50.0, min: 0, finite: true);
        B("patch_run.sersic_n_scan", true);
        B("patch_run.stop_when_settled", true);
        F("patch_run.ellipticity_prior_sigma", 0.25, min: 0, finite: true);
        F("patch_run.sersic_n_max_step_frac", 0.0, min: 0, finite: true);
        F("patch_run.sersic_n_prior_sigma", 1.0, min: 0, finite: true);
        F("patch_run.size_prior_sigma", 0.5, min: 0, finite: true);
        F("patch_run.max_shift_pix", 2.0, min: 0, finite: true);
        F("patch_run.max_size_factor", 5.0, min: 0, finite: true);
        B("patch_run.mask_unmodelled_light", true);
        I("patch_run.min_epsf_nstars_for_use", 2);
        Add(new("patch_run.ncircular_gaussian_n", ConfigKind.Int, 3L) { IntChoices = [1, 2, 3] });
        I("patch_run.hybrid_psf_n", 9, min: 1);
        I("patch_run.gaussian_mixture_n", 4);
        F("patch_run.fallback_default_fwhm_pix", 4.0, min: 0, exclusive: true, finite: true);
        F("patch_run.fallback_stamp_radius_pix", 25.0, min: 1, finite: true);
        I("patch_run.cutout_size", 100, min: 2);
        Add(new("patch_run.cutout_max_sources", ConfigKind.IntOrNull, null) { Min = 0 });
        I("patch_run.cutout_start", 0, min: 0);
        I("patch_run.cutout_data_p_lo", 1, min: 0, max: 100);
        I("patch_run.cutout_data_p_hi", 99, min: 0, max: 100);
        I("patch_run.cutout_model_p_lo", 1, min: 0, max: 100);
        I("patch_run.cutout_model_p_hi", 99, min: 0, max: 100);
        I("patch_run.cutout_resid_p_abs", 99, min: 0, max: 100);
        B("patch_run.no_cutouts", false);
        B("patch_run.no_patch_overview", false);
        // Ours (docs/outputs.md): the per-band model and residual images of the field.
        B("patch_run.no_mosaics", false);
        I("patch_run.flag_maxiter_margin", 0);
        // moffat_psf
        F("moffat_psf.fwhm_default_pix", 4.0);
        F("moffat_psf.beta", 3.5, min: 1, exclusive: true, finite: true);
        F("moffat_psf.radius_pix", 25.0, min: 1, finite: true);
        Add(new("moffat_psf.module_path", ConfigKind.StringOrNull, null));
        // merge
        S("merge.pattern", "*_cat_fit.csv", nonEmpty: true);
        Add(new("merge.wcs_fits", ConfigKind.StringOrNull, null));
        // zp
        B("zp.enabled", true);
        B("zp.inject_gaia_sources", true);
        F("zp.gaia_mag_min", 8.0);
        F("zp.gaia_mag_max", 18.0);
        F("zp.match_radius_arcsec", 3.0, min: 0, finite: true);
        F("zp.match_max_flux_ratio", 10.0, min: 0, finite: true);
        I("zp.min_box_size_pix", 3000, min: 0);
        F("zp.clip_sigma", 3.0, min: 0, exclusive: true);
        I("zp.clip_max_iters", 10, min: 0);
        // Ours (README, differences): the reference magnitudes' error in the ZP weights.
        F("zp.ref_mag_err", 0.01, min: 0, finite: true);
        // cluster (new in the C# port: the Slurm executor)
        Add(new("cluster.executor", ConfigKind.String, "local") { Choices = Executors });
        Add(new("cluster.partition", ConfigKind.StringOrNull, null) { NonEmpty = true });
        Add(new("cluster.account", ConfigKind.StringOrNull, null) { NonEmpty = true });
        S("cluster.time_limit", "00:30:00", nonEmpty: true);
        S("cluster.mem_per_task", "4G", nonEmpty: true);
        I("cluster.cpus_per_task", 1, min: 1);
        I("cluster.patches_per_task", 1, min: 1);
        Add(new("cluster.max_simultaneous", ConfigKind.IntOrNull, null) { Min = 1 });
        Add(new("cluster.extra_sbatch_args", ConfigKind.List, new List<object?>()));
        F("cluster.poll_interval_sec", 5.0, min: 0, exclusive: true, finite: true);
        I("cluster.max_resubmits", 2, min: 0);

        s_byPath = s_keys.ToDictionary(k => k.Path, StringComparer.Ordinal);
        var maps = new List<string>();
        foreach (var k in s_keys)
        {
            string[] parts = k.Parent.Split('.');
            for (int i = 1; i <= parts.Length; i++)
            {
                string p = string.Join('.', parts, 0, i);
                if (!maps.Contains(p)) maps.Add(p);
            }
        }
        Mappings = maps;
        s_mappings = new HashSet<string>(maps, StringComparer.Ordinal);
    }

    /// <summary>The key with this dotted path, or null.</summary>
    public static ConfigKeyDef? Find(string path) => s_byPath.GetValueOrDefault(path);

    /// <summary>True when the dotted path names a section or sub-section.</summary>
    public static bool IsMapping(string path) => s_mappings.Contains(path);

    /// <summary>Immediate children (leaf names and sub-mapping names) of a mapping; "" is the root.</summary>
    public static IEnumerable<string> ChildrenOf(string mapping)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string prefix = mapping.Length == 0 ? "" : mapping + ".";
        foreach (var k in s_keys)
        {
            if (!k.Path.StartsWith(prefix, StringComparison.Ordinal)) continue;
            string rest = k.Path[prefix.Length..];
            int dot = rest.IndexOf('.');
            string child = dot < 0 ? rest : rest[..dot];
            if (seen.Add(child)) yield return child;
        }
    }

    private static void Add(ConfigKeyDef def) => s_keys.Add(def);

    private static void B(string path, bool d) => Add(new(path, ConfigKind.Bool, d));

    private static void S(string path, string d, bool nonEmpty = false) =>
        Add(new(path, ConfigKind.String, d) { NonEmpty = nonEmpty });

    private static void I(string path, long d, double? min = null, double? max = null) =>
        Add(new(path, ConfigKind.Int, d) { Min = min, Max = max });

    private static void F(string path, double d, double? min = null, double? max = null,
        bool exclusive = false, bool finite = false) =>
        Add(new(path, ConfigKind.Float, d) { Min = min, Max = max, MinExclusive = exclusive, Finite = finite });
}
