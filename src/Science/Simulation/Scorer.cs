using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;
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
    public double ZpError => ZpRecovered - ZpExpected;
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
        }
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
/// Compares a pipeline's final catalogue (spec outputs.md §11) with a simulation's truth.
/// Fluxes are compared in the pipeline's system: the expected fitted flux is the true flux
/// times 10^(−0.4·(ZP_AUTO − ZP_true)) (truth column FLUX_EXP_&lt;band&gt;).
/// </summary>
public static class Scorer
{
    private static readonly double[] SnrEdges = [0, 5, 20, 100, double.PositiveInfinity];

    private sealed class Table
    {
        public required string Path;
        public required IReadOnlyList<string> Headers;
        public required List<string[]> Rows;
        public int Col(string name) => Headers.ToList().IndexOf(name);
    }

    private static Table Read(string path, string code)
    {
        if (!File.Exists(path)) throw new Tract7dtException(code, $"File not found: {path}. Check the --truth folder / --catalog path.");
        using var r = CsvReader.FromFile(path, null);
        var rows = new List<string[]>();
        IReadOnlyList<string>? headers = null;
        while (r.Read())
        {
            headers ??= r.Headers.ToArray();
            var row = new string[headers.Count];
            for (int i = 0; i < headers.Count && i < r.FieldCount; i++) row[i] = r.GetString(i) ?? "";
            for (int i = r.FieldCount; i < headers.Count; i++) row[i] = "";
            rows.Add(row);
        }
        return new Table { Path = path, Headers = headers ?? r.Headers.ToArray(), Rows = rows };
    }

    private static double D(string[] row, int col) =>
        col >= 0 && double.TryParse(row[col], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;

    private static bool? B(string[] row, int col) => col < 0 ? null : row[col].Trim().ToLowerInvariant() switch
    { "true" or "1" => true, "false" or "0" => false, _ => null };

    private static double Median(List<double> v)
    {
        if (v.Count == 0) return double.NaN;
        v.Sort();
        int n = v.Count;
        return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    }

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
                bins, pm, 1.4826 * mad, Median(zps), zpExp));
        }

        return new ScoreReport(truth.Rows.Count, matched, expected == 0 ? double.NaN : (double)fittedAny.Count / expected,
            Median(sep), Quantile(sep, 0.9), flagRows == 0 ? double.NaN : (double)flagOk / flagRows, cropBad, satBad, bands);
    }

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
