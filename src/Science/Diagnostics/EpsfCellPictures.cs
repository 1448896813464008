using Tract7dt.Science.Psf.Stage;

namespace Tract7dt.Science.Diagnostics;

/// <summary>What the ePSF pictures of a cell read from the config (<c>plotting.dpi</c> and the
/// <c>epsf.save_*</c> switches that only choose pictures).</summary>
/// <param name="Dpi"><c>plotting.dpi</c>.</param>
/// <param name="SavePatchBackgroundDiagnostics"><c>epsf.save_patch_background_diagnostics</c>.</param>
/// <param name="DiagnosticsShowColorbar"><c>epsf.diagnostics_show_colorbar</c>.</param>
/// <param name="SaveGrowthCurve"><c>epsf.save_growth_curve</c>.</param>
/// <param name="SaveResidualDiagnostics"><c>epsf.save_residual_diagnostics</c> (also chooses whether the
/// residual statistics are measured, so it is in the ePSF's key as well).</param>
/// <param name="SaveStarMontageMax"><c>epsf.save_star_montage_max</c>.</param>
public sealed record EpsfPictureSettings(int Dpi, bool SavePatchBackgroundDiagnostics, bool DiagnosticsShowColorbar,
    bool SaveGrowthCurve, bool SaveResidualDiagnostics, int SaveStarMontageMax)
{
    public static EpsfPictureSettings From(Config.PipelineConfig config) => new(
        config.Plotting.Dpi, config.Epsf.SavePatchBackgroundDiagnostics, config.Epsf.DiagnosticsShowColorbar,
        config.Epsf.SaveGrowthCurve, config.Epsf.SaveResidualDiagnostics, config.Epsf.SaveStarMontageMax);
}

/// <summary>
/// The PNGs of one ePSF cell (docs/outputs.md §6.4), drawn from what the ePSF stage saved
/// (<see cref="EpsfCellPictureData"/>) and the cell's pixels: <c>psfstars.png</c>,
/// <c>psfstars_bgsub.png</c>, <c>background_diagnostics.png</c>, <c>epsf.png</c>,
/// <c>epsf_growth_curve.png</c>, <c>epsf_residual_diagnostics.png</c>,
/// <c>star_local_background_diagnostics.png</c>, <c>used_stars.png</c>, <c>extracted_stars.png</c>.
/// </summary>
public static class EpsfCellPictures
{
    /// <summary>Every picture name this class may write (removed before a redraw and when the ePSF is rebuilt).</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "background_diagnostics.png", "psfstars.png", "psfstars_bgsub.png", "epsf.png", "epsf_growth_curve.png",
        "epsf_residual_diagnostics.png", "star_local_background_diagnostics.png", "used_stars.png", "extracted_stars.png",
    ];

    /// <summary>Removes the cell's pictures (they describe an ePSF that is being replaced).</summary>
    public static void Remove(string cellDir)
    {
        foreach (string name in Names)
        {
            string p = Path.Join(cellDir, name);
            if (File.Exists(p)) File.Delete(p);
        }
    }

    /// <summary>Draws the pictures the settings ask for into <paramref name="cellDir"/>; returns their paths.</summary>
    /// <param name="image">The cell's pixels (scaled flux), as the ePSF stage read them.</param>
    /// <param name="warn">Receives warnings (e.g. a skipped per-star background plot).</param>
    public static IReadOnlyList<string> Draw(string cellDir, EpsfCellPictureData d, float[] image, EpsfPictureSettings s,
        Action<string> warn)
    {
        Remove(cellDir);
        Directory.CreateDirectory(cellDir);
        var outs = new List<string>();
        string band = d.Band, tag = d.Tag;
        int w = d.Box.Width, h = d.Box.Height, dpi = s.Dpi;
        string P(string name) { string p = Path.Join(cellDir, name); outs.Add(p); return p; }

        float[]? map = null, subtracted = null;
        if (d.BackgroundSubtracted)
        {
            map = d.BackgroundMap();
            subtracted = new float[image.Length];
            for (int k = 0; k < image.Length; k++) subtracted[k] = image[k] - map[k];
        }
        if (map is not null && s.SavePatchBackgroundDiagnostics)
            EpsfPlots.Background(P("background_diagnostics.png"), image, map, subtracted!, w, h,
                $"{band} {tag} | patch local background", s.DiagnosticsShowColorbar, dpi);
        int nGaia = d.Stars.Count(x => x.Origin != StarOrigin.Sep);
        EpsfPlots.PsfStars(P("psfstars.png"), image, w, h, d.Stars,
            $"{band} {tag} | stars selected={d.Stars.Count} (gaia_seed={nGaia})", dpi);
        if (subtracted is not null)
            EpsfPlots.PsfStars(P("psfstars_bgsub.png"), subtracted, w, h, d.Stars, $"{band} {tag} | stars selected on bg-sub image", dpi);

        if (d.IsOk && d.Product is { } p)
        {
            EpsfPlots.Epsf(P("epsf.png"), p, $"{band} {tag} | used={d.NStarsUsed}/{d.NStarsExtract}", dpi);
            if (s.SaveGrowthCurve) EpsfPlots.GrowthCurve(P("epsf_growth_curve.png"), p, $"{band} {tag} | growth curve", dpi);
            if (s.SaveResidualDiagnostics && d.Residual.NStars > 0 && d.Stamps.Count > 0)
                EpsfPlots.Residual(P("epsf_residual_diagnostics.png"), d.Residual, d.Stamps[0].Size,
                    $"{band} {tag} | star - ePSF residual diagnostics", dpi);
            if (d.LocalDiag.Attempted)
            {
                if (d.LocalDiag.Status == "ok")
                    EpsfPlots.LocalBackground(P("star_local_background_diagnostics.png"), d.RawStamps, d.Stamps, d.LocalRecords,
                        s.DiagnosticsShowColorbar, dpi);
                else
                    warn($"[epsf {band}] {tag}: star_local_background_diagnostics.png skipped ({d.LocalDiag.Status}): {d.LocalDiag.Message}");
            }
            if (s.SaveStarMontageMax > 0)
            {
                EpsfPlots.Montage(P("used_stars.png"), d.Stamps, d.OriginOf, d.CatalogueIdOf, s.SaveStarMontageMax,
                    $"{band} {tag} | fitted stars (first {s.SaveStarMontageMax})", dpi);
                EpsfPlots.Montage(P("extracted_stars.png"), d.Stamps, d.OriginOf, d.CatalogueIdOf, s.SaveStarMontageMax,
                    $"{band} {tag} | extracted stars (first {s.SaveStarMontageMax})", dpi);
            }
        }
        outs.RemoveAll(x => !File.Exists(x)); // a plot with nothing to show writes no file
        return outs;
    }
}
