namespace Tract7dt.Science.Psf.Epsf;

/// <summary>Outcome of an ePSF build. Anything but <see cref="Ok"/> carries no array; the
/// caller falls back to another PSF.</summary>
public enum EpsfBuildStatus
{
    /// <summary>Built.</summary>
    Ok,
    /// <summary>Fewer usable stamps than <see cref="EpsfBuilderOptions.MinStars"/> (or none).</summary>
    TooFewStars,
    /// <summary>Every star's fit box left its stamp in one iteration (photutils: "The ePSF
    /// fitting failed for all stars.").</summary>
    AllFitsFailed,
    /// <summary>Every star was permanently excluded from the residual stack.</summary>
    AllStarsExcluded,
    /// <summary>The ePSF became degenerate (zero flux in the recentering box, or non-finite values).</summary>
    Degenerate,
}

/// <summary>
/// The ePSF on its oversampled grid, as photutils' <c>EPSFBuilder</c> returns it (not
/// normalised, origin at the array centre), or the reason there is none.
/// </summary>
/// <param name="Status">Outcome.</param>
/// <param name="Reason">Human-readable reason when not <see cref="EpsfBuildStatus.Ok"/>, else null.</param>
/// <param name="Data">ePSF values <c>[j*Size + i]</c> (null unless Ok). Node (i, j) sits at
/// offset <c>((i − c)/o, (j − c)/o)</c> stamp pixels from the star centre, c = (Size−1)/2.</param>
/// <param name="Size">Side of the ePSF array (odd), oversampled pixels.</param>
/// <param name="Oversampling">Oversampling factor o.</param>
/// <param name="Iterations">Build iterations run.</param>
/// <param name="Stars">Every input stamp with its fitted centre and flux (photutils'
/// returned star list; the pipeline's <c>nstars_used</c> is its count).</param>
/// <param name="StarsInput">Stamps handed to the builder (<c>nstars_extract</c>).</param>
/// <param name="StarsContributing">Stamps still in the residual stack at the end.</param>
public sealed record EpsfBuildResult(
    EpsfBuildStatus Status,
    string? Reason,
    double[]? Data,
    int Size,
    int Oversampling,
    int Iterations,
    IReadOnlyList<EpsfFittedStar> Stars,
    int StarsInput,
    int StarsContributing)
{
    /// <summary>True when an ePSF was built.</summary>
    public bool IsOk => Status == EpsfBuildStatus.Ok;

    /// <summary>A failed result with no array.</summary>
    public static EpsfBuildResult Failed(EpsfBuildStatus status, string reason, int oversampling, int iterations,
        IReadOnlyList<EpsfFittedStar> stars, int starsInput) =>
        new(status, reason, null, 0, oversampling, iterations, stars, starsInput, 0);
}
