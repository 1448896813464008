using Tract7dt.Science.Fits;

namespace Tract7dt.Science.Patches;

/// <summary>
/// <c>outputs/&lt;patch&gt;/model.fits</c>: the fitted model of each band over the patch's ROI,
/// fitted sky included, in the same units as the payload's image (one image extension per
/// band, EXTNAME = band, in the fit's band order). The patch fit writes it; the pictures of
/// the patch (overview, montages) and the model/residual mosaics read it, so a picture's
/// setting never asks for a refit.
/// </summary>
public static class PatchModelImages
{
    public const string FileName = "model.fits";

    public static string PathIn(string patchDir) => Path.Join(patchDir, FileName);

    /// <summary>Writes the bands' models (atomically).</summary>
    /// <param name="bands">Each band's model plus sky and its fitted constant sky (NaN: unknown; no SKY keyword).</param>
    public static void Write(string path, int width, int height, IReadOnlyList<(string Band, float[] ModelPlusSky, double Sky)> bands)
    {
        using var w = FitsWriter.Create(path);
        var primary = new FitsHeader();
        primary.Set("NBANDS", bands.Count, "bands, one image extension each");
        w.AddEmptyPrimary(primary);
        foreach (var (band, model, sky) in bands)
        {
            var h = new FitsHeader();
            h.Set("EXTNAME", band, "band");
            h.Set("BUNIT", "scaled counts", "payload image units (zp_ref scale), sky included");
            if (double.IsFinite(sky)) h.Set("SKY", sky, "fitted constant sky [scaled counts]");
            w.WriteImage(model, width, height, h);
        }
        w.Commit();
    }

    /// <summary>Every band's fitted sky (the SKY keyword; NaN when absent); keys are band names.</summary>
    public static Dictionary<string, double> ReadSky(string path)
    {
        using var f = FitsFile.Open(path);
        long n = f.GetHdu(0).Header.GetInt("NBANDS") ?? 0;
        var map = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 1; i <= n; i++)
        {
            var h = f.GetImageHdu(i).Header;
            map[h.GetString("EXTNAME") ?? ""] = h.GetDouble("SKY") ?? double.NaN;
        }
        return map;
    }

    /// <summary>Reads every band's model; keys are band names.</summary>
    public static Dictionary<string, float[]> Read(string path)
    {
        using var f = FitsFile.Open(path);
        long n = f.GetHdu(0).Header.GetInt("NBANDS") ?? 0;
        var map = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (int i = 1; i <= n; i++)
            map[f.GetImageHdu(i).Header.GetString("EXTNAME") ?? ""] = f.ReadImage(i);
        return map;
    }
}
