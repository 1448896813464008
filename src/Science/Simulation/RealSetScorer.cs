using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;
using Tract7dt.Science.Calibration;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;

namespace Tract7dt.Science.Simulation;

/// <summary>PSF flux over aperture truth of one S/N bin of one band.</summary>
/// <param name="MedianRatio">Median of FLUX_fit / FLUX_APC.</param>
/// <param name="RobustScatter">1.4826·MAD of that ratio.</param>
public sealed record RatioBin(double SnrLow, double SnrHigh, int N, double MedianRatio, double RobustScatter);

/// <summary>Scores of one band of a real set.</summary>
/// <param name="CellMedians">Per ePSF cell (epsf_tag) with at least 2 isolated S/N &gt; 50 stars: their median ratio.</param>
/// <param name="PullStd">1.4826·MAD of (F_fit − F_APC)/√(σ_fit² + σ_AP²) over isolated stars with S/N &gt; 20.</param>
/// <param name="PullStdCov">The same with FLUXERR_&lt;band&gt;_cov.</param>
public sealed record RealBandScore(string Band, IReadOnlyList<RatioBin> Bins,
    IReadOnlyDictionary<string, (int N, double Median)> CellMedians, double PullStd, double PullStdCov)
{
    /// <summary>
    /// Stars of S/N ≥ 100 whose centroid in this band's own image lies within
    /// <see cref="RealSetScorer.RegisteredPix"/> of the fitted (all-band) position, and the rest:
    /// a fit with one position for every band cannot give a star its full flux in a band where
    /// the star sits elsewhere. Null when the band's image is not in the set's folder.
    /// </summary>
    public RatioBin? Registered { get; init; }

    /// <inheritdoc cref="Registered"/>
    public RatioBin? Misregistered { get; init; }

    /// <summary>Median distance of those stars' own-band centroids from the fitted positions, pixels.</summary>
    public double MedianCentroidOffset { get; init; } = double.NaN;

    public double CellMin => CellMedians.Count == 0 ? double.NaN : CellMedians.Values.Min(v => v.Median);

    public double CellMax => CellMedians.Count == 0 ? double.NaN : CellMedians.Values.Max(v => v.Median);
}

/// <summary>The result of <see cref="RealSetScorer.Score"/>.</summary>
public sealed record RealSetReport(string Set, int Stars, int Matched, IReadOnlyList<RealBandScore> Bands)
{
    /// <summary>A human-readable summary, one block per band.</summary>
    public string ToText()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(string.Format(c, "{0}: truth stars {1}, matched {2}", Set, Stars, Matched));
        foreach (var b in Bands)
        {
            sb.AppendLine(string.Format(c, "[{0}] pull std {1:F2} (cov {2:F2}); per-cell median ratio {3:F4} … {4:F4} over {5} cells",
                b.Band, b.PullStd, b.PullStdCov, b.CellMin, b.CellMax, b.CellMedians.Count));
            foreach (var r in b.Bins)
                sb.AppendLine(string.Format(c, "    S/N [{0,4:F0},{1,5:F0}) n={2,4} flux/aperture median {3:F4} scatter {4:F4}",
                    r.SnrLow, r.SnrHigh, r.N, r.MedianRatio, r.RobustScatter));
            if (b.Registered is { } g && b.Misregistered is { } m)
                sb.AppendLine(string.Format(c,
                    "    S/N >= 100, own-band centroid within {0} px of the fitted position: n={1} median {2:F4} scatter {3:F4}; " +
                    "farther: n={4} median {5:F4} (median offset {6:F3} px)",
                    RealSetScorer.RegisteredPix, g.N, g.MedianRatio, g.RobustScatter, m.N, m.MedianRatio, b.MedianCentroidOffset));
        }
        return sb.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions
    {
        WriteIndented = true,
        IncludeFields = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    });
}

/// <summary>
/// Compares a final catalogue of a real image set with its aperture truth
/// (<c>truth_stars.csv</c>: per catalogue STAR and band, <c>FLUX_APC_&lt;b&gt;</c>, the
/// aperture-corrected flux within 27 px, its error <c>FLUXERR_AP_&lt;b&gt;</c>, S/N and an
/// <c>isolated</c> flag). Only isolated stars that were fitted enter the ratios: a PSF flux
/// normalised over the 55-px stamp should equal FLUX_APC.
/// </summary>
public static class RealSetScorer
{
    private static readonly double[] SnrEdges = [20, 50, 100, double.PositiveInfinity];

    /// <summary>Largest own-band centroid offset of a star counted as registered, pixels.</summary>
    public const double RegisteredPix = 0.1;

    public static RealSetReport Score(string truthDir, string catalogPath)
    {
        var truth = CsvTable.Read(Path.Combine(truthDir, "truth_stars.csv"), ErrorCodes.ScoreTruthInvalid);
        var cat = CsvTable.Read(catalogPath, ErrorCodes.ScoreCatalogInvalid);
        int tId = truth.Col("ID"), tIso = truth.Col("isolated");
        int cId = cat.Col("ID");
        if (tId < 0 || tIso < 0)
            throw new Tract7dtException(ErrorCodes.ScoreTruthInvalid, $"{truth.Path} lacks the ID or isolated columns: is this a real-set truth_stars.csv?");
        if (cId < 0) throw new Tract7dtException(ErrorCodes.ScoreCatalogInvalid, $"{cat.Path} has no ID column; score needs the final catalogue (output_catalog.csv).");
        var rowById = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < cat.Rows.Count; r++) rowById[cat.Rows[r][cId]] = r;

        var bands = truth.Headers.Where(h => h.StartsWith("FLUX_APC_", StringComparison.Ordinal)).Select(h => h["FLUX_APC_".Length..]).ToList();
        int matched = 0;
        for (int t = 0; t < truth.Rows.Count; t++) if (rowById.ContainsKey(truth.Rows[t][tId])) matched++;
        int cExcl = cat.Col("excluded_any"), cCell = cat.Col("epsf_tag");
        int tX = truth.Col("x"), tY = truth.Col("y");
        int cXw = cat.Col("x_pix_white"), cYw = cat.Col("y_pix_white"), cXf = cat.Col("x_pix_white_fit"), cYf = cat.Col("y_pix_white_fit");
        var images = BandImages(truthDir);
        var scores = new List<RealBandScore>();
        foreach (string b in bands)
        {
            int tF = truth.Col("FLUX_APC_" + b), tE = truth.Col("FLUXERR_AP_" + b), tS = truth.Col("SNR_AP_" + b);
            int cF = cat.Col($"FLUX_{b}_fit"), cE = cat.Col($"FLUXERR_{b}_fit"), cC = cat.Col($"FLUXERR_{b}_cov");
            var ratios = new List<double>[SnrEdges.Length - 1];
            for (int i = 0; i < ratios.Length; i++) ratios[i] = new List<double>();
            var cells = new Dictionary<string, List<double>>(StringComparer.Ordinal);
            var pulls = new List<double>(); var pullsCov = new List<double>();
            var registered = new List<double>(); var misregistered = new List<double>(); var offsets = new List<double>();
            var image = images.TryGetValue(b, out var path) ? FitsImage.ReadFloat(path) : null;
            foreach (var tr in truth.Rows)
            {
                if (CsvTable.Bool(tr, tIso) != true || !rowById.TryGetValue(tr[tId], out int r)) continue;
                var row = cat.Rows[r];
                if (CsvTable.Bool(row, cExcl) == true) continue;
                double f = CsvTable.Num(row, cF), fa = CsvTable.Num(tr, tF), snr = CsvTable.Num(tr, tS);
                if (!double.IsFinite(f) || !(fa > 0) || !double.IsFinite(snr)) continue;
                int bin = Array.FindLastIndex(SnrEdges, e => snr >= e);
                if (bin < 0 || bin >= ratios.Length) continue;
                ratios[bin].Add(f / fa);
                if (image is not null && snr >= 100)
                {
                    // the fitted position in the set's own pixels: truth (x, y) plus the fit's move
                    double x = CsvTable.Num(tr, tX) + CsvTable.Num(row, cXf) - CsvTable.Num(row, cXw);
                    double y = CsvTable.Num(tr, tY) + CsvTable.Num(row, cYf) - CsvTable.Num(row, cYw);
                    var (cx, cy) = WindowedCentroid(image, x, y);
                    double d = Math.Sqrt((cx - x) * (cx - x) + (cy - y) * (cy - y));
                    if (double.IsFinite(d))
                    {
                        offsets.Add(d);
                        (d <= RegisteredPix ? registered : misregistered).Add(f / fa);
                    }
                }
                if (snr >= 50 && cCell >= 0)
                {
                    if (!cells.TryGetValue(row[cCell], out var l)) cells[row[cCell]] = l = new List<double>();
                    l.Add(f / fa);
                }
                double ea = CsvTable.Num(tr, tE) * fa / CsvTable.Num(tr, truth.Col("FLUX_AP_" + b));
                double e = CsvTable.Num(row, cE), ec = CsvTable.Num(row, cC);
                if (e > 0 && ea > 0) pulls.Add((f - fa) / Math.Sqrt(e * e + ea * ea));
                if (ec > 0 && ea > 0) pullsCov.Add((f - fa) / Math.Sqrt(ec * ec + ea * ea));
            }
            var bins = new List<RatioBin>();
            for (int i = 0; i < ratios.Length; i++)
                bins.Add(new RatioBin(SnrEdges[i], SnrEdges[i + 1], ratios[i].Count, RobustStats.MedianOf(ratios[i]), RobustStats.ScatterOf(ratios[i])));
            var cellMedians = cells.Where(kv => kv.Value.Count >= 2).OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .ToDictionary(kv => kv.Key, kv => (kv.Value.Count, RobustStats.MedianOf(kv.Value)));
            RatioBin Bin(List<double> l) => new(100, double.PositiveInfinity, l.Count, RobustStats.MedianOf(l), RobustStats.ScatterOf(l));
            scores.Add(new RealBandScore(b, bins, cellMedians, RobustStats.ScatterOf(pulls), RobustStats.ScatterOf(pullsCov))
            {
                Registered = image is null ? null : Bin(registered),
                Misregistered = image is null ? null : Bin(misregistered),
                MedianCentroidOffset = RobustStats.MedianOf(offsets),
            });
        }
        return new RealSetReport(Path.GetFileName(Path.TrimEndingDirectorySeparator(truthDir)), truth.Rows.Count, matched, scores);
    }

    /// <summary>The set's images by their FILTER keyword (the FITS files beside truth_stars.csv).</summary>
    private static Dictionary<string, string> BandImages(string dir)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string f in Directory.EnumerateFiles(dir, "*.fits").Order(StringComparer.Ordinal))
            if (FitsFile.ReadPrimaryHeader(f).GetString("FILTER")?.Trim() is { Length: > 0 } band) map.TryAdd(band, f);
        return map;
    }

    /// <summary>
    /// A star's centroid in one image: the first moment under a Gaussian window (σ = 1.2 px)
    /// that follows the centroid, as SExtractor's XWIN; the sky is the median of a 41×41 box.
    /// NaN near an edge or on a non-positive window sum.
    /// </summary>
    internal static (double X, double Y) WindowedCentroid(FitsImage img, double x, double y)
    {
        const int box = 20, win = 6;
        const double sigma = 1.2;
        int x0 = (int)Math.Round(x), y0 = (int)Math.Round(y);
        if (!double.IsFinite(x) || !double.IsFinite(y) || x0 - box < 0 || y0 - box < 0 || x0 + box >= img.Width || y0 + box >= img.Height)
            return (double.NaN, double.NaN);
        var sky = new List<double>((2 * box + 1) * (2 * box + 1));
        for (int j = y0 - box; j <= y0 + box; j++)
            for (int i = x0 - box; i <= x0 + box; i++)
                if (float.IsFinite(img.Data[j * img.Width + i])) sky.Add(img.Data[j * img.Width + i]);
        double s0 = RobustStats.MedianOf(sky);
        double cx = x, cy = y;
        for (int it = 0; it < 10; it++)
        {
            double sw = 0, sx = 0, sy = 0;
            for (int j = y0 - win; j <= y0 + win; j++)
                for (int i = x0 - win; i <= x0 + win; i++)
                {
                    float v = img.Data[j * img.Width + i];
                    if (!float.IsFinite(v)) continue;
                    double w = Math.Exp(-((i - cx) * (i - cx) + (j - cy) * (j - cy)) / (2 * sigma * sigma)) * (v - s0);
                    sw += w; sx += w * i; sy += w * j;
                }
            if (!(sw > 0)) return (double.NaN, double.NaN);
            // the windowed first moment moves half as far as the offset for a Gaussian star of the window's width
            cx += 2 * (sx / sw - cx); cy += 2 * (sy / sw - cy);
            if (Math.Abs(cx - x) > 3 || Math.Abs(cy - y) > 3) return (double.NaN, double.NaN);
        }
        return (cx, cy);
    }
}

/// <summary>A CSV file read whole as text cells, for the scorers.</summary>
internal sealed class CsvTable
{
    public required string Path;
    public required IReadOnlyList<string> Headers;
    public required List<string[]> Rows;

    public int Col(string name)
    {
        for (int i = 0; i < Headers.Count; i++) if (Headers[i] == name) return i;
        return -1;
    }

    public static CsvTable Read(string path, string code)
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
        return new CsvTable { Path = path, Headers = headers ?? r.Headers.ToArray(), Rows = rows };
    }

    public static double Num(string[] row, int col) =>
        col >= 0 && double.TryParse(row[col], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;

    public static bool? Bool(string[] row, int col) => col < 0 ? null : row[col].Trim().ToLowerInvariant() switch
    { "true" or "1" => true, "false" or "0" => false, _ => null };
}
