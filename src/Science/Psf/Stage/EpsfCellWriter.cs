using System.Globalization;
using Tract7dt.Science.Diagnostics;
using Tract7dt.Science.Fits;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>
/// Writes one cell's products into <c>{epsf_dir}/{band}/{tag}/</c> (docs/outputs.md §6):
/// <c>epsf.npy</c> and <c>epsf.fits</c> (ok cells), the switchable PNGs, and <c>meta.json</c>
/// last. Every file is written atomically; the returned list is what the item's stamp hashes.
/// </summary>
public static class EpsfCellWriter
{
    /// <summary>Writes the cell's files and returns their paths (meta.json last).</summary>
    /// <param name="warn">Receives warnings (e.g. a skipped per-star background plot).</param>
    public static IReadOnlyList<string> Write(string cellDir, EpsfCellResult r, EpsfCellSettings s, int dpi, string algorithm,
        Action<string> warn)
    {
        Directory.CreateDirectory(cellDir);
        var c = s.Config;
        var outs = new List<string>();
        string band = r.Input.Band, tag = r.Input.Tag;
        int w = r.Input.Width, h = r.Input.Height;
        string P(string name) { string p = Path.Join(cellDir, name); outs.Add(p); return p; }

        if (c.BackgroundSubtractPatch && c.SavePatchBackgroundDiagnostics && r.BackgroundMap is not null)
            EpsfPlots.Background(P("background_diagnostics.png"), r.Input.Image, r.BackgroundMap, r.Selected, w, h,
                $"{band} {tag} | patch local background", c.DiagnosticsShowColorbar, dpi);
        int nGaia = r.Stars.Count(x => x.Origin != StarOrigin.Sep);
        EpsfPlots.PsfStars(P("psfstars.png"), r.Input.Image, w, h, r.Stars,
            $"{band} {tag} | stars selected={r.Stars.Count} (gaia_seed={nGaia})", dpi);
        if (c.BackgroundSubtractPatch)
            EpsfPlots.PsfStars(P("psfstars_bgsub.png"), r.Selected, w, h, r.Stars, $"{band} {tag} | stars selected on bg-sub image", dpi);

        if (r.IsOk && r.Product is { } p)
        {
            Npy.Write(P("epsf.npy"), p.Data, p.Size, p.Size);
            FitsWriter.WriteImage(P("epsf.fits"), p.Data, p.Size, p.Size, FitsHeaderFor(r, s, algorithm));
            EpsfPlots.Epsf(P("epsf.png"), p, $"{band} {tag} | used={r.NStarsUsed}/{r.NStarsExtract}", dpi);
            if (c.SaveGrowthCurve) EpsfPlots.GrowthCurve(P("epsf_growth_curve.png"), p, $"{band} {tag} | growth curve", dpi);
            if (c.SaveResidualDiagnostics && r.Residual.NStars > 0)
                EpsfPlots.Residual(P("epsf_residual_diagnostics.png"), r.Residual, r.Stamps[0].Size,
                    $"{band} {tag} | star - ePSF residual diagnostics", dpi);
            if (r.LocalDiag.Attempted)
            {
                if (r.LocalDiag.Status == "ok")
                    EpsfPlots.LocalBackground(P("star_local_background_diagnostics.png"), r.RawStamps, r.Stamps, r.LocalRecords,
                        c.DiagnosticsShowColorbar, dpi);
                else
                    warn($"[epsf {band}] {tag}: star_local_background_diagnostics.png skipped ({r.LocalDiag.Status}): {r.LocalDiag.Message}");
            }
            if (c.SaveStarMontageMax > 0)
            {
                EpsfPlots.Montage(P("used_stars.png"), r.Stamps, r.OriginOf, r.CatalogueIdOf, c.SaveStarMontageMax,
                    $"{band} {tag} | fitted stars (first {c.SaveStarMontageMax})", dpi);
                EpsfPlots.Montage(P("extracted_stars.png"), r.Stamps, r.OriginOf, r.CatalogueIdOf, c.SaveStarMontageMax,
                    $"{band} {tag} | extracted stars (first {c.SaveStarMontageMax})", dpi);
            }
        }
        IO.AtomicFile.WriteAllText(P("meta.json"), EpsfCellMeta.Build(r, s, algorithm).ToString());
        outs.RemoveAll(x => !File.Exists(x)); // a plot with nothing to show writes no file
        return outs;
    }

    private static FitsHeader FitsHeaderFor(EpsfCellResult r, EpsfCellSettings s, string algorithm)
    {
        var h = new FitsHeader();
        h.Set("FILTER", r.Input.Band, "band");
        h.Set("EPSFCELL", r.Input.Tag, "ePSF cell tag");
        h.Set("CELLX0", r.Input.Box.X0, "cell x0, white-frame pixels (0-based)");
        h.Set("CELLX1", r.Input.Box.X1, "cell x1 (exclusive)");
        h.Set("CELLY0", r.Input.Box.Y0, "cell y0");
        h.Set("CELLY1", r.Input.Box.Y1, "cell y1 (exclusive)");
        h.Set("OVERSAMP", s.Config.Oversamp, "ePSF pixels per image pixel");
        h.Set("NSTARS", r.NStarsUsed, "stars used");
        h.Set("ALGO", algorithm, "tract7dt stage algorithm");
        return h;
    }

    /// <summary>The per-band log line of docs/epsf.md §11: <c>[epsf b] done/total patches ok=n fail=m rate=R/s eta=E</c>.</summary>
    public static string BandProgressLine(string band, int done, int total, int ok, int fail, double seconds)
    {
        double rate = seconds > 0 ? done / seconds : 0;
        return $"[epsf {band}] {done}/{total} patches ok={ok} fail={fail} rate={rate.ToString("F2", CultureInfo.InvariantCulture)}/s eta={Logging.ProgressText.Eta(total - done, rate)}";
    }
}
