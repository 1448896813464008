using System.Globalization;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;

namespace Tract7dt.Science.Imaging;

/// <summary>
/// The photometric header values of one image, validated (docs/pipeline.md §3.3 step 1,
/// docs/inputs.md §3.2).
/// </summary>
/// <param name="Band">FILTER, trimmed (non-empty).</param>
/// <param name="ZpAuto">ZP_AUTO, AB mag of one ADU (finite).</param>
/// <param name="SkySigAdu">SKYSIG, ADU (finite, &gt; 0).</param>
/// <param name="EGain">EGAIN, e⁻/ADU (finite, &gt; 0).</param>
/// <param name="Saturate">SATURATE, ADU; null when absent or not a finite number (then no saturation mask).</param>
/// <param name="PeeingPix">PEEING (FWHM, pixels) when numeric, else null.</param>
/// <param name="SeeingArcsec">SEEING (FWHM, arcsec) when numeric, else null.</param>
/// <param name="Warnings">Warnings to log in image-list order ("SATURATE missing in f; using inf.").</param>
public sealed record FrameHeaderValues(string Band, double ZpAuto, double SkySigAdu, double EGain, double? Saturate,
    double? PeeingPix, double? SeeingArcsec, IReadOnlyList<string> Warnings);

/// <summary>Validation of the required keywords of an input image's primary header.</summary>
public static class FrameHeader
{
    /// <summary>The required keywords, in the order their presence is checked.</summary>
    public static readonly string[] RequiredKeys = ["FILTER", "ZP_AUTO", "SKYSIG", "EGAIN"];

    /// <summary>
    /// Checks, in the original's order: presence of FILTER, ZP_AUTO, SKYSIG, EGAIN; FILTER not
    /// blank; SKYSIG finite and &gt; 0; EGAIN finite and &gt; 0; then ZP_AUTO a finite number
    /// (the original does not check finiteness; a NaN zero point would silently blank the band).
    /// </summary>
    /// <param name="file">The image path, named in every message.</param>
    /// <exception cref="Tract7dtException"><see cref="ErrorCodes.HeaderMissingKey"/>,
    /// <see cref="ErrorCodes.HeaderEmptyFilter"/> or <see cref="ErrorCodes.HeaderBadValue"/>.</exception>
    public static FrameHeaderValues Validate(FitsHeader header, string file)
    {
        foreach (string key in RequiredKeys)
            if (!header.Contains(key) || header[key] is null)
                throw new Tract7dtException(ErrorCodes.HeaderMissingKey,
                    $"Missing {key} in {file}: every image's primary header needs FILTER, ZP_AUTO, SKYSIG and EGAIN. " +
                    $"Add the {key} keyword ({Meaning(key)}) or remove the image from the image list.");
        string band = (header.GetString("FILTER") ?? "").Trim();
        if (band.Length == 0)
            throw new Tract7dtException(ErrorCodes.HeaderEmptyFilter,
                $"Empty FILTER in {file}: the keyword is present but blank. Set FILTER to the band name (e.g. m400), " +
                "matching the catalog's FLUX_<band> columns.");
        double sky = Positive(header, "SKYSIG", file, "Bad/Missing SKYSIG");
        double gain = Positive(header, "EGAIN", file, "Bad/Missing EGAIN (e-/ADU)");
        double zp = header.GetDouble("ZP_AUTO") is double z && double.IsFinite(z)
            ? z
            : throw new Tract7dtException(ErrorCodes.HeaderBadValue,
                $"ZP_AUTO in {file} is {Show(header, "ZP_AUTO")}, not a finite number. Set it to the image's AB zero point (mag).");

        var warnings = new List<string>();
        double? sat = null;
        if (!header.Contains("SATURATE"))
            warnings.Add($"SATURATE missing in {file}; using inf.");
        else if (header.GetDouble("SATURATE") is double s && double.IsFinite(s))
            sat = s;
        else
            warnings.Add($"SATURATE invalid in {file}; using inf.");
        return new FrameHeaderValues(band, zp, sky, gain, sat, header.GetDouble("PEEING"), header.GetDouble("SEEING"), warnings);
    }

    private static double Positive(FitsHeader header, string key, string file, string originalText)
    {
        if (header.GetDouble(key) is double v && double.IsFinite(v) && v > 0) return v;
        throw new Tract7dtException(ErrorCodes.HeaderBadValue,
            $"{originalText} in {file}: {key} = {Show(header, key)}; it must be a finite number > 0 ({Meaning(key)}).");
    }

    private static string Show(FitsHeader header, string key) => header[key] switch
    {
        null => "undefined",
        string s => "'" + s + "'",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        var o => Convert.ToString(o, CultureInfo.InvariantCulture) ?? "?",
    };

    private static string Meaning(string key) => key switch
    {
        "FILTER" => "the band name",
        "ZP_AUTO" => "AB zero point, mag",
        "SKYSIG" => "1-sigma sky noise per pixel, ADU",
        "EGAIN" => "effective gain, e-/ADU",
        _ => key,
    };
}
