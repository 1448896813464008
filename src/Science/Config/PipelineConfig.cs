namespace Tract7dt.Science.Config;

/// <summary>
/// The whole validated configuration, one immutable record per YAML section. Paths are
/// absolute (docs/config.md §4). Build it with <see cref="ConfigLoader"/>; for content keys use
/// <see cref="Canonical(string)"/> with the dotted YAML names of <see cref="AllKeys"/>.
/// </summary>
public sealed record PipelineConfig
{
    /// <summary>Absolute path of the YAML file this was loaded from.</summary>
    public required string ConfigPath { get; init; }
    /// <summary>Folder of <see cref="ConfigPath"/>: base of relative input paths.</summary>
    public required string ConfigDir { get; init; }

    /// <summary><c>inputs</c></summary>
    public required InputsConfig Inputs { get; init; }
    /// <summary><c>outputs</c></summary>
    public required OutputsConfig Outputs { get; init; }
    /// <summary><c>image_scaling</c></summary>
    public required ImageScalingConfig ImageScaling { get; init; }
    /// <summary><c>crop</c></summary>
    public required CropConfig Crop { get; init; }
    /// <summary><c>checks</c></summary>
    public required ChecksConfig Checks { get; init; }
    /// <summary><c>source_saturation_cut</c></summary>
    public required SourceSaturationCutConfig SourceSaturationCut { get; init; }
    /// <summary><c>logging</c></summary>
    public required LoggingConfig Logging { get; init; }
    /// <summary><c>plotting</c></summary>
    public required PlottingConfig Plotting { get; init; }
    /// <summary><c>performance</c></summary>
    public required PerformanceConfig Performance { get; init; }
    /// <summary><c>epsf</c></summary>
    public required EpsfConfig Epsf { get; init; }
    /// <summary><c>patches</c></summary>
    public required PatchesConfig Patches { get; init; }
    /// <summary><c>patch_inputs</c></summary>
    public required PatchInputsConfig PatchInputs { get; init; }
    /// <summary><c>patch_run</c></summary>
    public required PatchRunConfig PatchRun { get; init; }
    /// <summary><c>moffat_psf</c></summary>
    public required MoffatPsfConfig MoffatPsf { get; init; }
    /// <summary><c>merge</c></summary>
    public required MergeConfig Merge { get; init; }
    /// <summary><c>zp</c></summary>
    public required ZpConfig Zp { get; init; }
    /// <summary><c>cluster</c> (new in the C# port).</summary>
    public required ClusterConfig Cluster { get; init; }

    internal ConfigValues Values { get; init; } = null!;

    /// <summary>Every dotted config key (leaves only), in definition order; stable across runs.</summary>
    public static IReadOnlyList<string> AllKeys { get; } = ConfigSchema.Keys.Select(k => k.Path).ToArray();

    /// <summary>
    /// Stable, culture-invariant text of one key's merged, resolved value (e.g.
    /// <c>patch_run.n_opt_iters</c> → <c>20</c>, <c>patch_run.dlnp_stop</c> → <c>1e-06</c>,
    /// <c>patch_run.gal_model</c> → <c>"exp"</c>). Identical whether the value was written or
    /// defaulted. Throws <see cref="ArgumentException"/> for a name not in <see cref="AllKeys"/>.
    /// </summary>
    public string Canonical(string dottedKey) => Values.Canonical(dottedKey);

    /// <summary>
    /// Canonical text of several keys: one <c>key=value</c> line each (<c>\n</c>-terminated),
    /// sorted by key with ordinal comparison so the caller's order does not matter.
    /// </summary>
    public string Canonical(IEnumerable<string> dottedKeys)
    {
        var sb = new System.Text.StringBuilder();
        foreach (string k in dottedKeys.Distinct().OrderBy(k => k, StringComparer.Ordinal))
            sb.Append(k).Append('=').Append(Values.Canonical(k)).Append('\n');
        return sb.ToString();
    }
}

/// <summary>YAML section <c>inputs</c>: the three user files (absolute paths).</summary>
public sealed record InputsConfig
{
    /// <summary><c>tile_name</c>: informational only.</summary>
    public string TileName { get; init; } = "";
    /// <summary><c>input_catalog</c>: source catalogue CSV (relative to the config folder).</summary>
    public string InputCatalog { get; init; } = "";
    /// <summary><c>image_list_file</c>: text file, one FITS path per line.</summary>
    public string ImageListFile { get; init; } = "";
    /// <summary><c>gaiaxp_synphot_csv</c>: GaiaXP synthetic photometry CSV; null = none.</summary>
    public string? GaiaxpSynphotCsv { get; init; }
}

/// <summary>YAML section <c>outputs</c>; every path absolute, all but <c>work_dir</c> resolved against <c>work_dir</c>.</summary>
public sealed record OutputsConfig
{
    /// <summary><c>work_dir</c>: base output folder (relative to the config folder).</summary>
    public string WorkDir { get; init; } = "";
    /// <summary><c>epsf_dir</c>: ePSF products.</summary>
    public string EpsfDir { get; init; } = "";
    /// <summary><c>patches_dir</c>: patch definitions.</summary>
    public string PatchesDir { get; init; } = "";
    /// <summary><c>patch_inputs_dir</c>: per-patch payloads.</summary>
    public string PatchInputsDir { get; init; } = "";
    /// <summary><c>tractor_out_dir</c>: per-patch fit outputs.</summary>
    public string TractorOutDir { get; init; } = "";
    /// <summary><c>final_catalog</c>: merged catalogue file.</summary>
    public string FinalCatalog { get; init; } = "";
    /// <summary><c>cropped_images_dir</c>: crop and overlay PNGs.</summary>
    public string CroppedImagesDir { get; init; } = "";
    /// <summary><c>fits_catalog</c> (ours): also write the final catalogue as a FITS binary table.</summary>
    public bool FitsCatalog { get; init; } = true;
    /// <summary><c>region_files</c> (ours): also write DS9 region files of the final catalogue.</summary>
    public bool RegionFiles { get; init; } = true;
}

/// <summary>YAML section <c>image_scaling</c>.</summary>
public sealed record ImageScalingConfig
{
    /// <summary><c>zp_ref</c>: common AB zero point (mag); frames are scaled by 10^(-0.4 (ZP_AUTO - zp_ref)).</summary>
    public double ZpRef { get; init; }
}

/// <summary>YAML section <c>crop</c>: the edge crop and its plots.</summary>
public sealed record CropConfig
{
    /// <summary><c>enabled</c>: crop the image edges and flag sources outside.</summary>
    public bool Enabled { get; init; }
    /// <summary><c>margin</c>: crop margin (pixels, ≥ 0) on every side.</summary>
    public int Margin { get; init; }
    /// <summary><c>plot_pre_crop</c>: save white_before_crop.png.</summary>
    [NotInKeys] public bool PlotPreCrop { get; init; }
    /// <summary><c>display_downsample</c>: pixel stride of the pre-crop plot (≥ 1).</summary>
    [NotInKeys] public int DisplayDownsample { get; init; }
    /// <summary><c>post_crop_display_downsample</c>: stride of the post-crop plot (values &lt; 1 act as 1).</summary>
    [NotInKeys] public int PostCropDisplayDownsample { get; init; }
    /// <summary><c>overlay_catalog</c>: save white_overlay.png.</summary>
    [NotInKeys] public bool OverlayCatalog { get; init; }
    /// <summary><c>overlay_downsample_full</c>: stride of the overlay plot (≥ 1).</summary>
    [NotInKeys] public int OverlayDownsampleFull { get; init; }
    /// <summary><c>overlay_downsample_crop</c>: reserved, no effect.</summary>
    [NotInKeys] public int OverlayDownsampleCrop { get; init; }
    /// <summary><c>overlay_crop_box</c>: reserved, no effect (any list).</summary>
    [NotInKeys] public IReadOnlyList<object?> OverlayCropBox { get; init; } = [];
    /// <summary><c>overlay_crop_enabled</c>: reserved, no effect.</summary>
    [NotInKeys] public bool OverlayCropEnabled { get; init; }
}

/// <summary>YAML section <c>checks</c>: consistency checks across the input frames.</summary>
public sealed record ChecksConfig
{
    /// <summary><c>require_wcs_alignment</c>: every frame's WCS must match the first frame's.</summary>
    public bool RequireWcsAlignment { get; init; }
    /// <summary><c>wcs_tolerance</c>: absolute tolerances of that comparison.</summary>
    public WcsToleranceConfig WcsTolerance { get; init; } = new();
    /// <summary><c>require_same_shape</c>: every frame must have the first frame's shape.</summary>
    public bool RequireSameShape { get; init; }
}

/// <summary>YAML sub-section <c>checks.wcs_tolerance</c> (absolute tolerances, ≥ 0).</summary>
public sealed record WcsToleranceConfig
{
    /// <summary><c>crval</c>: CRVAL tolerance (header units, normally deg).</summary>
    public double Crval { get; init; }
    /// <summary><c>crpix</c>: CRPIX tolerance (pixels).</summary>
    public double Crpix { get; init; }
    /// <summary><c>cd</c>: CD (or PC) element tolerance.</summary>
    public double Cd { get; init; }
    /// <summary><c>cdelt</c>: CDELT tolerance (deg/pixel).</summary>
    public double Cdelt { get; init; }
}

/// <summary>YAML section <c>source_saturation_cut</c>.</summary>
public sealed record SourceSaturationCutConfig
{
    /// <summary><c>enabled</c>: flag sources near saturated pixels (excluded_saturation).</summary>
    public bool Enabled { get; init; }
    /// <summary><c>radius_pix</c>: disk radius searched around each source (pixels, ≥ 0).</summary>
    public double RadiusPix { get; init; }
    /// <summary><c>require_all_bands</c>: flag only when every band is saturated in the disk.</summary>
    public bool RequireAllBands { get; init; }
}

/// <summary>YAML section <c>logging</c>.</summary>
public sealed record LoggingConfig
{
    /// <summary><c>ignore_warnings</c>: the <c>run</c> command suppresses runtime warnings.</summary>
    public bool IgnoreWarnings { get; init; }
    /// <summary><c>level</c>: upper case, one of DEBUG, INFO, WARNING, ERROR, CRITICAL, NOTSET (WARN and FATAL normalised).</summary>
    public string Level { get; init; } = "INFO";
    /// <summary><c>file</c>: "auto" (kept verbatim), an absolute log path, or null (console only).</summary>
    public string? File { get; init; }
    /// <summary><c>format</c>: Python-logging %-style line template.</summary>
    public string Format { get; init; } = "";

    /// <summary>True when <see cref="File"/> is <c>auto</c> (trimmed, case-insensitive): log to {work_dir}/{command}.log.</summary>
    public bool FileIsAuto => File is not null && File.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase);
}

/// <summary>YAML section <c>plotting</c>.</summary>
public sealed record PlottingConfig
{
    /// <summary><c>dpi</c>: resolution of every PNG (≥ 1).</summary>
    public int Dpi { get; init; }
}

/// <summary>YAML section <c>performance</c>; resolve with <see cref="WorkerCounts"/>.</summary>
public sealed record PerformanceConfig
{
    /// <summary><c>frame_prep_workers</c>: "auto" or a count.</summary>
    public WorkerCount FramePrepWorkers { get; init; }
    /// <summary><c>white_stack_workers</c>: "auto" or a count.</summary>
    public WorkerCount WhiteStackWorkers { get; init; }
}

/// <summary>YAML section <c>epsf</c>: ePSF cells, star selection, background, builder, diagnostics.</summary>
public sealed record EpsfConfig
{
    /// <summary><c>use_gaiaxp</c>: read GaiaXP seeds.</summary>
    public bool UseGaiaxp { get; init; }
    /// <summary><c>epsf_ngrid</c>: ePSF cells per axis (≥ 1).</summary>
    public int EpsfNgrid { get; init; }
    /// <summary><c>ngrid</c>: patches per cell per axis (≥ 1).</summary>
    public int Ngrid { get; init; }
    /// <summary><c>skip_empty_epsf_patches</c>: only cells holding an active source.</summary>
    [NotInKeys] public bool SkipEmptyEpsfPatches { get; init; }
    /// <summary><c>thresh_sigma</c>: SEP detection threshold (sky σ, &gt; 0).</summary>
    public double ThreshSigma { get; init; }
    /// <summary><c>minarea</c>: SEP minimum area (pixels, ≥ 1).</summary>
    public int Minarea { get; init; }
    /// <summary><c>cutout_size</c>: star cutout side (pixels, ≥ 3).</summary>
    public int CutoutSize { get; init; }
    /// <summary><c>edge_pad</c>: extra margin from the cell edge (pixels).</summary>
    public int EdgePad { get; init; }
    /// <summary><c>min_sep</c>: minimum separation between selected stars (pixels).</summary>
    public double MinSep { get; init; }
    /// <summary><c>max_stars</c>: stars per cell and band (≥ 1).</summary>
    public int MaxStars { get; init; }
    /// <summary><c>q_range</c>: [lo, hi] allowed a/b (lo ≤ hi; extra elements ignored).</summary>
    public IReadOnlyList<double> QRange { get; init; } = [];
    /// <summary><c>psfstar_mode</c>: star source (an invalid value was warned about and became sep+gaia).</summary>
    public PsfStarMode PsfstarMode { get; init; }
    /// <summary><c>gaia_mag_min</c>: brightest band magnitude for Gaia seeds (AB mag).</summary>
    public double GaiaMagMin { get; init; }
    /// <summary><c>gaia_mag_max</c>: faintest band magnitude for Gaia seeds (AB mag, ≥ min).</summary>
    public double GaiaMagMax { get; init; }
    /// <summary><c>gaia_snap_to_sep</c>: move Gaia seeds to the nearest SEP detection.</summary>
    public bool GaiaSnapToSep { get; init; }
    /// <summary><c>gaia_forced_k_fwhm</c>: forced radius in FWHM units (&gt; 0).</summary>
    public double GaiaForcedKFwhm { get; init; }
    /// <summary><c>gaia_forced_rmin_pix</c>: lower clamp of the forced radius (pixels).</summary>
    public double GaiaForcedRminPix { get; init; }
    /// <summary><c>gaia_forced_rmax_pix</c>: upper clamp of the forced radius (pixels, ≥ rmin).</summary>
    public double GaiaForcedRmaxPix { get; init; }
    /// <summary><c>gaia_snr_min</c>: minimum forced-aperture S/N of a Gaia seed.</summary>
    public double GaiaSnrMin { get; init; }
    /// <summary><c>gaia_match_r_pix</c>: seed-to-SEP snapping radius (pixels).</summary>
    public double GaiaMatchRPix { get; init; }
    /// <summary><c>gaia_seed_sat_r</c>: half-size of the seed saturation box (pixels).</summary>
    public int GaiaSeedSatR { get; init; }
    /// <summary><c>gaia_seed_sat_div</c>: saturation divisor (&gt; 0).</summary>
    public double GaiaSeedSatDiv { get; init; }
    /// <summary><c>oversamp</c>: ePSF oversampling (≥ 1).</summary>
    public int Oversamp { get; init; }

    /// <summary><c>smoothing_kernel</c> (ours): the builder's smoothing kernel; <c>auto</c> = quartic
    /// when oversampled, none at oversampling 1.</summary>
    public EpsfSmoothingKernel SmoothingKernel { get; init; }
    /// <summary><c>maxiters</c>: ePSF builder iterations (≥ 1).</summary>
    public int Maxiters { get; init; }
    /// <summary><c>do_clip</c>: 5σ clipping in the builder.</summary>
    public bool DoClip { get; init; }

    /// <summary><c>reject_extended</c> (ours): keep SEP candidates whose light concentration falls
    /// 10% below the cell's stellar locus out of the fill pass (<see cref="Psf.Stage.ExtendedSourceFilter"/>).</summary>
    public bool RejectExtended { get; init; }
    /// <summary><c>stack</c> (ours): how the builder combines the stars' residuals per node;
    /// <c>weighted_mean</c> (inverse variance) or <c>median</c> (photutils).</summary>
    public EpsfStackStatistic Stack { get; init; }
    /// <summary><c>recenter_boxsize</c>: recentring box (pixels, odd ≥ 3).</summary>
    public int RecenterBoxsize { get; init; }
    /// <summary><c>final_psf_size</c>: side of the final ePSF stamp (pixels).</summary>
    public int FinalPsfSize { get; init; }
    /// <summary><c>save_star_montage_max</c>: stars drawn in the montages (0: none).</summary>
    [NotInKeys] public int SaveStarMontageMax { get; init; }
    /// <summary><c>background_subtract_patch</c>: per-cell 2-D background subtraction.</summary>
    public bool BackgroundSubtractPatch { get; init; }
    /// <summary><c>background_boxsize</c>: background mesh size (pixels; effective max(8, n)).</summary>
    public int BackgroundBoxsize { get; init; }
    /// <summary><c>background_filtersize</c>: background median filter (mesh cells; effective max(1, n)).</summary>
    public int BackgroundFiltersize { get; init; }
    /// <summary><c>background_source_mask_sigma</c>: source-mask threshold (σ above the median).</summary>
    public double BackgroundSourceMaskSigma { get; init; }
    /// <summary><c>background_mask_dilate</c>: 8-neighbour dilation passes (≥ 0).</summary>
    public int BackgroundMaskDilate { get; init; }
    /// <summary><c>background_star_subtract</c> (ours): measure the cell background a second time
    /// with the PSF stars removed by the first ePSF, and rebuild.</summary>
    public bool BackgroundStarSubtract { get; init; }
    /// <summary><c>psf_field</c> (ours): <c>band</c> (a band-wide model shapes every cell) or <c>cell</c> (the original's).</summary>
    public EpsfPsfField PsfField { get; init; }
    /// <summary><c>cell_prior_stars</c> (ours): weight of the band model in a cell's core, in stars.</summary>
    public double CellPriorStars { get; init; }
    /// <summary><c>norm_core_fwhm</c> (ours): radius of the core, in FWHM, whose light the cell sets; the band's fitted wings set the rest.</summary>
    public double NormCoreFwhm { get; init; }
    /// <summary><c>mask_neighbours</c> (ours): catalogue neighbours are masked in the star stamps; a star with one in its core is not a PSF star.</summary>
    public bool MaskNeighbours { get; init; }
    /// <summary><c>star_local_bkg_subtract</c>: subtract the annulus background per star.</summary>
    public bool StarLocalBkgSubtract { get; init; }
    /// <summary><c>star_local_bkg_annulus_rin_pix</c>: annulus inner radius (pixels).</summary>
    public double StarLocalBkgAnnulusRinPix { get; init; }
    /// <summary><c>star_local_bkg_annulus_rout_pix</c>: annulus outer radius (pixels).</summary>
    public double StarLocalBkgAnnulusRoutPix { get; init; }
    /// <summary><c>star_local_bkg_sigma</c>: annulus clip threshold (σ, &gt; 0).</summary>
    public double StarLocalBkgSigma { get; init; }
    /// <summary><c>star_local_bkg_minpix</c>: minimum valid annulus pixels.</summary>
    public int StarLocalBkgMinpix { get; init; }
    /// <summary><c>save_patch_background_diagnostics</c></summary>
    [NotInKeys] public bool SavePatchBackgroundDiagnostics { get; init; }
    /// <summary><c>save_star_local_background_diagnostics</c></summary>
    public bool SaveStarLocalBackgroundDiagnostics { get; init; }
    /// <summary><c>diagnostics_show_colorbar</c></summary>
    [NotInKeys] public bool DiagnosticsShowColorbar { get; init; }
    /// <summary><c>save_growth_curve</c></summary>
    [NotInKeys] public bool SaveGrowthCurve { get; init; }
    /// <summary><c>save_residual_diagnostics</c></summary>
    public bool SaveResidualDiagnostics { get; init; }
    /// <summary><c>residual_diag_max_stars</c>: stars used for residual diagnostics (≥ 0).</summary>
    public int ResidualDiagMaxStars { get; init; }
    /// <summary><c>parallel_bands</c>: build bands concurrently.</summary>
    [NotInKeys] public bool ParallelBands { get; init; }
    /// <summary><c>max_workers</c>: "auto" or a count (see <see cref="WorkerCounts.ResolveEpsfWorkers"/>).</summary>
    [NotInKeys] public WorkerCount MaxWorkers { get; init; }
}

/// <summary>YAML section <c>patches</c>.</summary>
public sealed record PatchesConfig
{
    /// <summary><c>halo_pix_min</c>: minimum halo around a patch (pixels, ≥ 0).</summary>
    public int HaloPixMin { get; init; }
    /// <summary><c>model_halo_sources</c> (ours): sources another patch owns in this patch's halo are modelled as
    /// fixed-position point sources with free fluxes (never reported here).</summary>
    public bool ModelHaloSources { get; init; }
}

/// <summary>YAML section <c>patch_inputs</c>: per-patch payloads.</summary>
public sealed record PatchInputsConfig
{
    /// <summary><c>save_patch_inputs</c>: write payload files.</summary>
    public bool SavePatchInputs { get; init; }
    /// <summary><c>skip_empty_patch</c>: no payload for a patch without active sources.</summary>
    public bool SkipEmptyPatch { get; init; }
    /// <summary><c>include_wcs_in_payload</c>: reserved.</summary>
    public bool IncludeWcsInPayload { get; init; }
    /// <summary><c>max_workers</c>: payload writer threads (sequential when ≤ 1).</summary>
    public int MaxWorkers { get; init; }
    /// <summary><c>gzip_compresslevel</c>: -1 (library default) or 0..9.</summary>
    public int GzipCompresslevel { get; init; }
    /// <summary><c>keep_payloads_in_memory</c>: no effect except memory use.</summary>
    public bool KeepPayloadsInMemory { get; init; }
}

/// <summary>YAML section <c>patch_run</c>: per-patch fitting.</summary>
public sealed record PatchRunConfig
{
    /// <summary><c>enable_multi_band_simultaneous_fitting</c>: one joint fit per patch (else one per band).</summary>
    public bool EnableMultiBandSimultaneousFitting { get; init; }
    /// <summary><c>python_exe</c>: accepted for compatibility; unused.</summary>
    public string PythonExe { get; init; } = "";
    /// <summary><c>resume</c>: compatibility; content keys decide what reruns.</summary>
    public bool Resume { get; init; }
    /// <summary><c>max_workers</c>: patches fitted concurrently (≥ 1).</summary>
    public int MaxWorkers { get; init; }
    /// <summary><c>threads_per_process</c>: numeric-library threads per worker (values &lt; 1 act as 1).</summary>
    public int ThreadsPerProcess { get; init; }
    /// <summary><c>gal_model</c>: fallback model for unknown TYPE.</summary>
    public GalModel GalModel { get; init; }
    /// <summary><c>n_opt_iters</c>: maximum optimizer steps (≥ 1).</summary>
    public int NOptIters { get; init; }
    /// <summary><c>dlnp_stop</c>: convergence threshold on the log-probability gain (&gt; 0).</summary>
    public double DlnpStop { get; init; }
    /// <summary><c>r_ap</c>: aperture radius for flux initialisation (pixels, &gt; 0).</summary>
    public double RAp { get; init; }
    /// <summary><c>eps_flux</c>: floor of initial fluxes (&gt; 0).</summary>
    public double EpsFlux { get; init; }
    /// <summary><c>sersic_n_init</c>: initial Sérsic index.</summary>
    public double SersicNInit { get; init; }
    /// <summary><c>re_fallback_pix</c>: initial effective radius without a usable Re (pixels).</summary>
    public double ReFallbackPix { get; init; }
    /// <summary><c>psf_model</c>: PSF built from a usable ePSF.</summary>
    public PsfModel PsfModel { get; init; }
    /// <summary><c>psf_fallback_model</c>: PSF when the ePSF is missing or has too few stars.</summary>
    public PsfFallbackModel PsfFallbackModel { get; init; }
    /// <summary><c>psf_subpixel_shift</c> (ours): how pixelized PSFs are moved to sub-pixel
    /// positions, <c>fourier</c> (phase ramp) or <c>lanczos3</c> (the Tractor's filter).</summary>
    public PsfSubpixelShiftMode PsfSubpixelShift { get; init; }
    /// <summary><c>photon_noise_errors</c> (ours): FLUXERR columns include the sources' photon noise and the PSF model's error (false: sky noise alone, the original's).</summary>
    public bool PhotonNoiseErrors { get; init; }
    /// <summary><c>band_recentre_snr</c> (ours): a point source with this S/N in a band gets its own position there (0: off).</summary>
    public double BandRecentreSnr { get; init; }
    /// <summary><c>sersic_n_scan</c> (ours): each Sérsic index starts at the best rung of a coarse ladder (false: at <c>sersic_n_init</c>).</summary>
    public bool SersicNScan { get; init; }
    /// <summary><c>stop_when_settled</c> (ours): the optimizer loop also stops once a step moved no source parameter by a tenth of its σ (false: only on dlnp_stop or n_opt_iters).</summary>
    public bool StopWhenSettled { get; init; }
    /// <summary><c>ellipticity_prior_sigma</c> (ours): σ of a Gaussian prior centred on 0 on each soft ellipticity component ee1, ee2 of every galaxy (0: none, the original).</summary>
    public double EllipticityPriorSigma { get; init; }
    /// <summary><c>sersic_n_max_step_frac</c> (ours): a Sérsic index moves at most max(0.1, this × n) per optimizer step (0: 0.1, the original's).</summary>
    public double SersicNMaxStepFrac { get; init; }
    /// <summary><c>sersic_n_prior_sigma</c> (ours): σ of a Gaussian prior on each free Sérsic index, centred on its start (0: none, the original).</summary>
    public double SersicNPriorSigma { get; init; }
    /// <summary><c>size_prior_sigma</c> (ours): σ of a Gaussian prior on ln r_e of each galaxy whose catalogue row gives its size, centred on that size (0: none, the original).</summary>
    public double SizePriorSigma { get; init; }
    /// <summary><c>max_shift_pix</c> (ours): each source's x and y stay within this many pixels of its catalogue position (0: unbounded, the original).</summary>
    public double MaxShiftPix { get; init; }
    /// <summary><c>max_size_factor</c> (ours): each galaxy's r_e stays below this factor times its starting r_e (0: only the original's bound of 1000).</summary>
    public double MaxSizeFactor { get; init; }
    /// <summary><c>mask_unmodelled_light</c> (ours): before the fit, light the starting model does not hold, away from every source, gets weight 0 (false: every pixel weighs, the original).</summary>
    public bool MaskUnmodelledLight { get; init; }
    /// <summary><c>min_epsf_nstars_for_use</c>: star-count gate (≤ 0 disables).</summary>
    public int MinEpsfNstarsForUse { get; init; }
    /// <summary><c>ncircular_gaussian_n</c>: 1, 2 or 3 components.</summary>
    public int NcircularGaussianN { get; init; }
    /// <summary><c>hybrid_psf_n</c>: Gaussian-mixture order of the hybrid PSF (≥ 1).</summary>
    public int HybridPsfN { get; init; }
    /// <summary><c>gaussian_mixture_n</c>: mixture components (values &lt; 1 act as 1).</summary>
    public int GaussianMixtureN { get; init; }
    /// <summary><c>fallback_default_fwhm_pix</c>: FWHM without PEEING/SEEING (pixels, &gt; 0).</summary>
    public double FallbackDefaultFwhmPix { get; init; }
    /// <summary><c>fallback_stamp_radius_pix</c>: half-size of the synthetic fallback stamp (pixels, ≥ 1).</summary>
    public double FallbackStampRadiusPix { get; init; }
    /// <summary><c>cutout_size</c>: montage stamp side (pixels, ≥ 2).</summary>
    public int CutoutSize { get; init; }
    /// <summary><c>cutout_max_sources</c>: montage cap per patch; null = no limit.</summary>
    public int? CutoutMaxSources { get; init; }
    /// <summary><c>cutout_start</c>: first source index with a montage.</summary>
    public int CutoutStart { get; init; }
    /// <summary><c>cutout_data_p_lo</c>: percentile 0..100.</summary>
    public int CutoutDataPLo { get; init; }
    /// <summary><c>cutout_data_p_hi</c>: percentile 0..100.</summary>
    public int CutoutDataPHi { get; init; }
    /// <summary><c>cutout_model_p_lo</c>: percentile 0..100.</summary>
    public int CutoutModelPLo { get; init; }
    /// <summary><c>cutout_model_p_hi</c>: percentile 0..100.</summary>
    public int CutoutModelPHi { get; init; }
    /// <summary><c>cutout_resid_p_abs</c>: percentile 0..100 of |residual|.</summary>
    public int CutoutResidPAbs { get; init; }
    /// <summary><c>no_cutouts</c>: skip per-source montages.</summary>
    public bool NoCutouts { get; init; }
    /// <summary><c>no_patch_overview</c>: skip patch_overview.png.</summary>
    public bool NoPatchOverview { get; init; }
    /// <summary><c>no_mosaics</c> (ours): skip the per-band model and residual mosaics of the field.</summary>
    public bool NoMosaics { get; init; }
    /// <summary><c>flag_maxiter_margin</c>: margin of opt_hit_max_iters (values &lt; 0 act as 0).</summary>
    public int FlagMaxiterMargin { get; init; }
}

/// <summary>YAML section <c>moffat_psf</c>.</summary>
public sealed record MoffatPsfConfig
{
    /// <summary><c>fwhm_default_pix</c>: legacy, no effect.</summary>
    public double FwhmDefaultPix { get; init; }
    /// <summary><c>beta</c>: Moffat exponent (&gt; 1).</summary>
    public double Beta { get; init; }
    /// <summary><c>radius_pix</c>: Moffat stamp half-size (pixels, ≥ 1).</summary>
    public double RadiusPix { get; init; }
    /// <summary><c>module_path</c>: legacy, no effect (resolved against the config folder).</summary>
    public string? ModulePath { get; init; }
}

/// <summary>YAML section <c>merge</c>.</summary>
public sealed record MergeConfig
{
    /// <summary><c>pattern</c>: file-name glob of per-patch fit tables.</summary>
    public string Pattern { get; init; } = "";
    /// <summary><c>wcs_fits</c>: FITS with the WCS for RA_fit/DEC_fit; null = first image; "" = none.</summary>
    public string? WcsFits { get; init; }
}

/// <summary>YAML section <c>zp</c>: Gaia augmentation and zero points.</summary>
public sealed record ZpConfig
{
    /// <summary><c>enabled</c>: run AugmentGaia and ComputeZp.</summary>
    public bool Enabled { get; init; }
    /// <summary><c>inject_gaia_sources</c>: append unmatched Gaia sources as rows.</summary>
    public bool InjectGaiaSources { get; init; }
    /// <summary><c>gaia_mag_min</c>: brightest Gaia G (mag).</summary>
    public double GaiaMagMin { get; init; }
    /// <summary><c>gaia_mag_max</c>: faintest Gaia G (mag, ≥ min).</summary>
    public double GaiaMagMax { get; init; }
    /// <summary><c>match_radius_arcsec</c>: sky match radius (arcsec, ≥ 0).</summary>
    public double MatchRadiusArcsec { get; init; }
    /// <summary><c>match_max_flux_ratio</c> (ours): a catalogue row and a Gaia star within the radius are one
    /// object only when their fluxes agree within this factor (median over the bands both give); 0: any (the original).</summary>
    public double MatchMaxFluxRatio { get; init; }
    /// <summary><c>min_box_size_pix</c>: minimum side of the Gaia selection box (pixels).</summary>
    public int MinBoxSizePix { get; init; }
    /// <summary><c>clip_sigma</c>: MAD clipping threshold (&gt; 0).</summary>
    public double ClipSigma { get; init; }
    /// <summary><c>clip_max_iters</c>: maximum clipping passes (≥ 0).</summary>
    public int ClipMaxIters { get; init; }
    /// <summary><c>ref_mag_err</c> (ours): error of a GaiaXP reference magnitude [mag], added in
    /// quadrature to each star's photometric error in the zero point's weighted median.</summary>
    public double RefMagErr { get; init; }
}

/// <summary>YAML section <c>cluster</c> (C# port): how per-patch jobs leave the machine.</summary>
public sealed record ClusterConfig
{
    /// <summary><c>executor</c>: local pool or Slurm.</summary>
    public ClusterExecutor Executor { get; init; }
    /// <summary><c>partition</c>: Slurm partition (-p); null = the cluster default.</summary>
    public string? Partition { get; init; }
    /// <summary><c>account</c>: Slurm account (-A); null = the user default.</summary>
    public string? Account { get; init; }
    /// <summary><c>time_limit</c>: Slurm wall-clock limit per task, e.g. "00:30:00".</summary>
    public string TimeLimit { get; init; } = "";
    /// <summary><c>mem_per_task</c>: Slurm memory per task, e.g. "4G".</summary>
    public string MemPerTask { get; init; } = "";
    /// <summary><c>cpus_per_task</c>: CPUs per task (≥ 1).</summary>
    public int CpusPerTask { get; init; }
    /// <summary><c>patches_per_task</c>: patches fitted by one array task (≥ 1).</summary>
    public int PatchesPerTask { get; init; }
    /// <summary><c>max_simultaneous</c>: array throttle (%N); null = unlimited.</summary>
    public int? MaxSimultaneous { get; init; }
    /// <summary><c>extra_sbatch_args</c>: extra sbatch arguments, passed verbatim.</summary>
    public IReadOnlyList<string> ExtraSbatchArgs { get; init; } = [];
    /// <summary><c>poll_interval_sec</c>: seconds between job-state polls (&gt; 0).</summary>
    public double PollIntervalSec { get; init; }
    /// <summary><c>max_resubmits</c>: resubmissions of a failed task (≥ 0).</summary>
    public int MaxResubmits { get; init; }
}
