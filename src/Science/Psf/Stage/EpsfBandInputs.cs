using Tract7dt.Science.Catalog;
using Tract7dt.Science.Config;
using Tract7dt.Science.State;
using Tract7dt.Science.Wcs;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>What one band contributes to every one of its cells (docs/epsf.md §2): the forced
/// aperture radius for seed S/N and the Gaia seeds in white-frame pixels.</summary>
public static class EpsfBandInputs
{
    /// <summary>
    /// r_f = clamp(k·FWHM, rmin, rmax), capped at <c>cutout_size div 2 − 2</c>, with FWHM from
    /// PEEING (pixels) or SEEING / pixel scale (arcsec → pixels). Null, with the reason in
    /// <paramref name="warning"/>, when neither gives a finite positive FWHM.
    /// </summary>
    public static double? ForcedRadius(FrameEntry frame, TanWcs wcs, EpsfCellSettings s, out string? warning)
    {
        if (FwhmPix(frame, wcs, out warning) is not double fwhm) return null;
        var c = s.Config;
        double r = Math.Clamp(c.GaiaForcedKFwhm * fwhm, c.GaiaForcedRminPix, Math.Max(c.GaiaForcedRminPix, c.GaiaForcedRmaxPix));
        return Math.Min(r, c.CutoutSize / 2 - 2);
    }

    /// <summary>The band's FWHM from PEEING [pixels] or SEEING [arcsec] / pixel scale, or null.</summary>
    public static double? FwhmPix(FrameEntry frame, TanWcs wcs) => FwhmPix(frame, wcs, out _);

    /// <summary>The band's FWHM, or null with why in <paramref name="warning"/>
    /// (<c>PEEING (invalid)</c>, <c>SEEING (invalid)</c>, <c>PEEING/SEEING missing</c>).</summary>
    private static double? FwhmPix(FrameEntry frame, TanWcs wcs, out string? warning)
    {
        warning = null;
        double fwhm;
        string source;
        if (frame.PeeingPix is double p) { fwhm = p; source = "PEEING (invalid)"; }
        else if (frame.SeeingArcsec is double see)
        {
            double scale = wcs.MeanPixelScaleArcsec();
            fwhm = scale > 0 ? see / scale : double.NaN;
            source = "SEEING (invalid)";
        }
        else { fwhm = double.NaN; source = "PEEING/SEEING missing"; }
        if (double.IsFinite(fwhm) && fwhm > 0) return fwhm;
        warning = source;
        return null;
    }

    /// <summary>
    /// Catalogue sources of the pipeline catalogue (every row with finite RA/DEC, excluded or
    /// not: a saturated star's light is in the stamps all the same) in the band's white-frame
    /// pixels, with <c>FLUX_{band}</c> where the catalogue has it.
    /// </summary>
    public static Neighbours Neighbours(SourceTable table, string band, TanWcs wcs)
    {
        string? raCol = table.ColumnNames.FirstOrDefault(n => n.Equals("RA", StringComparison.OrdinalIgnoreCase));
        string? decCol = table.ColumnNames.FirstOrDefault(n => n.Equals("DEC", StringComparison.OrdinalIgnoreCase));
        if (raCol is null || decCol is null) return Stage.Neighbours.None;
        var ra = table.Numeric(raCol);
        var dec = table.Numeric(decCol);
        string? fluxCol = table.ColumnNames.FirstOrDefault(n => n == "FLUX_" + band);
        double[]? flux = fluxCol is null ? null : table.Numeric(fluxCol);
        string? idCol = table.ColumnNames.FirstOrDefault(n => n == "ID");
        var xs = new List<float>(); var ys = new List<float>(); var fs = new List<float>(); var ids = new List<string>();
        for (int i = 0; i < table.RowCount; i++)
        {
            if (!double.IsFinite(ra[i]) || !double.IsFinite(dec[i])) continue;
            var (x, y) = wcs.SkyToPixel(ra[i], dec[i]);
            if (!double.IsFinite(x) || !double.IsFinite(y)) continue;
            xs.Add((float)x); ys.Add((float)y); fs.Add(flux is null ? float.NaN : (float)flux[i]);
            ids.Add(idCol is null ? "" : table.Text(idCol, i));
        }
        return new Neighbours(xs.ToArray(), ys.ToArray(), fs.ToArray(), idCol is null ? null : ids.ToArray());
    }

    /// <summary>
    /// Seeds of a band: GaiaXP rows with finite ra, dec and <c>mag_{band}</c> inside
    /// [gaia_mag_min, gaia_mag_max] (file order), projected with the band's white-frame WCS;
    /// rows with a non-finite pixel position dropped. Empty without a table or column.
    /// </summary>
    public static (float[] X, float[] Y) Seeds(GaiaXpCatalog? gaia, string band, TanWcs wcs, EpsfConfig cfg)
    {
        if (gaia is null || !cfg.UseGaiaxp || cfg.PsfstarMode == PsfStarMode.Sep) return ([], []);
        var mag = gaia.Mag(band);
        if (mag is null) return ([], []);
        var xs = new List<float>(); var ys = new List<float>();
        for (int i = 0; i < gaia.Count; i++)
        {
            double ra = gaia.Ra[i], dec = gaia.Dec[i], m = mag[i];
            if (!double.IsFinite(ra) || !double.IsFinite(dec) || !double.IsFinite(m)) continue;
            if (!(m >= cfg.GaiaMagMin && m <= cfg.GaiaMagMax)) continue;
            var (x, y) = wcs.SkyToPixel(ra, dec);
            if (!double.IsFinite(x) || !double.IsFinite(y)) continue;
            xs.Add((float)x); ys.Add((float)y);
        }
        return (xs.ToArray(), ys.ToArray());
    }
}
