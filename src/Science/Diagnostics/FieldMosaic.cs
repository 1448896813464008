using Tract7dt.Science.Fits;
using Tract7dt.Science.Patches;
using Tract7dt.Science.Wcs;

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// One band's fitted model and residual over the cropped field (the white frame), assembled
/// from the patch fits: SExtractor's and SourceXtractor++'s check-images, for DS9 and TOPCAT.
/// <para>
/// Each patch contributes its base box (the boxes tile the field; the halo of its ROI belongs
/// to the neighbours' fits). <c>model_&lt;band&gt;.fits</c> is the sources alone (the patch's
/// fitted constant sky taken off); <c>residual_&lt;band&gt;.fits</c> is the payload image minus
/// the model and that sky. Units are the payload's: counts scaled to <c>zp_ref</c>
/// (10^(−0.4 (ZP_AUTO − zp_ref)) × ADU), so every band shares one flux scale. Pixels no fitted
/// patch covers (a failed fit, the field's edge outside every base box) are NaN. Each file
/// carries the white frame's WCS.
/// </para>
/// </summary>
public static class FieldMosaic
{
    /// <summary>The sources-only model of <paramref name="band"/> in <paramref name="dir"/>.</summary>
    public static string ModelPath(string dir, string band) => Path.Join(dir, $"model_{band}.fits");

    /// <summary>The residual of <paramref name="band"/> in <paramref name="dir"/>.</summary>
    public static string ResidualPath(string dir, string band) => Path.Join(dir, $"residual_{band}.fits");

    /// <summary>Per patch of the band: good pixels of its base box and their mean (residual / σ_total)².</summary>
    public static string StatsPath(string dir, string band) => Path.Join(dir, $"residual_stats_{band}.csv");

    /// <summary>One fitted patch: its payload and model files.</summary>
    public sealed record Tile(string Tag, string PayloadFits, string ModelFits);

    /// <summary>
    /// Builds the two images of <paramref name="band"/> (one band in memory: two float arrays of
    /// the white frame, plus one patch at a time) and writes them atomically.
    /// </summary>
    /// <returns>The two paths written and the number of patches in them.</returns>
    public static (IReadOnlyList<string> Paths, int Patches) Write(string dir, string band, int width, int height, TanWcs? wcs,
        IEnumerable<Tile> tiles, string tileName)
    {
        var model = new float[(long)width * height];
        var resid = new float[(long)width * height];
        Array.Fill(model, float.NaN);
        Array.Fill(resid, float.NaN);
        var stats = new List<(string Tag, long Pixels, double Chi2)>();
        foreach (var t in tiles)
        {
            if (AddTile(t, band, width, height, model, resid) is not { } st) continue;
            stats.Add((t.Tag, st.Pixels, st.Chi2PerPixel));
        }
        Directory.CreateDirectory(dir);
        string mp = ModelPath(dir, band), rp = ResidualPath(dir, band), sp = StatsPath(dir, band);
        FitsWriter.WriteImage(mp, model, width, height, Header(band, wcs, tileName, stats.Count, "fitted sources (sky taken off)"));
        FitsWriter.WriteImage(rp, resid, width, height, Header(band, wcs, tileName, stats.Count, "payload image - fitted sources - fitted sky"));
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        IO.AtomicFile.WriteAllText(sp, "patch,pixels,chi2_per_pixel\n" + string.Concat(stats.OrderBy(x => x.Tag, StringComparer.Ordinal)
            .Select(x => string.Create(inv, $"{x.Tag},{x.Pixels},{x.Chi2:G6}\n"))));
        return ([mp, rp, sp], stats.Count);
    }

    /// <summary>Copies the patch's base box into the mosaics; false when the patch has no image of the band.</summary>
    private static (long Pixels, double Chi2PerPixel)? AddTile(Tile t, string band, int width, int height, float[] model, float[] resid)
    {
        // the payload keeps the image and the mask; its σ maps are rebuilt on reading (docs/outputs.md §8)
        var (def, payloadBand) = PatchPayload.ReadBand(t.PayloadFits, band);
        float[]? image = payloadBand?.Image, sigma = payloadBand?.SigmaTotal;
        byte[]? bad = payloadBand?.Bad;
        float[]? fitted = null;
        double sky = double.NaN;
        using (var f = FitsFile.Open(t.ModelFits))
        {
            for (int i = 1; i < f.Hdus.Count; i++)
            {
                var h = f.Hdus[i].Header;
                if (h.GetString("EXTNAME")?.Trim() != band) continue;
                fitted = f.ReadImage(i);
                sky = h.GetDouble("SKY") ?? double.NaN;
                break;
            }
        }
        // no image of the band, or a fit whose sky is not known: nothing measured to show
        if (image is null || fitted is null || !double.IsFinite(sky)) return null;
        var roi = def.Roi;
        int rw = roi.Width;
        if (image.Length != fitted.Length || image.Length != (long)rw * roi.Height)
            throw new Errors.Tract7dtException(Errors.ErrorCodes.PayloadInvalid,
                $"Patch {t.Tag}: the model {t.ModelFits} ({fitted.Length} pixels) does not match the payload {t.PayloadFits} ({image.Length}); rerun 'tract7dt run-patches'.");
        var b = def.Base;
        int x0 = Math.Max(0, b.X0), x1 = Math.Min(width, b.X1), y0 = Math.Max(0, b.Y0), y1 = Math.Min(height, b.Y1);
        long n = 0;
        double chi2 = 0;
        for (int y = y0; y < y1; y++)
        {
            int src = (y - roi.Y0) * rw + (x0 - roi.X0);
            long dst = (long)y * width + x0;
            for (int x = 0; x < x1 - x0; x++)
            {
                float m = fitted[src + x];
                float r = image[src + x] - m;
                model[dst + x] = (float)(m - sky);
                resid[dst + x] = r;
                float sg = sigma?[src + x] ?? float.NaN;
                if ((bad is null || bad[src + x] == 0) && float.IsFinite(r) && float.IsFinite(sg) && sg > 0)
                {
                    chi2 += (double)r * r / ((double)sg * sg);
                    n++;
                }
            }
        }
        return (n, n > 0 ? chi2 / n : double.NaN);
    }

    private static FitsHeader Header(string band, TanWcs? wcs, string tileName, int patches, string what)
    {
        var h = new FitsHeader();
        h.Set("FILTER", band, "band");
        h.Set("OBJECT", tileName, "tile");
        h.Set("BUNIT", "scaled counts", "ADU x 10^(-0.4 (ZP_AUTO - zp_ref))");
        h.Set("IMAGETYP", what);
        h.Set("NPATCHES", patches, "fitted patches in the mosaic");
        wcs?.WriteTo(h);
        return h;
    }
}
