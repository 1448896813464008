namespace Tract7dt.Science.Config;

/// <summary>The YAML spelling of an enum member in the config file.</summary>
[AttributeUsage(AttributeTargets.Field)]
public sealed class ConfigNameAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary><c>patch_run.gal_model</c>: model for sources whose TYPE is not STAR/EXP/DEV/SERSIC.</summary>
public enum GalModel
{
    [ConfigName("dev")] Dev,
    [ConfigName("exp")] Exp,
    [ConfigName("sersic")] Sersic,
    [ConfigName("star")] Star,
}

/// <summary><c>patch_run.psf_model</c>: how a usable ePSF stamp becomes the fit's PSF.</summary>
public enum PsfModel
{
    [ConfigName("pixelized")] Pixelized,
    [ConfigName("hybrid")] Hybrid,
    [ConfigName("gaussian_mixture_from_stamp")] GaussianMixtureFromStamp,
}

/// <summary><c>patch_run.psf_fallback_model</c>: PSF used when a band has no usable ePSF.</summary>
public enum PsfFallbackModel
{
    [ConfigName("moffat")] Moffat,
    [ConfigName("ncircular_gaussian")] NCircularGaussian,
    [ConfigName("gaussian_mixture")] GaussianMixture,
}

/// <summary>
/// <c>epsf.smoothing_kernel</c> (ours, not the original's): the kernel the ePSF builder smooths
/// its estimate with after every residual update.
/// </summary>
public enum EpsfSmoothingKernel
{
    /// <summary>Quartic when <c>oversamp</c> ≥ 2, none at <c>oversamp</c> 1, where the 5×5
    /// kernel spans 5 image pixels and widens a 3.5-px PSF by about 5%.</summary>
    [ConfigName("auto")] Auto,
    /// <summary>photutils' default 5×5 degree-4 kernel, always (the original's behaviour).</summary>
    [ConfigName("quartic")] Quartic,
    /// <summary>photutils' 5×5 degree-2 kernel.</summary>
    [ConfigName("quadratic")] Quadratic,
    /// <summary>No smoothing.</summary>
    [ConfigName("none")] None,
}

/// <summary><c>epsf.psf_field</c> (ours, not the original's): what shapes a cell's ePSF.</summary>
public enum EpsfPsfField
{
    /// <summary>Every star of the band informs every cell: a band model from all of them, each
    /// cell's own stars pulling its core toward themselves by their number, and the
    /// normalisation set by the core within <c>norm_core_fwhm</c> plus the band's fitted wings.</summary>
    [ConfigName("band")] Band,
    /// <summary>Each cell from its own stars alone, normalised to unit sum over the stamp (the original's).</summary>
    [ConfigName("cell")] Cell,
}

/// <summary>
/// <c>epsf.stack</c> (ours, not the original's): how the ePSF builder combines the stars'
/// normalised residuals at each node.
/// </summary>
public enum EpsfStackStatistic
{
    /// <summary>Inverse-variance weighted mean of the 5σ-clipped values: the brightest stars
    /// set the wings, whose summed noise becomes the ePSF's normalisation error.</summary>
    [ConfigName("weighted_mean")] WeightedMean,
    /// <summary>photutils' clipped median (the original's behaviour).</summary>
    [ConfigName("median")] Median,
}

/// <summary>
/// <c>patch_run.psf_subpixel_shift</c> (ours, not the original's): how a pixelized PSF is moved
/// to a source's sub-pixel position.
/// </summary>
public enum PsfSubpixelShiftMode
{
    /// <summary>A phase ramp on the stamp's DFT (sinc interpolation).</summary>
    [ConfigName("fourier")] Fourier,
    /// <summary>The Tractor's Lanczos-3 filter (the original's behaviour).</summary>
    [ConfigName("lanczos3")] Lanczos3,
}

/// <summary><c>epsf.psfstar_mode</c>: where PSF stars come from.</summary>
public enum PsfStarMode
{
    /// <summary>SEP detections only, brightest first.</summary>
    [ConfigName("sep")] Sep,
    /// <summary>Gaia seeds first, then SEP candidates up to <c>max_stars</c>.</summary>
    [ConfigName("sep+gaia")] SepPlusGaia,
    /// <summary>Gaia seeds only.</summary>
    [ConfigName("gaia")] Gaia,
}

/// <summary><c>cluster.executor</c>: where per-patch fits run.</summary>
public enum ClusterExecutor
{
    /// <summary>A local worker pool.</summary>
    [ConfigName("local")] Local,
    /// <summary>Slurm job arrays.</summary>
    [ConfigName("slurm")] Slurm,
}
