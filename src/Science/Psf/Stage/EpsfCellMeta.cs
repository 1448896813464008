using System.Globalization;
using System.Text.RegularExpressions;
using Tract7dt.Science.Psf.Epsf;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>
/// The per-cell <c>meta.json</c> record of docs/outputs.md §6.2, keys in the original's order,
/// and a reader for the one field the patch fitter needs (<c>nstars_used</c>).
/// </summary>
/// <remarks>Beyond the original's keys, a successful cell ends with <c>epsf_fwhm_pix</c>
/// (FWHM of the written ePSF in image pixels, <see cref="Epsf.EpsfPostProcess.Fwhm"/>), every record
/// with <c>ncand_extended</c> (SEP candidates <see cref="ExtendedSourceFilter"/> kept out) and
/// with <c>algorithm</c> (the stage's algorithm version, for provenance).</remarks>
public static partial class EpsfCellMeta
{
    /// <summary>Builds the record.</summary>
    /// <param name="algorithm">The stage's algorithm version string.</param>
    public static PyJson Build(EpsfCellResult r, EpsfCellSettings s, string algorithm)
    {
        var c = s.Config;
        var box = r.Input.Box;
        var m = new PyJson()
            .Add("band", r.Input.Band).Add("patch", r.Input.Tag)
            .Add("x0", box.X0).Add("x1", box.X1).Add("y0", box.Y0).Add("y1", box.Y1)
            .Add("epsf_ngrid", c.EpsfNgrid).Add("psfstar_mode", s.ModeName)
            .Add("gaia_snap_to_sep", c.GaiaSnapToSep).Add("gaia_mag_min", c.GaiaMagMin).Add("gaia_mag_max", c.GaiaMagMax)
            .Add("nstars_seed", r.NStarsSeed).Add("nstars_sel", r.Stars.Count);
        if (!r.IsOk)
        {
            m.Add("nstars_extract", r.NStarsExtract).Add("nstars_used", 0).Add("epsf_shape", null)
             .Add("status", "fail").Add("error", r.Error).Add("patch_background", Background(r.Background));
            if (r.BuilderFailed) m.Add("local_star_background", LocalStar(r));
            return m.Add("ncand_extended", r.NCandidatesExtended).Add("algorithm", algorithm);
        }
        var p = r.Product!;
        m.Add("nstars_extract", r.NStarsExtract).Add("nstars_used", r.NStarsUsed)
         .Add("nstars_fitfail", Math.Max(0, r.NStarsExtract - r.NStarsUsed))
         .Add("epsf_shape", new[] { p.Size, p.Size })
         .Add("patch_background", Background(r.Background))
         .Add("local_star_background", LocalStar(r))
         .Add("local_bkg_diagnostics", LocalDiag(r.LocalDiag))
         .Add("epsf_qa", new PyJson()
            .Add("ee_r50_pix", p.Qa.EeR50Pix).Add("ee_r80_pix", p.Qa.EeR80Pix).Add("ee_r90_pix", p.Qa.EeR90Pix)
            .Add("ee_edge", p.Qa.EeEdge).Add("epsf_edge_median", p.Qa.EdgeMedian).Add("epsf_edge_mean", p.Qa.EdgeMean)
            .Add("epsf_min", p.Qa.Min).Add("epsf_max", p.Qa.Max))
         .Add("residual_qa", Residual(r.Residual))
         .Add("cfg", Cfg(s))
         .Add("status", "ok")
         .Add("epsf_fwhm_pix", p.FwhmPix)
         .Add("ncand_extended", r.NCandidatesExtended); // ours: SEP candidates kept out as galaxies
        if (r.Field is { } f)
            m.Add("psf_field", new PyJson().Add("nstars_band", f.NStarsBand).Add("nstars_cell", f.NStarsCell)
                .Add("nstars_rejected", f.NStarsRejected).Add("cell_weight", f.CellWeight)
                .Add("core_radius_pix", f.CoreRadiusPix).Add("wing_fraction", f.WingFraction)
                .Add("flux_model_error", f.FluxModelError));
        return m.Add("algorithm", algorithm);
    }

    private static PyJson Background(CellBackgroundRecord b)
    {
        var o = new PyJson().Add("patch_bkg_median", b.Median).Add("patch_bkg_mean", b.Mean)
            .Add("patch_bkg_rms_median", b.RmsMedian).Add("patch_bkg_rms_mean", b.RmsMean)
            .Add("patch_bkg_mask_frac", b.MaskFraction).Add("patch_bkg_status", b.Status);
        if (b.Error is not null) o.Add("patch_bkg_error", b.Error);
        return o;
    }

    private static PyJson LocalStar(EpsfCellResult r)
    {
        var vals = r.LocalRecords.Select(x => x.Background).Where(double.IsFinite).ToArray();
        double med = vals.Length > 0 ? Numerics.ClippedStats.MedianInPlace((double[])vals.Clone()) : double.NaN;
        double mean = vals.Length > 0 ? vals.Average() : double.NaN;
        return new PyJson().Add("local_bkg_nstars", r.LocalRecords.Count)
            .Add("local_bkg_ok_nstars", r.LocalRecords.Count(x => x.Status == "ok"))
            .Add("local_bkg_median", med).Add("local_bkg_mean", mean);
    }

    private static PyJson LocalDiag(LocalBackgroundDiagRecord d)
    {
        var o = new PyJson().Add("local_bkg_diag_nstars", d.NStars);
        if (!d.Attempted) return o;
        o.Add("local_bkg_diag_status", d.Status);
        if (d.Message is not null) o.Add("local_bkg_diag_message", d.Message);
        return o;
    }

    private static PyJson Residual(ResidualQa q) => q.NStars == 0
        ? new PyJson().Add("resid_nstars", 0).Add("resid_rms", double.NaN).Add("resid_bias", double.NaN)
            .Add("resid_norm_rms", double.NaN).Add("resid_norm_bias", double.NaN)
        : new PyJson().Add("resid_nstars", q.NStars).Add("resid_bias", q.Bias).Add("resid_rms", q.Rms)
            .Add("resid_norm_bias", q.NormBias).Add("resid_norm_rms", q.NormRms);

    /// <summary>The <c>cfg</c> echo: every setting that shapes the cell's numbers, in the original's order.</summary>
    public static PyJson Cfg(EpsfCellSettings s)
    {
        var c = s.Config;
        return new PyJson()
            .Add("epsf_ngrid", c.EpsfNgrid).Add("ngrid", c.Ngrid).Add("thresh_sigma", c.ThreshSigma).Add("minarea", c.Minarea)
            .Add("cutout_size", c.CutoutSize).Add("edge_pad", c.EdgePad).Add("min_sep", c.MinSep).Add("max_stars", c.MaxStars)
            .Add("q_range", new[] { s.QMin, s.QMax }).Add("psfstar_mode", s.ModeName)
            .Add("gaia_mag_min", c.GaiaMagMin).Add("gaia_mag_max", c.GaiaMagMax).Add("gaia_snap_to_sep", c.GaiaSnapToSep)
            .Add("gaia_forced_k_fwhm", c.GaiaForcedKFwhm).Add("gaia_forced_rmin_pix", c.GaiaForcedRminPix)
            .Add("gaia_forced_rmax_pix", c.GaiaForcedRmaxPix).Add("gaia_snr_min", c.GaiaSnrMin)
            .Add("gaia_match_r_pix", c.GaiaMatchRPix).Add("gaia_seed_sat_r", c.GaiaSeedSatR).Add("gaia_seed_sat_div", c.GaiaSeedSatDiv)
            .Add("oversamp", c.Oversamp).Add("maxiters", c.Maxiters).Add("do_clip", c.DoClip)
            .Add("recenter_boxsize", c.RecenterBoxsize).Add("final_psf_size", c.FinalPsfSize)
            .Add("background_subtract_patch", c.BackgroundSubtractPatch)
            .Add("background_boxsize", c.BackgroundBoxsize).Add("background_filtersize", c.BackgroundFiltersize)
            .Add("background_source_mask_sigma", c.BackgroundSourceMaskSigma).Add("background_mask_dilate", c.BackgroundMaskDilate)
            .Add("star_local_bkg_subtract", c.StarLocalBkgSubtract)
            .Add("star_local_bkg_annulus_rin_pix", c.StarLocalBkgAnnulusRinPix)
            .Add("star_local_bkg_annulus_rout_pix", c.StarLocalBkgAnnulusRoutPix)
            .Add("star_local_bkg_sigma", c.StarLocalBkgSigma).Add("star_local_bkg_minpix", c.StarLocalBkgMinpix)
            // the picture-only switches (save_star_montage_max, save_patch_background_diagnostics,
            // diagnostics_show_colorbar, save_growth_curve) are not echoed: the pictures are drawn by
            // their own stage, so the ePSF is not rebuilt when they change and an echo would go stale
            .Add("save_star_local_background_diagnostics", c.SaveStarLocalBackgroundDiagnostics)
            .Add("save_residual_diagnostics", c.SaveResidualDiagnostics).Add("residual_diag_max_stars", c.ResidualDiagMaxStars)
            // ours, after the original's keys: the kernel actually used (auto resolved)
            .Add("reject_extended", c.RejectExtended)
            .Add("smoothing_kernel", s.Smoothing switch
            {
                EpsfSmoothing.Quartic => "quartic",
                EpsfSmoothing.Quadratic => "quadratic",
                _ => "none",
            })
            .Add("stack", c.Stack == Config.EpsfStackStatistic.Median ? "median" : "weighted_mean")
            .Add("background_star_subtract", c.BackgroundStarSubtract)
            .Add("psf_field", c.PsfField == Config.EpsfPsfField.Band ? "band" : "cell")
            .Add("cell_prior_stars", c.CellPriorStars).Add("norm_core_fwhm", c.NormCoreFwhm)
            .Add("mask_neighbours", c.MaskNeighbours);
    }

    /// <summary>
    /// <c>nstars_used</c> and <c>status</c> of a meta.json (Python-style JSON with bare NaN
    /// tokens, which System.Text.Json rejects, so the two fields are read by pattern).
    /// Null when the file is missing or lacks the field.
    /// </summary>
    public static (int NStarsUsed, string Status)? ReadUsage(string path)
    {
        if (!File.Exists(path)) return null;
        string text = File.ReadAllText(path);
        var used = NStarsUsedRegex().Match(text);
        var status = StatusRegex().Match(text);
        if (!used.Success) return null;
        return (int.Parse(used.Groups[1].Value, CultureInfo.InvariantCulture), status.Success ? status.Groups[1].Value : "");
    }

    /// <summary>
    /// The cell's box in cropped-image pixels, [X0, X1) × [Y0, Y1), as written by <see cref="Build"/>;
    /// null when the file is missing or lacks a field.
    /// </summary>
    public static (int X0, int X1, int Y0, int Y1)? ReadBox(string path)
    {
        if (!File.Exists(path)) return null;
        string text = File.ReadAllText(path);
        int? Field(string name)
        {
            var m = Regex.Match(text, "^  \"" + name + "\": (-?\\d+)", RegexOptions.Multiline);
            return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
        }
        return Field("x0") is int x0 && Field("x1") is int x1 && Field("y0") is int y0 && Field("y1") is int y1 ? (x0, x1, y0, y1) : null;
    }

    [GeneratedRegex("^  \"nstars_used\": (-?\\d+)", RegexOptions.Multiline)]
    private static partial Regex NStarsUsedRegex();

    [GeneratedRegex("^  \"status\": \"([^\"]*)\"", RegexOptions.Multiline)]
    private static partial Regex StatusRegex();
}
