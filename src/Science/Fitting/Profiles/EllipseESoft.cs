namespace Tract7dt.Science.Fitting.Profiles;

/// <summary>
/// The Tractor's "soft" ellipse (docs/fitting.md §14.3): <c>(logre, ee1, ee2)</c>, all
/// unbounded, so an optimizer can step freely. <c>re = exp(logre)</c> is the half-light
/// radius along the major axis in arcsec (= pixels at 1″/px); <c>|ee|</c> is a softened
/// ellipticity mapped to <c>e = 1 − exp(−|ee|) ∈ [0, 1)</c>.
/// </summary>
/// <remarks>
/// Orientation: θ = atan2(ee2, ee1)/2 and the major axis points along (sin θ, cos θ) in
/// pixel space under an un-flipped pixel WCS, i.e. 90° + φ counter-clockwise from +x,
/// where φ is the position angle given to <see cref="FromRAbPhi"/>.
/// </remarks>
public readonly record struct EllipseESoft(double LogRe, double Ee1, double Ee2)
{
    /// <summary>Effective radius [arcsec] = exp(logre).</summary>
    public double Re => Math.Exp(LogRe);

    /// <summary>Ordinary ellipticity e = 1 − exp(−hypot(ee1, ee2)), in [0, 1).</summary>
    public double E => 1.0 - Math.Exp(-Hypot(Ee1, Ee2));

    /// <summary>Axis ratio b/a = (1 − e)/(1 + e).</summary>
    public double Ab { get { double e = E; return (1.0 - e) / (1.0 + e); } }

    /// <summary>θ = atan2(ee2, ee1)/2 [radians].</summary>
    public double Theta => Math.Atan2(Ee2, Ee1) / 2.0;

    /// <summary>Position angle φ = (−degrees(θ)) mod 180, in [0, 180) (Python modulo).</summary>
    public double PhiDeg
    {
        get
        {
            double p = -Theta * (180.0 / Math.PI);
            double m = p % 180.0;
            return m < 0 ? m + 180.0 : m;
        }
    }

    /// <summary>
    /// Builds the ellipse from radius <paramref name="re"/> [arcsec], axis ratio
    /// <paramref name="ab"/> = b/a in (0, 1] and position angle <paramref name="phiDeg"/>
    /// [degrees], in the reference's operation order (so parameters agree to the last bit).
    /// </summary>
    public static EllipseESoft FromRAbPhi(double re, double ab, double phiDeg)
    {
        double inv = 1.0 / ab;
        double e = (inv - 1.0) / (inv + 1.0);
        double ee = -Math.Log(1.0 - e);
        double ang = (-2.0 * phiDeg) * (Math.PI / 180.0);
        return new EllipseESoft(Math.Log(re), ee * Math.Cos(ang), ee * Math.Sin(ang));
    }

    /// <summary>
    /// Pixel-space covariance per unit profile variance, <c>T Tᵀ</c> (docs/fitting.md §14.4), where
    /// <c>T = CD⁻¹·G</c> maps unit-r_e profile coordinates to pixels.
    /// </summary>
    /// <param name="pixelsPerArcsec">CD⁻¹ in pixels per arcsec, row-major [a b; c d]
    /// (identity for the pipeline's NullWCS; diag(1/s) for pixel scale s).</param>
    public Cov2 UnitPixelCovariance(in Matrix2 pixelsPerArcsec)
    {
        double e = E;
        // A = (1+e)/(1−e) clamped to 1000, q' = 1/A: a floor on the axis ratio that keeps
        // the covariance non-singular for absurd ee.
        double a = e >= 1.0 ? 1000.0 : Math.Min(1000.0, (1.0 + e) / (1.0 - e));
        double q = 1.0 / a;
        double th = Theta;
        double c = Math.Cos(th), s = Math.Sin(th);
        double re = Re;
        // G in arcsec per unit r_e (the reference carries degrees and multiplies by 3600;
        // the factor cancels exactly enough for our purposes).
        double g00 = re * c * q, g01 = re * s, g10 = -re * s * q, g11 = re * c;
        var m = pixelsPerArcsec;
        double t00 = m.A * g00 + m.B * g10, t01 = m.A * g01 + m.B * g11;
        double t10 = m.C * g00 + m.D * g10, t11 = m.C * g01 + m.D * g11;
        return new Cov2(t00 * t00 + t01 * t01, t00 * t10 + t01 * t11, t10 * t10 + t11 * t11);
    }

    private static double Hypot(double a, double b) => Math.Sqrt(a * a + b * b);
}

/// <summary>A symmetric 2×2 covariance [[Xx, Xy], [Xy, Yy]] in pixels².</summary>
public readonly record struct Cov2(double Xx, double Xy, double Yy)
{
    public double Det => Xx * Yy - Xy * Xy;
    public double Trace => Xx + Yy;
    public static Cov2 operator +(Cov2 a, Cov2 b) => new(a.Xx + b.Xx, a.Xy + b.Xy, a.Yy + b.Yy);
    public static Cov2 operator *(double k, Cov2 a) => new(k * a.Xx, k * a.Xy, k * a.Yy);
}

/// <summary>A general 2×2 matrix [[A, B], [C, D]], row-major.</summary>
public readonly record struct Matrix2(double A, double B, double C, double D)
{
    public static Matrix2 Identity => new(1, 0, 0, 1);

    /// <summary>CD⁻¹ of an un-flipped pixel WCS with <paramref name="arcsecPerPixel"/> (pixels per arcsec = 1/s).</summary>
    public static Matrix2 FromPixelScale(double arcsecPerPixel) => new(1.0 / arcsecPerPixel, 0, 0, 1.0 / arcsecPerPixel);
}
