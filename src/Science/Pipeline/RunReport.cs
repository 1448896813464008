using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Diagnostics;
using Tract7dt.Science.Patches;
using Tract7dt.Science.Pipeline.Stages;

namespace Tract7dt.Science.Pipeline;

/// <summary>
/// <c>report.html</c> in the work dir: one page per run that a person opens first. The closing
/// summary, each stage's last build time, the zero points with their plots, per band the ePSF
/// grid as maps of FWHM and of the light within 3 FWHM (what the flux normalisation rests on),
/// failed patches and the patches whose residuals are worst, links to the model and residual
/// mosaics and to every picture. Written from the work dir's files at the end of <c>run</c>
/// (CLI) and of the <c>Tract7dtRun</c> target (MSBuild), atomically; pictures are linked
/// relative to the page, so the work dir can be copied whole. A missing file is said, not
/// guessed.
/// </summary>
public static partial class RunReport
{
    /// <summary>The page's file name in the work dir.</summary>
    public const string FileName = "report.html";

    /// <summary>Patches listed per band as the worst residuals.</summary>
    public const int WorstPatches = 8;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// <see cref="Write"/>; a report that cannot be written is the caller's warning, not a failed
    /// run (the catalogue is what the run is for).
    /// </summary>
    /// <returns>The report's path, or null (and <paramref name="error"/>) when it was not written.</returns>
    public static string? TryWrite(StageContext context, out string? error)
    {
        error = null;
        try { return Write(context); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Errors.Tract7dtException or FormatException)
        {
            error = $"{FileName} not written: {e.Message}";
            return null;
        }
    }

    /// <summary>Writes the report; returns its path.</summary>
    public static string Write(StageContext context)
    {
        var layout = context.Layout;
        var config = context.Config;
        string root = layout.WorkDir;
        var h = new StringBuilder();
        string title = $"Tract7dt run report: {config.Inputs.TileName}";
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title>\n")
         .Append(Style).Append("</head>\n<body>\n");
        h.Append("<h1>").Append(E(title)).Append("</h1>\n<p class=\"meta\">work dir <code>").Append(E(root)).Append("</code> · tract7dt ")
         .Append(E(ToolVersion)).Append(" · written ").Append(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", Inv)).Append("</p>\n");

        h.Append("<h2 id=\"summary\">Summary</h2>\n<ul>\n");
        foreach (string line in RunOutcome.Lines(context)) h.Append("<li>").Append(E(line)).Append("</li>\n");
        h.Append("</ul>\n");

        StageTimesSection(h, layout);
        ZeroPointSection(h, layout, config.Zp.Enabled);
        EpsfSection(h, layout, root);
        PatchSection(h, layout, root);
        MosaicSection(h, layout, root);
        PictureSection(h, root);

        h.Append(BrokenImageScript).Append("</body></html>\n");
        string path = Path.Join(root, FileName);
        Directory.CreateDirectory(root);
        IO.AtomicFile.WriteAllText(path, h.ToString());
        return path;
    }

    private static void StageTimesSection(StringBuilder h, WorkDirLayout layout)
    {
        h.Append("<h2 id=\"stages\">Stage times</h2>\n");
        var times = StageTimes.Last(layout);
        if (times.Count == 0) { h.Append("<p>No stage has been built in this work dir yet (").Append(E(StageTimes.PathIn(layout))).Append(").</p>\n"); return; }
        h.Append("<p>Each stage's last build (a stage with nothing stale is not built and keeps its time).</p>\n")
         .Append("<table><tr><th>stage</th><th>items built / planned</th><th>planning s</th><th>build s</th><th>CPU s</th><th>peak memory MiB</th><th>when (UTC)</th></tr>\n");
        static string N(double v, string f) => double.IsFinite(v) ? v.ToString(f, Inv) : "–";
        foreach (var t in times)
            h.Append(Inv, $"<tr><td>{E(t.Stage)}</td><td class=\"num\">{t.Built} / {t.Planned}</td><td class=\"num\">{N(t.PlanSeconds, "F2")}</td><td class=\"num\">{t.Seconds:F1}</td><td class=\"num\">{N(t.CpuSeconds, "F1")}</td><td class=\"num\">{N(t.PeakRssMiB, "F0")}</td><td>{t.Utc:yyyy-MM-dd HH:mm:ss}</td></tr>\n");
        h.Append(Inv, $"<tr><th>total</th><td></td><td></td><td class=\"num\">{times.Sum(t => t.Seconds):F1}</td><td></td><td></td><td></td></tr>\n</table>\n")
         .Append("<p>Peak memory is the building process's high-water mark: a stage's own under MSBuild (each stage task runs in a process of its own), the run's so far on the command line.</p>\n");
    }

    private static void ZeroPointSection(StringBuilder h, WorkDirLayout layout, bool enabled)
    {
        h.Append("<h2 id=\"zp\">Zero points</h2>\n");
        if (!enabled) { h.Append("<p>Off (<code>zp.enabled: false</code>).</p>\n"); return; }
        string summary = Path.Join(layout.ZpDir, ComputeZpStage.SummaryFile);
        if (!File.Exists(summary)) { h.Append("<p>None yet: ").Append(E(summary)).Append(" is missing.</p>\n"); return; }
        var t = SourceTableCsv.Read(summary, "Zero-point summary");
        Table(h, t);
        h.Append("<div class=\"gallery\">\n");
        for (int i = 0; i < t.RowCount; i++)
        {
            string band = t.Text("band", i);
            string png = Path.Join(layout.ZpDir, $"zp_vs_mag__{band}.png");
            if (File.Exists(png)) Figure(h, Rel(layout.WorkDir, png), $"{band}: zero point of each Gaia star against its magnitude", "wide");
        }
        h.Append("</div>\n");
    }

    /// <summary>Per band, the cells' FWHM and light within 3 FWHM as maps on the cell grid, coloured by their
    /// difference from the band's median.</summary>
    private static void EpsfSection(StringBuilder h, WorkDirLayout layout, string root)
    {
        h.Append("<h2 id=\"epsf\">ePSF grid</h2>\n");
        if (!Directory.Exists(layout.EpsfDir)) { h.Append("<p>No ePSF yet (").Append(E(layout.EpsfDir)).Append(").</p>\n"); return; }
        h.Append("<p>Per band and ePSF cell: the FWHM [px] and the share of the ePSF's light within 3 FWHM of its centre "
               + "(every fitted flux of the cell is divided by it; a cell far from the others is worth a look). Colour: "
               + "difference from the band's median (blue below, red above; full colour at ±5 %). Click a cell for its ePSF.</p>\n");
        foreach (string bandDir in Directory.GetDirectories(layout.EpsfDir).Order(StringComparer.Ordinal))
        {
            string band = Path.GetFileName(bandDir);
            var cells = new List<(int R, int C, string Tag, double Fwhm, double Ee, int Stars, string? Png)>();
            foreach (string cellDir in Directory.GetDirectories(bandDir).Order(StringComparer.Ordinal))
            {
                string tag = Path.GetFileName(cellDir);
                var m = CellTag().Match(tag);
                if (!m.Success) continue;
                string meta = Path.Join(cellDir, "meta.json"), npy = Path.Join(cellDir, "epsf.npy");
                double fwhm = double.NaN, ee = double.NaN;
                int stars = 0;
                if (File.Exists(meta))
                {
                    // meta.json is Python's JSON (NaN allowed): read the two numbers, not the document
                    string text = File.ReadAllText(meta);
                    fwhm = MetaNumber(text, "epsf_fwhm_pix");
                    double n = MetaNumber(text, "nstars_used");
                    stars = double.IsFinite(n) ? (int)n : 0;
                }
                if (File.Exists(npy) && double.IsFinite(fwhm) && fwhm > 0)
                {
                    try
                    {
                        var stamp = BandPsfSelector.LoadStamp(npy, out int w, out int hgt);
                        int o = BandPsfSelector.ReadOversampling(meta, band, Logging.Log.Null);
                        ee = LightWithin(stamp, w, hgt, 3 * fwhm * o);
                    }
                    catch (Errors.Tract7dtException) { } // a damaged ePSF shows as n/a; 'tract7dt verify' names it
                }
                string png = Path.Join(cellDir, "epsf.png");
                cells.Add((int.Parse(m.Groups[1].Value, Inv), int.Parse(m.Groups[2].Value, Inv), tag, fwhm, ee, stars,
                    File.Exists(png) ? Rel(root, png) : null));
            }
            if (cells.Count == 0) continue;
            h.Append("<h3>").Append(E(band)).Append("</h3>\n<div class=\"maps\">\n");
            Map(h, $"FWHM [px]", cells, c => c.Fwhm, "F2");
            Map(h, $"light within 3 FWHM", cells, c => c.Ee, "F3");
            h.Append("</div>\n");
        }
    }

    private static void Map(StringBuilder h, string caption, List<(int R, int C, string Tag, double Fwhm, double Ee, int Stars, string? Png)> cells,
        Func<(int R, int C, string Tag, double Fwhm, double Ee, int Stars, string? Png), double> value, string format)
    {
        var vals = cells.Select(value).Where(double.IsFinite).Order().ToArray();
        double median = vals.Length > 0 ? vals[vals.Length / 2] : double.NaN;
        int rows = cells.Max(c => c.R) + 1, cols = cells.Max(c => c.C) + 1;
        h.Append("<table class=\"map\"><caption>").Append(E(caption)).Append(Inv, $" (median {median.ToString(format, Inv)})</caption>\n");
        // row 0 of the grid is the bottom of the image (y up), as the pictures show it
        for (int r = rows - 1; r >= 0; r--)
        {
            h.Append("<tr>");
            for (int c = 0; c < cols; c++)
            {
                var cell = cells.FirstOrDefault(x => x.R == r && x.C == c);
                if (cell.Tag is null) { h.Append("<td class=\"none\">—</td>"); continue; }
                double v = value(cell);
                string style = double.IsFinite(v) && median > 0 ? Colour((v / median - 1) / 0.05) : "";
                string text = double.IsFinite(v) ? v.ToString(format, Inv) : "n/a";
                string tip = E($"{cell.Tag}: {cell.Stars} stars");
                h.Append("<td style=\"").Append(style).Append("\" title=\"").Append(tip).Append("\">")
                 .Append(cell.Png is null ? text : $"<a href=\"{E(cell.Png)}\">{text}</a>").Append("</td>");
            }
            h.Append("</tr>\n");
        }
        h.Append("</table>\n");
    }

    /// <summary>Background colour for a signed deviation (−1 … +1 = full blue … full red).</summary>
    private static string Colour(double t)
    {
        t = Math.Clamp(t, -1, 1);
        int a = (int)Math.Round(255 - 120 * Math.Abs(t));
        return t >= 0 ? $"background:rgb(255,{a},{a})" : $"background:rgb({a},{a},255)";
    }

    /// <summary>Share of a unit-sum stamp's light within <paramref name="radius"/> (stamp pixels) of its centre.</summary>
    internal static double LightWithin(float[] stamp, int w, int h, double radius)
    {
        double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0, sum = 0, all = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double v = stamp[y * w + x];
                all += v;
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= radius * radius) sum += v;
            }
        return all > 0 ? sum / all : double.NaN;
    }

    private static void PatchSection(StringBuilder h, WorkDirLayout layout, string root)
    {
        h.Append("<h2 id=\"patches\">Patches</h2>\n");
        var failures = RunPatchesStage.ReadFailures(layout);
        if (failures.Count == 0) h.Append("<p>No failed patch fit.</p>\n");
        else
        {
            h.Append(Inv, $"<p class=\"bad\">{failures.Count} failed patch fit(s); the others are merged. Their logs:</p>\n<ul>\n");
            foreach (var f in failures)
            {
                string log = Path.Join(layout.PatchOutDir(f.Patch), f.Patch + ".runner.log");
                h.Append("<li>").Append(File.Exists(log) ? $"<a href=\"{E(Rel(root, log))}\">{E(f.Patch)}</a>" : E(f.Patch))
                 .Append(f.Error.Length > 0 ? ": " + E(f.Error) : "").Append("</li>\n");
            }
            h.Append("</ul>\n");
        }
        if (!Directory.Exists(layout.MosaicsDir)) return;
        var files = Directory.GetFiles(layout.MosaicsDir, "residual_stats_*.csv").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) return;
        h.Append("<h3>Worst residuals</h3>\n<p>Per band, the patches whose residual (data − model − sky) has the largest mean "
               + "(residual / σ)² per pixel over their base box (1 for a model that leaves only noise). Click a patch for its overview.</p>\n");
        h.Append("<div class=\"maps\">\n");
        foreach (string f in files)
        {
            string band = Path.GetFileNameWithoutExtension(f)["residual_stats_".Length..];
            var t = SourceTableCsv.Read(f, "Residual statistics");
            var chi = t.Numeric("chi2_per_pixel");
            var order = Enumerable.Range(0, t.RowCount).Where(i => double.IsFinite(chi[i])).OrderByDescending(i => chi[i]).Take(WorstPatches);
            var all = chi.Where(double.IsFinite).Order().ToArray();
            h.Append("<table><caption>").Append(E(band)).Append(Inv, $" (median {(all.Length > 0 ? all[all.Length / 2] : double.NaN):F2})</caption><tr><th>patch</th><th>χ²/pixel</th></tr>\n");
            foreach (int i in order)
            {
                string tag = t.Text("patch", i);
                string png = Path.Join(layout.PatchOutDir(tag), "patch_overview.png");
                string cell = File.Exists(png) ? $"<a href=\"{E(Rel(root, png))}\">{E(tag)}</a>" : E(tag);
                h.Append(Inv, $"<tr><td>{cell}</td><td class=\"num\">{chi[i]:F2}</td></tr>\n");
            }
            h.Append("</table>\n");
        }
        h.Append("</div>\n");
    }

    private static void MosaicSection(StringBuilder h, WorkDirLayout layout, string root)
    {
        h.Append("<h2 id=\"mosaics\">Model and residual images</h2>\n");
        var fits = Directory.Exists(layout.MosaicsDir) ? Directory.GetFiles(layout.MosaicsDir, "*.fits").Order(StringComparer.Ordinal).ToList() : [];
        if (fits.Count == 0) { h.Append("<p>None (<code>patch_run.no_mosaics</code>, or no patch fitted yet).</p>\n"); return; }
        h.Append("<p>FITS images of the cropped field with its WCS (open in DS9): ");
        h.Append(string.Join(" · ", fits.Select(f => $"<a href=\"{E(Rel(root, f))}\">{E(Path.GetFileName(f))}</a>")));
        h.Append("</p>\n");
    }

    /// <summary>Every PNG under the work dir, by folder; the overlays shown, the rest as links.</summary>
    private static void PictureSection(StringBuilder h, string root)
    {
        h.Append("<h2 id=\"pictures\">Pictures</h2>\n");
        var pngs = Directory.GetFiles(root, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        if (pngs.Count == 0) { h.Append("<p>None.</p>\n"); return; }
        var overlays = pngs.Where(p => Path.GetFileName(p) is "white_overlay.png" or "gaia_augmentation_overlay.png").ToList();
        if (overlays.Count > 0)
        {
            h.Append("<div class=\"gallery\">\n");
            foreach (string p in overlays) Figure(h, Rel(root, p), Path.GetFileName(p), "wide");
            h.Append("</div>\n");
        }
        h.Append(Inv, $"<p>{pngs.Count} pictures in all:</p>\n");
        foreach (var g in pngs.GroupBy(p => Rel(root, Path.GetDirectoryName(p)!)))
        {
            h.Append(Inv, $"<details><summary><code>{E(g.Key)}/</code> ({g.Count()})</summary><p>");
            h.Append(string.Join(" · ", g.Select(p => $"<a href=\"{E(Rel(root, p))}\">{E(Path.GetFileName(p))}</a>")));
            h.Append("</p></details>\n");
        }
    }

    private static void Table(StringBuilder h, SourceTable t)
    {
        h.Append("<table><tr>");
        foreach (string c in t.ColumnNames) h.Append("<th>").Append(E(c)).Append("</th>");
        h.Append("</tr>\n");
        for (int i = 0; i < t.RowCount; i++)
        {
            h.Append("<tr>");
            foreach (string c in t.ColumnNames)
            {
                string v = t.Text(c, i);
                h.Append(double.TryParse(v, NumberStyles.Float, Inv, out double d) && v.Contains('.')
                    ? $"<td class=\"num\">{d.ToString("F4", Inv)}</td>" : $"<td>{E(v)}</td>");
            }
            h.Append("</tr>\n");
        }
        h.Append("</table>\n");
    }

    private static void Figure(StringBuilder h, string src, string caption, string cls) =>
        h.Append("<figure class=\"").Append(cls).Append("\"><a href=\"").Append(E(src)).Append("\"><img src=\"").Append(E(src))
         .Append("\" alt=\"").Append(E(caption)).Append("\"></a><figcaption>").Append(E(caption)).Append("</figcaption></figure>\n");

    private static string Rel(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static string ToolVersion =>
        typeof(RunReport).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "?";

    /// <summary>The top-level number <paramref name="key"/> of a meta.json text; NaN when absent or not a number.</summary>
    private static double MetaNumber(string text, string key)
    {
        var m = Regex.Match(text, "\"" + Regex.Escape(key) + "\"\\s*:\\s*(-?[0-9][0-9.eE+-]*)");
        return m.Success && double.TryParse(m.Groups[1].Value, NumberStyles.Float, Inv, out double v) ? v : double.NaN;
    }

    [GeneratedRegex("^r(\\d+)_c(\\d+)$")]
    private static partial Regex CellTag();

    private const string Style = """
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #222; max-width: 1400px; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.6em; }
.meta { color: #666; } code { font-size: .95em; }
table { border-collapse: collapse; margin: .5em 1.5em .8em 0; }
th, td { border: 1px solid #ccc; padding: .25em .6em; } th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.map td { text-align: center; min-width: 3.5em; font-variant-numeric: tabular-nums; }
table.map td a { color: #000; text-decoration: none; } td.none { color: #aaa; }
caption { text-align: left; font-weight: 600; padding-bottom: .3em; white-space: nowrap; }
.maps { display: flex; flex-wrap: wrap; align-items: flex-start; }
.gallery { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; } figure.wide { flex: 0 1 30%; min-width: 380px; } figure.wide img { width: 100%; border: 1px solid #ddd; }
figcaption { color: #555; font-size: .9em; }
.bad { color: #b00; font-weight: 600; }
details { margin: .3em 0; } details p { line-height: 1.7; }
</style>

""";

    // Marks the page with the number of pictures and of those that failed to load, so a
    // headless browser (the report's test) can tell a page whose pictures are all there.
    private const string BrokenImageScript = """
<script>
window.addEventListener('load', () => {
  const imgs = Array.from(document.images);
  document.body.dataset.images = imgs.length;
  document.body.dataset.brokenImages = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length;
});
</script>

""";
}
