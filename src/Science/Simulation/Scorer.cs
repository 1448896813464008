using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;
using Tract7dt.Science.Calibration;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Simulation;

/// <summary>Flux accuracy of one source class in one S/N bin of one band.</summary>
/// <param name="SnrLow">Lower edge of the true S/N bin (FLUX_EXP/FLUXERR_EXP of truth).</param>
/// <param name="N">Fitted sources in the bin.</param>
/// <param name="MedianBias">Median of (F_fit − F_exp)/F_exp.</param>
public sealed record FluxBin(string Class, double SnrLow, double SnrHigh, int N, double MedianBias);

/// <summary>Scores of one band.</summary>
/// <param name="Completeness">Fitted / expected-fittable sources (in the catalogue, not expected excluded).</param>
/// <param name="PullSpread">1.4826·MAD of (F_fit − F_exp)/FLUXERR_fit: ≈ 1 when errors are honest.</param>
/// <param name="ZpRecovered">Median of MAG_fit + 2.5 log10 FLUX_fit (NaN without MAG columns).</param>
/// <param name="ZpExpected">zp_ref + ZP_true − ZP_AUTO from truth_zp.csv.</param>
public sealed record BandScore(string Band, int Expected, int Fitted, double Completeness,
    IReadOnlyList<FluxBin> FluxBins, double PullMedian, double PullSpread, double ZpRecovered, double ZpExpected)
{
    /// <summary>The accuracy bars of isolated stars and correctly typed galaxies (see <see cref="IsolatedScore"/>).</summary>
    public IsolatedScore? Isolated { get; init; }

    public double ZpError => ZpRecovered - ZpExpected;
}

/// <summary>
/// Isolated stars (no truth source within 10 px brighter than 5 % of the star in the band)
/// and galaxies whose catalogue TYPE names their true profile, in one band.
/// </summary>
/// <param name="BrightBias">Median (F_fit − F_exp)/F_exp of isolated stars with true S/N &gt; 50.</param>
/// <param name="FaintBias">The same at S/N 10–50.</param>
/// <param name="CellBiasMin">Lowest per-ePSF-cell median bias of isolated S/N &gt; 50 stars (cells with ≥ 2).</param>
/// <param name="CellBiasMax">Highest.</param>
/// <param name="GalaxyBias">Median bias of galaxies with S/N &gt; 10 whose TYPE is right.</param>
/// <param name="PullStd">1.4826·MAD of (F_fit − F_exp)/FLUXERR_fit over isolated stars with S/N &gt; 10.</param>
/// <param name="PositionErrorPix">Median position error of isolated S/N &gt; 50 stars, pixels.</param>
public sealed record IsolatedScore(int NBright, double BrightBias, int NFaint, double FaintBias, int NCells,
    double CellBiasMin, double CellBiasMax, int NGalaxies, double GalaxyBias, double PullStd, double PositionErrorPix)
{
    /// <summary>Standard error of <see cref="BrightBias"/> from the stars' own scatter: how far the median moves by their noise alone.</summary>
    public double BrightBiasError { get; init; } = double.NaN;

    /// <summary>Standard error of <see cref="FaintBias"/>.</summary>
    public double FaintBiasError { get; init; } = double.NaN;
}

/// <summary>The result of <see cref="Scorer.Score"/>.</summary>
/// <param name="Matched">Catalogue rows matched to a truth source (by ID, or by Gaia source id).</param>
/// <param name="PositionMedianArcsec">Median separation RA_fit/DEC_fit ↔ truth, arcsec.</param>
/// <param name="FlagAgreement">Fraction of matched rows whose excluded_crop and excluded_saturation both equal truth's expectation.</param>
public sealed record ScoreReport(int TruthSources, int Matched, double Completeness,
    double PositionMedianArcsec, double PositionP90Arcsec,
    double FlagAgreement, int CropMismatches, int SaturationMismatches,
    IReadOnlyList<BandScore> Bands)
{
    /// <summary>Each band's ePSF cells against the true PSF (<see cref="EpsfTruthCheck"/>); null when the truth or the run lacks what it needs.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<EpsfCellTruth>>? EpsfCells { get; init; }

    /// <summary>A human-readable summary, one block per band.</summary>
    public string ToText()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(string.Format(c, "truth sources {0}, matched rows {1}, completeness {2:F4}", TruthSources, Matched, Completeness));
        sb.AppendLine(string.Format(c, "position error: median {0:F4}\", p90 {1:F4}\"", PositionMedianArcsec, PositionP90Arcsec));
        sb.AppendLine(string.Format(c, "exclusion flags: agreement {0:F4} (crop mismatches {1}, saturation mismatches {2})", FlagAgreement, CropMismatches, SaturationMismatches));
        foreach (var b in Bands)
        {
            sb.AppendLine(string.Format(c, "[{0}] completeness {1:F4} ({2}/{3})  pull median {4:F3} spread {5:F3}  ZP recovered {6:F4} expected {7:F4} (diff {8:+0.0000;-0.0000})",
                b.Band, b.Completeness, b.Fitted, b.Expected, b.PullMedian, b.PullSpread, b.ZpRecovered, b.ZpExpected, b.ZpError));
            foreach (var f in b.FluxBins)
                sb.AppendLine(string.Format(c, "    {0,-6} S/N [{1,5:F0},{2,5:F0}) n={3,5} median bias {4:+0.0000;-0.0000}", f.Class, f.SnrLow, f.SnrHigh, f.N, f.MedianBias));
            if (b.Isolated is { } q)
                sb.AppendLine(string.Format(c, "    isolated stars: S/N>50 n={0} bias {1:+0.0000;-0.0000;0.0000} ± {11:0.0000}; S/N 10-50 n={2} bias {3:+0.0000;-0.0000;0.0000} ± {12:0.0000}; " +
                    "per cell {4:+0.0000;-0.0000;0.0000} .. {5:+0.0000;-0.0000;0.0000} ({6} cells); pull std {7:F2}; position {8:F4} px; typed galaxies S/N>10 n={9} bias {10:+0.0000;-0.0000}",
                    q.NBright, q.BrightBias, q.NFaint, q.FaintBias, q.CellBiasMin, q.CellBiasMax, q.NCells, q.PullStd, q.PositionErrorPix, q.NGalaxies, q.GalaxyBias,
                    q.BrightBiasError, q.FaintBiasError));
        }
        if (EpsfCells is not null) sb.Append(EpsfTruthCheck.ToText(EpsfCells));
        return sb.ToString();
    }

    /// <summary>The report as indented JSON (NaN written as null).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    });
}

/// <summary>
/// Compares a pipeline's final catalogue (docs/outputs.md §11) with a simulation's truth.
/// Fluxes are compared in the pipeline's system: the expected fitted flux is the true flux
/// times 10^(−0.4·(ZP_AUTO − ZP_true)) (truth column FLUX_EXP_&lt;band&gt;).
/// </summary>
public static class Scorer
{
    private static readonly double[] SnrEdges = [0, 5, 20, 100, double.PositiveInfinity];

    private static CsvTable Read(string path, string code) => CsvTable.Read(path, code);

    private static double D(string[] row, int col) => CsvTable.Num(row, col);

    private static bool? B(string[] row, int col) => CsvTable.Bool(row, col);

    private static double Median(List<double> v) => RobustStats.MedianOf(v);

    private static double Quantile(List<double> v, double q)
    {
        if (v.Count == 0) return double.NaN;
        v.Sort();
        return v[Math.Min(v.Count - 1, (int)Math.Floor(q * v.Count))];
    }

    /// <summary>Scores <paramref name="catalogPath"/> against the truth in <paramref name="truthDir"/>.</summary>
    public static ScoreReport Score(string truthDir, string catalogPath)
    {
        var truth = Read(Path.Combine(truthDir, "truth.csv"), ErrorCodes.ScoreTruthInvalid);
        var zp = Read(Path.Combine(truthDir, "truth_zp.csv"), ErrorCodes.ScoreTruthInvalid);
        var cat = Read(catalogPath, ErrorCodes.ScoreCatalogInvalid);
        int tId = truth.Col("ID"), tGaia = truth.Col("gaia_source_id");
        if (tId < 0 || truth.Col("FLUX_EXP_" + zp.Rows[0][0]) < 0)
            throw new Tract7dtException(ErrorCodes.ScoreTruthInvalid, $"{truth.Path} lacks the ID or FLUX_EXP_<band> columns; regenerate it with `tract7dt simulate`.");
        int cId = cat.Col("ID");
        if (cId < 0) throw new Tract7dtException(ErrorCodes.ScoreCatalogInvalid, $"{cat.Path} has no ID column; score needs the final catalogue (output_catalog.csv).");

        var byId = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < truth.Rows.Count; i++)
        {
            byId[truth.Rows[i][tId]] = i;
            if (truth.Rows[i][tGaia].Length > 0) byId["gaia_" + truth.Rows[i][tGaia]] = i;
        }
        var match = new int[cat.Rows.Count];
        int cGaia = cat.Col("gaia_source_id");
        for (int r = 0; r < cat.Rows.Count; r++)
        {
            match[r] = -1;
            if (byId.TryGetValue(cat.Rows[r][cId], out int t)) match[r] = t;
            else if (cGaia >= 0 && cat.Rows[r][cGaia].Length > 0 && byId.TryGetValue("gaia_" + cat.Rows[r][cGaia], out t)) match[r] = t;
        }

        int tIn = truth.Col("in_catalog"), tCrop = truth.Col("expect_excluded_crop"), tSat = truth.Col("expect_excluded_saturation");
        int tType = truth.Col("TYPE"), tRa = truth.Col("RA"), tDec = truth.Col("DEC");
        bool Fittable(int t) => B(truth.Rows[t], tIn) == true && B(truth.Rows[t], tCrop) != true && B(truth.Rows[t], tSat) != true;
        int expected = Enumerable.Range(0, truth.Rows.Count).Count(Fittable);

        // Positions and flags.
        int cRa = cat.Col("RA_fit"), cDec = cat.Col("DEC_fit"), cCrop = cat.Col("excluded_crop"), cSat = cat.Col("excluded_saturation");
        var sep = new List<double>();
        int flagRows = 0, flagOk = 0, cropBad = 0, satBad = 0, matched = 0;
        var fittedAny = new HashSet<int>();
        for (int r = 0; r < cat.Rows.Count; r++)
        {
            int t = match[r];
            if (t < 0) continue;
            matched++;
            var row = cat.Rows[r]; var tr = truth.Rows[t];
            double ra = D(row, cRa), dec = D(row, cDec);
            if (double.IsFinite(ra) && double.IsFinite(dec))
            {
                double tra = D(tr, tRa), tdec = D(tr, tDec);
                double dra = (ra - tra + 540) % 360 - 180;
                sep.Add(3600 * Math.Sqrt(Math.Pow(dra * Math.Cos(tdec * Math.PI / 180), 2) + Math.Pow(dec - tdec, 2)));
            }
            bool? crop = B(row, cCrop), sat = B(row, cSat);
            if (crop.HasValue || sat.HasValue)
            {
                flagRows++;
                bool cOk = (crop ?? false) == (B(tr, tCrop) ?? false), sOk = (sat ?? false) == (B(tr, tSat) ?? false);
                if (!cOk) cropBad++;
                if (!sOk) satBad++;
                if (cOk && sOk) flagOk++;
            }
        }

        var bands = new List<BandScore>();
        foreach (var zr in zp.Rows)
        {
            string band = zr[0];
            double zpExp = D(zr, zp.Col("zp_median_expected"));
            int cF = cat.Col($"FLUX_{band}_fit"), cE = cat.Col($"FLUXERR_{band}_fit"), cM = cat.Col($"MAG_{band}_fit");
            int tF = truth.Col("FLUX_EXP_" + band), tE = truth.Col("FLUXERR_EXP_" + band);
            var pulls = new List<double>(); var zps = new List<double>();
            var bias = new Dictionary<(string, int), List<double>>();
            var fitted = new HashSet<int>();
            for (int r = 0; r < cat.Rows.Count; r++)
            {
                int t = match[r];
                double f = D(cat.Rows[r], cF);
                if (!double.IsFinite(f)) continue;
                double mag = D(cat.Rows[r], cM);
                if (double.IsFinite(mag) && f > 0) zps.Add(mag + 2.5 * Math.Log10(f));
                if (t < 0) continue;
                if (Fittable(t)) { fitted.Add(t); fittedAny.Add(t); }
                double fe = D(truth.Rows[t], tF), ee = D(truth.Rows[t], tE), err = D(cat.Rows[r], cE);
                if (err > 0) pulls.Add((f - fe) / err);
                double snr = fe / ee;
                int bin = Array.FindLastIndex(SnrEdges, e => snr >= e);
                if (bin < 0 || bin >= SnrEdges.Length - 1 || !(fe > 0)) continue;
                string cls = truth.Rows[t][tType] == "STAR" ? "star" : "galaxy";
                if (!bias.TryGetValue((cls, bin), out var l)) bias[(cls, bin)] = l = new List<double>();
                l.Add((f - fe) / fe);
            }
            var bins = bias.OrderBy(kv => kv.Key.Item1, StringComparer.Ordinal).ThenBy(kv => kv.Key.Item2)
                .Select(kv => new FluxBin(kv.Key.Item1, SnrEdges[kv.Key.Item2], SnrEdges[kv.Key.Item2 + 1], kv.Value.Count, Median(kv.Value))).ToList();
            double pm = Median(pulls);
            double mad = Median(pulls.Select(p => Math.Abs(p - pm)).ToList());
            bands.Add(new BandScore(band, expected, fitted.Count, expected == 0 ? double.NaN : (double)fitted.Count / expected,
                bins, pm, 1.4826 * mad, Median(zps), zpExp)
            { Isolated = IsolatedScores(truth, cat, match, band) });
        }

        return new ScoreReport(truth.Rows.Count, matched, expected == 0 ? double.NaN : (double)fittedAny.Count / expected,
            Median(sep), Quantile(sep, 0.9), flagRows == 0 ? double.NaN : (double)flagOk / flagRows, cropBad, satBad, bands)
        { EpsfCells = EpsfTruthCheck.Check(truthDir, Path.GetDirectoryName(Path.GetFullPath(catalogPath))!) };
    }

    /// <summary>Pixel scale of the simulated images, arcsec (positions are compared on the sky).</summary>
    private const double PixelScaleArcsec = ResolvedSimulation.PixelScaleArcsec;

    private static IsolatedScore IsolatedScores(CsvTable truth, CsvTable cat, int[] match, string band)
    {
        int tF = truth.Col("FLUX_EXP_" + band), tE = truth.Col("FLUXERR_EXP_" + band), tX = truth.Col("x"), tY = truth.Col("y");
        int tType = truth.Col("TYPE"), tRa = truth.Col("RA"), tDec = truth.Col("DEC");
        int cF = cat.Col($"FLUX_{band}_fit"), cE = cat.Col($"FLUXERR_{band}_fit"), cCell = cat.Col("epsf_tag"), cType = cat.Col("TYPE");
        int cRa = cat.Col("RA_fit"), cDec = cat.Col("DEC_fit");
        int n = truth.Rows.Count;
        var x = new double[n]; var y = new double[n]; var f = new double[n];
        for (int t = 0; t < n; t++) { x[t] = D(truth.Rows[t], tX); y[t] = D(truth.Rows[t], tY); f[t] = D(truth.Rows[t], tF); }
        // isolation: a grid of 10-px bins makes the neighbour search linear
        var bins = new Dictionary<(int, int), List<int>>();
        for (int t = 0; t < n; t++)
        {
            if (!double.IsFinite(x[t]) || !double.IsFinite(y[t])) continue;
            var key = ((int)Math.Floor(x[t] / 10), (int)Math.Floor(y[t] / 10));
            if (!bins.TryGetValue(key, out var l)) bins[key] = l = new List<int>();
            l.Add(t);
        }
        bool Isolated(int t)
        {
            int bx = (int)Math.Floor(x[t] / 10), by = (int)Math.Floor(y[t] / 10);
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                    if (bins.TryGetValue((bx + dx, by + dy), out var l))
                        foreach (int u in l)
                        {
                            if (u == t) continue;
                            double d2 = (x[u] - x[t]) * (x[u] - x[t]) + (y[u] - y[t]) * (y[u] - y[t]);
                            if (d2 < 100 && !(f[u] < 0.05 * f[t])) return false;
                        }
            return true;
        }
        var bright = new List<double>(); var faint = new List<double>(); var gal = new List<double>();
        var pulls = new List<double>(); var pos = new List<double>();
        var cells = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        for (int r = 0; r < cat.Rows.Count; r++)
        {
            int t = match[r];
            if (t < 0) continue;
            var row = cat.Rows[r]; var tr = truth.Rows[t];
            double ff = D(row, cF), fe = f[t], ee = D(tr, tE);
            if (!double.IsFinite(ff) || !(fe > 0) || !(ee > 0)) continue;
            double snr = fe / ee, bias = (ff - fe) / fe;
            string kind = tr[tType];
            if (kind == "STAR")
            {
                if (snr < 10 || !Isolated(t)) continue;
                double err = D(row, cE);
                if (err > 0) pulls.Add((ff - fe) / err);
                if (snr >= 50)
                {
                    bright.Add(bias);
                    if (cCell >= 0)
                    {
                        if (!cells.TryGetValue(row[cCell], out var l)) cells[row[cCell]] = l = new List<double>();
                        l.Add(bias);
                    }
                    double ra = D(row, cRa), dec = D(row, cDec), tra = D(tr, tRa), tdec = D(tr, tDec);
                    if (double.IsFinite(ra) && double.IsFinite(dec))
                    {
                        double dra = ((ra - tra + 540) % 360 - 180) * Math.Cos(tdec * Math.PI / 180);
                        pos.Add(3600 * Math.Sqrt(dra * dra + (dec - tdec) * (dec - tdec)) / PixelScaleArcsec);
                    }
                }
                else faint.Add(bias);
            }
            else if (snr >= 10 && cType >= 0 && string.Equals(row[cType].Trim(), kind, StringComparison.OrdinalIgnoreCase))
                gal.Add(bias);
        }
        var cellMed = cells.Where(kv => kv.Value.Count >= 2).Select(kv => Median(kv.Value)).ToList();
        return new IsolatedScore(bright.Count, Median(bright), faint.Count, Median(faint), cellMed.Count,
            cellMed.Count == 0 ? double.NaN : cellMed.Min(), cellMed.Count == 0 ? double.NaN : cellMed.Max(),
            gal.Count, Median(gal), RobustStats.ScatterOf(pulls), Median(pos))
        { BrightBiasError = MedianError(bright), FaintBiasError = MedianError(faint) };
    }

    /// <summary>Standard error of a median: √(π/2)·σ/√n, σ the robust scatter (1.4826·MAD).</summary>
    private static double MedianError(List<double> v) =>
        v.Count < 3 ? double.NaN : Math.Sqrt(Math.PI / 2) * RobustStats.ScatterOf(v) / Math.Sqrt(v.Count);

    /// <summary>
    /// Writes the catalogue a perfect pipeline would produce for this truth (fits equal to the
    /// expected fluxes, truth positions, expected flags and zero points): the scorer's
    /// reference point, and a template of the columns it reads.
    /// </summary>
    public static void WriteIdealCatalog(string truthDir, string path)
    {
        var truth = Read(Path.Combine(truthDir, "truth.csv"), ErrorCodes.ScoreTruthInvalid);
        var zp = Read(Path.Combine(truthDir, "truth_zp.csv"), ErrorCodes.ScoreTruthInvalid);
        string F(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";
        using var sw = new StreamWriter(path, false, new UTF8Encoding(false));
        using var csv = CsvWriter.Create(sw, null, leaveOpen: false);
        var head = new List<string> { "ID", "RA", "DEC", "excluded_crop", "excluded_saturation", "excluded_any", "RA_fit", "DEC_fit" };
        foreach (var z in zp.Rows) { head.Add($"FLUX_{z[0]}_fit"); head.Add($"FLUXERR_{z[0]}_fit"); }
        foreach (var z in zp.Rows.OrderBy(z => z[0], StringComparer.Ordinal)) { head.Add($"MAG_{z[0]}_fit"); head.Add($"MAGERR_{z[0]}_fit"); }
        foreach (var h in head) csv.WriteField(h);
        csv.EndRecord();
        int cIn = truth.Col("in_catalog"), cCrop = truth.Col("expect_excluded_crop"), cSat = truth.Col("expect_excluded_saturation");
        foreach (var t in truth.Rows)
        {
            if (B(t, cIn) != true) continue;
            bool crop = B(t, cCrop) == true, sat = B(t, cSat) == true, fit = !crop && !sat;
            var row = new List<string> { t[truth.Col("ID")], t[truth.Col("RA")], t[truth.Col("DEC")],
                crop ? "True" : "False", sat ? "True" : "False", crop || sat ? "True" : "False",
                fit ? t[truth.Col("RA")] : "", fit ? t[truth.Col("DEC")] : "" };
            foreach (var z in zp.Rows)
            {
                row.Add(fit ? t[truth.Col("FLUX_EXP_" + z[0])] : "");
                row.Add(fit ? t[truth.Col("FLUXERR_EXP_" + z[0])] : "");
            }
            foreach (var z in zp.Rows.OrderBy(z => z[0], StringComparer.Ordinal))
            {
                double f = D(t, truth.Col("FLUX_EXP_" + z[0])), e = D(t, truth.Col("FLUXERR_EXP_" + z[0]));
                double zpe = D(z, zp.Col("zp_median_expected"));
                row.Add(fit ? F(zpe - 2.5 * Math.Log10(f)) : "");
                row.Add(fit ? F(2.5 / Math.Log(10) * e / f) : "");
            }
            foreach (var v in row) csv.WriteField(v);
            csv.EndRecord();
        }
    }
}
