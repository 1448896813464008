namespace Tract7dt.Science.Fitting.Profiles;

/// <summary>
/// Interpolating cubic spline with not-a-knot end conditions (the third derivative is
/// continuous at the second and second-to-last knots), as FITPACK <c>curfit(s=0, k=3)</c>
/// and SciPy's <c>CubicSpline(bc_type='not-a-knot')</c> build it. Outside the knots the end
/// cubics extrapolate. Needs at least 4 knots, strictly increasing.
/// </summary>
internal sealed class CubicSplineNotAKnot
{
    private readonly double[] _x, _y, _m; // m = second derivatives at the knots

    public CubicSplineNotAKnot(double[] x, double[] y)
    {
        int n = x.Length;
        if (n < 4 || y.Length != n) throw new ArgumentException("need ≥ 4 knots");
        _x = x; _y = y;
        // Dense (n×n) system for the knot second derivatives: tiny (n ≤ 16), so clarity wins.
        var a = new double[n, n];
        var b = new double[n];
        for (int i = 1; i < n - 1; i++)
        {
            double h0 = x[i] - x[i - 1], h1 = x[i + 1] - x[i];
            a[i, i - 1] = h0; a[i, i] = 2 * (h0 + h1); a[i, i + 1] = h1;
            b[i] = 6 * ((y[i + 1] - y[i]) / h1 - (y[i] - y[i - 1]) / h0);
        }
        // not-a-knot: (M1 − M0)/h0 = (M2 − M1)/h1, likewise at the far end.
        {
            double h0 = x[1] - x[0], h1 = x[2] - x[1];
            a[0, 0] = h1; a[0, 1] = -(h0 + h1); a[0, 2] = h0;
            double g0 = x[n - 2] - x[n - 3], g1 = x[n - 1] - x[n - 2];
            a[n - 1, n - 3] = g1; a[n - 1, n - 2] = -(g0 + g1); a[n - 1, n - 1] = g0;
        }
        _m = Solve(a, b);
    }

    public double Evaluate(double t)
    {
        int n = _x.Length;
        int i = 0;
        while (i < n - 2 && t >= _x[i + 1]) i++;
        double h = _x[i + 1] - _x[i];
        double u = _x[i + 1] - t, w = t - _x[i];
        return _m[i] * u * u * u / (6 * h) + _m[i + 1] * w * w * w / (6 * h)
             + (_y[i] / h - _m[i] * h / 6) * u + (_y[i + 1] / h - _m[i + 1] * h / 6) * w;
    }

    private static double[] Solve(double[,] a, double[] b)
    {
        int n = b.Length;
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[p, c])) p = r;
            if (p != c)
            {
                for (int k = 0; k < n; k++) (a[c, k], a[p, k]) = (a[p, k], a[c, k]);
                (b[c], b[p]) = (b[p], b[c]);
            }
            for (int r = c + 1; r < n; r++)
            {
                double f = a[r, c] / a[c, c];
                if (f == 0) continue;
                for (int k = c; k < n; k++) a[r, k] -= f * a[c, k];
                b[r] -= f * b[c];
            }
        }
        var x = new double[n];
        for (int r = n - 1; r >= 0; r--)
        {
            double s = b[r];
            for (int k = r + 1; k < n; k++) s -= a[r, k] * x[k];
            x[r] = s / a[r, r];
        }
        return x;
    }
}
