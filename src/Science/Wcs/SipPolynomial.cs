namespace Tract7dt.Science.Wcs;

/// <summary>
/// One SIP polynomial (Shupe et al. 2005): f(u, v) = Σ_{p+q ≤ order} C_pq · u^p · v^q,
/// with (u, v) the pixel offsets from CRPIX in pixels. Used for A, B (pixel → focal
/// plane, added to u resp. v) and AP, BP (the approximate inverse).
/// </summary>
public sealed class SipPolynomial
{
    /// <summary>Highest order accepted; SIP writers use ≤ 9, this only guards stackalloc.</summary>
    public const int MaxOrder = 16;

    private readonly double[] _c;   // C_pq at [p * (Order + 1) + q]; zero where p + q > Order

    /// <param name="order">The <c>X_ORDER</c> keyword value, 0..<see cref="MaxOrder"/>.</param>
    /// <param name="coefficients">C_pq at index p·(order+1)+q, length (order+1)²; entries with
    /// p + q &gt; order must be zero.</param>
    public SipPolynomial(int order, double[] coefficients)
    {
        if (order < 0 || order > MaxOrder)
            throw new ArgumentOutOfRangeException(nameof(order), order, $"SIP order must be 0..{MaxOrder}.");
        if (coefficients.Length != (order + 1) * (order + 1))
            throw new ArgumentException($"Expected {(order + 1) * (order + 1)} coefficients.", nameof(coefficients));
        Order = order;
        _c = (double[])coefficients.Clone();
    }

    public int Order { get; }

    /// <summary>Coefficient C_pq (0 outside the triangle p + q ≤ order).</summary>
    public double this[int p, int q] =>
        p >= 0 && q >= 0 && p + q <= Order ? _c[p * (Order + 1) + q] : 0.0;

    /// <summary>f(u, v).</summary>
    public double Evaluate(double u, double v)
    {
        // Horner in u over inner Horner polynomials in v: Σ_p u^p (Σ_q C_pq v^q).
        int n = Order + 1;
        double sum = 0.0;
        for (int p = Order; p >= 0; p--)
        {
            double inner = 0.0;
            for (int q = Order - p; q >= 0; q--)
                inner = inner * v + _c[p * n + q];
            sum = sum * u + inner;
        }
        return sum;
    }

    /// <summary>f(u, v) and its partial derivatives ∂f/∂u, ∂f/∂v.</summary>
    public double Evaluate(double u, double v, out double dfdu, out double dfdv)
    {
        int n = Order + 1;
        double f = 0.0, fu = 0.0, fv = 0.0;
        for (int p = Order; p >= 0; p--)
        {
            double g = 0.0, gv = 0.0;   // g(v) = Σ_q C_pq v^q and g'(v)
            for (int q = Order - p; q >= 0; q--)
            {
                gv = gv * v + g;
                g = g * v + _c[p * n + q];
            }
            fu = fu * u + f;            // derivative of the outer Horner in u
            f = f * u + g;
            fv = fv * u + gv;
        }
        dfdu = fu;
        dfdv = fv;
        return f;
    }

    /// <summary>True when every coefficient is zero.</summary>
    public bool IsZero => Array.TrueForAll(_c, c => c == 0.0);
}

/// <summary>
/// SIP distortion: pixel offsets (u, v) from CRPIX map to focal-plane offsets
/// (u + A(u, v), v + B(u, v)) before the linear part. AP/BP, when the header has them,
/// only seed the iterative inverse (astropy's <c>all_world2pix</c> solves A/B exactly).
/// </summary>
public sealed record SipDistortion(SipPolynomial A, SipPolynomial B, SipPolynomial? AP = null, SipPolynomial? BP = null);
