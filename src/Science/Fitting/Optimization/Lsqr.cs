namespace Tract7dt.Science.Fitting.Optimization;

/// <summary>A linear map A (Rows × Columns) given by its two products.</summary>
internal interface ILinearOperator
{
    int Rows { get; }
    int Columns { get; }

    /// <summary>u += A·v (v of length Columns, u of length Rows).</summary>
    void MultiplyAdd(ReadOnlySpan<double> v, Span<double> u);

    /// <summary>x += Aᵀ·u (u of length Rows, x of length Columns).</summary>
    void MultiplyTransposeAdd(ReadOnlySpan<double> u, Span<double> x);

    /// <summary>
    /// One bidiagonalisation half-step of LSQR in a single call: u ← f·u + A·v, then
    /// <paramref name="atu"/> ← Aᵀu (overwritten) for the new u. Returns ‖u‖² of the new u.
    /// The default composes the two products; an operator may fuse them into one pass over
    /// its values (each stored value is then read once per LSQR iteration instead of twice).
    /// </summary>
    double ScaleMultiplyAddTranspose(double f, ReadOnlySpan<double> v, Span<double> u, Span<double> atu)
    {
        VectorKernels.Scale(u, f);
        MultiplyAdd(v, u);
        double uu = VectorKernels.SumSquares(u);
        atu.Clear();
        MultiplyTransposeAdd(u, atu);
        return uu;
    }
}

/// <summary>Why LSQR stopped (the istop codes of Paige &amp; Saunders).</summary>
public enum LsqrStop
{
    /// <summary>x = 0 is the exact answer (b = 0 or Aᵀb = 0).</summary>
    ZeroSolution = 0,
    /// <summary>Ax − b is small enough (test1 ≤ rtol).</summary>
    ResidualSmall = 1,
    /// <summary>The least-squares optimality test passed (test2 ≤ atol).</summary>
    LeastSquaresConverged = 2,
    /// <summary>The condition estimate exceeded conlim.</summary>
    ConditionLimit = 3,
    /// <summary>Residual test at machine precision.</summary>
    ResidualMachinePrecision = 4,
    /// <summary>Optimality test at machine precision.</summary>
    LeastSquaresMachinePrecision = 5,
    /// <summary>Condition estimate at machine precision.</summary>
    ConditionMachinePrecision = 6,
    /// <summary>The iteration limit was reached.</summary>
    IterationLimit = 7,
}

/// <summary>
/// LSQR (Paige &amp; Saunders 1982) for min ‖Ax − b‖ with damp = 0, in f64, following the
/// recurrences and stopping tests of docs/fitting.md §18.3 (those of SciPy's lsqr, which
/// the Tractor calls). The work vectors are kept between calls.
/// </summary>
/// <remarks>
/// One rearrangement, exact in real arithmetic: u is kept un-normalised (ũ, with
/// u = ũ/β held as a pending factor), so that "u ← A v − α u; β = ‖u‖; u ← u/β;
/// v ← Aᵀu − β v" becomes "ũ ← A v − (α/β_prev) ũ; β = ‖ũ‖; v ← (Aᵀũ)/β − β v". Then
/// A·v and Aᵀũ need the same ũ and can be formed in one pass over A
/// (<see cref="ILinearOperator.ScaleMultiplyAddTranspose"/>), and the two full-length
/// scalings of u disappear. Results differ from the textbook order by rounding only.
/// </remarks>
internal sealed class Lsqr
{
    private const double Eps = 2.220446049250313e-16;
    private double[] _u = Array.Empty<double>();
    private double[] _v = Array.Empty<double>();
    private double[] _w = Array.Empty<double>();
    private double[] _atu = Array.Empty<double>();

    /// <summary>atol (default 1e-6, as the Tractor).</summary>
    public double ATol { get; init; } = 1e-6;

    /// <summary>btol (default 1e-6).</summary>
    public double BTol { get; init; } = 1e-6;

    /// <summary>conlim (default 1e8).</summary>
    public double ConLim { get; init; } = 1e8;

    /// <summary>Iterations used by the last call.</summary>
    public int Iterations { get; private set; }

    /// <summary>Why the last call stopped.</summary>
    public LsqrStop Stop { get; private set; }

    /// <summary>
    /// Solves from x = 0. <paramref name="x"/> (length Columns) receives the solution;
    /// <paramref name="b"/> is not modified. Iteration limit: <paramref name="iterationLimit"/>
    /// (the Tractor passes 2 × columns).
    /// </summary>
    public void Solve(ILinearOperator a, ReadOnlySpan<double> b, Span<double> x, int iterationLimit)
    {
        int m = a.Rows, n = a.Columns;
        if (b.Length != m || x.Length != n)
            throw new ArgumentException("LSQR: b must have Rows and x Columns elements.");
        if (_u.Length < m) _u = new double[m];
        if (_v.Length < n) { _v = new double[n]; _w = new double[n]; _atu = new double[n]; }
        var u = _u.AsSpan(0, m);
        var v = _v.AsSpan(0, n);
        var w = _w.AsSpan(0, n);
        var atu = _atu.AsSpan(0, n);
        x.Clear();
        Iterations = 0;
        Stop = LsqrStop.ZeroSolution;

        // u holds ũ; the normalised u is ũ·uScale.
        b.CopyTo(u);
        double bnorm = Math.Sqrt(VectorKernels.SumSquares(u));
        double beta = bnorm;
        double alpha = 0, uScale = 1;
        v.Clear();
        if (beta > 0)
        {
            uScale = 1.0 / beta;
            a.MultiplyTransposeAdd(u, v);
            VectorKernels.Scale(v, uScale);
            alpha = Norm(v);
        }
        if (alpha > 0) VectorKernels.Scale(v, 1.0 / alpha);
        v.CopyTo(w);
        if (alpha * beta == 0) return;

        double rhobar = alpha, phibar = beta;
        double anorm = 0, ddnorm = 0, xxnorm = 0, z = 0, cs2 = -1, sn2 = 0;
        double ctol = ConLim > 0 ? 1.0 / ConLim : 0;
        int itn = 0;
        while (itn < iterationLimit)
        {
            itn++;
            // Bidiagonalisation: ũ ← A v − α u (u = ũ·uScale), β = ‖ũ‖, v ← Aᵀũ/β − β v.
            beta = Math.Sqrt(a.ScaleMultiplyAddTranspose(-alpha * uScale, v, u, atu));
            if (beta > 0)
            {
                uScale = 1.0 / beta;
                anorm = Math.Sqrt(anorm * anorm + alpha * alpha + beta * beta);
                for (int j = 0; j < n; j++) v[j] = atu[j] * uScale - beta * v[j];
                alpha = Norm(v);
                if (alpha > 0) VectorKernels.Scale(v, 1.0 / alpha);
            }
            else
            {
                uScale = 1; // ũ = 0: u is not normalised (reference), and stays 0.
            }

            // Plane rotation eliminating β.
            (double cs, double sn, double rho) = SymOrtho(rhobar, beta);
            double theta = sn * alpha;
            rhobar = -cs * alpha;
            double phi = cs * phibar;
            phibar = sn * phibar;
            double tau = sn * phi;

            // Update x and w.
            double t1 = phi / rho, t2 = -theta / rho, inv = 1.0 / rho;
            double dk2 = 0;
            for (int j = 0; j < n; j++)
            {
                double wj = w[j];
                double dk = inv * wj;
                dk2 += dk * dk;
                x[j] += t1 * wj;
                w[j] = v[j] + t2 * wj;
            }
            ddnorm += dk2;

            // Estimate of ‖x‖ (second rotation).
            double delta = sn2 * rho;
            double gambar = -cs2 * rho;
            double rhs = phi - delta * z;
            double zbar = rhs / gambar;
            double xnorm = Math.Sqrt(xxnorm + zbar * zbar);
            double gamma = Math.Sqrt(gambar * gambar + theta * theta);
            cs2 = gambar / gamma;
            sn2 = theta / gamma;
            z = rhs / gamma;
            xxnorm += z * z;

            double acond = anorm * Math.Sqrt(ddnorm);
            double rnorm = Math.Abs(phibar);
            double arnorm = alpha * Math.Abs(tau);
            double test1 = rnorm / bnorm;
            double test2 = arnorm / (anorm * rnorm + Eps);
            double test3 = 1.0 / (acond + Eps);
            double tt1 = test1 / (1 + anorm * xnorm / bnorm);
            double rtol = BTol + ATol * anorm * xnorm / bnorm;

            LsqrStop? stop = null;
            if (itn >= iterationLimit) stop = LsqrStop.IterationLimit;
            if (1 + test3 <= 1) stop = LsqrStop.ConditionMachinePrecision;
            if (1 + test2 <= 1) stop = LsqrStop.LeastSquaresMachinePrecision;
            if (1 + tt1 <= 1) stop = LsqrStop.ResidualMachinePrecision;
            if (test3 <= ctol) stop = LsqrStop.ConditionLimit;
            if (test2 <= ATol) stop = LsqrStop.LeastSquaresConverged;
            if (test1 <= rtol) stop = LsqrStop.ResidualSmall;
            if (stop is { } s)
            {
                Stop = s;
                break;
            }
        }
        Iterations = itn;
        if (itn >= iterationLimit && Stop == LsqrStop.ZeroSolution) Stop = LsqrStop.IterationLimit;
    }

    /// <summary>Stable Givens rotation (c, s, r) with [c s; −s c]·[a; b] = [r; 0].</summary>
    internal static (double C, double S, double R) SymOrtho(double a, double b)
    {
        if (b == 0) return (Math.Sign(a) == 0 ? 0.0 : Math.Sign(a), 0.0, Math.Abs(a));
        if (a == 0) return (0.0, Math.Sign(b), Math.Abs(b));
        if (Math.Abs(b) > Math.Abs(a))
        {
            double t = a / b;
            double s = Math.Sign(b) / Math.Sqrt(1 + t * t);
            double c = s * t;
            return (c, s, b / s);
        }
        else
        {
            double t = b / a;
            double c = Math.Sign(a) / Math.Sqrt(1 + t * t);
            double s = c * t;
            return (c, s, a / c);
        }
    }

    private static double Norm(ReadOnlySpan<double> a) => Math.Sqrt(VectorKernels.SumSquares(a));
}
