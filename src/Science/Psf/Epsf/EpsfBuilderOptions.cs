using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Psf.Epsf;

/// <summary>Smoothing applied to the ePSF after each residual update (photutils'
/// <c>smoothing_kernel</c>).</summary>
public enum EpsfSmoothing
{
    /// <summary>5×5 kernel of a degree-4 polynomial fit to a delta (photutils default).</summary>
    Quartic,
    /// <summary>5×5 kernel of a degree-2 polynomial fit to a delta.</summary>
    Quadratic,
    /// <summary>No smoothing.</summary>
    None,
}

/// <summary>How the stars' normalised residuals are combined at each ePSF node.</summary>
public enum EpsfStack
{
    /// <summary>photutils: the sigma-clipped median, every star counting alike.</summary>
    Median,
    /// <summary>The sigma-clipped mean weighted by each value's inverse variance,
    /// (F·w)² for a star of flux F and pixel weight w = 1/σ: the brightest stars set the
    /// ePSF's wings, whose summed noise is what the unit-sum normalisation, and so every
    /// fitted flux, inherits.</summary>
    WeightedMean,
}

/// <summary>
/// Settings of <see cref="EpsfBuilder.Build"/>. Defaults are the pipeline's
/// (docs/epsf.md §1, §7), not photutils' library defaults.
/// </summary>
public sealed record EpsfBuilderOptions
{
    /// <summary>Oversampling factor o of the ePSF grid relative to stamp pixels (<c>epsf.oversamp</c>, &gt; 0).</summary>
    public int Oversampling { get; init; } = 1;

    /// <summary>Maximum build iterations (<c>epsf.maxiters</c>, &gt; 0).</summary>
    public int MaxIterations { get; init; } = 30;

    /// <summary>Side of the recentering box in ePSF (oversampled) pixels (<c>epsf.recenter_boxsize</c>, odd ≥ 3).</summary>
    public int RecenterBoxSize { get; init; } = 9;

    /// <summary>Maximum recentering iterations per build step (fixed 30 in the pipeline).</summary>
    public int RecenterMaxIterations { get; init; } = 30;

    /// <summary>Recentering stops when the centroid moves less than this, stamp pixels.</summary>
    public double RecenterAccuracy { get; init; } = 1e-4;

    /// <summary>Clip threshold (σ) of the per-pixel residual stack; +∞ = no clipping
    /// (<c>epsf.do_clip</c>: 5 when true, +∞ when false).</summary>
    public double ClipSigma { get; init; } = 5.0;

    /// <summary>How the residual stack is combined per node (photutils: median).</summary>
    public EpsfStack Stack { get; init; } = EpsfStack.Median;

    /// <summary>Maximum clip iterations of the residual stack.</summary>
    public int ClipIterations { get; init; } = 5;

    /// <summary>Smoothing kernel (photutils default: quartic).</summary>
    public EpsfSmoothing Smoothing { get; init; } = EpsfSmoothing.Quartic;

    /// <summary>The build stops when no star centre moved more than this between two
    /// iterations, stamp pixels.</summary>
    public double CenterAccuracy { get; init; } = 1e-3;

    /// <summary>Side of the star-fitting box, stamp pixels (photutils' <c>fit_boxsize</c>).</summary>
    public int FitBoxSize { get; init; } = 5;

    /// <summary>Maximum model evaluations of one star fit (SciPy <c>max_nfev</c>).</summary>
    public int FitMaxEvaluations { get; init; } = 100;

    /// <summary>Fewer usable stamps than this gives status <see cref="EpsfBuildStatus.TooFewStars"/>
    /// instead of a build (photutils needs 1).</summary>
    public int MinStars { get; init; } = 1;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="Tract7dtException"><see cref="ErrorCodes.EpsfInvalidOption"/>, naming the config key.</exception>
    public void Validate()
    {
        static Tract7dtException Bad(string key, object value, string rule) =>
            new(ErrorCodes.EpsfInvalidOption, $"{key} = {Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)}: {rule}");
        if (Oversampling <= 0) throw Bad("epsf.oversamp", Oversampling, "the ePSF oversampling must be a positive integer (1 = stamp pixels).");
        if (MaxIterations <= 0) throw Bad("epsf.maxiters", MaxIterations, "the ePSF build needs at least one iteration; use e.g. 30.");
        if (RecenterBoxSize < 3 || RecenterBoxSize % 2 == 0) throw Bad("epsf.recenter_boxsize", RecenterBoxSize, "the recentering box must be odd and at least 3; use e.g. 9.");
        if (RecenterMaxIterations <= 0) throw Bad("recentering max iterations", RecenterMaxIterations, "must be positive.");
        if (!(ClipSigma > 0)) throw Bad("residual clip sigma", ClipSigma, "must be positive (+Infinity turns clipping off).");
        if (ClipIterations <= 0) throw Bad("residual clip iterations", ClipIterations, "must be positive.");
        if (!(CenterAccuracy > 0)) throw Bad("centre accuracy", CenterAccuracy, "must be a positive number of pixels.");
        if (FitBoxSize < 1) throw Bad("fit box size", FitBoxSize, "must be at least 1 pixel.");
        if (FitMaxEvaluations < 1) throw Bad("fit max evaluations", FitMaxEvaluations, "must be at least 1.");
        if (MinStars < 1) throw Bad("minimum stars", MinStars, "must be at least 1.");
    }
}
