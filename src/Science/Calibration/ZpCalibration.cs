using System.Globalization;
using System.Text.RegularExpressions;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Logging;

namespace Tract7dt.Science.Calibration;

/// <summary>The zero points of one ComputeZp pass.</summary>
/// <param name="Bands">Every band with a <c>FLUX_&lt;b&gt;_fit</c> column, ordinal-sorted.</param>
/// <param name="Results">The bands that obtained a zero point, in <paramref name="Bands"/> order.</param>
/// <param name="Skipped">Why nothing was computed (null when the pass ran).</param>
public sealed record ZpPass(IReadOnlyList<string> Bands, IReadOnlyList<BandZeroPoint> Results, string? Skipped);

/// <summary>
/// Star selection, per-band zero points and calibrated magnitudes of ComputeZp
/// (docs/pipeline.md §10.2–§10.6), on a merged catalog held as text. Only new columns are added to the
/// catalog: every other cell keeps its text (README.md, Differences #7).
/// </summary>
public static partial class ZpCalibration
{
    [GeneratedRegex("^FLUX_(.+)_fit$")]
    private static partial Regex FluxFit();

    /// <summary>Bands of the <c>FLUX_&lt;b&gt;_fit</c> columns, ordinal-sorted.</summary>
    public static IReadOnlyList<string> FitBands(SourceTable table) =>
        table.ColumnNames.Select(n => FluxFit().Match(n)).Where(m => m.Success).Select(m => m.Groups[1].Value)
            .Distinct().OrderBy(b => b, StringComparer.Ordinal).ToArray();

    /// <summary>A Gaia id cell: trimmed text; empty, <c>nan</c> and the other missing tokens count as none.</summary>
    public static string GaiaId(string text)
    {
        string t = text.Trim();
        return t.Length == 0 || t.Equals("nan", StringComparison.OrdinalIgnoreCase) || CellText.IsMissing(t) ? "" : t;
    }

    /// <summary>Runs docs/pipeline.md §10.2–§10.3 on <paramref name="merged"/>; logs as the original does.</summary>
    /// <param name="merged">The merged catalog (needs <c>gaia_source_id</c>).</param>
    /// <param name="gaiaIds">GaiaXP <c>source_id</c> per row (text).</param>
    /// <param name="gaiaMag">GaiaXP <c>mag_&lt;b&gt;</c> column by band (absent bands missing).</param>
    /// <param name="refMagErr">Error of each reference magnitude [mag], added in quadrature to the
    /// photometric error in the zero point's weights (<c>zp.ref_mag_err</c>).</param>
    public static ZpPass Compute(SourceTable merged, IReadOnlyList<string> gaiaIds, Func<string, double[]?> gaiaMag,
        double clipSigma, int clipMaxIters, Log log, double refMagErr = 0)
    {
        var bands = FitBands(merged);
        if (!merged.Contains("gaia_source_id"))
            return Skip(bands, "Merged catalog has no gaia_source_id column; skipping ZP computation.", log);
        int n = merged.RowCount;
        var g = new string[n];
        var has = new bool[n];
        for (int i = 0; i < n; i++) { g[i] = GaiaId(merged.Text("gaia_source_id", i)); has[i] = g[i].Length > 0; }

        bool multi = merged.Contains("opt_converged");
        var candidates = new List<int>();
        var remembered = new List<int>();
        if (multi)
        {
            bool[] conv = Flags(merged, "opt_converged");
            for (int i = 0; i < n; i++)
                if (has[i]) (conv[i] ? candidates : remembered).Add(i);
            log.Info($"Gaia-matched sources for ZP: {candidates.Count} converged, {remembered.Count} non-converged (excluded)");
        }
        else
        {
            for (int i = 0; i < n; i++) if (has[i]) candidates.Add(i);
            log.Info($"Gaia-matched sources for ZP: {candidates.Count} (per-band convergence filter)");
        }
        if (candidates.Count == 0)
            return Skip(bands, "No converged Gaia-matched sources; skipping ZP computation.", log);

        var lookup = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < gaiaIds.Count; r++) lookup.TryAdd(gaiaIds[r].Trim(), r);

        log.Info($"Bands for ZP: {string.Join(",", bands)}");
        var results = new List<BandZeroPoint>();
        foreach (var b in bands)
        {
            var mag = gaiaMag(b);
            if (mag is null) { log.Info($"[{b}] no mag_{b} in GaiaXP catalog; skipping band"); continue; }
            bool[]? bandConv = !multi && merged.Contains($"opt_converged_{b}") ? Flags(merged, $"opt_converged_{b}") : null;
            double[] flux = merged.Numeric($"FLUX_{b}_fit");
            double[]? fluxErr = merged.Contains($"FLUXERR_{b}_fit") ? merged.Numeric($"FLUXERR_{b}_fit") : null;

            ZpStar? Value(int i) => lookup.TryGetValue(g[i], out int r)
                ? ZeroPoint.Star(g[i], double.IsFinite(mag[r]) ? mag[r] : double.NaN, flux[i], fluxErr?[i] ?? double.NaN)
                : null;

            var used = new List<ZpStar>();
            var nonConv = new List<ZpStar>();
            foreach (int i in candidates)
                if (Value(i) is { } s) (bandConv is null || bandConv[i] ? used : nonConv).Add(s);
            foreach (int i in remembered)
                if (Value(i) is { } s) nonConv.Add(s);
            if (nonConv.Count > 0) log.Info($"[{b}] excluded {nonConv.Count} non-converged star(s) from ZP");
            if (used.Count == 0) { log.Info($"[{b}] no valid Gaia-matched stars; skipping band"); continue; }
            var zp = ZeroPoint.Compute(b, used, nonConv, clipSigma, clipMaxIters, refMagErr);
            if (zp is null) { log.Info($"[{b}] every star was clipped; skipping band"); continue; }
            results.Add(zp);
            log.Info($"[{b}] ZP={F4(zp.ZpMedian)} +/- {F4(zp.ZpErrMad)} (MAD) | kept={zp.NKept} nonconv={nonConv.Count} clipped={zp.NClipped}");
        }
        if (results.Count == 0) log.Warn("No bands produced ZP results; catalog unchanged");
        return new ZpPass(bands, results, null);
    }

    /// <summary>
    /// The merged catalog plus <c>MAG_&lt;b&gt;_fit</c>, <c>MAGERR_&lt;b&gt;_fit</c> for every band
    /// of <paramref name="pass"/> (sorted, pairwise, at the end; older columns of those names
    /// removed). A band without a zero point gets empty columns. Other cells are untouched.
    /// </summary>
    public static SourceTable WithMagnitudes(SourceTable merged, ZpPass pass)
    {
        var drop = new HashSet<string>(pass.Bands.SelectMany(b => new[] { $"MAG_{b}_fit", $"MAGERR_{b}_fit" }), StringComparer.Ordinal);
        var t = new SourceTable(merged.RowCount, merged.SourceLines);
        foreach (var c in merged.Columns) if (!drop.Contains(c.Name)) t.Add(c);
        var byBand = pass.Results.ToDictionary(r => r.Band, StringComparer.Ordinal);
        int n = merged.RowCount;
        foreach (var b in pass.Bands)
        {
            double[] flux = merged.Numeric($"FLUX_{b}_fit");
            double[]? err = merged.Contains($"FLUXERR_{b}_fit") ? merged.Numeric($"FLUXERR_{b}_fit") : null;
            var mag = new double[n];
            var magErr = new double[n];
            byBand.TryGetValue(b, out var zp);
            for (int i = 0; i < n; i++)
            {
                mag[i] = zp is null ? double.NaN : ZeroPoint.Magnitude(zp.ZpMedian, flux[i]);
                magErr[i] = zp is null ? double.NaN : ZeroPoint.MagnitudeError(zp.ZpErrMad, flux[i], err?[i] ?? double.NaN);
            }
            t.AddDouble($"MAG_{b}_fit", mag);
            t.AddDouble($"MAGERR_{b}_fit", magErr);
        }
        return t;
    }

    /// <summary><c>zp_all_bands__per_object.csv</c>: band blocks in order, rows in catalog order.</summary>
    public static SourceTable PerObjectTable(IReadOnlyList<BandZeroPoint> results)
    {
        var rows = results.SelectMany(r => r.Used.Select((s, i) => (r.Band, s, Kept: r.Kept[i]))).ToArray();
        var t = new SourceTable(rows.Length);
        t.AddText("band", rows.Select(r => r.Band).ToArray());
        t.AddText("gaia_source_id", rows.Select(r => r.s.GaiaSourceId).ToArray());
        t.AddDouble("gaiaxp_mag", rows.Select(r => r.s.GaiaMag).ToArray());
        t.AddDouble("flux", rows.Select(r => r.s.Flux).ToArray());
        t.AddDouble("fluxerr", rows.Select(r => r.s.FluxErr).ToArray());
        t.AddDouble("zp", rows.Select(r => r.s.Zp).ToArray());
        t.AddDouble("zp_err", rows.Select(r => r.s.ZpErr).ToArray());
        t.AddBool("is_kept", rows.Select(r => r.Kept).ToArray());
        t.AddBool("is_clipped", rows.Select(r => !r.Kept).ToArray());
        return t;
    }

    /// <summary><c>zp_summary.csv</c>: one row per band with a zero point.</summary>
    public static SourceTable SummaryTable(IReadOnlyList<BandZeroPoint> results)
    {
        var t = new SourceTable(results.Count);
        t.AddText("band", results.Select(r => r.Band).ToArray());
        t.AddInt("n_raw", results.Select(r => (long)r.Used.Count).ToArray());
        t.AddInt("n_kept", results.Select(r => (long)r.NKept).ToArray());
        t.AddInt("n_clipped", results.Select(r => (long)r.NClipped).ToArray());
        t.AddInt("n_nonconverged", results.Select(r => (long)r.NonConverged.Count).ToArray());
        t.AddDouble("clip_sigma", results.Select(r => r.ClipSigma).ToArray());
        t.AddDouble("zp_median", results.Select(r => r.ZpMedian).ToArray());
        t.AddDouble("zp_err_mad", results.Select(r => r.ZpErrMad).ToArray());
        return t;
    }

    private static ZpPass Skip(IReadOnlyList<string> bands, string why, Log log)
    {
        log.Warn(why);
        return new ZpPass(bands, [], why);
    }

    private static bool[] Flags(SourceTable t, string column)
    {
        var v = new bool[t.RowCount];
        var col = t[column];
        for (int i = 0; i < v.Length; i++)
        {
            var s = col.FormatCell(i).AsSpan().Trim();
            v[i] = s.Equals("True", StringComparison.OrdinalIgnoreCase) || s.SequenceEqual("1") || s.SequenceEqual("1.0");
        }
        return v;
    }

    private static string F4(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
}
