using System.Text.RegularExpressions;
using Tract7dt.Science.Fits;

namespace Tract7dt.Science.Wcs;

/// <summary>
/// Puts a <see cref="TanWcs"/> into a header we write (cropped images, simulated images).
/// Every primary celestial WCS card already in the header is removed first, so no stale
/// CD/PC/SIP/PV card can contradict the new one. Non-WCS cards are left alone.
/// </summary>
/// <remarks>
/// The linear part is written in the form it was read (CD, CDELT+PC, or CDELT+CROTA2),
/// so a re-read header compares equal in the alignment check. SIP and TPV coefficients
/// are written only where non-zero (absent means zero for both). A SIP WCS always gets
/// the <c>-SIP</c> CTYPE suffix. Values are doubles; the FITS writer formats them.
/// </remarks>
public static partial class WcsHeaderWriter
{
    // Primary-WCS keys we own: CTYPEn, CRPIXn, CRVALn, CDELTn, CUNITn, CROTAn, CDi_j, PCi_j,
    // LONPOLE, LATPOLE, SIP orders and coefficients, PVi_m. RADESYS/EQUINOX are replaced only
    // when the WCS has a value for them.
    [GeneratedRegex(@"^(CTYPE[12]|CRPIX[12]|CRVAL[12]|CDELT[12]|CUNIT[12]|CROTA[12]|CD[12]_[12]|PC[12]_[12]|LONPOLE|LATPOLE|(A|B|AP|BP)_ORDER|(A|B|AP|BP)_\d+_\d+|PV[12]_\d+)$")]
    private static partial Regex WcsKey();

    /// <summary>Writes <paramref name="wcs"/> into <paramref name="header"/> (see the type remarks).</summary>
    public static void Write(TanWcs wcs, FitsHeader header)
    {
        ArgumentNullException.ThrowIfNull(wcs);
        ArgumentNullException.ThrowIfNull(header);
        var stale = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var card in header)
            if (WcsKey().IsMatch(card.Key)) stale.Add(card.Key);
        foreach (var key in stale) header.Remove(key);

        string c1 = wcs.CType1, c2 = wcs.CType2;
        if (wcs.Sip is not null)
        {
            if (!c1.EndsWith("-SIP", StringComparison.OrdinalIgnoreCase)) c1 += "-SIP";
            if (!c2.EndsWith("-SIP", StringComparison.OrdinalIgnoreCase)) c2 += "-SIP";
        }
        header.Set("CTYPE1", c1, "gnomonic projection");
        header.Set("CTYPE2", c2, "gnomonic projection");
        header.Set("CUNIT1", "deg", "unit of CRVAL1 and CDELT1");
        header.Set("CUNIT2", "deg", "unit of CRVAL2 and CDELT2");
        header.Set("CRVAL1", wcs.CrVal1, "[deg] longitude of reference point");
        header.Set("CRVAL2", wcs.CrVal2, "[deg] latitude of reference point");
        header.Set("CRPIX1", wcs.CrPix1, "[pix] reference pixel, 1-based");
        header.Set("CRPIX2", wcs.CrPix2, "[pix] reference pixel, 1-based");

        var lin = wcs.Linear;
        switch (lin.Form)
        {
            case WcsLinearForm.Cd:
                header.Set("CD1_1", lin.Cd[0], "[deg/pix] linear transformation matrix");
                header.Set("CD1_2", lin.Cd[1], "[deg/pix]");
                header.Set("CD2_1", lin.Cd[2], "[deg/pix]");
                header.Set("CD2_2", lin.Cd[3], "[deg/pix]");
                break;
            case WcsLinearForm.PcCdelt:
                header.Set("CDELT1", lin.Cdelt[0], "[deg/pix] axis 1 scale");
                header.Set("CDELT2", lin.Cdelt[1], "[deg/pix] axis 2 scale");
                header.Set("PC1_1", lin.Pc[0], "linear transformation matrix");
                header.Set("PC1_2", lin.Pc[1]);
                header.Set("PC2_1", lin.Pc[2]);
                header.Set("PC2_2", lin.Pc[3]);
                break;
            case WcsLinearForm.Crota:
                header.Set("CDELT1", lin.Cdelt[0], "[deg/pix] axis 1 scale");
                header.Set("CDELT2", lin.Cdelt[1], "[deg/pix] axis 2 scale");
                header.Set("CROTA2", lin.Crota2, "[deg] rotation (old convention)");
                break;
        }
        if (wcs.LonPoleGiven is { } lp) header.Set("LONPOLE", lp, "[deg] native longitude of celestial pole");
        if (wcs.LatPole is { } la) header.Set("LATPOLE", la, "[deg] native latitude of celestial pole");
        if (wcs.RadeSys is { } rs) header.Set("RADESYS", rs, "celestial reference frame");
        if (wcs.Equinox is { } eq) header.Set("EQUINOX", eq, "[yr] equinox of the reference frame");

        if (wcs.Sip is { } sip)
        {
            WriteSip(header, "A", sip.A);
            WriteSip(header, "B", sip.B);
            if (sip.AP is { } ap && sip.BP is { } bp)
            {
                WriteSip(header, "AP", ap);
                WriteSip(header, "BP", bp);
            }
        }
        if (wcs.Tpv is { } tpv)
        {
            for (int k = 0; k < TpvPolynomial.TermCount; k++)
                if (tpv.Pv1[k] != 0.0) header.Set($"PV1_{k}", tpv.Pv1[k]);
            for (int k = 0; k < TpvPolynomial.TermCount; k++)
                if (tpv.Pv2[k] != 0.0) header.Set($"PV2_{k}", tpv.Pv2[k]);
        }
    }

    private static void WriteSip(FitsHeader header, string name, SipPolynomial poly)
    {
        header.Set($"{name}_ORDER", poly.Order, "SIP polynomial order");
        for (int p = 0; p <= poly.Order; p++)
            for (int q = 0; p + q <= poly.Order; q++)
                if (poly[p, q] != 0.0) header.Set($"{name}_{p}_{q}", poly[p, q]);
    }
}
