namespace Tract7dt.Science.Simulation;

/// <summary>
/// The simulator's true point-spread function at one place in one band: a Moffat core plus a
/// broader Moffat wing, both with the same slight ellipticity, and a smooth truncation.
/// </summary>
/// <remarks>
/// <para>Profile (surface density per pixel², before truncation), with the elliptical radius
/// <c>ρ² = q·u² + v²/q</c> where u is the offset along the major axis (at
/// <see cref="AngleRad"/> counter-clockwise from +x) and v across it, q = 1 − ellipticity
/// (area preserving, so each term keeps its circular normalisation):</para>
/// <code>
/// PSF = (1−w)·(β−1)/(π α²)·(1+ρ²/α²)^(−β) + w·(β_w−1)/(π α_w²)·(1+ρ²/α_w²)^(−β_w)
/// α = FWHM / (2·sqrt(2^(1/β) − 1)),   α_w = WingScale·α
/// </code>
/// <para>The profile is multiplied by a cosine taper in the circular radius r (pixels): 1 for
/// r ≤ <see cref="TaperStart"/>, 0 for r ≥ <see cref="TruncationRadius"/>. The truncated PSF
/// is what "the PSF" means throughout the simulator: the renderers normalise it to unit
/// sum numerically, so a star's truth flux is all inside a radius of 25 pixels, within the
/// pipeline's 55-pixel ePSF stamp.</para>
/// </remarks>
/// <param name="Fwhm">FWHM of the Moffat core along the geometric-mean axis, pixels.</param>
/// <param name="Beta">Moffat index β of the core (&gt; 1).</param>
/// <param name="Ellipticity">1 − b/a of both components, [0, 1).</param>
/// <param name="AngleRad">Major-axis angle, radians counter-clockwise from +x.</param>
/// <param name="WingWeight">Fraction w of the light in the wing component, [0, 1).</param>
/// <param name="WingScale">α_w / α (&gt; 0).</param>
/// <param name="WingBeta">Moffat index of the wing (&gt; 1).</param>
public readonly record struct MoffatPsf(
    double Fwhm, double Beta, double Ellipticity, double AngleRad,
    double WingWeight = 0.06, double WingScale = 3.0, double WingBeta = 2.2)
{
    /// <summary>Circular radius (pixels) beyond which the PSF is zero.</summary>
    public const double TruncationRadius = 25.0;
    /// <summary>Circular radius (pixels) where the cosine taper starts.</summary>
    public const double TaperStart = 20.0;

    /// <summary>Core scale α in pixels.</summary>
    public double Alpha => Fwhm / (2.0 * Math.Sqrt(Math.Pow(2.0, 1.0 / Beta) - 1.0));

    /// <summary>
    /// Precomputed constants for fast evaluation in inner loops.
    /// </summary>
    internal Evaluator CreateEvaluator() => new(this);

    /// <summary>Untruncated profile value at offset (dx, dy) pixels from the centre.</summary>
    public double Evaluate(double dx, double dy) => new Evaluator(this).Untruncated(dx, dy);

    /// <summary>Taper factor at circular radius r (pixels).</summary>
    public static double Taper(double r2)
    {
        const double r0 = TaperStart, r1 = TruncationRadius;
        if (r2 <= r0 * r0) return 1.0;
        if (r2 >= r1 * r1) return 0.0;
        double t = (Math.Sqrt(r2) - r0) / (r1 - r0);
        return 0.5 * (1.0 + Math.Cos(Math.PI * t));
    }

    /// <summary>Fast evaluator holding the derived constants of one PSF.</summary>
    internal readonly struct Evaluator
    {
        private readonly double _c, _s, _q, _iq, _ia2, _iaw2, _beta, _betaW, _n1, _n2;

        public Evaluator(in MoffatPsf p)
        {
            _c = Math.Cos(p.AngleRad); _s = Math.Sin(p.AngleRad);
            _q = 1.0 - p.Ellipticity; _iq = 1.0 / _q;
            double a = p.Alpha, aw = a * p.WingScale;
            _ia2 = 1.0 / (a * a); _iaw2 = 1.0 / (aw * aw);
            _beta = p.Beta; _betaW = p.WingBeta;
            _n1 = (1.0 - p.WingWeight) * (p.Beta - 1.0) / (Math.PI * a * a);
            _n2 = p.WingWeight * (p.WingBeta - 1.0) / (Math.PI * aw * aw);
        }

        public double Untruncated(double dx, double dy)
        {
            double u = _c * dx + _s * dy, v = -_s * dx + _c * dy;
            double rho2 = _q * u * u + _iq * v * v;
            double core = _n1 * Math.Exp(-_beta * Math.Log(1.0 + rho2 * _ia2));
            double wing = _n2 == 0 ? 0 : _n2 * Math.Exp(-_betaW * Math.Log(1.0 + rho2 * _iaw2));
            return core + wing;
        }

        public double Truncated(double dx, double dy)
        {
            double r2 = dx * dx + dy * dy;
            if (r2 >= TruncationRadius * TruncationRadius) return 0.0;
            return Untruncated(dx, dy) * Taper(r2);
        }
    }
}
