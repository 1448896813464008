using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;

namespace Tract7dt.Science.Wcs;

/// <summary>
/// A celestial gnomonic (TAN) world coordinate system, optionally with SIP distortion
/// (pixel side) or TPV distortion (intermediate-coordinate side): the WCS of a 7DT image.
/// Immutable; safe to share between threads.
/// </summary>
/// <remarks>
/// <para>Pixel convention of the API: <b>0-based</b>. The centre of the first stored pixel is
/// (x, y) = (0, 0); x runs along FITS axis 1 (array column), y along axis 2 (array row), so
/// pixel (x, y) of a W-wide image is element [y·W + x]. FITS keywords (CRPIX) are 1-based;
/// the one conversion between the two lives in the constructor (<c>_x0</c>, <c>_y0</c>).</para>
/// <para>Pixel → sky (FITS Papers I and II, SIP, TPV), as astropy's <c>all_pix2world</c>:
/// (u, v) = pixel − reference pixel; SIP: (u, v) += (A(u, v), B(u, v)); (ξ, η) = M·(u, v)
/// in degrees; TPV: (ξ, η) = (PV1(ξ, η), PV2(η, ξ)); TAN de-projection to native (φ, θ);
/// rotation by (CRVAL1, CRVAL2, LONPOLE) to (α, δ). Sky → pixel runs the same steps
/// backwards; the distortions are inverted by Newton iteration to better than 1e-8 px
/// (astropy's <c>all_world2pix</c> solves the same equations by fixed-point iteration).</para>
/// <para>Angles are degrees; right ascension is returned in [0, 360).</para>
/// </remarks>
public sealed class TanWcs
{
    /// <summary>Newton iterations stop when the step is below this (pixels).</summary>
    internal const double InverseTolerancePix = 1e-11;
    /// <summary>A result is still accepted if the last step is below this (pixels).</summary>
    internal const double AcceptTolerancePix = 1e-8;
    private const int MaxNewtonIterations = 50;

    // 0-based reference pixel: the single place where FITS's 1-based CRPIX meets our 0-based API.
    private readonly double _x0, _y0;
    // Inverse of M (px/deg).
    private readonly double _i11, _i12, _i21, _i22;
    // Rotation constants: reference point (native pole of a zenithal projection) and φp.
    private readonly double _sinDp, _cosDp, _sinPhiP, _cosPhiP;
    // Intermediate-coordinate tolerance of the TPV inverse, in degrees (≈ InverseTolerancePix).
    private readonly double _tpvTolDeg, _tpvAcceptDeg;

    /// <summary>Builds a WCS from its parts (the header reader and the simulator call this).</summary>
    /// <param name="ctype1">CTYPE1 as written, e.g. <c>RA---TAN</c>, <c>RA---TAN-SIP</c>, <c>RA---TPV</c>.</param>
    /// <param name="ctype2">CTYPE2 as written.</param>
    /// <param name="crval1">CRVAL1: longitude of the reference point, degrees.</param>
    /// <param name="crval2">CRVAL2: latitude of the reference point, degrees.</param>
    /// <param name="crpix1">CRPIX1, <b>1-based</b> FITS pixel.</param>
    /// <param name="crpix2">CRPIX2, <b>1-based</b> FITS pixel.</param>
    /// <param name="linear">CD or CDELT+PC/CROTA2.</param>
    /// <param name="sip">SIP distortion, or null.</param>
    /// <param name="tpv">TPV distortion, or null (not together with SIP).</param>
    /// <param name="lonPole">LONPOLE in degrees, or null for the default (180°, or 0° when CRVAL2 = 90°).</param>
    /// <param name="latPole">LATPOLE as given (degrees), or null. Kept for writing: for a
    /// zenithal projection the celestial pole is fixed by CRVAL2, so it has no effect.</param>
    /// <param name="radeSys">RADESYS, or null.</param>
    /// <param name="equinox">EQUINOX (years), or null.</param>
    public TanWcs(string ctype1, string ctype2, double crval1, double crval2, double crpix1, double crpix2,
        WcsLinear linear, SipDistortion? sip = null, TpvPolynomial? tpv = null,
        double? lonPole = null, double? latPole = null, string? radeSys = null, double? equinox = null)
    {
        ArgumentNullException.ThrowIfNull(linear);
        if (sip is not null && tpv is not null)
            throw new ArgumentException("A WCS cannot carry both SIP and TPV distortion.");
        if (!(linear.Determinant != 0.0 && double.IsFinite(linear.Determinant)))
            throw new Tract7dtException(ErrorCodes.WcsSingularMatrix,
                $"WCS linear matrix is singular (det = {linear.Determinant:R} deg²/px²); check CD/PC/CDELT.");
        CType1 = ctype1;
        CType2 = ctype2;
        CrVal1 = crval1;
        CrVal2 = crval2;
        CrPix1 = crpix1;
        CrPix2 = crpix2;
        Linear = linear;
        Sip = sip;
        Tpv = tpv;
        LonPoleGiven = lonPole;
        LatPole = latPole;
        RadeSys = radeSys;
        Equinox = equinox;

        // Paper II §2.4: for a zenithal projection θ0 = 90°, so the default LONPOLE is 180°
        // unless δ0 ≥ θ0 (the reference point is the celestial north pole), then 0°.
        LonPole = lonPole ?? (crval2 >= 90.0 ? 0.0 : 180.0);

        _x0 = crpix1 - 1.0;
        _y0 = crpix2 - 1.0;

        double det = linear.Determinant;
        _i11 = linear.M22 / det; _i12 = -linear.M12 / det;
        _i21 = -linear.M21 / det; _i22 = linear.M11 / det;

        (_sinDp, _cosDp) = Angles.SinCosDeg(crval2);
        (_sinPhiP, _cosPhiP) = Angles.SinCosDeg(LonPole);

        var (s1, s2) = linear.AxisScales;
        double minScale = Math.Min(s1, s2);
        _tpvTolDeg = InverseTolerancePix * minScale;
        _tpvAcceptDeg = AcceptTolerancePix * minScale;
    }

    /// <summary>Reads the celestial WCS of a FITS header; see <see cref="WcsHeaderReader"/>.</summary>
    /// <param name="header">The primary header.</param>
    /// <param name="file">The file the header came from, named in error messages; may be null.</param>
    /// <exception cref="Tract7dtException">T7D030–T7D034 for a missing, unsupported or malformed WCS.</exception>
    public static TanWcs FromHeader(FitsHeader header, string? file = null) => WcsHeaderReader.Read(header, file);

    /// <summary>Writes this WCS into <paramref name="header"/>; see <see cref="WcsHeaderWriter"/>.</summary>
    public void WriteTo(FitsHeader header) => WcsHeaderWriter.Write(this, header);

    public string CType1 { get; }
    public string CType2 { get; }
    /// <summary>CRVAL1, CRVAL2 in degrees.</summary>
    public double CrVal1 { get; }
    public double CrVal2 { get; }
    /// <summary>CRPIX1, CRPIX2: the reference pixel in <b>1-based</b> FITS pixels.</summary>
    public double CrPix1 { get; }
    public double CrPix2 { get; }
    /// <summary>The reference pixel in 0-based pixels (CRPIX − 1).</summary>
    public (double X, double Y) ReferencePixel => (_x0, _y0);
    public WcsLinear Linear { get; }
    public SipDistortion? Sip { get; }
    public TpvPolynomial? Tpv { get; }
    /// <summary>The effective LONPOLE (φp) in degrees.</summary>
    public double LonPole { get; }
    /// <summary>LONPOLE as the header gave it, or null.</summary>
    public double? LonPoleGiven { get; }
    public double? LatPole { get; }
    public string? RadeSys { get; }
    public double? Equinox { get; }

    /// <summary>True when the WCS has SIP or TPV distortion.</summary>
    public bool HasDistortion => Sip is not null || Tpv is not null;

    /// <summary>
    /// The WCS of a sub-image whose pixel (0, 0) is pixel (<paramref name="dx"/>, <paramref name="dy"/>)
    /// of this image (a crop <c>[dy:, dx:]</c>): CRPIX − (dx, dy). SIP is relative to
    /// CRPIX and TPV acts on intermediate coordinates, so both carry over unchanged.
    /// </summary>
    public TanWcs Shift(double dx, double dy) =>
        new(CType1, CType2, CrVal1, CrVal2, CrPix1 - dx, CrPix2 - dy, Linear, Sip, Tpv,
            LonPoleGiven, LatPole, RadeSys, Equinox);

    // ---------------------------------------------------------------- pixel -> sky

    /// <summary>Sky position (degrees; RA in [0, 360)) of 0-based pixel (x, y).
    /// NaN in gives NaN out.</summary>
    public (double Ra, double Dec) PixelToSky(double x, double y)
    {
        double u = x - _x0, v = y - _y0;
        if (Sip is { } sip)
        {
            double du = sip.A.Evaluate(u, v), dv = sip.B.Evaluate(u, v);
            u += du; v += dv;
        }
        double xi = Linear.M11 * u + Linear.M12 * v;
        double eta = Linear.M21 * u + Linear.M22 * v;
        if (Tpv is { } tpv) (xi, eta) = tpv.Apply(xi, eta);
        return IntermediateToSky(xi, eta);
    }

    /// <summary>Batch <see cref="PixelToSky(double, double)"/>; all spans the same length.
    /// The outputs may alias the inputs exactly (in place).</summary>
    public void PixelToSky(ReadOnlySpan<double> x, ReadOnlySpan<double> y, Span<double> ra, Span<double> dec)
    {
        CheckLengths(x.Length, y.Length, ra.Length, dec.Length);
        for (int i = 0; i < x.Length; i++)
            (ra[i], dec[i]) = PixelToSky(x[i], y[i]);
    }

    /// <summary>
    /// TAN de-projection and rotation of intermediate coordinates (ξ, η) in degrees.
    /// Works with direction cosines so no trigonometry is needed except the final atan2.
    /// </summary>
    private (double Ra, double Dec) IntermediateToSky(double xi, double eta)
    {
        // Native spherical (φ, θ) of TAN: R = cot θ (radians), sin φ = ξ/R, cos φ = −η/R.
        // With s = sqrt(1 + R²): cos θ sin φ = ξ/s, cos θ cos φ = −η/s, sin θ = 1/s.
        double x = xi * Angles.DegToRad, y = eta * Angles.DegToRad;
        double s = Math.Sqrt(1.0 + x * x + y * y);
        double a = x / s, b = -y / s, c = 1.0 / s;
        // cos θ · sin(φ − φp) and cos θ · cos(φ − φp)
        double sdp = a * _cosPhiP - b * _sinPhiP;
        double cdp = b * _cosPhiP + a * _sinPhiP;
        // Paper II eq. 2 with the native pole at the reference point (δp = CRVAL2, αp = CRVAL1).
        double num = -sdp;
        double den = c * _cosDp - cdp * _sinDp;
        double z = c * _sinDp + cdp * _cosDp;
        double ra = CrVal1 + Math.Atan2(num, den) * Angles.RadToDeg;
        double dec = Math.Atan2(z, Math.Sqrt(num * num + den * den)) * Angles.RadToDeg;
        return (Angles.Wrap360(ra), dec);
    }

    // ---------------------------------------------------------------- sky -> pixel

    /// <summary>
    /// 0-based pixel of sky position (<paramref name="ra"/>, <paramref name="dec"/>) in degrees.
    /// (NaN, NaN) for a non-finite input, a point on or beyond the TAN horizon (90° or
    /// more from CRVAL), or when the distortion inverse does not converge (far outside
    /// the region where the polynomial is valid).
    /// </summary>
    public (double X, double Y) SkyToPixel(double ra, double dec)
    {
        if (!SkyToIntermediate(ra, dec, out double xi, out double eta)) return (double.NaN, double.NaN);
        if (Tpv is { } tpv && !InvertTpv(tpv, ref xi, ref eta)) return (double.NaN, double.NaN);
        double u = _i11 * xi + _i12 * eta;
        double v = _i21 * xi + _i22 * eta;
        if (Sip is { } sip && !InvertSip(sip, ref u, ref v)) return (double.NaN, double.NaN);
        return (u + _x0, v + _y0);
    }

    /// <summary>Batch <see cref="SkyToPixel(double, double)"/>; all spans the same length.
    /// The outputs may alias the inputs exactly (in place).</summary>
    public void SkyToPixel(ReadOnlySpan<double> ra, ReadOnlySpan<double> dec, Span<double> x, Span<double> y)
    {
        CheckLengths(ra.Length, dec.Length, x.Length, y.Length);
        for (int i = 0; i < ra.Length; i++)
            (x[i], y[i]) = SkyToPixel(ra[i], dec[i]);
    }

    private bool SkyToIntermediate(double ra, double dec, out double xi, out double eta)
    {
        xi = eta = double.NaN;
        if (!double.IsFinite(ra) || !double.IsFinite(dec)) return false;
        var (sa, ca) = Angles.SinCosDeg(ra - CrVal1);
        var (sd, cd) = Angles.SinCosDeg(dec);
        // Inverse of Paper II eq. 2: cos θ sin(φ−φp), cos θ cos(φ−φp), sin θ.
        double sdp = -cd * sa;
        double cdp = sd * _cosDp - cd * _sinDp * ca;
        double c = sd * _sinDp + cd * _cosDp * ca;
        if (!(c > 0.0)) return false;   // TAN is undefined on and beyond the horizon
        double a = sdp * _cosPhiP + cdp * _sinPhiP;   // cos θ sin φ
        double b = cdp * _cosPhiP - sdp * _sinPhiP;   // cos θ cos φ
        // ξ = R sin φ, η = −R cos φ with R = cot θ.
        xi = a / c * Angles.RadToDeg;
        eta = -b / c * Angles.RadToDeg;
        return true;
    }

    /// <summary>Solves (u, v) + (A, B)(u, v) = (U, V) by Newton's method; (u, v) holds (U, V) on entry.</summary>
    private static bool InvertSip(SipDistortion sip, ref double u, ref double v)
    {
        double tu = u, tv = v;
        if (sip.AP is { } ap && sip.BP is { } bp)
        {
            // The header's approximate inverse is a much closer start than (U, V).
            double gu = tu + ap.Evaluate(tu, tv), gv = tv + bp.Evaluate(tu, tv);
            if (double.IsFinite(gu) && double.IsFinite(gv)) { u = gu; v = gv; }
        }
        double step = double.PositiveInfinity;
        for (int it = 0; it < MaxNewtonIterations; it++)
        {
            double f = sip.A.Evaluate(u, v, out double fu, out double fv);
            double g = sip.B.Evaluate(u, v, out double gu, out double gv);
            double ru = u + f - tu, rv = v + g - tv;
            double j11 = 1.0 + fu, j12 = fv, j21 = gu, j22 = 1.0 + gv;
            double det = j11 * j22 - j12 * j21;
            if (!(Math.Abs(det) > 0.0) || !double.IsFinite(det)) return false;
            double du = (j22 * ru - j12 * rv) / det;
            double dv = (j11 * rv - j21 * ru) / det;
            u -= du; v -= dv;
            step = Math.Sqrt(du * du + dv * dv);
            if (step < InverseTolerancePix) return true;
            if (!double.IsFinite(step)) return false;
        }
        return step < AcceptTolerancePix;
    }

    /// <summary>Solves TPV(ξ, η) = (ξ', η') by Newton's method; (ξ, η) holds (ξ', η') on entry.</summary>
    private bool InvertTpv(TpvPolynomial tpv, ref double xi, ref double eta)
    {
        double txi = xi, teta = eta;
        // Start from the inverse of the constant and linear terms.
        var p1 = tpv.Pv1; var p2 = tpv.Pv2;
        double l11 = p1[1], l12 = p1[2], l21 = p2[2], l22 = p2[1];
        double ldet = l11 * l22 - l12 * l21;
        if (ldet != 0.0)
        {
            double rx = txi - p1[0], ry = teta - p2[0];
            xi = (l22 * rx - l12 * ry) / ldet;
            eta = (l11 * ry - l21 * rx) / ldet;
        }
        double step = double.PositiveInfinity;
        for (int it = 0; it < MaxNewtonIterations; it++)
        {
            var (fx, fy) = tpv.Apply(xi, eta, out double j11, out double j12, out double j21, out double j22);
            double rx = fx - txi, ry = fy - teta;
            double det = j11 * j22 - j12 * j21;
            if (!(Math.Abs(det) > 0.0) || !double.IsFinite(det)) return false;
            double dx = (j22 * rx - j12 * ry) / det;
            double dy = (j11 * ry - j21 * rx) / det;
            xi -= dx; eta -= dy;
            step = Math.Sqrt(dx * dx + dy * dy);
            if (step < _tpvTolDeg) return true;
            if (!double.IsFinite(step)) return false;
        }
        return step < _tpvAcceptDeg;
    }

    // ---------------------------------------------------------------- scales

    /// <summary>
    /// Pixel scales of the two pixel axes in arcsec/px from the linear part only:
    /// 3600·sqrt(Σ_i M_ij²) for column j (astropy's <c>proj_plane_pixel_scales</c>; the
    /// pipeline's SEEING conversion uses their mean).
    /// </summary>
    public (double Axis1, double Axis2) ProjectionPlanePixelScalesArcsec()
    {
        var (a, b) = Linear.AxisScales;
        return (a * 3600.0, b * 3600.0);
    }

    /// <summary>Mean of <see cref="ProjectionPlanePixelScalesArcsec"/> (the median of two values), arcsec/px.</summary>
    public double MeanPixelScaleArcsec()
    {
        var (a, b) = ProjectionPlanePixelScalesArcsec();
        return 0.5 * (a + b);
    }

    /// <summary>
    /// Local pixel scale at 0-based pixel (x, y) in arcsec/px, including distortion and
    /// the projection: the square root of the pixel's solid angle, from central
    /// differences of ±0.5 px on the unit sphere.
    /// </summary>
    public double PixelScaleArcsecAt(double x, double y)
    {
        const double h = 0.5;
        Span<double> ex = stackalloc double[3];
        Span<double> ey = stackalloc double[3];
        Span<double> p = stackalloc double[3];
        Span<double> q = stackalloc double[3];
        UnitVector(PixelToSky(x + h, y), p); UnitVector(PixelToSky(x - h, y), q);
        for (int i = 0; i < 3; i++) ex[i] = (p[i] - q[i]) / (2 * h);
        UnitVector(PixelToSky(x, y + h), p); UnitVector(PixelToSky(x, y - h), q);
        for (int i = 0; i < 3; i++) ey[i] = (p[i] - q[i]) / (2 * h);
        double cx = ex[1] * ey[2] - ex[2] * ey[1];
        double cy = ex[2] * ey[0] - ex[0] * ey[2];
        double cz = ex[0] * ey[1] - ex[1] * ey[0];
        return Math.Sqrt(Math.Sqrt(cx * cx + cy * cy + cz * cz)) * Angles.RadToDeg * 3600.0;
    }

    private static void UnitVector((double Ra, double Dec) s, Span<double> v)
    {
        var (sa, ca) = Angles.SinCosDeg(s.Ra);
        var (sd, cd) = Angles.SinCosDeg(s.Dec);
        v[0] = cd * ca; v[1] = cd * sa; v[2] = sd;
    }

    private static void CheckLengths(int a, int b, int c, int d)
    {
        if (a != b || a != c || a != d)
            throw new ArgumentException($"Coordinate spans must have equal lengths (got {a}, {b}, {c}, {d}).");
    }
}
