using Tract7dt.Science.Numerics;

namespace Tract7dt.Science.Psf.Epsf;

/// <summary>
/// Builds an empirical PSF from star stamps by the iterative recipe of photutils'
/// <c>EPSFBuilder</c> (Anderson &amp; King 2000), as the pipeline calls it (docs/epsf.md §7):
/// stack the stars' normalised residuals against the current ePSF on the oversampled grid,
/// take the sigma-clipped median per node, add, smooth, recentre, refit every star's
/// centre and flux, and repeat until the centres settle.
/// </summary>
/// <remarks>
/// <para>Deterministic: fixed iteration orders, no randomness, no threading.</para>
/// <para>Differences from photutils 2.3, all outside the paths the pipeline normally
/// takes: (1) ePSF holes (nodes no star pixel maps to) inside the convex hull of the
/// sampled nodes are filled by neighbour averaging instead of Clough–Tocher interpolation
/// (outside it both give 0); (2) zero-weight pixels are left out of the star fit instead
/// of making it raise on NaN data; (3) a degenerate state is a
/// <see cref="EpsfBuildStatus"/>, never an exception.</para>
/// </remarks>
public static class EpsfBuilder
{
    /// <summary>
    /// Builds the ePSF. All stamps must have the same size.
    /// </summary>
    /// <param name="stars">Star stamps (e.g. from <see cref="StarStamps.Extract"/>).</param>
    /// <param name="options">Settings; validated first.</param>
    /// <returns>The ePSF (not normalised; see <see cref="EpsfPostProcess"/>) or a failed result
    /// with a reason. Too few stars is a result, not an exception.</returns>
    /// <exception cref="Errors.Tract7dtException">Invalid options (<see cref="Errors.ErrorCodes.EpsfInvalidOption"/>).</exception>
    public static EpsfBuildResult Build(IReadOnlyList<EpsfStar> stars, EpsfBuilderOptions options)
    {
        ArgumentNullException.ThrowIfNull(stars);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int o = options.Oversampling;
        int nStars = stars.Count;
        var initial = new EpsfFittedStar[nStars];
        for (int s = 0; s < nStars; s++)
            initial[s] = new EpsfFittedStar(stars[s].Id, stars[s].CenterX, stars[s].CenterY, stars[s].Flux0, false, false);

        if (nStars < options.MinStars)
            return EpsfBuildResult.Failed(EpsfBuildStatus.TooFewStars,
                $"{nStars} star stamp(s), at least {options.MinStars} needed", o, 0, initial, nStars);
        int stampSize = stars[0].Size;
        for (int s = 1; s < nStars; s++)
            if (stars[s].Size != stampSize)
                throw new ArgumentException($"star {stars[s].Id} has stamp side {stars[s].Size}, the first has {stampSize}", nameof(stars));
        for (int s = 0; s < nStars; s++)
            if (!double.IsFinite(stars[s].Flux0) || stars[s].Flux0 == 0)
                return EpsfBuildResult.Failed(EpsfBuildStatus.Degenerate,
                    $"star {stars[s].Id} has initial flux {stars[s].Flux0.ToString(System.Globalization.CultureInfo.InvariantCulture)}; it cannot be normalised",
                    o, 0, initial, nStars);

        return new Run(stars, options, stampSize).Execute(initial);
    }

    /// <summary>In the weighted stack no star weighs more than the third heaviest
    /// (<see cref="ClippedStats.ClippedWeightedMean"/>).</summary>
    private const int WeightCapRank = 3;

    /// <summary>The state of one build: buffers sized once, reused by every iteration.</summary>
    private sealed class Run
    {
        private readonly IReadOnlyList<EpsfStar> _stars;
        private readonly EpsfBuilderOptions _opt;
        private readonly int _o, _nE, _cE, _nStars;
        private readonly double[] _epsf, _work, _smoothed;
        private readonly double[] _stack; // [node * nStars + star], NaN = no sample
        private readonly double[]? _stackWeight; // same layout: inverse variance of each sample (weighted stack only)
        private readonly double[] _column, _columnWeight, _columnScratch;
        private readonly SplineGrid _model, _smoothModel;
        private readonly EpsfStarFitter _fitter;
        private readonly double[] _cx, _cy, _flux;
        private readonly bool[] _failed, _excluded;

        public Run(IReadOnlyList<EpsfStar> stars, EpsfBuilderOptions opt, int stampSize)
        {
            _stars = stars;
            _opt = opt;
            _o = opt.Oversampling;
            _nStars = stars.Count;
            // photutils: side = stamp·o + 1, made odd by adding 1 (61, o=1 → 63)
            int n = stampSize * _o + 1;
            if (n % 2 == 0) n++;
            _nE = n;
            _cE = (n - 1) / 2;
            _epsf = new double[n * n];
            _work = new double[n * n];
            _smoothed = new double[n * n];
            _stack = new double[n * n * _nStars];
            _column = new double[_nStars];
            _columnWeight = new double[_nStars];
            _columnScratch = new double[_nStars];
            if (opt.Stack == EpsfStack.WeightedMean) _stackWeight = new double[n * n * _nStars];
            _model = new SplineGrid(n, n);
            _smoothModel = new SplineGrid(n, n);
            _fitter = new EpsfStarFitter(opt.FitBoxSize, opt.FitMaxEvaluations);
            _cx = new double[_nStars]; _cy = new double[_nStars]; _flux = new double[_nStars];
            _failed = new bool[_nStars]; _excluded = new bool[_nStars];
        }

        public EpsfBuildResult Execute(EpsfFittedStar[] initial)
        {
            for (int s = 0; s < _nStars; s++)
            {
                _cx[s] = _stars[s].CenterX; _cy[s] = _stars[s].CenterY; _flux[s] = _stars[s].Flux0;
            }
            // The first model is all zeros with origin stampSize/2 (30.5 for 61 pixels), not
            // the array centre; every later model has its origin at the centre (docs/epsf.md §7.2, §7.3).
            double origin = _stars[0].Size / 2.0;
            bool modelIsZero = true;
            double centerAccSq = _opt.CenterAccuracy * _opt.CenterAccuracy;
            double maxMoveSq = centerAccSq + 1;
            var prevX = (double[])_cx.Clone();
            var prevY = (double[])_cy.Clone();
            int iter = 0;

            while (iter < _opt.MaxIterations && maxMoveSq >= centerAccSq)
            {
                iter++;
                if (Array.TrueForAll(_excluded, e => e))
                    return Fail(EpsfBuildStatus.AllStarsExcluded, "every star was excluded from the ePSF after failed fits", iter);

                string? err = BuildStep(origin, modelIsZero);
                if (err != null) return Fail(EpsfBuildStatus.Degenerate, err, iter);
                origin = (_nE - 1) / (2.0 * _o);
                modelIsZero = false;
                _model.Fit(_epsf);

                int nFailed = 0;
                for (int s = 0; s < _nStars; s++)
                {
                    double cx = _cx[s], cy = _cy[s], f = _flux[s];
                    bool ok = _fitter.Fit(_stars[s], _model, _o, origin, ref cx, ref cy, ref f);
                    _failed[s] = !ok;
                    if (ok) { _cx[s] = cx; _cy[s] = cy; _flux[s] = f; }
                    else nFailed++;
                }
                if (nFailed == _nStars)
                    return Fail(EpsfBuildStatus.AllFitsFailed, "the ePSF fitting failed for all stars (fit boxes left the stamps)", iter);
                if (iter > 3)
                    for (int s = 0; s < _nStars; s++)
                        if (_failed[s]) _excluded[s] = true;

                maxMoveSq = 0;
                for (int s = 0; s < _nStars; s++)
                {
                    if (_failed[s]) continue;
                    double dx = _cx[s] - prevX[s], dy = _cy[s] - prevY[s];
                    maxMoveSq = Math.Max(maxMoveSq, dx * dx + dy * dy);
                }
                Array.Copy(_cx, prevX, _nStars);
                Array.Copy(_cy, prevY, _nStars);
            }

            int contributing = 0;
            for (int s = 0; s < _nStars; s++) if (!_excluded[s]) contributing++;
            return new EpsfBuildResult(EpsfBuildStatus.Ok, null, (double[])_epsf.Clone(), _nE, _o, iter,
                Fitted(), _nStars, contributing);
        }

        private EpsfBuildResult Fail(EpsfBuildStatus status, string reason, int iter) =>
            EpsfBuildResult.Failed(status, reason, _o, iter, Fitted(), _nStars);

        private EpsfFittedStar[] Fitted()
        {
            var r = new EpsfFittedStar[_nStars];
            for (int s = 0; s < _nStars; s++)
                r[s] = new EpsfFittedStar(_stars[s].Id, _cx[s], _cy[s], _flux[s], _failed[s], _excluded[s]);
            return r;
        }

        /// <summary>One photutils build step (docs/epsf.md §7.3); updates <see cref="_epsf"/>. Returns
        /// an error text if the ePSF became degenerate.</summary>
        private string? BuildStep(double origin, bool modelIsZero)
        {
            int n = _nE, o = _o, ns = _nStars;
            // 1. residuals of each star, resampled onto the ePSF grid
            Array.Fill(_stack, double.NaN);
            for (int s = 0; s < ns; s++)
            {
                if (_excluded[s]) continue;
                var star = _stars[s];
                // photutils normalises by the stamp sum F₀ throughout. The weighted stack, where
                // one star can carry much of the weight, uses the star's fitted flux once there is
                // one: a neighbour inside the stamp inflates F₀ (and so darkens that star's whole
                // normalised profile) but not the fit over the central box.
                double norm = star.Flux0;
                if (_stackWeight != null && !modelIsZero && !_failed[s] && _flux[s] > 0 && double.IsFinite(_flux[s])) norm = _flux[s];
                double inv = 1.0 / norm, cx = _cx[s], cy = _cy[s];
                // the normalised value d/F has σ = σ_pix/|F|: inverse variance F²/σ_pix² (σ_pix with
                // the star's photon noise when the stamp carries it: bright cores then weigh ∝ F, not F²)
                double f2 = norm * norm;
                for (int j = 0; j < star.Size; j++)
                {
                    double dy = j - cy;
                    int jj = RoundHalfAway(o * dy + _cE);
                    if (jj < 0 || jj >= n) continue;
                    for (int i = 0; i < star.Size; i++)
                    {
                        int k = j * star.Size + i;
                        if (!star.IsUsable(k)) continue;
                        double dx = i - cx;
                        int ii = RoundHalfAway(o * dx + _cE);
                        if (ii < 0 || ii >= n) continue;
                        double model = modelIsZero ? 0.0 : _model.Evaluate(o * (dx + origin), o * (dy + origin));
                        _stack[(jj * n + ii) * ns + s] = star.Data[k] * inv - model;
                        if (_stackWeight != null)
                            _stackWeight[(jj * n + ii) * ns + s] = f2 * (star.StackInverseVariance is { } iv ? iv[k] : star.Weights[k] * star.Weights[k]);
                    }
                }
            }

            // 2. sigma-clipped median (or weighted mean) along the star axis
            for (int p = 0; p < n * n; p++)
            {
                if (_stackWeight != null)
                {
                    var v = _column.AsSpan(0, ns); var w = _columnWeight.AsSpan(0, ns);
                    _stack.AsSpan(p * ns, ns).CopyTo(v);
                    _stackWeight.AsSpan(p * ns, ns).CopyTo(w);
                    _work[p] = ClippedStats.ClippedWeightedMean(v, w, _opt.ClipSigma, WeightCapRank, _columnScratch);
                    continue;
                }
                var col = _column.AsSpan();
                int m = 0;
                for (int s = 0; s < ns; s++) col[m++] = _stack[p * ns + s];
                int kept = ClippedStats.SigmaClipInPlace(col[..m], _opt.ClipSigma, _opt.ClipIterations);
                _work[p] = kept > 0 ? ClippedStats.MedianInPlace(col[..kept]) : double.NaN;
            }

            // 3. holes, 4. add to the current ePSF
            FillHoles(_work, n);
            for (int p = 0; p < n * n; p++) _work[p] += _epsf[p];

            // 5. smoothing
            var kernel = EpsfSmoothingKernels.For(_opt.Smoothing);
            if (kernel != null) EpsfSmoothingKernels.Convolve(_work, _smoothed, n, kernel);
            else Array.Copy(_work, _smoothed, n * n);
            for (int p = 0; p < n * n; p++)
                if (!double.IsFinite(_smoothed[p])) return "the ePSF has non-finite values";

            // 6. recentering
            return Recenter(origin);
        }

        /// <summary>
        /// Moves the smoothed ePSF so that its centre of mass inside the recentering box
        /// (centred on the model origin) sits at the origin (docs/epsf.md §7.3 step 6). Writes the
        /// result to <see cref="_epsf"/>.
        /// </summary>
        private string? Recenter(double origin)
        {
            int n = _nE, o = _o, b = _opt.RecenterBoxSize;
            _smoothModel.Fit(_smoothed);
            Array.Copy(_smoothed, _epsf, n * n);
            double pos = origin * o;
            int lo = Math.Max(0, (int)Math.Ceiling(pos - b / 2.0));
            int hi = Math.Min(n, (int)Math.Ceiling(pos + b / 2.0));
            double accSq = _opt.RecenterAccuracy * _opt.RecenterAccuracy;
            double d = accSq + 1e6, dPrev = d + 1, dxTot = 0, dyTot = 0;
            int iter = 0;
            while (iter < _opt.RecenterMaxIterations && d >= accSq)
            {
                iter++;
                double sum = 0, sx = 0, sy = 0;
                for (int j = lo; j < hi; j++)
                    for (int i = lo; i < hi; i++)
                    {
                        double v = _epsf[j * n + i];
                        if (!double.IsFinite(v)) continue;
                        sum += v; sx += v * (i - lo); sy += v * (j - lo);
                    }
                if (sum == 0)
                    return "the ePSF has zero flux in the recentering box (centroid undefined)";
                double xc = (sx / sum + lo) / o, yc = (sy / sum + lo) / o;
                double dx = xc - origin, dy = yc - origin;
                d = dx * dx + dy * dy;
                if (!double.IsFinite(d)) return "the ePSF centroid is not finite";
                if (d >= dPrev) break;
                dPrev = d;
                dxTot += dx; dyTot += dy;
                double ox = o * dxTot, oy = o * dyTot;
                for (int j = 0; j < n; j++)
                    for (int i = 0; i < n; i++)
                        _epsf[j * n + i] = _smoothModel.Evaluate(i + ox, j + oy);
            }
            return null;
        }

        /// <summary>
        /// Fills NaN nodes of the combined residual. NaN nodes inside the convex hull of the
        /// finite nodes (boundary included) are filled by repeated averaging of their finite
        /// 4-neighbours; those outside become 0, as in photutils. photutils interpolates the
        /// inside ones with Clough–Tocher instead: the values differ there (in practice only
        /// sparse border nodes of oversampled grids; see the golden test), never elsewhere.
        /// </summary>
        private static void FillHoles(double[] a, int n)
        {
            bool any = false;
            for (int p = 0; p < a.Length; p++) if (double.IsNaN(a[p])) { any = true; break; }
            if (!any) return;
            var hull = ConvexHull(a, n);
            var inside = new bool[a.Length];
            int pending = 0;
            for (int p = 0; p < a.Length; p++)
            {
                if (!double.IsNaN(a[p])) continue;
                if (InHull(hull, p % n, p / n)) { inside[p] = true; pending++; }
                else a[p] = 0;
            }
            var next = new double[a.Length];
            while (pending > 0)
            {
                int filled = 0;
                Array.Copy(a, next, a.Length);
                for (int p = 0; p < a.Length; p++)
                {
                    if (!inside[p] || !double.IsNaN(a[p])) continue;
                    int i = p % n, j = p / n, c = 0;
                    double sum = 0;
                    if (i > 0 && !double.IsNaN(a[p - 1])) { sum += a[p - 1]; c++; }
                    if (i < n - 1 && !double.IsNaN(a[p + 1])) { sum += a[p + 1]; c++; }
                    if (j > 0 && !double.IsNaN(a[p - n])) { sum += a[p - n]; c++; }
                    if (j < n - 1 && !double.IsNaN(a[p + n])) { sum += a[p + n]; c++; }
                    if (c > 0) { next[p] = sum / c; filled++; }
                }
                Array.Copy(next, a, a.Length);
                pending -= filled;
                if (filled == 0) break;
            }
            for (int p = 0; p < a.Length; p++) if (double.IsNaN(a[p])) a[p] = 0;
        }

        /// <summary>Convex hull (counter-clockwise, monotone chain) of the finite nodes.</summary>
        private static List<(long X, long Y)> ConvexHull(double[] a, int n)
        {
            var pts = new List<(long X, long Y)>();
            for (int i = 0; i < n; i++) // sorted by x, then y
                for (int j = 0; j < n; j++)
                    if (!double.IsNaN(a[j * n + i])) pts.Add((i, j));
            if (pts.Count < 3) return pts;
            static long Cross((long X, long Y) o, (long X, long Y) p, (long X, long Y) q) =>
                (p.X - o.X) * (q.Y - o.Y) - (p.Y - o.Y) * (q.X - o.X);
            var h = new List<(long X, long Y)>();
            foreach (var p in pts)
            {
                while (h.Count >= 2 && Cross(h[^2], h[^1], p) <= 0) h.RemoveAt(h.Count - 1);
                h.Add(p);
            }
            int lower = h.Count + 1;
            for (int k = pts.Count - 2; k >= 0; k--)
            {
                var p = pts[k];
                while (h.Count >= lower && Cross(h[^2], h[^1], p) <= 0) h.RemoveAt(h.Count - 1);
                h.Add(p);
            }
            h.RemoveAt(h.Count - 1);
            return h;
        }

        private static bool InHull(List<(long X, long Y)> hull, long x, long y)
        {
            // fewer than 3 hull points: no area (the triangulation photutils needs would fail)
            if (hull.Count < 3) return false;
            for (int k = 0; k < hull.Count; k++)
            {
                var o = hull[k];
                var p = hull[(k + 1) % hull.Count];
                if ((p.X - o.X) * (y - o.Y) - (p.Y - o.Y) * (x - o.X) < 0) return false;
            }
            return true;
        }

        /// <summary>Python 2 style rounding (photutils' <c>_py2intround</c>): halves away from zero.</summary>
        private static int RoundHalfAway(double v) => (int)Math.Round(v, MidpointRounding.AwayFromZero);
    }
}
