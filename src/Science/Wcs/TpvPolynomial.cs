namespace Tract7dt.Science.Wcs;

/// <summary>
/// The TPV distortion polynomial as SCAMP writes it (PV1_0..39 for the first axis,
/// PV2_0..39 for the second), applied to intermediate world coordinates in degrees
/// after the linear part and before the TAN projection:
/// ξ' = Σ_k PV1_k · T_k(ξ, η),  η' = Σ_k PV2_k · T_k(η, ξ) (the arguments swap for axis 2).
/// </summary>
/// <remarks>
/// T_k runs through the monomials of each degree d = 0..7 in the order x^d, x^(d−1)y, …,
/// y^d, and after the monomials of every odd degree d comes the radial term r^d with
/// r = sqrt(x² + y²): k = 0: 1; 1: x; 2: y; 3: r; 4–6: x², xy, y²; 7–10: x³ … y³;
/// 11: r³; 12–16: degree 4; 17–22: degree 5; 23: r⁵; 24–30: degree 6; 31–38: degree 7;
/// 39: r⁷. Absent coefficients are 0 (as wcslib reads TPV; even PVi_1, so a TPV header
/// must state its linear terms).
/// </remarks>
public sealed class TpvPolynomial
{
    /// <summary>Number of TPV coefficients per axis.</summary>
    public const int TermCount = 40;

    // Exponents of term k: x^XPow[k] y^YPow[k], or r^RPow[k] when RPow[k] > 0.
    private static readonly sbyte[] XPow = new sbyte[TermCount];
    private static readonly sbyte[] YPow = new sbyte[TermCount];
    private static readonly sbyte[] RPow = new sbyte[TermCount];

    static TpvPolynomial()
    {
        int k = 0;
        for (int d = 0; d <= 7; d++)
        {
            for (int j = 0; j <= d; j++) { XPow[k] = (sbyte)(d - j); YPow[k] = (sbyte)j; k++; }
            if (d % 2 == 1) { RPow[k] = (sbyte)d; k++; }
        }
    }

    private readonly double[] _pv1;
    private readonly double[] _pv2;
    private readonly int _maxDegree;   // highest degree with a non-zero coefficient

    /// <param name="pv1">PV1_0..PV1_39 (length 40).</param>
    /// <param name="pv2">PV2_0..PV2_39 (length 40).</param>
    public TpvPolynomial(double[] pv1, double[] pv2)
    {
        if (pv1.Length != TermCount || pv2.Length != TermCount)
            throw new ArgumentException($"TPV needs {TermCount} coefficients per axis.");
        _pv1 = (double[])pv1.Clone();
        _pv2 = (double[])pv2.Clone();
        for (int k = 0; k < TermCount; k++)
            if (_pv1[k] != 0.0 || _pv2[k] != 0.0)
                _maxDegree = Math.Max(_maxDegree, RPow[k] > 0 ? RPow[k] : XPow[k] + YPow[k]);
    }

    /// <summary>PV1_k.</summary>
    public ReadOnlySpan<double> Pv1 => _pv1;

    /// <summary>PV2_k.</summary>
    public ReadOnlySpan<double> Pv2 => _pv2;

    /// <summary>Distorted (ξ', η') of intermediate coordinates (ξ, η), all in degrees.</summary>
    public (double Xi, double Eta) Apply(double xi, double eta) =>
        (Sum(_pv1, xi, eta, out _, out _), Sum(_pv2, eta, xi, out _, out _));

    /// <summary>
    /// Distorted coordinates and the Jacobian J = ∂(ξ', η')/∂(ξ, η), row-major.
    /// </summary>
    public (double Xi, double Eta) Apply(double xi, double eta, out double j11, out double j12, out double j21, out double j22)
    {
        double a = Sum(_pv1, xi, eta, out j11, out j12);
        // Axis 2 is evaluated with swapped arguments: T(η, ξ); its "x" derivative is ∂/∂η.
        double b = Sum(_pv2, eta, xi, out j22, out j21);
        return (a, b);
    }

    // Σ_k c_k T_k(x, y) with ∂/∂x and ∂/∂y.
    private double Sum(double[] c, double x, double y, out double dx, out double dy)
    {
        Span<double> xp = stackalloc double[9];
        Span<double> yp = stackalloc double[9];
        xp[0] = 1.0; yp[0] = 1.0;
        for (int i = 1; i <= _maxDegree; i++) { xp[i] = xp[i - 1] * x; yp[i] = yp[i - 1] * y; }
        double r = Math.Sqrt(x * x + y * y);

        double s = 0.0, sx = 0.0, sy = 0.0;
        for (int k = 0; k < TermCount; k++)
        {
            double ck = c[k];
            if (ck == 0.0) continue;
            int n = RPow[k];
            if (n > 0)
            {
                // r^n, ∂/∂x = n r^(n−2) x; at r = 0 the derivative of r (n = 1) is taken as 0.
                double rn2 = n == 1 ? (r > 0 ? 1.0 / r : 0.0) : Math.Pow(r, n - 2);
                s += ck * rn2 * r * r;
                sx += ck * n * rn2 * x;
                sy += ck * n * rn2 * y;
            }
            else
            {
                int i = XPow[k], j = YPow[k];
                s += ck * xp[i] * yp[j];
                if (i > 0) sx += ck * i * xp[i - 1] * yp[j];
                if (j > 0) sy += ck * j * xp[i] * yp[j - 1];
            }
        }
        dx = sx;
        dy = sy;
        return s;
    }
}
