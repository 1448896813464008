using System.Globalization;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fitting.Optimization;

namespace Tract7dt.Science.Fitting.Patch;

/// <summary>Result of one patch fit: the fit columns (docs/fitting.md §9 / §10) and the loop outcomes.</summary>
/// <param name="Table">Fit columns only, one row per catalogue source (the stage prepends the catalogue and PSF-audit columns).</param>
/// <param name="Outcomes">Multi-band: one entry keyed by the empty string; single-band: one per band.</param>
public sealed record PatchFitResult(FitTable Table, IReadOnlyDictionary<string, LoopOutcome> Outcomes)
{
    /// <summary>Per band, the pixels <see cref="UnmodelledLight"/> took out of the fit (empty when it is off).</summary>
    public IReadOnlyDictionary<string, int> UnmodelledLightPixels { get; init; } = new Dictionary<string, int>();
    /// <summary>The fitted problems, keyed as <see cref="Outcomes"/> (the model images are rendered from them):
    /// the factory is also called for the start-model mask, the band recentring and the PSF check, so
    /// the order of its calls says nothing of which problem was fitted.</summary>
    public IReadOnlyDictionary<string, IFitProblem> Problems { get; init; } = new Dictionary<string, IFitProblem>();
}

/// <summary>
/// Fits one patch (docs/fitting.md §4–§10): images with inverse errors, the initial
/// catalogue, the optimizer loop with its convergence flags, flux errors, and the result
/// columns — jointly over all bands, or band by band. A pure function of its inputs.
/// </summary>
/// <remarks>
/// Columns beyond the reference: <c>FLUXERR_&lt;b&gt;_cov</c> (covariance-aware flux error,
/// see <see cref="CouplingCovariance"/>) after the plain errors, and <c>fit_no_pixels</c>
/// (true when a source has no weighted pixel in any fitted band: its values are its
/// initial ones and its errors NaN; fix #4). In single-band mode both carry the band suffix
/// (<c>FLUXERR_&lt;b&gt;_cov</c>, <c>fit_no_pixels_&lt;b&gt;</c>).
/// </remarks>
public static partial class PatchFitter
{
    /// <summary>Fits the patch. <paramref name="bands"/> in image order; all of size <paramref name="width"/> × <paramref name="height"/>.</summary>
    /// <param name="trace">Called after every optimizer step with the band ("" in multi-band mode),
    /// the 1-based iteration and the step (for the patch log's per-iteration lines).</param>
    public static PatchFitResult Fit(IReadOnlyList<PatchBand> bands, int width, int height, PatchCatalog catalog,
        PatchFitSettings settings, PatchModelFactory factory, Action<string, int, OptimizerStep>? trace = null)
    {
        Validate(bands, width, height, catalog, settings);
        var images = bands.Select(b => ToImage(b, width, height)).ToArray();
        int rows = catalog.Count;
        var table = new FitTable(rows);
        var outcomes = new Dictionary<string, LoopOutcome>(StringComparer.Ordinal);
        var masked = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var fitted = new Dictionary<string, IFitProblem>(StringComparer.Ordinal);
        var optimizer = new ConstrainedOptimizer();

        if (settings.MultiBand)
        {
            var sources = SourceInitializer.Build(catalog, images, settings);
            var fitImages = images;
            var problem = factory(fitImages, sources);
            if (settings.MaskUnmodelledLight && problem is PatchModel start)
            {
                var kept = UnmodelledLight.Mask(fitImages, start, sources, out var count);
                for (int k = 0; k < images.Length; k++) masked[images[k].Band] = count[k];
                if (count.Any(c => c > 0)) { fitImages = kept; problem = factory(fitImages, sources); }
            }
            if (settings.SersicIndexScan && problem is PatchModel pm) SersicIndexStart.Apply(pm);
            var outcome = RunLoopWithHolds(optimizer, ref problem, sources, settings, trace is null ? null : (i, st) => trace("", i, st), out var held);
            outcomes[""] = outcome;
            fitted[""] = problem;
            var read = ReadBack(optimizer, problem, sources, fitImages, outcome);
            var shifts = RecentreInBands(optimizer, factory, fitImages, sources, read, settings);
            table.Column("opt_niters", 0).AsSpan().Fill(outcome.NIters);
            WriteConvergence(table, "", outcome, read.Settled);
            table.Column("opt_last_dlnp", double.NaN).AsSpan().Fill(outcome.LastDlnp);
            table.Column("opt_converged_patch", false).AsSpan().Fill(outcome.Converged);
            WriteSourceColumns(table, read, "", settings, withRaDec: true, writeType: true, held);
            for (int k = 0; k < images.Length; k++)
            {
                string b = images[k].Band;
                table.Column($"FLUX_{b}_fit", double.NaN);
                table.Column($"FLUXERR_{b}_fit", double.NaN);
                read.Flux[k].CopyTo(table.Doubles($"FLUX_{b}_fit"), 0);
                read.FluxErr[k].CopyTo(table.Doubles($"FLUXERR_{b}_fit"), 0);
            }
            for (int k = 0; k < images.Length; k++)
                read.FluxErrCov[k].CopyTo(table.Column($"FLUXERR_{images[k].Band}_cov", double.NaN), 0);
            read.NoPixels.CopyTo(table.Column("fit_no_pixels", false), 0);
            for (int k = 0; k < images.Length; k++)
                read.NoPixelsBand[k].CopyTo(table.Column($"fit_no_pixels_{images[k].Band}", false), 0);
            if (settings.HoldShapeAtSizeBound) held.CopyTo(table.Column("fit_shape_held", false), 0);
            if (shifts is not null)
                for (int k = 0; k < images.Length; k++)
                    shifts[k].CopyTo(table.Column($"band_shift_{images[k].Band}_pix", double.NaN), 0);
            for (int k = 0; k < images.Length; k++)
                WriteApertureCheck(table, images[k].Band, factory, images[k] with { Sky = read.Sky[k] }, read, k, sources);
        }
        else
        {
            var order = Enumerable.Range(0, images.Length).OrderBy(k => images[k].Band, StringComparer.Ordinal).ToArray();
            var stype = table.Column("stype_fit", "");
            foreach (int k in order)
            {
                string b = images[k].Band;
                string sfx = "_" + b;
                var one = new[] { images[k] };
                var sources = SourceInitializer.Build(catalog, one, settings);
                var problem = factory(one, sources);
                if (settings.MaskUnmodelledLight && problem is PatchModel start)
                {
                    var kept = UnmodelledLight.Mask(one, start, sources, out var count);
                    masked[b] = count[0];
                    if (count[0] > 0) { one = kept; problem = factory(one, sources); }
                }
                if (settings.SersicIndexScan && problem is PatchModel pm) SersicIndexStart.Apply(pm);
                optimizer.Reset();
                var outcome = RunLoopWithHolds(optimizer, ref problem, sources, settings, trace is null ? null : (i, st) => trace(b, i, st), out var held);
                outcomes[b] = outcome;
                fitted[b] = problem;
                var read = ReadBack(optimizer, problem, sources, one, outcome);
                WriteSourceColumns(table, read, sfx, settings, withRaDec: true, writeType: false, held);
                read.Flux[0].CopyTo(table.Column($"FLUX_{b}_fit", double.NaN), 0);
                read.FluxErr[0].CopyTo(table.Column($"FLUXERR_{b}_fit", double.NaN), 0);
                table.Column($"opt_niters_{b}", 0).AsSpan().Fill(outcome.NIters);
                WriteConvergence(table, sfx, outcome, read.Settled);
                table.Column($"opt_last_dlnp_{b}", double.NaN).AsSpan().Fill(outcome.LastDlnp);
                table.Column($"opt_converged_patch_{b}", false).AsSpan().Fill(outcome.Converged);
                read.FluxErrCov[0].CopyTo(table.Column($"FLUXERR_{b}_cov", double.NaN), 0);
                read.NoPixels.CopyTo(table.Column($"fit_no_pixels_{b}", false), 0);
                if (settings.HoldShapeAtSizeBound) held.CopyTo(table.Column($"fit_shape_held_{b}", false), 0);
                WriteApertureCheck(table, b, factory, images[k] with { Sky = read.Sky[0] }, read, 0, sources);
                for (int i = 0; i < rows; i++) stype[i] = SourceInitializer.Name(sources[i].Kind);
            }
        }
        return new PatchFitResult(table, outcomes) { UnmodelledLightPixels = masked, Problems = fitted };
    }

    /// <summary>The PSF-over-aperture check of one band's fluxes (<see cref="PsfApertureCheck"/>):
    /// columns <c>psf_ap_ratio_&lt;b&gt;</c> and <c>psf_ap_lnsig_&lt;b&gt;</c>.</summary>
    private static void WriteApertureCheck(FitTable table, string band, PatchModelFactory factory, PatchImage image,
        Readback r, int k, SourceInit[] sources)
    {
        int ns = sources.Length;
        var pos = new (double, double)[ns];
        var shape = new (double, double, double, double)[ns];
        var reported = new bool[ns];
        for (int i = 0; i < ns; i++)
        {
            double bx = r.BandX.Length > k ? r.BandX[k][i] : double.NaN, by = r.BandY.Length > k ? r.BandY[k][i] : double.NaN;
            pos[i] = double.IsFinite(bx) && double.IsFinite(by) ? (bx, by) : (r.X[i], r.Y[i]);
            shape[i] = (r.LogRe[i], r.Ee1[i], r.Ee2[i], r.N[i]);
            reported[i] = !sources[i].FixedPosition && !r.NoPixelsBand[k][i];
        }
        var (ratio, lnSig) = PsfApertureCheck.Measure(factory, image, r.Kind, pos, r.Flux[k], r.FluxErr[k], shape, reported);
        ratio.CopyTo(table.Column($"psf_ap_ratio_{band}", double.NaN), 0);
        lnSig.CopyTo(table.Column($"psf_ap_lnsig_{band}", double.NaN), 0);
    }

    /// <summary>
    /// A source whose every parameter moved less than this fraction of its 1σ uncertainty in
    /// the last improving step (or, when that step was cut short for it, would have moved by its
    /// whole proposal) has converged, whatever the rest of the patch does (ours; the
    /// reference's flag is the patch's: one faint galaxy whose shape keeps wandering at
    /// dlnp ≈ 0.3 per step marks every star beside it non-converged, and the zero point
    /// loses them).
    /// </summary>
    public const double SettledFraction = 0.1;

    /// <summary>
    /// The optimizer loop of docs/fitting.md §7: at most <c>n_opt_iters</c> calls; converged at the first
    /// dlnp &lt; <c>dlnp_stop</c>; hit_max_iters = not converged and niters ≥ max(1, n − margin).
    /// </summary>
    public static LoopOutcome RunLoop(ConstrainedOptimizer optimizer, IFitProblem problem, PatchFitSettings s,
        Action<int, OptimizerStep>? trace = null)
    {
        bool converged = false;
        int niters = 0;
        double last = double.NaN;
        int np = problem.ParameterCount;
        var before = new double[np];
        var after = new double[np];
        double[]? lastChange = null;
        bool settled = false;
        var sourceOf = StepCandidates.SourceGroups(problem); // per parameter: its source's group, −1 for the sky
        for (int it = 0; it < s.NOptIters; it++)
        {
            problem.GetParameters(before);
            var step = optimizer.Step(problem);
            niters = it + 1;
            last = step.DLnP;
            if (step.Status == StepStatus.Improved)
            {
                // The move each parameter is judged by (SettledFraction): the step actually taken
                // (per-source caps and bounds included), not α·X; but for a source whose step fell
                // short of α·X (its part cut to one parameter's max step, or the whole vector's α cut,
                // or a bound), the whole Gauss–Newton move X it was proposed: a cut step moves every
                // parameter of the source by a fraction of what the fit wants, which says nothing of
                // how far it still has to go, while a source whose whole proposal is small has
                // settled however its step was cut.
                problem.GetParameters(after);
                lastChange ??= new double[np];
                var cut = new bool[np];
                bool hasDirection = step.Direction.Length == np;
                for (int j = 0; j < np; j++)
                {
                    lastChange[j] = after[j] - before[j];
                    cut[j] = hasDirection && step.Direction[j] != 0
                        && (step.Shortened || Math.Abs(lastChange[j]) < CutFraction * Math.Abs(step.Alpha * step.Direction[j]));
                }
                SpreadCuts(cut, sourceOf);
                for (int j = 0; j < np; j++)
                    if (cut[j]) lastChange[j] = step.Direction[j];
            }
            trace?.Invoke(niters, step);
            if (step.DLnP < s.DlnpStop)
            {
                converged = true;
                break;
            }
            if (s.StopWhenSettled && step.Status == StepStatus.Improved && AllSettled(optimizer, problem, lastChange!, sourceOf))
            {
                converged = settled = true;
                break;
            }
        }
        int margin = Math.Max(0, s.FlagMaxIterMargin);
        bool hit = !converged && niters >= Math.Max(1, s.NOptIters - margin);
        return new LoopOutcome(niters, converged, hit, double.IsFinite(last) ? last : double.NaN, lastChange) { AllSettled = settled };
    }

    /// <summary>
    /// <see cref="RunLoop"/>, then (<see cref="PatchFitSettings.HoldShapeAtSizeBound"/>) another loop whenever a
    /// galaxy's size ended on its upper bound: such a galaxy is put back where it started (position, fluxes,
    /// shape) and refitted with its shape held there, the rest of the patch free from where the last loop
    /// left it. A faint galaxy that swells to its bound has become a disc nearly flat over the patch that
    /// trades light with the fitted sky (fluxes thousands of σ off); held at the catalogue's shape, its
    /// flux is a measurement under a stated model. Holding one can send a neighbour to its bound in the
    /// next loop, so this repeats, at most <see cref="MaxHoldRounds"/> times. <paramref name="problem"/>
    /// becomes the view the last loop ran on; the held galaxies' start index is written into
    /// <paramref name="sources"/>, which the read-back takes for parameters the view holds (the pictures and
    /// the PSF check draw the galaxy with it; its shape columns stay empty). The outcome
    /// counts the steps of every loop; its flags are the last loop's. <paramref name="held"/>: per source,
    /// its shape was held (column <c>fit_shape_held</c>).
    /// </summary>
    private static LoopOutcome RunLoopWithHolds(ConstrainedOptimizer optimizer, ref IFitProblem problem, SourceInit[] sources,
        PatchFitSettings s, Action<int, OptimizerStep>? trace, out bool[] held)
    {
        held = new bool[sources.Length];
        var start = new Dictionary<string, double>(StringComparer.Ordinal);
        var p0 = new double[problem.ParameterCount];
        problem.GetParameters(p0);
        for (int j = 0; j < p0.Length; j++) start[problem.ParameterName(j)] = p0[j];
        var outcome = RunLoop(optimizer, problem, s, trace);
        if (!s.HoldShapeAtSizeBound || problem is not PatchModel current) return outcome;
        int steps = outcome.NIters, loops = 1;
        for (int round = 0; round < MaxHoldRounds; round++)
        {
            int np = current.ParameterCount;
            var p = new double[np];
            var lower = new double[np];
            var upper = new double[np];
            current.GetParameters(p);
            current.GetBounds(lower, upper);   // only the upper bounds are read
            var now = new bool[sources.Length];
            bool any = false;
            for (int j = 0; j < np; j++)
            {
                var par = current.Parameter(j);
                // a hair inside: a step shortened to land on a bound lands on it up to rounding
                if (par.Kind == ParameterKind.LogRe && p[j] >= upper[j] - 1e-9 * Math.Max(1, Math.Abs(upper[j])))
                    now[par.Source] = any = true;
            }
            if (!any) break;
            for (int j = 0; j < np; j++)
            {
                var par = current.Parameter(j);
                if (par.Source < 0 || !now[par.Source]) continue;
                p[j] = start[current.ParameterName(j)];
                if (par.Kind == ParameterKind.SersicIndex) sources[par.Source] = sources[par.Source] with { SersicN = p[j] };
            }
            current.SetParameters(p);
            for (int i = 0; i < now.Length; i++) held[i] |= now[i];
            var hold = held;
            current = current.WithFree(par => !(par.Source >= 0 && hold[par.Source]
                && par.Kind is ParameterKind.LogRe or ParameterKind.Ee1 or ParameterKind.Ee2 or ParameterKind.SersicIndex));
            optimizer.Reset();
            int offset = steps;
            outcome = RunLoop(optimizer, current, s, trace is null ? null : (i, st) => trace(offset + i, st));
            steps += outcome.NIters;
            loops++;
        }
        problem = current;
        return outcome with { NIters = steps, Held = (held.Count(h => h), loops) };
    }

    /// <summary>Loops after the first that hold galaxies at their start shape, at most (<see cref="RunLoopWithHolds"/>).</summary>
    private const int MaxHoldRounds = 3;

    /// <summary>A parameter moved by less than this fraction of α·X was cut short (rounding aside).</summary>
    private const double CutFraction = 0.99;

    /// <summary>Marks every parameter of a source whose step was cut short anywhere (a cap on one of its
    /// parameters shortens its whole part of the step).</summary>
    private static void SpreadCuts(bool[] cut, int[] sourceOf)
    {
        var cutSource = new HashSet<int>();
        for (int j = 0; j < cut.Length; j++) if (cut[j] && sourceOf[j] >= 0) cutSource.Add(sourceOf[j]);
        if (cutSource.Count == 0) return;
        for (int j = 0; j < cut.Length; j++) if (sourceOf[j] >= 0 && cutSource.Contains(sourceOf[j])) cut[j] = true;
    }

    /// <summary>
    /// The patch-wide form of the per-source test (<see cref="SettledFraction"/>): the step just
    /// taken moved no source parameter by <see cref="SettledFraction"/> of its σ or more (a source
    /// whose step was cut short judged by its whole proposal), with the σ of the Jacobian that step
    /// built.
    /// The conditional σ (every other parameter held) is never larger than the covariance-aware
    /// one, so a move that passes it passes; only the moves that fail it are judged again with
    /// the covariance-aware σ.
    /// </summary>
    private static bool AllSettled(ConstrainedOptimizer optimizer, IFitProblem problem, double[] change, int[] sourceOf)
    {
        int np = change.Length;
        var conditional = new double[np];
        if (!optimizer.LastStepSigmas(problem, conditional, [], [])) return false;
        var doubtful = new List<int>();
        for (int j = 0; j < np; j++)
            if (sourceOf[j] >= 0 && change[j] != 0 && !(Math.Abs(change[j]) <= SettledFraction * conditional[j])) doubtful.Add(j);
        if (doubtful.Count == 0) return true;
        var marginal = new double[doubtful.Count];
        optimizer.LastStepSigmas(problem, conditional, doubtful.ToArray(), marginal);
        for (int q = 0; q < doubtful.Count; q++)
            if (!(Math.Abs(change[doubtful[q]]) <= SettledFraction * marginal[q])) return false;
        return true;
    }

    /// <summary>Per-source values read back from the problem after the fit.</summary>
    private sealed class Readback
    {
        public double[] X = [], Y = [], LogRe = [], Ee1 = [], Ee2 = [], N = [];
        /// <summary>Per image: the fitted sky level.</summary>
        public double[] Sky = [];
        public double[][] Flux = [], FluxErr = [], FluxErrCov = [];
        public bool[] NoPixels = [];
        /// <summary>Per band and source: the position the band's own refit used (NaN where the joint one stands).</summary>
        public double[][] BandX = [], BandY = [];
        /// <summary>Per band and source: the band told nothing of the source's flux (no usable pixel under it).</summary>
        public bool[][] NoPixelsBand = [];
        /// <summary>Per source: its own parameters had stopped moving (see <see cref="SettledFraction"/>).</summary>
        public bool[] Settled = [];
        public SourceType[] Kind = [];
    }

    private static Readback ReadBack(ConstrainedOptimizer opt, IFitProblem problem, SourceInit[] sources, PatchImage[] images,
        LoopOutcome outcome)
    {
        int ns = sources.Length, nb = images.Length, np = problem.ParameterCount;
        var r = new Readback
        {
            X = sources.Select(s => s.X).ToArray(),
            Y = sources.Select(s => s.Y).ToArray(),
            LogRe = sources.Select(s => s.LogRe).ToArray(),
            Ee1 = sources.Select(s => s.Ee1).ToArray(),
            Ee2 = sources.Select(s => s.Ee2).ToArray(),
            N = sources.Select(s => s.SersicN).ToArray(),
            Kind = sources.Select(s => s.Kind).ToArray(),
            Flux = new double[nb][],
            FluxErr = new double[nb][],
            FluxErrCov = new double[nb][],
            NoPixels = new bool[ns],
            NoPixelsBand = new bool[nb][],
            Sky = new double[nb],
        };
        for (int k = 0; k < nb; k++)
        {
            r.Flux[k] = sources.Select(s => s.Flux[k]).ToArray();
            r.FluxErr[k] = Enumerable.Repeat(double.NaN, ns).ToArray();
            r.FluxErrCov[k] = Enumerable.Repeat(double.NaN, ns).ToArray();
        }
        var bandIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < nb; k++) bandIndex[images[k].Band] = k;

        var p = new double[np];
        problem.GetParameters(p);
        var fluxCols = new List<(int Col, int Src, int Band)>();
        for (int j = 0; j < np; j++)
        {
            if (TryParseSky(problem.ParameterName(j), out int img) && img < nb) r.Sky[img] = p[j];
            if (!TryParseName(problem.ParameterName(j), out int src, out string leaf) || src < 0 || src >= ns) continue;
            switch (leaf)
            {
                case "pos.x": r.X[src] = p[j]; break;
                case "pos.y": r.Y[src] = p[j]; break;
                case "shape.logre": r.LogRe[src] = p[j]; break;
                case "shape.ee1": r.Ee1[src] = p[j]; break;
                case "shape.ee2": r.Ee2[src] = p[j]; break;
                case "sersicindex.SersicIndex": r.N[src] = p[j]; break;
                default:
                    if (leaf.StartsWith("brightness.", StringComparison.Ordinal)
                        && bandIndex.TryGetValue(leaf["brightness.".Length..], out int b))
                    {
                        r.Flux[b][src] = p[j];
                        fluxCols.Add((j, src, b));
                    }
                    break;
            }
        }

        // Errors (docs/fitting.md §8 plus the covariance-aware column); a failure leaves NaN (the reference warns and continues).
        var diag = new double[np];
        // the fluxes' covariance-aware variances, then those of every other source parameter the last
        // step moved (the settled test below)
        var moved = new List<int>();
        if (outcome.LastChange is { } change)
            for (int j = 0; j < np; j++)
                if (change[j] != 0 && TryParseName(problem.ParameterName(j), out int src, out string leaf) && src >= 0 && src < ns
                    && !leaf.StartsWith("brightness.", StringComparison.Ordinal))
                    moved.Add(j);
        var cols = fluxCols.Select(f => f.Col).Concat(moved).ToArray();
        var marg = new double[cols.Length];
        var hasPixels = new bool[ns];
        bool measured = false;
        List<DerivativePatch>[]? derivatives = null;
        try
        {
            opt.Variances(problem, diag, cols, marg);
            measured = true;
            // one derivative pass serves the photon-noise factors and the usable-light fractions
            derivatives = DerivativePatch.Of(problem);
            var inflate = PhotonNoise.FluxVarianceFactors(problem, images, fluxCols.Select(f => (f.Col, f.Band)).ToList(), derivatives);
            for (int q = 0; q < fluxCols.Count; q++)
            {
                var (col, src, b) = fluxCols[q];
                double v = diag[col];
                // the statistical error; the PSF model's own error is added by Merge, measured
                // over the whole catalogue (docs/algorithms.md, "Flux errors")
                if (double.IsFinite(v) && v > 0)
                {
                    r.FluxErr[b][src] = Math.Sqrt(v * inflate[q]);
                    hasPixels[src] = true;
                }
                if (double.IsFinite(marg[q]) && marg[q] > 0) r.FluxErrCov[b][src] = Math.Sqrt(marg[q] * inflate[q]);
            }
        }
        catch (Exception ex) when (ex is ArithmeticException or InvalidOperationException)
        {
            // Reported as NaN errors, like the reference's warning path.
        }
        for (int i = 0; i < ns; i++) r.NoPixels[i] = !hasPixels[i];
        // A band whose pixels carry no information on a source's flux (all masked or NaN under it)
        // leaves that flux at its starting value, the catalogue's: never report that prior as a
        // measurement. The flux is NaN there and the band is flagged.
        for (int k = 0; k < nb; k++) r.NoPixelsBand[k] = new bool[ns];
        // A source whose light falls mostly on masked or NaN pixels of a band (a NaN hole, a
        // chip gap over its core) would be "measured" from its outer wings alone, by the PSF
        // model's wing: that band is absent for it too.
        var usable = measured && derivatives is not null ? UsableLightFractions(derivatives, images, fluxCols.Select(f => f.Col).ToList()) : null;
        if (measured)
            for (int q = 0; q < fluxCols.Count; q++)
            {
                var (col, src, b) = fluxCols[q];
                // (a nuisance source is never reported: it is modelled from whatever wing is left)
                bool wingsOnly = usable is not null && !sources[src].FixedPosition && !(usable[q] >= MinUsableLightFraction);
                if (!(double.IsFinite(diag[col]) && diag[col] > 0) || wingsOnly)
                {
                    r.Flux[b][src] = double.NaN;
                    r.FluxErr[b][src] = double.NaN;
                    r.FluxErrCov[b][src] = double.NaN;
                    r.NoPixelsBand[b][src] = true;
                }
            }
        for (int i = 0; i < ns; i++)
        {
            bool any = false;
            for (int k = 0; k < nb; k++) any |= double.IsFinite(r.FluxErr[k][i]);
            r.NoPixels[i] = !any;
        }

        // Per-source convergence: the last improving step moved every parameter of the source by
        // less than SettledFraction of its 1σ, judging a source whose step was cut short by its
        // whole proposal (RunLoop; a source with no step at all has settled). The σ
        // is the covariance-aware one where it exists: the conditional 1/√F_jj holds every other
        // parameter fixed, so a faint galaxy drifting along its flat shape–size–index ridge
        // (each step ≪ the real uncertainty, its fluxes unmoved) was never called settled.
        var sigmaOf = new Dictionary<int, double>();
        for (int q = 0; q < cols.Length; q++)
            if (measured && double.IsFinite(marg[q]) && marg[q] > 0) sigmaOf[cols[q]] = Math.Sqrt(marg[q]);
        r.Settled = new bool[ns];
        Array.Fill(r.Settled, true);
        if (outcome.LastChange is { } dp)
            for (int j = 0; j < np; j++)
            {
                if (!TryParseName(problem.ParameterName(j), out int src, out _) || src < 0 || src >= ns) continue;
                double sd = sigmaOf.TryGetValue(j, out double m) ? m
                    : diag[j] > 0 && double.IsFinite(diag[j]) ? Math.Sqrt(diag[j]) : double.NaN;
                if (dp[j] != 0 && !(Math.Abs(dp[j]) <= SettledFraction * sd)) r.Settled[src] = false;
            }
        for (int i = 0; i < ns; i++) r.Settled[i] &= !r.NoPixels[i];
        return r;
    }

    /// <summary>Least fraction of a source's model light in a band that must fall on usable pixels
    /// for the band to measure it (legacypipe reports the same quantity as <c>fracin</c>/<c>fracmasked</c>).</summary>
    public const double MinUsableLightFraction = 0.5;

    /// <summary>
    /// Per flux parameter: the fraction of the source's unit-flux model (its flux derivative) inside
    /// the patch that falls on pixels with weight; NaN when the model has no light in the patch.
    /// </summary>
    private static double[] UsableLightFractions(List<DerivativePatch>[] perParameter, PatchImage[] images, IReadOnlyList<int> cols)
    {
        var frac = new double[cols.Count];
        Array.Fill(frac, double.NaN);
        if (cols.Count == 0) return frac;
        for (int q = 0; q < cols.Count; q++)
        {
            double all = 0, good = 0;
            foreach (var d in perParameter[cols[q]])
            {
                var im = images[d.Image];
                var (x0, x1, y0, y1) = d.InImage(im.Width, im.Height);
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++)
                    {
                        double v = Math.Abs(d.Values[y * d.Width + x]);
                        all += v;
                        if (im.InverseError[(d.Y0 + y) * im.Width + d.X0 + x] > 0) good += v;
                    }
            }
            if (all > 0) frac[q] = good / all;
        }
        return frac;
    }

    /// <summary>
    /// <c>opt_converged[_b]</c> per source: the patch's loop converged, or the source itself
    /// settled; <c>opt_hit_max_iters[_b]</c>: the loop ran to its cap and the source had not
    /// settled. The reference's patch-wide flag goes to <c>opt_converged_patch[_b]</c> (ours).
    /// </summary>
    private static void WriteConvergence(FitTable table, string sfx, LoopOutcome outcome, bool[] settled)
    {
        var conv = table.Column($"opt_converged{sfx}", false);
        var hit = table.Column($"opt_hit_max_iters{sfx}", false);
        for (int i = 0; i < conv.Length; i++)
        {
            conv[i] = outcome.Converged || settled[i];
            hit[i] = outcome.HitMaxIters && !settled[i];
        }
    }

    /// <param name="shapeHeld">Per source, its shape was held at its start (<see cref="RunLoopWithHolds"/>): its shape
    /// columns stay empty, a start is not a measurement.</param>
    private static void WriteSourceColumns(FitTable t, Readback r, string sfx, PatchFitSettings s, bool withRaDec, bool writeType,
        bool[] shapeHeld)
    {
        int n = t.RowCount;
        string Name(string stem) => sfx.Length == 0 ? stem + "_fit" : $"{stem}{sfx}_fit";
        var xp = t.Column(sfx.Length == 0 ? "x_pix_patch_fit" : $"x_pix_patch{sfx}_fit", double.NaN);
        var yp = t.Column(sfx.Length == 0 ? "y_pix_patch_fit" : $"y_pix_patch{sfx}_fit", double.NaN);
        var xw = t.Column(sfx.Length == 0 ? "x_pix_white_fit" : $"x_pix_white{sfx}_fit", double.NaN);
        var yw = t.Column(sfx.Length == 0 ? "y_pix_white_fit" : $"y_pix_white{sfx}_fit", double.NaN);
        if (withRaDec)
        {
            t.Column(Name("RA"), double.NaN);
            t.Column(Name("DEC"), double.NaN);
        }
        if (writeType)
        {
            var st = t.Column("stype_fit", "");
            for (int i = 0; i < n; i++) st[i] = SourceInitializer.Name(r.Kind[i]);
        }
        var sn = t.Column(Name("sersic_n"), double.NaN);
        var re = t.Column(Name("re_pix"), double.NaN);
        var ab = t.Column(Name("ab"), double.NaN);
        var phi = t.Column(Name("phi_deg"), double.NaN);
        string[] order = sfx.Length == 0 ? ["ELL", "Re", "THETA"] : ["Re", "ELL", "THETA"];
        var cols = order.ToDictionary(o => o, o => t.Column(Name(o), double.NaN));
        for (int i = 0; i < n; i++)
        {
            xp[i] = r.X[i];
            yp[i] = r.Y[i];
            xw[i] = r.X[i] + s.X0Roi;
            yw[i] = r.Y[i] + s.Y0Roi;
            if (shapeHeld[i]) continue;
            if (r.Kind[i] == SourceType.Sersic) sn[i] = r.N[i];
            if (r.Kind[i] == SourceType.Point) continue;
            var sh = ShapeOut(r.LogRe[i], r.Ee1[i], r.Ee2[i]);
            re[i] = sh.Re;
            ab[i] = sh.Q;
            phi[i] = sh.PhiDeg;
            if (double.IsFinite(sh.Q)) cols["ELL"][i] = 1 - sh.Q;
            if (double.IsFinite(sh.Re)) cols["Re"][i] = sh.Re;
            if (double.IsFinite(sh.PhiDeg)) cols["THETA"][i] = sh.PhiDeg - 90;
        }
    }

    /// <summary>
    /// Output shape (docs/fitting.md §9): r_e = e^logre, q = (1−e)/(1+e) with e = 1 − e^(−|ee|),
    /// φ = (−θ·180/π) mod 180 (Python's floored modulo), θ = atan2(ee2, ee1)/2.
    /// </summary>
    public static (double Re, double Q, double PhiDeg) ShapeOut(double logre, double ee1, double ee2)
    {
        double re = Math.Exp(logre);
        double eta = double.Hypot(ee1, ee2);
        double e = 1 - Math.Exp(-eta);
        double q = (1 - e) / (1 + e);
        double theta = Math.Atan2(ee2, ee1) / 2;
        double a = -theta * 180.0 / Math.PI;
        double m = a % 180.0; // C# % is fmod; then floor it like Python
        if (m != 0 && m < 0) m += 180.0;
        return (re, q, m);
    }

    internal static bool TryParseName(string name, out int source, out string leaf)
    {
        source = -1;
        leaf = "";
        const string prefix = "catalog.source";
        if (!name.StartsWith(prefix, StringComparison.Ordinal)) return false;
        int dot = name.IndexOf('.', prefix.Length);
        if (dot < 0) return false;
        if (!int.TryParse(name.AsSpan(prefix.Length, dot - prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out source))
            return false;
        leaf = name[(dot + 1)..];
        return true;
    }

    /// <summary>The image index of a sky parameter, <c>images.image{k}.sky.sky</c>.</summary>
    internal static bool TryParseSky(string name, out int image)
    {
        image = -1;
        const string prefix = "images.image", suffix = ".sky.sky";
        return name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(suffix, StringComparison.Ordinal)
            && int.TryParse(name.AsSpan(prefix.Length, name.Length - prefix.Length - suffix.Length), NumberStyles.None,
                CultureInfo.InvariantCulture, out image);
    }

    private static PatchImage ToImage(PatchBand b, int w, int h)
    {
        var e = new float[w * h];
        for (int i = 0; i < e.Length; i++)
        {
            float sig = b.SkySigma[i];
            bool bad = (b.Bad is not null && b.Bad[i]) || !float.IsFinite(b.Image[i]) || !float.IsFinite(sig) || !(sig > 0);
            if (bad) continue;
            float invvar = (float)(1.0 / Math.Max((double)sig * sig, 1e-12));
            e[i] = MathF.Sqrt(invvar);
        }
        return new PatchImage(b.Name, w, h, b.Image, e, b.Psf, b.SourceVariancePerCount);
    }

    private static void Validate(IReadOnlyList<PatchBand> bands, int w, int h, PatchCatalog cat, PatchFitSettings s)
    {
        if (w <= 0 || h <= 0)
            throw new Tract7dtException(ErrorCodes.PatchFitInput, $"Patch size {w}×{h} is empty; the patch payload's ROI must have positive width and height.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in bands)
        {
            if (!seen.Add(b.Name))
                throw new Tract7dtException(ErrorCodes.PatchFitInput, $"Band '{b.Name}' appears twice in the patch; each FILTER must give one band.");
            if (b.Image.Length != w * h || b.SkySigma.Length != w * h || (b.Bad is not null && b.Bad.Length != w * h))
                throw new Tract7dtException(ErrorCodes.PatchFitInput,
                    $"Band '{b.Name}': image/sigma/mask arrays must each hold {w}×{h} = {w * h} pixels; rebuild the patch payload.");
        }
        int n = cat.Count;
        void Len(string name, int? len)
        {
            if (len is { } l && l != n)
                throw new Tract7dtException(ErrorCodes.PatchFitInput, $"Patch catalogue column '{name}' has {l} values for {n} sources; every column must have one value per row.");
        }
        Len("y", cat.Y.Length); Len("TYPE", cat.Type?.Length); Len("ELL", cat.Ell?.Length);
        Len("THETA", cat.Theta?.Length); Len("Re", cat.Re?.Length); Len("nuisance", cat.Nuisance?.Length);
        if (cat.Flux is not null) foreach (var kv in cat.Flux) Len("FLUX_" + kv.Key, kv.Value.Length);
        string gm = s.GalModel.ToLowerInvariant();
        if (gm is not ("exp" or "dev" or "sersic" or "star"))
            throw new Tract7dtException(ErrorCodes.PatchFitSetting, $"patch_run.gal_model = '{s.GalModel}' is not one of exp, dev, sersic, star.");
        if (!(s.RAp >= 0))
            throw new Tract7dtException(ErrorCodes.PatchFitSetting, $"patch_run.r_ap = {s.RAp.ToString(CultureInfo.InvariantCulture)} must be a number ≥ 0.");
    }
}
