using Tract7dt.Science.Config;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Psf.Epsf;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>
/// The <c>epsf.*</c> settings one ePSF cell reads (docs/epsf.md §1), resolved once per run:
/// <c>need</c>, the clamped background mesh sizes, the builder options. Everything here
/// goes into the cell's content key and into meta.json's <c>cfg</c> echo.
/// </summary>
public sealed record EpsfCellSettings
{
    /// <summary>The section as loaded (the source of every value below).</summary>
    public required EpsfConfig Config { get; init; }

    /// <summary>Star stamp side, pixels (odd ≥ 3; checked by the stamp cutter).</summary>
    public int CutoutSize => Config.CutoutSize;

    /// <summary>Distance a star must keep from the cell edge: <c>cutout_size div 2 + edge_pad</c>, pixels.</summary>
    public int Need => Config.CutoutSize / 2 + Config.EdgePad;

    /// <summary>Lower bound of the allowed SEP a/b (inclusive).</summary>
    public double QMin { get; init; }

    /// <summary>Upper bound of the allowed SEP a/b (inclusive).</summary>
    public double QMax { get; init; }

    /// <summary>The effective star mode's config spelling: <c>sep</c>, <c>gaia</c> or <c>sep+gaia</c>.</summary>
    public string ModeName => Config.PsfstarMode switch
    {
        PsfStarMode.Sep => "sep",
        PsfStarMode.Gaia => "gaia",
        _ => "sep+gaia",
    };

    /// <summary>SEP mesh side used for the cell background: <c>max(8, background_boxsize)</c>.</summary>
    public int BackgroundBox => Math.Max(8, Config.BackgroundBoxsize);

    /// <summary>SEP mesh median-filter size: <c>max(1, background_filtersize)</c>.</summary>
    public int BackgroundFilter => Math.Max(1, Config.BackgroundFiltersize);

    /// <summary>Builder settings of docs/epsf.md §7 (5σ clipping when <c>do_clip</c>, else none; 30 recentering iterations).</summary>
    public EpsfBuilderOptions Builder => new()
    {
        Oversampling = Config.Oversamp,
        MaxIterations = Config.Maxiters,
        RecenterBoxSize = Config.RecenterBoxsize,
        RecenterMaxIterations = 30,
        ClipSigma = Config.DoClip ? 5.0 : double.PositiveInfinity,
        Smoothing = Smoothing,
        Stack = Config.Stack == EpsfStackStatistic.Median ? EpsfStack.Median : EpsfStack.WeightedMean,
    };

    /// <summary>
    /// The builder's smoothing kernel. <c>auto</c> keeps photutils' quartic kernel where it was
    /// designed to work, on an oversampled grid, and drops it at oversampling 1: there the 5×5
    /// kernel spans 5 image pixels and the ePSF comes out 4–6% wider than the stars (measured on
    /// simulated 3.2–3.6 px PSFs; BuildEpsfStageTests), which biases every fitted star flux.
    /// </summary>
    public EpsfSmoothing Smoothing => Config.SmoothingKernel switch
    {
        EpsfSmoothingKernel.Quartic => EpsfSmoothing.Quartic,
        EpsfSmoothingKernel.Quadratic => EpsfSmoothing.Quadratic,
        EpsfSmoothingKernel.None => EpsfSmoothing.None,
        _ => Config.Oversamp >= 2 ? EpsfSmoothing.Quartic : EpsfSmoothing.None,
    };

    /// <summary>Annulus settings of the per-star local background.</summary>
    public LocalBackgroundOptions LocalBackground => new(
        Config.StarLocalBkgAnnulusRinPix, Config.StarLocalBkgAnnulusRoutPix, Config.StarLocalBkgSigma, Config.StarLocalBkgMinpix);

    /// <summary>Resolves the section; rejects a <c>q_range</c> that is not two numbers.</summary>
    public static EpsfCellSettings From(EpsfConfig config)
    {
        if (config.QRange.Count != 2 || double.IsNaN(config.QRange[0]) || double.IsNaN(config.QRange[1]))
            throw new Tract7dtException(ErrorCodes.EpsfQRange,
                $"epsf.q_range = [{string.Join(", ", config.QRange)}]: expected a list of two numbers [min, max], e.g. [0.7, 1.3].");
        return new EpsfCellSettings { Config = config, QMin = config.QRange[0], QMax = config.QRange[1] };
    }
}
