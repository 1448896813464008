using MathNet.Numerics;

namespace Tract7dt.Science.Simulation;

/// <summary>
/// An elliptical Sérsic surface-brightness profile, the simulator's true galaxy light before
/// the PSF: <c>I(R) = I_e · exp(−b_n·((R/R_e)^(1/n) − 1))</c>, R the elliptical radius
/// measured along the major axis (pixels), smoothly truncated.
/// </summary>
/// <remarks>
/// Conventions match the pipeline's catalogue (docs/inputs.md §5.3): <see cref="Re"/> is the
/// half-light radius along the major axis in native pixels, <see cref="AxisRatio"/> = b/a =
/// 1 − ELL, <see cref="ThetaDeg"/> is the major-axis angle in degrees counter-clockwise from +x
/// (SExtractor THETA_IMAGE). The profile is tapered to zero between
/// (<see cref="TruncationRe"/> − 1)·R_e and <see cref="TruncationRe"/>·R_e, as the Tractor's
/// exp (4 R_e) and dev (8 R_e) profiles are, so total flux is finite and contained in the
/// stamp; the truth flux is the flux of this truncated profile.
/// </remarks>
public readonly record struct SersicProfile(double N, double Re, double AxisRatio, double ThetaDeg)
{
    /// <summary>b_n such that R_e encloses half the untruncated light: P(2n, b_n) = ½.</summary>
    public double Bn => SpecialFunctions.GammaLowerRegularizedInv(2.0 * N, 0.5);

    /// <summary>Outer truncation radius in units of R_e: 4 for n = 1, 8 for n = 4, linear in n between, clamped to [3, 8].</summary>
    public double TruncationRe => Math.Clamp(4.0 + (N - 1.0) * 4.0 / 3.0, 3.0, 8.0);

    /// <summary>Fraction of the untruncated light inside elliptical radius R (pixels).</summary>
    public double EnclosedFraction(double r) =>
        SpecialFunctions.GammaLowerRegularized(2.0 * N, Bn * Math.Pow(r / Re, 1.0 / N));

    /// <summary>Untruncated total flux for I_e = 1: 2π q R_e² n e^{b_n} b_n^{−2n} Γ(2n).</summary>
    public double TotalForUnitIe()
    {
        double bn = Bn;
        return 2.0 * Math.PI * AxisRatio * Re * Re * N * Math.Exp(bn - 2.0 * N * Math.Log(bn) + SpecialFunctions.GammaLn(2.0 * N));
    }

    /// <summary>Half-widths (pixels) of the box that contains the truncation ellipse.</summary>
    public (double Hx, double Hy) BoundingHalfWidths()
    {
        double a = TruncationRe * Re, b = a * AxisRatio;
        double t = ThetaDeg * Math.PI / 180.0, c = Math.Cos(t), s = Math.Sin(t);
        return (Math.Sqrt(a * a * c * c + b * b * s * s), Math.Sqrt(a * a * s * s + b * b * c * c));
    }

    internal Evaluator CreateEvaluator(bool truncate = true) => new(this, truncate);

    /// <summary>Fast evaluator: I(dx, dy)/I_e with the truncation taper (unless disabled).</summary>
    internal readonly struct Evaluator
    {
        private readonly double _c, _s, _iq, _ire, _invN, _bn, _t0, _t1;
        private readonly bool _truncate;

        public Evaluator(in SersicProfile p, bool truncate)
        {
            double t = p.ThetaDeg * Math.PI / 180.0;
            _c = Math.Cos(t); _s = Math.Sin(t);
            _iq = 1.0 / p.AxisRatio; _ire = 1.0 / p.Re; _invN = 1.0 / p.N; _bn = p.Bn;
            _t1 = p.TruncationRe; _t0 = _t1 - 1.0; _truncate = truncate;
        }

        public double Value(double dx, double dy)
        {
            double u = _c * dx + _s * dy, v = (-_s * dx + _c * dy) * _iq;
            double x = Math.Sqrt(u * u + v * v) * _ire;   // R / R_e
            double taper = 1.0;
            if (_truncate && x > _t0)
            {
                if (x >= _t1) return 0.0;
                taper = 0.5 * (1.0 + Math.Cos(Math.PI * (x - _t0)));
            }
            return taper * Math.Exp(-_bn * (Math.Pow(x, _invN) - 1.0));
        }
    }
}
