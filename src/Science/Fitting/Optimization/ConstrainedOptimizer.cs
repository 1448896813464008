namespace Tract7dt.Science.Fitting.Optimization;

/// <summary>What one optimizer call did.</summary>
public enum StepStatus
{
    /// <summary>A candidate improved lnP; the problem holds the new parameters.</summary>
    Improved,
    /// <summary>A direction was found but no candidate improved lnP (dlnp = 0, parameters unchanged).</summary>
    NoImprovement,
    /// <summary>Some weighted derivative was NaN or ±∞ at a weighted pixel: no step (reference: <c>(0, None, 0)</c>).</summary>
    NonFiniteDerivatives,
    /// <summary>No parameter has any derivative value: no step (reference: <c>(0, [], 0)</c>).</summary>
    NoDerivatives,
}

/// <summary>
/// Result of <see cref="ConstrainedOptimizer.Step"/>: the reference's <c>(dlnp, X, α)</c>
/// plus the status and LSQR statistics. Always the same shape.
/// </summary>
/// <param name="DLnP">Gain in log-probability, ≥ 0 (0 when nothing improved).</param>
/// <param name="Direction">The un-scaled LSQR step X in parameter units (length = parameter
/// count; all zeros when no direction was computed). Components of parameters frozen on a
/// bound (fix #2) are 0.</param>
/// <param name="Alpha">The accepted step multiplier (0 when nothing improved).</param>
/// <param name="Status">What happened.</param>
/// <param name="LsqrIterations">LSQR iterations (summed over re-solves).</param>
/// <param name="FrozenOnBound">Number of parameters frozen on a bound for this step (fix #2).</param>
/// <param name="LogProb">lnP at the parameters the problem holds after the call.</param>
public sealed record OptimizerStep(double DLnP, double[] Direction, double Alpha, StepStatus Status,
    int LsqrIterations, int FrozenOnBound, double LogProb)
{
    /// <summary>The accepted multiplier was shortened for the whole vector (a max step or a bound cut the
    /// line search's α below the one it asked for): every parameter moved by less than its share of the
    /// direction. A source's own part capped on its own shows instead as a move below <see cref="Alpha"/>·X.</summary>
    public bool Shortened { get; init; }
}

/// <summary>
/// The Tractor's ConstrainedOptimizer (docs/fitting.md §18): one <see cref="Step"/> = build
/// the column-scaled weighted Jacobian, solve the linearised problem with LSQR, walk the
/// bound- and max-step-aware candidate multipliers and keep the best lnP. Also the
/// uncertainties of docs/fitting.md §19 and a covariance-aware marginal variance (<see cref="Variances"/>).
/// </summary>
/// <remarks>
/// <para>Our fixes: zero-weight pixels are absent (a NaN datum or derivative there is
/// ignored, #3); a parameter on a bound whose step points outward is frozen for that step
/// and the system is solved again without it, so the others keep improving (#2); empty
/// columns anywhere (sources with no usable pixels) just get X = 0 (#4).</para>
/// <para>Work reuse (no change to any number): the best candidate's lnP and χ become the
/// next call's lnP0 and right-hand side when the parameters have not been changed in
/// between; a line-search candidate bit-identical to p0 or to the previous candidate
/// (bound-clamped repeats) reuses the known lnP instead of rendering again. All buffers
/// persist across calls; one instance serves one thread.</para>
/// </remarks>
public sealed class ConstrainedOptimizer
{
    private readonly JacobianSystem _system = new();
    private readonly Lsqr _lsqr = new();
    private List<DerivativePatch>[] _derivs = Array.Empty<List<DerivativePatch>>();
    private double[] _p0 = Array.Empty<double>(), _cand = Array.Empty<double>(), _best = Array.Empty<double>();
    private double[] _lower = Array.Empty<double>(), _upper = Array.Empty<double>(), _maxStep = Array.Empty<double>();
    private double[] _y = Array.Empty<double>(), _prev = Array.Empty<double>();
    private long _evaluatedCandidates, _reusedCandidates;
    private float[][] _chiBest = Array.Empty<float[]>(), _chiTrial = Array.Empty<float[]>();
    private float[] _model = Array.Empty<float>();

    // Cache of the last evaluated point (the χ in _chiBest belongs to it).
    private IFitProblem? _cachedProblem;
    private double[] _cachedParams = Array.Empty<double>();
    private double _cachedLnP;
    private bool _cacheValid;

    /// <summary>
    /// Cumulative wall time [s] of this instance's phases (diagnostics for benchmarks; never
    /// feeds back into any number): derivatives from the model, system build, LSQR, and the
    /// line search's model evaluations (including lnP0).
    /// </summary>
    public (double Derivatives, double Build, double Lsqr, double LineSearch) Timings =>
        (Seconds(_tDerivs), Seconds(_tBuild), Seconds(_tLsqr), Seconds(_tSearch));

    private long _tDerivs, _tBuild, _tLsqr, _tSearch, _tPrecond;

    /// <summary>Wall time [s] spent building the block preconditioner (part of the LSQR time).</summary>
    public double PreconditionerSeconds => Seconds(_tPrecond);
    private static double Seconds(long ticks) => ticks / (double)System.Diagnostics.Stopwatch.Frequency;

    /// <summary>
    /// Line-search candidates of this instance so far: rendered, and skipped because they
    /// were bit-identical to p0 or to the previous candidate (their lnP was known).
    /// Diagnostics only.
    /// </summary>
    public (long Evaluated, long Reused) CandidateCounts => (_evaluatedCandidates, _reusedCandidates);

    private static bool BitEqual(ReadOnlySpan<double> a, ReadOnlySpan<double> b) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<double, long>(a)
            .SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.Cast<double, long>(b));

    /// <summary>Forgets the cached lnP/χ (call if the problem's data changed behind our back).</summary>
    public void Reset()
    {
        _cacheValid = false;
        _systemOf = null;
    }

    /// <summary>
    /// One optimizer call: derivatives, LSQR direction, line search. On return the problem
    /// holds the best parameters found (unchanged when <see cref="OptimizerStep.DLnP"/> is 0).
    /// </summary>
    private double[] _searchDir = [];
    private int[] _groups = [];

    /// <summary>
    /// Walk the reference's whole multiplier list 2⁻¹⁰ … 2 upwards (docs/fitting.md §18.5),
    /// rendering every candidate, instead of starting at α = 1 (ours, the default: about 3
    /// renders per step instead of 12, at the same fitted values within the fit's noise).
    /// </summary>
    public bool ReferenceLineSearch { get; init; }

    /// <summary>
    /// Solve with the reference's column scaling alone instead of our per-source block
    /// preconditioning (<see cref="BlockPreconditioner"/>; the same least-squares step in
    /// fewer LSQR iterations).
    /// </summary>
    public bool ReferencePreconditioning { get; init; }

    private BlockPreconditioner? _precond;
    private double[] _z = [];

    // the problem whose Jacobian the system holds, at the parameters the last Step started from
    private IFitProblem? _systemOf;

    /// <summary>
    /// The σ of the parameters from the Jacobian the last <see cref="Step"/> on
    /// <paramref name="problem"/> built (at the parameters that step started from: no further
    /// derivative pass). <paramref name="conditional"/> (one per parameter) gets 1/√c_j, the σ
    /// with every other parameter held; for each index in <paramref name="marginalFor"/>,
    /// <paramref name="marginal"/> gets the covariance-aware σ of <see cref="CouplingCovariance"/>
    /// (never smaller; NaN where it does not exist). Returns false, filling nothing, when no
    /// step has built a system for this problem.
    /// </summary>
    public bool LastStepSigmas(IFitProblem problem, Span<double> conditional, ReadOnlySpan<int> marginalFor, Span<double> marginal)
    {
        if (!ReferenceEquals(_systemOf, problem) || _system.HasNonFinite || _system.IsEmpty) return false;
        var c = _system.ColumnNormSquared;
        int np = Math.Min(conditional.Length, c.Length);
        for (int j = 0; j < np; j++) conditional[j] = c[j] > 0 ? 1.0 / Math.Sqrt(c[j]) : double.PositiveInfinity;
        if (marginalFor.Length > 0)
        {
            var cov = new CouplingCovariance(_system, problem.ImageCount);
            for (int k = 0; k < marginalFor.Length; k++)
            {
                double v = cov.MarginalVariance(marginalFor[k]);
                marginal[k] = v > 0 ? Math.Sqrt(v) : double.NaN;
            }
        }
        return true;
    }

    public OptimizerStep Step(IFitProblem problem)
    {
        int np = problem.ParameterCount;
        Prepare(problem, np);
        problem.GetParameters(_p0.AsSpan(0, np));
        problem.GetBounds(_lower.AsSpan(0, np), _upper.AsSpan(0, np));
        problem.GetMaxSteps(_maxStep.AsSpan(0, np));

        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        double lnP0 = CurrentLogProb(problem, np);
        _tSearch += System.Diagnostics.Stopwatch.GetTimestamp() - t0;

        BuildSystem(problem, np);
        _systemOf = problem;
        var direction = new double[np];
        if (_system.HasNonFinite)
            return new OptimizerStep(0, direction, 0, StepStatus.NonFiniteDerivatives, 0, 0, lnP0);
        if (_system.IsEmpty)
            return new OptimizerStep(0, direction, 0, StepStatus.NoDerivatives, 0, 0, lnP0);

        // Right-hand side: χ at p0 (zero where E = 0).
        FillRhs(problem);

        // LSQR, then fix #2: freeze parameters stuck on a bound and solve again.
        int lsqrIters = 0, frozen = 0;
        var y = _y.AsSpan(0, np);
        t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_groups.Length != np) _groups = StepCandidates.SourceGroups(problem);
        if (_z.Length < np) _z = new double[np];
        var z = _z.AsSpan(0, np);
        while (true)
        {
            if (ReferencePreconditioning) _lsqr.Solve(_system, _system.Rhs, y, 2 * np);
            else
            {
                _precond ??= new BlockPreconditioner(_system);
                long tp = System.Diagnostics.Stopwatch.GetTimestamp();
                _precond.Build(_groups);
                _tPrecond += System.Diagnostics.Stopwatch.GetTimestamp() - tp;
                _lsqr.Solve(_precond, _system.Rhs, z, 2 * np);
                _precond.Apply(z, y);
            }
            lsqrIters += _lsqr.Iterations;
            for (int j = 0; j < np; j++) direction[j] = y[j] * _system.InverseScale(j);
            int newlyFrozen = 0;
            for (int j = 0; j < np; j++)
            {
                if (_system.IsActive(j) && StepCandidates.IsStuck(_p0[j], direction[j], _lower[j], _upper[j]))
                {
                    _system.Deactivate(j);
                    newlyFrozen++;
                }
            }
            if (newlyFrozen == 0) break;
            frozen += newlyFrozen;
        }
        if (frozen > 0)
            for (int j = 0; j < np; j++)
                if (!_system.IsActive(j)) direction[j] = 0;
        // Line search (docs/fitting.md §18.5). First along the direction with each over-long source capped on its
        // own (StepCandidates.CapPerGroup); if that finds nothing, along the solver's direction
        // with the reference's rule, so a step is never worse than the reference's.
        long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        _tLsqr += t1 - t0;
        var p0 = _p0.AsSpan(0, np);
        var cand = _cand.AsSpan(0, np);
        var best = _best.AsSpan(0, np);
        p0.CopyTo(best);
        var prev = _prev.AsSpan(0, np);
        double bestLnP = lnP0, bestAlpha = 0;
        bool improved = false, bestShortened = false;
        if (_searchDir.Length < np) _searchDir = new double[np];
        var searchDir = _searchDir.AsSpan(0, np);
        direction.AsSpan(0, np).CopyTo(searchDir);
        bool capped = StepCandidates.CapPerGroup(searchDir, _maxStep.AsSpan(0, np), _groups);
        var alphas = StepCandidates.Alphas;
        for (int pass = capped ? 0 : 1; pass < 2 && !improved; pass++)
        {
            ReadOnlySpan<double> dir = pass == 0 ? searchDir : direction.AsSpan(0, np);
            double prevLnP = double.NaN;
            bool havePrev = false;
            // The reference walks 2⁻¹⁰ … 2 upwards and renders every multiplier; we start at the
            // Gauss–Newton step α = 1, go up while lnP improves, and only when that gains
            // nothing walk down from α = 1/2 until something does.
            int k = ReferenceLineSearch ? 0 : StepCandidates.UnitIndex;
            bool downward = false;
            while (k >= 0 && k < alphas.Length)
            {
                double a = alphas[k];
                double eff = StepCandidates.EffectiveAlpha(a, p0, dir, _lower.AsSpan(0, np), _upper.AsSpan(0, np),
                    _maxStep.AsSpan(0, np), out bool limited);
                if (!(eff >= StepCandidates.MinAlpha))
                {
                    if (downward || ReferenceLineSearch) break;
                    downward = true; k = StepCandidates.UnitIndex - 1;
                    continue;
                }
                StepCandidates.Candidate(eff, p0, dir, _lower.AsSpan(0, np), _upper.AsSpan(0, np), cand);

                // lnP is a deterministic function of the parameter vector, so a candidate that is
                // bit-identical to p0 (α·X below the parameters' last bit) or to the previous
                // candidate (bound-clamped repeats: a larger α shrunk to the same bound) has the
                // lnP already known and is not rendered again. Such a reused value can never be
                // accepted (it is ≤ best: best ≥ lnP0, and best ≥ the previous candidate's lnP
                // once that was processed), so the χ buffers stay consistent.
                double l;
                if (BitEqual(cand, p0))
                {
                    l = lnP0;
                    _reusedCandidates++;
                }
                else if (havePrev && BitEqual(cand, prev))
                {
                    l = prevLnP;
                    _reusedCandidates++;
                }
                else
                {
                    problem.SetParameters(cand);
                    l = LogProb(problem, _chiTrial);
                    cand.CopyTo(prev);
                    prevLnP = l;
                    havePrev = true;
                    _evaluatedCandidates++;
                }
                bool better = double.IsFinite(l) && l > bestLnP;
                if (better)
                {
                    bestLnP = l;
                    bestAlpha = eff;
                    bestShortened = eff < a * (1 - 1e-12);
                    cand.CopyTo(best);
                    (_chiBest, _chiTrial) = (_chiTrial, _chiBest);
                    improved = true;
                }
                if (downward)
                {
                    // walking down: the first improvement is the step (the largest α that gains)
                    if (better) break;
                    k--;
                    continue;
                }
                // walking up, by the reference's rules: stop at a non-finite lnP, a loss of more
                // than 1, or a multiplier cut by a max step
                bool stop = !double.IsFinite(l) || l < bestLnP - 1 || limited;
                if (ReferenceLineSearch) { if (stop) break; k++; continue; }
                if (stop && improved) break;
                // α = 1 (or the walk above it) gained nothing: turn down
                if (stop || !improved) { downward = true; k = StepCandidates.UnitIndex - 1; continue; }
                k++;
            }
        }
        problem.SetParameters(best);
        Remember(problem, best, bestLnP);
        _tSearch += System.Diagnostics.Stopwatch.GetTimestamp() - t1;
        return new OptimizerStep(improved ? bestLnP - lnP0 : 0, direction, improved ? bestAlpha : 0,
            improved ? StepStatus.Improved : StepStatus.NoImprovement, lsqrIters, frozen, bestLnP)
        { Shortened = improved && bestShortened };
    }

    /// <summary>
    /// Uncertainties at the current parameters (no step is taken).
    /// <paramref name="diagonal"/> (length = parameter count) receives the reference's
    /// var_j = 1 / Σ (E·∂M/∂p_j)², +∞ for a parameter without derivatives (docs/fitting.md §19).
    /// For each index in <paramref name="marginalFor"/>, <paramref name="marginal"/> receives
    /// the covariance-aware variance of <see cref="CouplingCovariance"/> (NaN when the
    /// coupled block is singular or the parameter has no derivatives).
    /// </summary>
    public void Variances(IFitProblem problem, Span<double> diagonal, ReadOnlySpan<int> marginalFor, Span<double> marginal)
    {
        int np = problem.ParameterCount;
        if (diagonal.Length != np || marginal.Length != marginalFor.Length)
            throw new ArgumentException("Variances: diagonal must have one element per parameter and marginal one per requested index.");
        Prepare(problem, np);
        BuildSystem(problem, np);
        var c = _system.ColumnNormSquared;
        for (int j = 0; j < np; j++) diagonal[j] = c[j] > 0 ? 1.0 / c[j] : double.PositiveInfinity;
        if (marginalFor.Length > 0)
        {
            var cov = new CouplingCovariance(_system, problem.ImageCount);
            for (int k = 0; k < marginalFor.Length; k++) marginal[k] = cov.MarginalVariance(marginalFor[k]);
        }
    }

    /// <summary>
    /// lnP at the problem's current parameters: lnPrior − ½ Σ (Gaussian prior residual)² − ½ Σ χ², χ = (D − M)·E in f32,
    /// pixels with E = 0 skipped; −∞ if the prior is −∞ or the sum is NaN.
    /// </summary>
    public double LogProb(IFitProblem problem)
    {
        int np = problem.ParameterCount;
        Prepare(problem, np);
        _cacheValid = false;
        return LogProb(problem, _chiTrial);
    }

    private double CurrentLogProb(IFitProblem problem, int np)
    {
        if (_cacheValid && ReferenceEquals(_cachedProblem, problem)
            && _p0.AsSpan(0, np).SequenceEqual(_cachedParams.AsSpan(0, np)))
            return _cachedLnP;
        double l = LogProb(problem, _chiBest);
        Remember(problem, _p0.AsSpan(0, np), l);
        return l;
    }

    private void Remember(IFitProblem problem, ReadOnlySpan<double> p, double lnP)
    {
        _cachedProblem = problem;
        if (_cachedParams.Length < p.Length) _cachedParams = new double[p.Length];
        p.CopyTo(_cachedParams);
        _cachedLnP = lnP;
        _cacheValid = true;
    }

    private double LogProb(IFitProblem problem, float[][] chi)
    {
        double prior = problem.LogPrior() - 0.5 * GaussianPriorChiSquared(problem);
        if (double.IsNegativeInfinity(prior) || double.IsNaN(prior))
        {
            // χ is not rendered; mark the buffers unusable as a right-hand side.
            for (int n = 0; n < problem.ImageCount; n++) chi[n].AsSpan().Fill(float.NaN);
            return double.NegativeInfinity;
        }
        double sum = 0;
        for (int n = 0; n < problem.ImageCount; n++)
        {
            int len = problem.ImageWidth(n) * problem.ImageHeight(n);
            var model = _model.AsSpan(0, len);
            problem.RenderModel(n, model);
            sum += ChiImage(problem.Data(n), problem.InverseError(n), model, chi[n].AsSpan(0, len));
        }
        double l = prior - 0.5 * sum;
        return double.IsNaN(l) ? double.NegativeInfinity : l;
    }

    private int[] _priorParameter = [];
    private double[] _priorResidual = [], _priorWeight = [];

    /// <summary>Σ residual² of the problem's Gaussian prior terms (docs/fitting.md §18.7) at its current
    /// parameters: the χ² of the prior rows the Jacobian system appends.</summary>
    private double GaussianPriorChiSquared(IFitProblem problem)
    {
        int n = problem.GaussianPriorCount;
        if (n == 0) return 0.0;
        if (_priorParameter.Length < n) { _priorParameter = new int[n]; _priorResidual = new double[n]; _priorWeight = new double[n]; }
        problem.GetGaussianPriors(_priorParameter.AsSpan(0, n), _priorResidual.AsSpan(0, n), _priorWeight.AsSpan(0, n));
        double sum = 0;
        for (int k = 0; k < n; k++) sum += _priorResidual[k] * _priorResidual[k];
        return sum;
    }

    /// <summary>χ = (D − M)·E in f32 (0 where E = 0); returns Σ χ² in f64 (fixed lane order).</summary>
    internal static double ChiImage(ReadOnlySpan<float> data, ReadOnlySpan<float> e, ReadOnlySpan<float> model, Span<float> chi) =>
        VectorKernels.ChiRow(data, e, model, chi);

    private void FillRhs(IFitProblem problem)
    {
        var rhs = _system.Rhs;
        for (int n = 0; n < problem.ImageCount; n++)
        {
            int off = _system.RowOffset(n);
            var chi = _chiBest[n];
            int len = problem.ImageWidth(n) * problem.ImageHeight(n);
            for (int i = 0; i < len; i++) rhs[off + i] = chi[i];
        }
    }

    private void BuildSystem(IFitProblem problem, int np)
    {
        for (int j = 0; j < np; j++) _derivs[j].Clear();
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        problem.GetDerivatives(_derivs);
        long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        _system.Build(problem, _derivs);
        _tDerivs += t1 - t0;
        _tBuild += System.Diagnostics.Stopwatch.GetTimestamp() - t1;
    }

    private void Prepare(IFitProblem problem, int np)
    {
        if (_derivs.Length != np)
        {
            var old = _derivs;
            _derivs = new List<DerivativePatch>[np];
            for (int j = 0; j < np; j++) _derivs[j] = j < old.Length ? old[j] : new List<DerivativePatch>();
        }
        if (_p0.Length < np)
        {
            _p0 = new double[np]; _cand = new double[np]; _best = new double[np];
            _lower = new double[np]; _upper = new double[np]; _maxStep = new double[np];
            _y = new double[np]; _prev = new double[np];
        }
        int ni = problem.ImageCount;
        if (_chiBest.Length != ni)
        {
            _chiBest = new float[ni][];
            _chiTrial = new float[ni][];
            _cacheValid = false;
        }
        int maxLen = 0;
        for (int n = 0; n < ni; n++)
        {
            int w = problem.ImageWidth(n), h = problem.ImageHeight(n);
            if (w < 0 || h < 0 || problem.Data(n).Length != w * h || problem.InverseError(n).Length != w * h)
                throw new Errors.Tract7dtException(Errors.ErrorCodes.FitProblemShape,
                    $"Fit problem image {n}: data/inverse-error length does not match {w}×{h}; the forward model must hand over full images.");
            int len = w * h;
            maxLen = Math.Max(maxLen, len);
            if (_chiBest[n] is null || _chiBest[n].Length < len) { _chiBest[n] = new float[len]; _cacheValid = false; }
            if (_chiTrial[n] is null || _chiTrial[n].Length < len) _chiTrial[n] = new float[len];
        }
        if (_model.Length < maxLen) _model = new float[maxLen];
    }
}
