namespace Tract7dt.Science.Wcs;

/// <summary>How a header states the linear part of its WCS.</summary>
public enum WcsLinearForm
{
    /// <summary><c>CDi_j</c> matrix (deg/px); CDELT is ignored.</summary>
    Cd,
    /// <summary><c>CDELTi</c> (deg/px) with the <c>PCi_j</c> matrix (identity where absent).</summary>
    PcCdelt,
    /// <summary><c>CDELTi</c> with the old <c>CROTA2</c> rotation (deg), turned into a PC matrix.</summary>
    Crota,
}

/// <summary>
/// The linear part of a celestial WCS: the 2×2 pixel-scale matrix M (deg/px) that maps
/// pixel offsets from the reference pixel to intermediate world coordinates,
/// <c>[X, Y] = M · [u, v]</c>, together with the header form it came from (the
/// alignment check compares header values, not only M).
/// </summary>
/// <remarks>
/// M = CD for <see cref="WcsLinearForm.Cd"/>, otherwise M_ij = CDELT_i · PC_ij
/// (FITS Paper I, eq. 1–3). For <see cref="WcsLinearForm.Crota"/> the PC matrix is the
/// one of Paper II eq. 189 (as wcslib builds it):
/// PC = [[cos ρ, −sin ρ·CDELT2/CDELT1], [sin ρ·CDELT1/CDELT2, cos ρ]].
/// Matrices are row-major: element (i, j) of a 2×2 matrix is index 2(i−1) + (j−1).
/// </remarks>
public sealed class WcsLinear
{
    private readonly double[] _cd;     // CD as in the header, zeros unless Form == Cd
    private readonly double[] _cdelt;  // CDELT1, CDELT2 (1, 1 for the CD form)
    private readonly double[] _pc;     // PC (identity for the CD form)

    private WcsLinear(WcsLinearForm form, double[] cd, double[] cdelt, double[] pc, double crota2)
    {
        Form = form;
        _cd = cd;
        _cdelt = cdelt;
        _pc = pc;
        Crota2 = crota2;
        if (form == WcsLinearForm.Cd)
        {
            M11 = cd[0]; M12 = cd[1]; M21 = cd[2]; M22 = cd[3];
        }
        else
        {
            M11 = cdelt[0] * pc[0]; M12 = cdelt[0] * pc[1];
            M21 = cdelt[1] * pc[2]; M22 = cdelt[1] * pc[3];
        }
        Determinant = M11 * M22 - M12 * M21;
    }

    /// <summary>A CD matrix (deg/px), row-major.</summary>
    public static WcsLinear FromCd(double cd11, double cd12, double cd21, double cd22) =>
        new(WcsLinearForm.Cd, [cd11, cd12, cd21, cd22], [1.0, 1.0], [1.0, 0.0, 0.0, 1.0], 0.0);

    /// <summary>CDELT (deg/px) and a PC matrix (dimensionless), row-major.</summary>
    public static WcsLinear FromPc(double cdelt1, double cdelt2, double pc11, double pc12, double pc21, double pc22) =>
        new(WcsLinearForm.PcCdelt, [0, 0, 0, 0], [cdelt1, cdelt2], [pc11, pc12, pc21, pc22], 0.0);

    /// <summary>CDELT (deg/px) and the CROTA2 rotation (deg, Paper II §6.1).</summary>
    public static WcsLinear FromCrota(double cdelt1, double cdelt2, double crota2Deg)
    {
        var (s, c) = Angles.SinCosDeg(crota2Deg);
        double[] pc = [c, -s * cdelt2 / cdelt1, s * cdelt1 / cdelt2, c];
        return new(WcsLinearForm.Crota, [0, 0, 0, 0], [cdelt1, cdelt2], pc, crota2Deg);
    }

    public WcsLinearForm Form { get; }

    /// <summary>True when the header gave a CD matrix (the alignment check's "has CD").</summary>
    public bool HasCd => Form == WcsLinearForm.Cd;

    /// <summary>CROTA2 in degrees for the <see cref="WcsLinearForm.Crota"/> form, else 0.</summary>
    public double Crota2 { get; }

    /// <summary>CD matrix, row-major (zeros unless <see cref="HasCd"/>).</summary>
    public ReadOnlySpan<double> Cd => _cd;

    /// <summary>CDELT1, CDELT2 in deg/px (1, 1 for the CD form, as wcslib reports).</summary>
    public ReadOnlySpan<double> Cdelt => _cdelt;

    /// <summary>PC matrix, row-major (identity for the CD form; derived for CROTA2).</summary>
    public ReadOnlySpan<double> Pc => _pc;

    /// <summary>Pixel-scale matrix M (deg/px), element (i, j) = ∂(world axis i)/∂(pixel axis j).</summary>
    public double M11 { get; }
    public double M12 { get; }
    public double M21 { get; }
    public double M22 { get; }

    /// <summary>det M in deg²/px²; negative for the usual east-left images.</summary>
    public double Determinant { get; }

    /// <summary>
    /// Scale of pixel axis j in deg/px: sqrt(Σ_i M_ij²), the length of column j of M
    /// (astropy's <c>proj_plane_pixel_scales</c>).
    /// </summary>
    public (double Axis1, double Axis2) AxisScales =>
        (Math.Sqrt(M11 * M11 + M21 * M21), Math.Sqrt(M12 * M12 + M22 * M22));
}
