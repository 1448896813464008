using System.Globalization;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;

namespace Tract7dt.Science.Wcs;

/// <summary>
/// Reads the celestial WCS of a FITS header (FITS Papers I/II, SIP, TPV) into a
/// <see cref="TanWcs"/>. Supported: CTYPE <c>xxxx-TAN</c>, <c>xxxx-TAN-SIP</c> and
/// <c>xxxx-TPV</c> with longitude on axis 1 (RA/DEC, GLON/GLAT, ELON/ELAT), CUNIT deg.
/// </summary>
/// <remarks>
/// Precedence of the linear part follows wcslib (what astropy uses): any PCi_j card →
/// CDELT + PC (a CD matrix beside it is ignored); else any CDi_j card → CD (absent
/// elements 0); else CROTA2 → CDELT + CROTA2 (CROTA1 is ignored, as wcslib does);
/// else CDELT alone with PC = identity. Absent CDELTi default to 1 only when a PC
/// matrix is given; a header with neither CD nor CDELT is refused.
/// SIP coefficients are applied whenever <c>A_ORDER</c> is present, with or without the
/// <c>-SIP</c> suffix (astropy does the same, with a warning).
/// A TAN header carrying PVi_m cards is refused: wcslib reads them as projection
/// parameters (or rejects them), so a pre-2012 SCAMP header should say TPV.
/// </remarks>
public static class WcsHeaderReader
{
    private static readonly (string Lon, string Lat)[] CelestialPairs =
        [("RA", "DEC"), ("GLON", "GLAT"), ("ELON", "ELAT"), ("SLON", "SLAT"), ("HLON", "HLAT")];

    /// <summary>Reads the WCS; <paramref name="file"/> (may be null) is named in error messages.</summary>
    /// <exception cref="Tract7dtException">
    /// T7D030 no celestial WCS; T7D031 unsupported projection, axis order or unit;
    /// T7D032 missing or non-numeric keyword; T7D033 singular matrix; T7D034 bad SIP/TPV.
    /// </exception>
    public static TanWcs Read(FitsHeader header, string? file = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        string where = file is null ? "the FITS header" : $"'{file}'";

        string? ctype1 = header.GetString("CTYPE1")?.Trim();
        string? ctype2 = header.GetString("CTYPE2")?.Trim();
        if (string.IsNullOrEmpty(ctype1) || string.IsNullOrEmpty(ctype2))
            throw new Tract7dtException(ErrorCodes.WcsMissing,
                $"No celestial WCS in {where}: CTYPE1/CTYPE2 are absent. The image needs an astrometric " +
                "solution (CTYPE1 = 'RA---TAN', CTYPE2 = 'DEC--TAN', CRVAL, CRPIX, CD); solve it first " +
                "(e.g. with SCAMP or astrometry.net).");

        var (lon, proj1, suffix1) = SplitCtype(ctype1);
        var (lat, proj2, suffix2) = SplitCtype(ctype2);
        if (proj1 is null || proj2 is null)
            throw new Tract7dtException(ErrorCodes.WcsMissing,
                $"No celestial WCS in {where}: CTYPE1 = '{ctype1}', CTYPE2 = '{ctype2}' name no projection " +
                "(expected e.g. 'RA---TAN' and 'DEC--TAN').");
        bool pairOk = false, swapped = false;
        foreach (var (lo, la) in CelestialPairs)
        {
            pairOk |= lon == lo && lat == la;
            swapped |= lon == la && lat == lo;
        }
        if (swapped)
            throw new Tract7dtException(ErrorCodes.WcsUnsupported,
                $"Unsupported WCS in {where}: latitude on axis 1 (CTYPE1 = '{ctype1}', CTYPE2 = '{ctype2}'); " +
                "only longitude-first celestial axes are supported. Reorder the axes when writing the image.");
        if (!pairOk)
            throw new Tract7dtException(ErrorCodes.WcsMissing,
                $"No celestial WCS in {where}: CTYPE1 = '{ctype1}', CTYPE2 = '{ctype2}' are not a celestial " +
                "longitude/latitude pair (expected RA/DEC, GLON/GLAT or ELON/ELAT).");
        if (proj1 != proj2 || suffix1 != suffix2)
            throw new Tract7dtException(ErrorCodes.WcsUnsupported,
                $"Unsupported WCS in {where}: CTYPE1 = '{ctype1}' and CTYPE2 = '{ctype2}' use different projections.");
        bool tpv = proj1 == "TPV";
        if (!(proj1 == "TAN" || tpv) || !(suffix1 == "" || (suffix1 == "-SIP" && !tpv)))
            throw new Tract7dtException(ErrorCodes.WcsUnsupported,
                $"Unsupported WCS projection in {where}: CTYPE1 = '{ctype1}'. Supported: TAN (RA---TAN), " +
                "TAN with SIP distortion (RA---TAN-SIP) and TPV (RA---TPV). Reproject the image to TAN.");

        foreach (var key in new[] { "CUNIT1", "CUNIT2" })
        {
            string? unit = header.GetString(key)?.Trim();
            if (!string.IsNullOrEmpty(unit) && !unit.Equals("deg", StringComparison.OrdinalIgnoreCase))
                throw new Tract7dtException(ErrorCodes.WcsUnsupported,
                    $"Unsupported WCS unit in {where}: {key} = '{unit}'; celestial axes must be in 'deg'.");
        }

        double crval1 = Required(header, "CRVAL1", where), crval2 = Required(header, "CRVAL2", where);
        double crpix1 = Required(header, "CRPIX1", where), crpix2 = Required(header, "CRPIX2", where);
        if (Math.Abs(crval2) > 90.0)
            throw new Tract7dtException(ErrorCodes.WcsBadKeyword,
                $"Bad WCS keyword in {where}: CRVAL2 = {Fmt(crval2)} is not a latitude in [-90, 90] deg.");

        WcsLinear linear = ReadLinear(header, where);
        double? lonPole = Optional(header, "LONPOLE", where);
        double? latPole = Optional(header, "LATPOLE", where);
        string? radeSys = header.GetString("RADESYS")?.Trim();
        double? equinox = Optional(header, "EQUINOX", where);

        SipDistortion? sip = null;
        TpvPolynomial? tpvPoly = null;
        bool hasPv = HasAnyPv(header, out string firstPv);
        if (tpv)
        {
            if (header.Contains("A_ORDER"))
                throw new Tract7dtException(ErrorCodes.WcsBadDistortion,
                    $"Bad WCS distortion in {where}: CTYPE1 = '{ctype1}' (TPV) together with SIP A_ORDER; keep one distortion.");
            tpvPoly = ReadTpv(header, where);
        }
        else
        {
            if (hasPv)
                throw new Tract7dtException(ErrorCodes.WcsBadDistortion,
                    $"Bad WCS distortion in {where}: CTYPE1 = '{ctype1}' carries {firstPv}. PV cards with a TAN " +
                    "projection are the pre-2012 SCAMP convention; set CTYPE1/CTYPE2 to 'RA---TPV'/'DEC--TPV' " +
                    "if they are a TPV polynomial, or remove them.");
            if (header.Contains("A_ORDER"))
                sip = ReadSip(header, where);
        }

        try
        {
            return new TanWcs(ctype1, ctype2, crval1, crval2, crpix1, crpix2, linear, sip, tpvPoly,
                lonPole, latPole, string.IsNullOrEmpty(radeSys) ? null : radeSys, equinox);
        }
        catch (Tract7dtException e) when (e.Code == ErrorCodes.WcsSingularMatrix)
        {
            throw new Tract7dtException(e.Code, $"Bad WCS in {where}: {e.Message}", e);
        }
    }

    /// <summary>Splits 'RA---TAN-SIP' into ("RA", "TAN", "-SIP"); projection null for a non-celestial CTYPE.</summary>
    private static (string Type, string? Proj, string Suffix) SplitCtype(string ctype)
    {
        // Paper I §2.1.2 / Paper II §2: 4-character coordinate type padded with '-', a '-',
        // then the 3-letter projection code; anything after is a suffix such as "-SIP".
        if (ctype.Length < 8 || ctype[4] != '-')
            return (ctype.TrimEnd('-').ToUpperInvariant(), null, "");
        string type = ctype[..4].TrimEnd('-').ToUpperInvariant();
        string proj = ctype.Substring(5, 3).ToUpperInvariant();
        string suffix = ctype[8..].ToUpperInvariant();
        return (type, proj, suffix);
    }

    private static WcsLinear ReadLinear(FitsHeader h, string where)
    {
        string[] pcKeys = ["PC1_1", "PC1_2", "PC2_1", "PC2_2"];
        string[] cdKeys = ["CD1_1", "CD1_2", "CD2_1", "CD2_2"];
        bool anyPc = Array.Exists(pcKeys, h.Contains);
        bool anyCd = Array.Exists(cdKeys, h.Contains);
        double? cdelt1 = Optional(h, "CDELT1", where), cdelt2 = Optional(h, "CDELT2", where);
        if (anyPc)
        {
            double[] pc = [Optional(h, "PC1_1", where) ?? 1.0, Optional(h, "PC1_2", where) ?? 0.0,
                           Optional(h, "PC2_1", where) ?? 0.0, Optional(h, "PC2_2", where) ?? 1.0];
            return WcsLinear.FromPc(cdelt1 ?? 1.0, cdelt2 ?? 1.0, pc[0], pc[1], pc[2], pc[3]);
        }
        if (anyCd)
            return WcsLinear.FromCd(Optional(h, "CD1_1", where) ?? 0.0, Optional(h, "CD1_2", where) ?? 0.0,
                                    Optional(h, "CD2_1", where) ?? 0.0, Optional(h, "CD2_2", where) ?? 0.0);
        if (cdelt1 is null || cdelt2 is null)
            throw new Tract7dtException(ErrorCodes.WcsBadKeyword,
                $"Bad WCS in {where}: no pixel scale; neither a CD matrix (CD1_1 … CD2_2) nor " +
                $"CDELT1/CDELT2 is given ({(cdelt1 is null ? "CDELT1" : "CDELT2")} is absent).");
        if (cdelt1 == 0.0 || cdelt2 == 0.0)
            throw new Tract7dtException(ErrorCodes.WcsSingularMatrix,
                $"Bad WCS in {where}: {(cdelt1 == 0.0 ? "CDELT1" : "CDELT2")} = 0; the pixel scale must be non-zero.");
        double? crota2 = Optional(h, "CROTA2", where);
        return crota2 is { } rho
            ? WcsLinear.FromCrota(cdelt1.Value, cdelt2.Value, rho)
            : WcsLinear.FromPc(cdelt1.Value, cdelt2.Value, 1.0, 0.0, 0.0, 1.0);
    }

    private static SipDistortion ReadSip(FitsHeader h, string where)
    {
        var a = ReadSipPolynomial(h, "A", where, required: true)!;
        var b = ReadSipPolynomial(h, "B", where, required: true)!;
        var ap = ReadSipPolynomial(h, "AP", where, required: false);
        var bp = ReadSipPolynomial(h, "BP", where, required: false);
        if ((ap is null) != (bp is null)) { ap = null; bp = null; }   // half an inverse is no inverse
        return new SipDistortion(a, b, ap, bp);
    }

    private static SipPolynomial? ReadSipPolynomial(FitsHeader h, string name, string where, bool required)
    {
        string orderKey = name + "_ORDER";
        if (!h.Contains(orderKey))
        {
            if (!required) return null;
            throw new Tract7dtException(ErrorCodes.WcsBadDistortion,
                $"Bad SIP distortion in {where}: A_ORDER is present but {orderKey} is absent; SIP needs both A and B.");
        }
        long? order = h.GetInt(orderKey);
        if (order is null || order < 0 || order > SipPolynomial.MaxOrder)
            throw new Tract7dtException(ErrorCodes.WcsBadDistortion,
                $"Bad SIP distortion in {where}: {orderKey} = {h.GetString(orderKey) ?? "(undefined)"} is not an " +
                $"integer in 0..{SipPolynomial.MaxOrder}.");
        int n = (int)order.Value;
        var c = new double[(n + 1) * (n + 1)];
        for (int p = 0; p <= n; p++)
            for (int q = 0; p + q <= n; q++)
                c[p * (n + 1) + q] = Optional(h, $"{name}_{p}_{q}", where) ?? 0.0;
        return new SipPolynomial(n, c);
    }

    private static TpvPolynomial ReadTpv(FitsHeader h, string where)
    {
        var pv1 = new double[TpvPolynomial.TermCount];
        var pv2 = new double[TpvPolynomial.TermCount];
        for (int k = 0; k < TpvPolynomial.TermCount; k++)
        {
            pv1[k] = Optional(h, $"PV1_{k}", where) ?? 0.0;
            pv2[k] = Optional(h, $"PV2_{k}", where) ?? 0.0;
        }
        // Absent coefficients are zero (as wcslib reads TPV), so a header without the
        // linear terms maps every pixel to one point: refuse it instead.
        if (pv1[1] * pv2[1] - pv1[2] * pv2[2] == 0.0)
            throw new Tract7dtException(ErrorCodes.WcsBadDistortion,
                $"Bad TPV distortion in {where}: the linear terms are degenerate (PV1_1 = {Fmt(pv1[1])}, " +
                $"PV1_2 = {Fmt(pv1[2])}, PV2_1 = {Fmt(pv2[1])}, PV2_2 = {Fmt(pv2[2])}); a TPV header needs at " +
                "least PV1_1 = PV2_1 = 1.");
        return new TpvPolynomial(pv1, pv2);
    }

    private static bool HasAnyPv(FitsHeader h, out string first)
    {
        foreach (var card in h)
        {
            var k = card.Key;
            if ((k.StartsWith("PV1_", StringComparison.Ordinal) || k.StartsWith("PV2_", StringComparison.Ordinal))
                && int.TryParse(k.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                first = $"{k} = {h.GetString(k)}";
                return true;
            }
        }
        first = "";
        return false;
    }

    private static double Required(FitsHeader h, string key, string where) =>
        Optional(h, key, where) ?? throw new Tract7dtException(ErrorCodes.WcsBadKeyword,
            $"Bad WCS in {where}: {key} is absent; a celestial WCS needs CRVAL1/2 and CRPIX1/2.");

    /// <summary>The numeric value of <paramref name="key"/>, null when absent; throws when present but not a finite number.</summary>
    private static double? Optional(FitsHeader h, string key, string where)
    {
        if (!h.TryGetCard(key, out var card)) return null;
        double? v = h.GetDouble(key);
        if (v is null || !double.IsFinite(v.Value))
            throw new Tract7dtException(ErrorCodes.WcsBadKeyword,
                $"Bad WCS keyword in {where}: {key} = {(card.Value is null ? "(undefined)" : h.GetString(key))} " +
                "is not a finite number.");
        return v;
    }

    internal static string Fmt(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
