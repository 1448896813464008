using System.Globalization;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Wcs;

/// <summary>
/// The first difference found between an image's WCS and the reference image's.
/// </summary>
/// <param name="Keyword">The header keyword that differs, e.g. <c>CRVAL1</c>, <c>CD2_1</c>,
/// <c>CTYPE1</c>, or <c>CD/PC</c> when one header has a CD matrix and the other not.</param>
/// <param name="ReferenceValue">The reference image's value, as text.</param>
/// <param name="CandidateValue">The compared image's value, as text.</param>
/// <param name="ToleranceKey">The config key of the tolerance applied (<c>checks.wcs_tolerance.crval</c>, …),
/// or null where equality is required.</param>
/// <param name="Tolerance">The tolerance applied (NaN where equality is required).</param>
public sealed record WcsMismatch(string Keyword, string ReferenceValue, string CandidateValue, string? ToleranceKey, double Tolerance)
{
    /// <summary>A one-line description: keyword, both values, and the tolerance.</summary>
    public string Describe()
    {
        string tol = ToleranceKey is null
            ? "(must be identical)"
            : $"(|difference| = {Diff()} exceeds {ToleranceKey} = {Tolerance.ToString("R", CultureInfo.InvariantCulture)})";
        return $"{Keyword} = {CandidateValue}, reference {ReferenceValue} {tol}";
    }

    private string Diff()
    {
        if (double.TryParse(CandidateValue, NumberStyles.Float, CultureInfo.InvariantCulture, out double a)
            && double.TryParse(ReferenceValue, NumberStyles.Float, CultureInfo.InvariantCulture, out double b))
            return Math.Abs(a - b).ToString("R", CultureInfo.InvariantCulture);
        return "NaN";
    }
}

/// <summary>
/// The alignment check of <c>checks.require_wcs_alignment</c>: every image's WCS must agree
/// with the first image's. Compared, in this order, with absolute tolerances
/// (<see cref="WcsTolerance"/>; NaN never passes): CRVAL1/2; CRPIX1/2; if both have a CD
/// matrix its 4 elements; if neither, CDELT1/2 and the 4 PC elements (PC derived from
/// CROTA2 where the header uses that); one with CD and one without always differs;
/// CTYPE1/2 must be identical strings. SIP and TPV coefficients are not compared.
/// </summary>
public static class WcsAlignment
{
    private const string KeyCrVal = "checks.wcs_tolerance.crval";
    private const string KeyCrPix = "checks.wcs_tolerance.crpix";
    private const string KeyCd = "checks.wcs_tolerance.cd";
    private const string KeyCDelt = "checks.wcs_tolerance.cdelt";

    /// <summary>The first mismatch of <paramref name="candidate"/> against <paramref name="reference"/>, or null when aligned.</summary>
    public static WcsMismatch? Compare(TanWcs reference, TanWcs candidate, WcsTolerance tolerance)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(tolerance);
        return Close("CRVAL1", reference.CrVal1, candidate.CrVal1, KeyCrVal, tolerance.CrVal)
            ?? Close("CRVAL2", reference.CrVal2, candidate.CrVal2, KeyCrVal, tolerance.CrVal)
            ?? Close("CRPIX1", reference.CrPix1, candidate.CrPix1, KeyCrPix, tolerance.CrPix)
            ?? Close("CRPIX2", reference.CrPix2, candidate.CrPix2, KeyCrPix, tolerance.CrPix)
            ?? CompareLinear(reference.Linear, candidate.Linear, tolerance)
            ?? Same("CTYPE1", reference.CType1, candidate.CType1)
            ?? Same("CTYPE2", reference.CType2, candidate.CType2);
    }

    /// <summary>
    /// Throws <see cref="ErrorCodes.WcsMismatch"/> (T7D035) when <see cref="Compare"/> finds a
    /// difference; the message names both files, the keyword, both values and the tolerance.
    /// </summary>
    public static void Require(TanWcs reference, TanWcs candidate, WcsTolerance tolerance, string candidateFile, string referenceFile)
    {
        if (Compare(reference, candidate, tolerance) is not { } m) return;
        throw new Tract7dtException(ErrorCodes.WcsMismatch,
            $"WCS mismatch with reference: {candidateFile}: {m.Describe()} in the reference image {referenceFile}. " +
            "All images must share the first image's pixel grid: resample them onto it, or loosen " +
            "checks.wcs_tolerance / set checks.require_wcs_alignment: false if the difference is harmless.");
    }

    private static WcsMismatch? CompareLinear(WcsLinear a, WcsLinear b, WcsTolerance t)
    {
        string[] cdNames = ["CD1_1", "CD1_2", "CD2_1", "CD2_2"];
        string[] pcNames = ["PC1_1", "PC1_2", "PC2_1", "PC2_2"];
        if (a.HasCd != b.HasCd)
            return new WcsMismatch("CD/PC", a.HasCd ? "CD matrix" : "CDELT+PC", b.HasCd ? "CD matrix" : "CDELT+PC", null, double.NaN);
        if (a.HasCd)
        {
            for (int k = 0; k < 4; k++)
                if (Close(cdNames[k], a.Cd[k], b.Cd[k], KeyCd, t.Cd) is { } m) return m;
            return null;
        }
        for (int k = 0; k < 2; k++)
            if (Close($"CDELT{k + 1}", a.Cdelt[k], b.Cdelt[k], KeyCDelt, t.CDelt) is { } m) return m;
        for (int k = 0; k < 4; k++)
            if (Close(pcNames[k], a.Pc[k], b.Pc[k], KeyCd, t.Cd) is { } m) return m;
        return null;
    }

    private static WcsMismatch? Close(string key, double a, double b, string tolKey, double tol) =>
        Math.Abs(a - b) <= tol ? null : new WcsMismatch(key, Fmt(a), Fmt(b), tolKey, tol);

    private static WcsMismatch? Same(string key, string a, string b) =>
        string.Equals(a, b, StringComparison.Ordinal) ? null : new WcsMismatch(key, $"'{a}'", $"'{b}'", null, double.NaN);

    private static string Fmt(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
