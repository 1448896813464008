namespace Tract7dt.Science.Psf.Epsf;

/// <summary>
/// The interpolating bicubic spline through a regular grid of values: the tensor product
/// of 1-D cubic interpolating splines with "not-a-knot" end conditions. This is the
/// surface FITPACK's <c>regrid</c> builds with <c>s = 0, kx = ky = 3</c> (knots at the
/// grid points except the second and the second-to-last), which is what photutils'
/// <c>EPSFModel</c> evaluates.
/// </summary>
/// <remarks>
/// <para>Coordinates are in <b>grid-index units</b>: <c>(u, v)</c> = (column, row), so
/// node <c>(i, j)</c> holds <c>values[j*Width + i]</c>. Points with <c>u &lt; 0</c>,
/// <c>u &gt; Width−1</c>, <c>v &lt; 0</c> or <c>v &gt; Height−1</c> evaluate to 0 (the
/// fill value of photutils' model). A tensor-product interpolant is invariant under an
/// affine change of each axis, so a grid with spacing <c>1/o</c> stamp pixels is handled
/// by scaling the coordinates by <c>o</c> before the call.</para>
/// <para>Representation: on each cell the tensor spline is a bicubic, fixed by the value,
/// ∂/∂u, ∂/∂v and ∂²/∂u∂v at its four corners. Those node derivatives are the 1-D
/// spline slopes along rows and columns (and the column slopes of the row slopes), so one
/// <see cref="Fit"/> is three passes of a tridiagonal solve, O(W·H), and an evaluation
/// is 16 multiply-adds.</para>
/// </remarks>
public sealed class SplineGrid
{
    private readonly double[] _f, _fu, _fv, _fuv;
    private readonly SlopeSolver _rows, _cols;
    private readonly double[] _line, _slope;

    /// <summary>Creates an empty grid of the given size (each side ≥ 4).</summary>
    public SplineGrid(int width, int height)
    {
        if (width < 4 || height < 4)
            throw new ArgumentOutOfRangeException(nameof(width), "a not-a-knot bicubic spline needs at least 4×4 nodes");
        Width = width;
        Height = height;
        int n = width * height;
        _f = new double[n];
        _fu = new double[n];
        _fv = new double[n];
        _fuv = new double[n];
        _rows = new SlopeSolver(width);
        _cols = new SlopeSolver(height);
        int m = Math.Max(width, height);
        _line = new double[m];
        _slope = new double[m];
    }

    /// <summary>Number of nodes along u (columns).</summary>
    public int Width { get; }

    /// <summary>Number of nodes along v (rows).</summary>
    public int Height { get; }

    /// <summary>Sets the node values (row-major, <c>[v*Width + u]</c>) and computes the
    /// spline. The values must be finite.</summary>
    public void Fit(ReadOnlySpan<double> values)
    {
        if (values.Length != _f.Length)
            throw new ArgumentException($"expected {_f.Length} values, got {values.Length}", nameof(values));
        values.CopyTo(_f);
        int w = Width, h = Height;
        // slopes along u, one row at a time
        for (int j = 0; j < h; j++)
            _rows.Solve(_f.AsSpan(j * w, w), _fu.AsSpan(j * w, w));
        // slopes along v of the values and of the u-slopes, one column at a time
        Span<double> line = _line.AsSpan(0, h), slope = _slope.AsSpan(0, h);
        for (int i = 0; i < w; i++)
        {
            for (int j = 0; j < h; j++) line[j] = _f[j * w + i];
            _cols.Solve(line, slope);
            for (int j = 0; j < h; j++) _fv[j * w + i] = slope[j];
            for (int j = 0; j < h; j++) line[j] = _fu[j * w + i];
            _cols.Solve(line, slope);
            for (int j = 0; j < h; j++) _fuv[j * w + i] = slope[j];
        }
    }

    /// <summary>Value at grid-index coordinates <c>(u, v)</c>; 0 outside the grid.</summary>
    public double Evaluate(double u, double v) => Evaluate(u, v, out _, out _);

    /// <summary>Value and first derivatives (per grid-index unit) at <c>(u, v)</c>;
    /// all 0 outside the grid (and on its boundary the one-sided cell's derivative).</summary>
    public double Evaluate(double u, double v, out double dfdu, out double dfdv)
    {
        dfdu = 0; dfdv = 0;
        // NaN fails both comparisons of the in-range test and so evaluates to 0 as well
        if (!(u >= 0 && u <= Width - 1 && v >= 0 && v <= Height - 1)) return 0;
        int i = Math.Min((int)u, Width - 2);
        int j = Math.Min((int)v, Height - 2);
        double t = u - i, s = v - j;

        // cubic Hermite basis: value of node 0 / node 1, slope of node 0 / node 1
        double t2 = t * t, t3 = t2 * t, s2 = s * s, s3 = s2 * s;
        double a0 = 2 * t3 - 3 * t2 + 1, a1 = -2 * t3 + 3 * t2, b0 = t3 - 2 * t2 + t, b1 = t3 - t2;
        double da0 = 6 * t2 - 6 * t, da1 = -da0, db0 = 3 * t2 - 4 * t + 1, db1 = 3 * t2 - 2 * t;
        double c0 = 2 * s3 - 3 * s2 + 1, c1 = -2 * s3 + 3 * s2, e0 = s3 - 2 * s2 + s, e1 = s3 - s2;
        double dc0 = 6 * s2 - 6 * s, dc1 = -dc0, de0 = 3 * s2 - 4 * s + 1, de1 = 3 * s2 - 2 * s;

        int k00 = j * Width + i, k10 = k00 + 1, k01 = k00 + Width, k11 = k01 + 1;
        // combine along u first for the two rows, for value (g) and u-derivative (gu)
        double g0 = a0 * _f[k00] + a1 * _f[k10] + b0 * _fu[k00] + b1 * _fu[k10];
        double g1 = a0 * _f[k01] + a1 * _f[k11] + b0 * _fu[k01] + b1 * _fu[k11];
        double h0 = a0 * _fv[k00] + a1 * _fv[k10] + b0 * _fuv[k00] + b1 * _fuv[k10];
        double h1 = a0 * _fv[k01] + a1 * _fv[k11] + b0 * _fuv[k01] + b1 * _fuv[k11];
        double gu0 = da0 * _f[k00] + da1 * _f[k10] + db0 * _fu[k00] + db1 * _fu[k10];
        double gu1 = da0 * _f[k01] + da1 * _f[k11] + db0 * _fu[k01] + db1 * _fu[k11];
        double hu0 = da0 * _fv[k00] + da1 * _fv[k10] + db0 * _fuv[k00] + db1 * _fuv[k10];
        double hu1 = da0 * _fv[k01] + da1 * _fv[k11] + db0 * _fuv[k01] + db1 * _fuv[k11];

        dfdu = c0 * gu0 + c1 * gu1 + e0 * hu0 + e1 * hu1;
        dfdv = dc0 * g0 + dc1 * g1 + de0 * h0 + de1 * h1;
        return c0 * g0 + c1 * g1 + e0 * h0 + e1 * h1;
    }

    /// <summary>
    /// Slopes of the 1-D not-a-knot cubic spline through equally spaced values (spacing 1):
    /// interior rows <c>m[i−1] + 4 m[i] + m[i+1] = 3 (y[i+1] − y[i−1])</c>; the end rows
    /// <c>m0 + 2 m1 = (5 s0 + s1)/2</c> and <c>2 m[n−2] + m[n−1] = (s[n−3] + 5 s[n−2])/2</c>
    /// (with <c>s_k = y[k+1] − y[k]</c>) say the third derivative is continuous at the
    /// second and second-to-last node. The forward-elimination factors depend only on n
    /// and are computed once.
    /// </summary>
    private sealed class SlopeSolver
    {
        private readonly int _n;
        private readonly double[] _cPrime; // modified super-diagonal
        private readonly double[] _invDiag; // 1 / modified diagonal
        private readonly double[] _rhs;

        public SlopeSolver(int n)
        {
            _n = n;
            _cPrime = new double[n];
            _invDiag = new double[n];
            _rhs = new double[n];
            // tridiagonal a (sub), b (diag), c (super)
            for (int i = 0; i < n; i++)
            {
                double a = Sub(i), b = Diag(i), c = Super(i);
                double denom = i == 0 ? b : b - a * _cPrime[i - 1];
                _invDiag[i] = 1.0 / denom;
                _cPrime[i] = c * _invDiag[i];
            }
        }

        private double Sub(int i) => i == 0 ? 0 : (i == _n - 1 ? 2 : 1);
        private double Diag(int i) => (i == 0 || i == _n - 1) ? 1 : 4;
        private double Super(int i) => i == _n - 1 ? 0 : (i == 0 ? 2 : 1);

        public void Solve(ReadOnlySpan<double> y, Span<double> m)
        {
            int n = _n;
            Span<double> d = _rhs;
            d[0] = 0.5 * (5 * (y[1] - y[0]) + (y[2] - y[1]));
            for (int i = 1; i < n - 1; i++) d[i] = 3 * (y[i + 1] - y[i - 1]);
            d[n - 1] = 0.5 * ((y[n - 2] - y[n - 3]) + 5 * (y[n - 1] - y[n - 2]));
            // forward sweep
            d[0] *= _invDiag[0];
            for (int i = 1; i < n; i++) d[i] = (d[i] - Sub(i) * d[i - 1]) * _invDiag[i];
            // back substitution
            m[n - 1] = d[n - 1];
            for (int i = n - 2; i >= 0; i--) m[i] = d[i] - _cPrime[i] * m[i + 1];
        }
    }
}
