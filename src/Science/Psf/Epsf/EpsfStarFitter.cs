namespace Tract7dt.Science.Psf.Epsf;

/// <summary>
/// Fits one star's flux and sub-pixel shift to the current ePSF (photutils' <c>EPSFFitter</c>,
/// docs/epsf.md §7.4): weighted least squares of <c>F·S(dx − x₀, dy − y₀)</c> against the stamp in a
/// small box around the current centre. Levenberg–Marquardt with the spline's analytic
/// gradient; it reaches the same minimum as SciPy's trust-region solver (docs/epsf.md §7.4: agreement within
/// ~1e-7 relative, not the same iterate path). Reuses its buffers; not thread-safe.
/// </summary>
internal sealed class EpsfStarFitter
{
    private readonly int _box;
    private readonly int _maxEval;
    private readonly double[] _val, _w, _dx, _dy; // box pixels: value, weight, offset from centre
    private readonly double[] _r, _j0, _j1, _j2;

    public EpsfStarFitter(int boxSize, int maxEvaluations)
    {
        _box = boxSize;
        _maxEval = maxEvaluations;
        int n = boxSize * boxSize;
        _val = new double[n]; _w = new double[n]; _dx = new double[n]; _dy = new double[n];
        _r = new double[n]; _j0 = new double[n]; _j1 = new double[n]; _j2 = new double[n];
    }

    /// <summary>
    /// Fits the star. Returns false (fit "status 1") when the box
    /// <c>[ceil(c − B/2), ceil(c + B/2))</c> is not fully inside the stamp or holds no usable
    /// pixel; the centre and flux are then left as they are.
    /// </summary>
    /// <param name="star">The stamp.</param>
    /// <param name="model">Spline of the ePSF array (grid-index units).</param>
    /// <param name="o">Oversampling.</param>
    /// <param name="origin">ePSF origin in stamp pixels (the array centre / o).</param>
    /// <param name="cx">Centre x (stamp pixels), updated in place.</param>
    /// <param name="cy">Centre y (stamp pixels), updated in place.</param>
    /// <param name="flux">Flux, start value in, fitted value out.</param>
    public bool Fit(EpsfStar star, SplineGrid model, int o, double origin, ref double cx, ref double cy, ref double flux)
    {
        double half = _box / 2.0;
        double bx = Math.Ceiling(cx - half), by = Math.Ceiling(cy - half);
        if (!(bx >= 0 && by >= 0 && bx + _box <= star.Size && by + _box <= star.Size)) return false;
        int x0 = (int)bx, y0 = (int)by, n = 0;
        for (int j = 0; j < _box; j++)
            for (int i = 0; i < _box; i++)
            {
                int k = (y0 + j) * star.Size + x0 + i;
                // Zero-weight pixels are absent (a NaN there made photutils' fit raise; see
                // README.md, Differences #3).
                if (!star.IsUsable(k)) continue;
                _val[n] = star.Data[k];
                _w[n] = star.Weights[k];
                _dx[n] = x0 + i - cx;
                _dy[n] = y0 + j - cy;
                n++;
            }
        if (n == 0) return false;

        double f = flux, sx = 0, sy = 0;
        double cost = Residuals(model, o, origin, n, f, sx, sy, jacobian: true);
        int nEval = 1;
        double lambda = 1e-3;
        Span<double> a = stackalloc double[9];
        Span<double> g = stackalloc double[3];
        Span<double> step = stackalloc double[3];
        while (nEval < _maxEval)
        {
            NormalEquations(n, a, g);
            bool accepted = false;
            while (nEval < _maxEval)
            {
                if (!SolveDamped(a, g, lambda, step)) { lambda *= 10; if (lambda > 1e12) break; continue; }
                double nf = f + step[0], nsx = sx + step[1], nsy = sy + step[2];
                double trial = Residuals(model, o, origin, n, nf, nsx, nsy, jacobian: false);
                nEval++;
                if (trial <= cost)
                {
                    bool tiny = Math.Abs(step[0]) <= XTol * (XTol + Math.Abs(f))
                                && Math.Abs(step[1]) <= XTol * (XTol + Math.Abs(sx))
                                && Math.Abs(step[2]) <= XTol * (XTol + Math.Abs(sy));
                    bool flat = cost - trial <= FTol * cost;
                    f = nf; sx = nsx; sy = nsy;
                    cost = Residuals(model, o, origin, n, f, sx, sy, jacobian: true);
                    lambda = Math.Max(lambda / 10, 1e-12);
                    accepted = true;
                    if (tiny || flat) goto Done;
                    break;
                }
                lambda *= 10;
                if (lambda > 1e12) break;
            }
            if (!accepted) break;
        }
    Done:
        cx += sx;
        cy += sy;
        flux = f;
        return true;
    }

    // Tighter than SciPy's xtol = 1e-7 / ftol = 1e-8 so that the minimum, not the stopping
    // point, is what we agree on.
    private const double XTol = 1e-10;
    private const double FTol = 1e-14;

    /// <summary>Fills the weighted residuals (and Jacobian) and returns Σ r².</summary>
    private double Residuals(SplineGrid model, int o, double origin, int n, double f, double sx, double sy, bool jacobian)
    {
        double cost = 0;
        for (int p = 0; p < n; p++)
        {
            double u = o * (_dx[p] - sx + origin), v = o * (_dy[p] - sy + origin);
            double s = model.Evaluate(u, v, out double du, out double dv);
            double r = _w[p] * (f * s - _val[p]);
            _r[p] = r;
            cost += r * r;
            if (jacobian)
            {
                _j0[p] = _w[p] * s;
                _j1[p] = -_w[p] * f * o * du;
                _j2[p] = -_w[p] * f * o * dv;
            }
        }
        return cost;
    }

    private void NormalEquations(int n, Span<double> a, Span<double> g)
    {
        a.Clear(); g.Clear();
        for (int p = 0; p < n; p++)
        {
            double j0 = _j0[p], j1 = _j1[p], j2 = _j2[p], r = _r[p];
            a[0] += j0 * j0; a[1] += j0 * j1; a[2] += j0 * j2;
            a[4] += j1 * j1; a[5] += j1 * j2; a[8] += j2 * j2;
            g[0] += j0 * r; g[1] += j1 * r; g[2] += j2 * r;
        }
        a[3] = a[1]; a[6] = a[2]; a[7] = a[5];
    }

    /// <summary>Solves (A + λ·diag A) δ = −g by Cramer's rule (3×3).</summary>
    private static bool SolveDamped(ReadOnlySpan<double> a, ReadOnlySpan<double> g, double lambda, Span<double> step)
    {
        double m00 = a[0] * (1 + lambda), m11 = a[4] * (1 + lambda), m22 = a[8] * (1 + lambda);
        double m01 = a[1], m02 = a[2], m12 = a[5];
        double det = m00 * (m11 * m22 - m12 * m12) - m01 * (m01 * m22 - m12 * m02) + m02 * (m01 * m12 - m11 * m02);
        if (!(Math.Abs(det) > 0) || !double.IsFinite(det)) return false;
        double b0 = -g[0], b1 = -g[1], b2 = -g[2];
        step[0] = (b0 * (m11 * m22 - m12 * m12) - m01 * (b1 * m22 - m12 * b2) + m02 * (b1 * m12 - m11 * b2)) / det;
        step[1] = (m00 * (b1 * m22 - m12 * b2) - b0 * (m01 * m22 - m12 * m02) + m02 * (m01 * b2 - b1 * m02)) / det;
        step[2] = (m00 * (m11 * b2 - b1 * m12) - m01 * (m01 * b2 - b1 * m02) + b0 * (m01 * m12 - m11 * m02)) / det;
        return double.IsFinite(step[0]) && double.IsFinite(step[1]) && double.IsFinite(step[2]);
    }
}
