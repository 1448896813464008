namespace Tract7dt.Science.Fitting.Patch;

/// <summary>
/// One band of a patch as the fit receives it (docs/fitting.md §4). All bands share the
/// patch size <c>Width × Height</c>; pixel (x, y) is element <c>[y·Width + x]</c>.
/// </summary>
/// <param name="Name">Band name (the <c>FILTER</c> value), e.g. <c>m425</c>.</param>
/// <param name="Image">Scaled image [scaled counts], unchanged (NaN allowed: such pixels get weight 0).</param>
/// <param name="SkySigma">Sky-only σ map [scaled counts]; non-finite or ≤ 0 marks a bad pixel.</param>
/// <param name="Bad">Payload bad-pixel mask (true = bad), or null for none.</param>
/// <param name="Psf">The band's PSF, chosen by the caller; passed through to the model factory untouched.</param>
/// <param name="SourceVariancePerCount">Photon-noise variance per scaled count of source light (scale/EGAIN);
/// 0: the flux errors carry the sky noise alone, as the reference's do. The PSF model's own
/// error is not the fit's: Merge adds it, measured over the whole catalogue (docs/algorithms.md, "Flux errors").</param>
public sealed record PatchBand(string Name, float[] Image, float[] SkySigma, bool[]? Bad, object? Psf, double SourceVariancePerCount = 0);

/// <summary>
/// One Tractor image handed to the model factory: data, E = sqrt(invvar) with
/// invvar = 1/max(σ², 1e-12) on good pixels and 0 on bad ones, and the band's PSF.
/// </summary>
/// <param name="Sky">Starting sky level [counts]; with <paramref name="SkyFixed"/> it stays there.</param>
public sealed record PatchImage(string Band, int Width, int Height, float[] Data, float[] InverseError, object? Psf,
    double SourceVariancePerCount = 0, double Sky = 0, bool SkyFixed = false);

/// <summary>
/// Initial state of one source (docs/fitting.md §5): position in patch pixels, one flux per
/// image (in the order of the images given to the factory), and for galaxies the soft
/// ellipse (logre [ln px], ee1, ee2) and Sérsic index. <paramref name="FixedPosition"/>: the
/// factory keeps X and Y fixed (nuisance sources at their catalogue position; only the
/// fluxes of such a source are free). <paramref name="Frozen"/>: every parameter of the source
/// is held (it is drawn, not fitted). <paramref name="SizeMeasured"/>: LogRe comes from the catalogue's
/// <c>Re</c>, not from the fallback size (the size prior applies; docs/fitting.md §18.7).
/// </summary>
public sealed record SourceInit(SourceType Kind, double X, double Y, double[] Flux,
    double LogRe, double Ee1, double Ee2, double SersicN, bool FixedPosition = false, bool Frozen = false,
    bool SizeMeasured = false);

/// <summary>
/// Builds the forward model of one fit: sky per image (free, starting at 0), sources in
/// catalogue order, parameters named as the Tractor does (<c>images.image{k}.sky.sky</c>,
/// <c>catalog.source{i}.pos.x</c>, <c>.brightness.{band}</c>, <c>.shape.logre|ee1|ee2</c>,
/// <c>.sersicindex.SersicIndex</c>), shape bounds [ln 0.1, ln 1000] × [−100, 100]², Sérsic
/// n in [0.29, 6.3]. The patch fit reads every result back through these names.
/// </summary>
public delegate IFitProblem PatchModelFactory(IReadOnlyList<PatchImage> images, IReadOnlyList<SourceInit> sources);

/// <summary>
/// The patch catalogue as numbers (the stage parses text; unparseable → NaN).
/// Null arrays mean the column is absent, which the initial-value rules distinguish
/// from a blank value (docs/fitting.md §5).
/// </summary>
/// <param name="X">Patch-local x [pix].</param>
/// <param name="Y">Patch-local y [pix].</param>
/// <param name="Type">Column <c>TYPE</c> as text (null entries = missing value), or null if absent.</param>
/// <param name="Flux">Per band name: the catalogue's <c>FLUX_&lt;band&gt;</c> column, if present.</param>
/// <param name="Ell">Column <c>ELL</c> (1 − b/a), or null.</param>
/// <param name="Theta">Column <c>THETA</c> [deg, counter-clockwise from +x, SExtractor THETA_IMAGE], or null.</param>
/// <param name="Re">Column <c>Re</c> [pix], or null.</param>
/// <param name="Nuisance">Per row, true for a nuisance source (a saturation-excluded star
/// whose wings lie in the patch): modelled as a point source at its catalogue position with
/// free fluxes, whatever its TYPE, so that its light is not absorbed by neighbours or the
/// sky; its result row is not reported. Null: no nuisance rows.</param>
public sealed record PatchCatalog(double[] X, double[] Y, string?[]? Type,
    IReadOnlyDictionary<string, double[]>? Flux, double[]? Ell, double[]? Theta, double[]? Re,
    bool[]? Nuisance = null)
{
    public int Count => X.Length;
}

/// <summary>Patch-run settings read by the fit (docs/fitting.md §1; pipeline-config defaults).</summary>
public sealed record PatchFitSettings
{
    /// <summary><c>patch_run.enable_multi_band_simultaneous_fitting</c>.</summary>
    public bool MultiBand { get; init; } = true;
    /// <summary><c>patch_run.gal_model</c>: <c>exp</c>, <c>dev</c>, <c>sersic</c> or <c>star</c>.</summary>
    public string GalModel { get; init; } = "exp";
    /// <summary><c>patch_run.n_opt_iters</c>: optimizer calls at most (per band in single-band mode).</summary>
    public int NOptIters { get; init; } = 20;
    /// <summary><c>patch_run.dlnp_stop</c>: converged when one call gains less than this (strict).</summary>
    public double DlnpStop { get; init; } = 1e-6;
    /// <summary><c>patch_run.flag_maxiter_margin</c>.</summary>
    public int FlagMaxIterMargin { get; init; } = 0;
    /// <summary><c>patch_run.r_ap</c> [pix]: aperture radius of the flux initialisation.</summary>
    public double RAp { get; init; } = 5.0;
    /// <summary><c>patch_run.eps_flux</c> [scaled counts]: floor of initial fluxes.</summary>
    public double EpsFlux { get; init; } = 1e-4;
    /// <summary><c>patch_run.sersic_n_init</c>.</summary>
    public double SersicNInit { get; init; } = 3.0;
    /// <summary><c>patch_run.re_fallback_pix</c> [pix].</summary>
    public double ReFallbackPix { get; init; } = 3.0;
    /// <summary><c>patch_run.photon_noise_errors</c> (ours): flux errors include the sources' photon noise.</summary>
    public bool PhotonNoiseErrors { get; init; } = true;
    /// <summary><c>patch_run.band_recentre_snr</c> (ours): after a joint fit, a point source with
    /// at least this S/N in a band is refitted in that band alone with its own position
    /// (see <see cref="BandRecentring"/>); 0 turns it off.</summary>
    public double BandRecentreSnr { get; init; } = 50;
    /// <summary><c>patch_run.sersic_n_scan</c> (ours): each Sérsic index starts at the rung of a coarse
    /// ladder that fits its pixels best (<see cref="SersicIndexStart"/>); false: at <see cref="SersicNInit"/>.</summary>
    public bool SersicIndexScan { get; init; } = true;
    /// <summary><c>patch_run.stop_when_settled</c> (ours): the loop also stops once a step has moved no
    /// source parameter by <see cref="PatchFitter.SettledFraction"/> of its σ or more (the patch
    /// counts as converged); false: only on <see cref="DlnpStop"/> or the cap.</summary>
    public bool StopWhenSettled { get; init; } = true;
    /// <summary>Ours (on with <c>patch_run.max_size_factor</c> &gt; 0): a galaxy whose size ends the fit on its
    /// upper bound is refitted with its shape held at its start (<see cref="PatchFitter"/>, docs/fitting.md §6).</summary>
    public bool HoldShapeAtSizeBound { get; init; }
    /// <summary><c>patch_run.mask_unmodelled_light</c> (ours): before the fit, light the starting model does not
    /// hold, away from every source's footprint, gets weight 0 (<see cref="UnmodelledLight"/>).</summary>
    public bool MaskUnmodelledLight { get; init; }
    /// <summary>ROI origin in the white frame (<c>x0_roi</c>, <c>y0_roi</c>) [pix].</summary>
    public double X0Roi { get; init; }
    /// <summary>See <see cref="X0Roi"/>.</summary>
    public double Y0Roi { get; init; }
}

/// <summary>The optimizer loop's outcome for one fit (docs/fitting.md §7).</summary>
/// <param name="LastChange">How much each parameter moved in the last step that improved lnP, or, for a
/// source whose step was cut short (a max step or a bound shortened its part below α·X), the whole
/// Gauss–Newton move it was proposed (null when no step improved); gives each source its own
/// convergence (<see cref="PatchFitter.SettledFraction"/>).</param>
public readonly record struct LoopOutcome(int NIters, bool Converged, bool HitMaxIters, double LastDlnp, double[]? LastChange = null)
{
    /// <summary>The loop stopped because every source had settled (<see cref="PatchFitSettings.StopWhenSettled"/>), not on dlnp.</summary>
    public bool AllSettled { get; init; }

    /// <summary>Galaxies refitted with their shape held at its start after their size reached its bound
    /// (<see cref="PatchFitSettings.HoldShapeAtSizeBound"/>), and the loops that took (first included).</summary>
    public (int Galaxies, int Loops) Held { get; init; }
}
