using Tract7dt.Science.Catalog;
using Tract7dt.Science.Config;
using Tract7dt.Science.Pipeline.State;
using Tract7dt.Science.Wcs;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>What one band contributes to every one of its cells (stages.md 2.3): the forced
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
        warning = null;
        double fwhm = double.NaN;
        string source;
        if (frame.PeeingPix is double p) { fwhm = p; source = "PEEING (invalid)"; }
        else if (frame.SeeingArcsec is double see)
        {
            double scale = wcs.MeanPixelScaleArcsec();
            fwhm = scale > 0 ? see / scale : double.NaN;
            source = "SEEING (invalid)";
        }
        else source = "PEEING/SEEING missing";
        if (double.IsFinite(fwhm) && fwhm > 0)
        {
            var c = s.Config;
            double r = Math.Clamp(c.GaiaForcedKFwhm * fwhm, c.GaiaForcedRminPix, Math.Max(c.GaiaForcedRminPix, c.GaiaForcedRmaxPix));
            return Math.Min(r, c.CutoutSize / 2 - 2);
        }
        warning = source;
        return null;
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
