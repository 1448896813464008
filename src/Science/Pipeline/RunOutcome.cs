using System.Globalization;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Merge;
using Tract7dt.Science.Pipeline.Stages;

namespace Tract7dt.Science.Pipeline;

/// <summary>
/// The closing summary of a run, from its files (so the CLI's <c>run</c> and the MSBuild build
/// print the same lines, and a no-op rebuild still says what the catalogue holds): how many
/// sources were measured and how, how many patch fits failed, each band's zero point, and
/// where the catalogue is.
/// </summary>
public static class RunOutcome
{
    /// <summary>The summary lines; missing files are said, not guessed.</summary>
    public static IReadOnlyList<string> Lines(StageContext context)
    {
        var layout = context.Layout;
        var lines = new List<string>();
        string merged = MergeStage.MergedCatalogPath(layout);
        if (File.Exists(merged))
        {
            var table = SourceTableCsv.Read(merged, "Merged catalog");
            var text = new List<string> { Plural(table.RowCount, "source") };
            if (table.Contains(FitStatus.Column))
                text.Add("fit_status " + string.Join(", ", Enumerable.Range(0, table.RowCount)
                    .Select(i => table.Text(FitStatus.Column, i)).GroupBy(s => s).OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => $"{g.Key} {g.Count().ToString(CultureInfo.InvariantCulture)}")));
            if (FitSummary.Count(table) is { } c)
                text.Add(string.Create(CultureInfo.InvariantCulture, $"converged {c.Converged}, at the iteration cap {c.HitMaxIters}"));
            lines.Add("Catalogue: " + string.Join("; ", text));
        }
        else lines.Add($"Catalogue: none merged yet ({merged})");

        int failed = RunPatchesStage.ReadFailures(layout).Count;
        if (failed > 0) lines.Add($"Patch fits failed: {failed} (see {layout.RunSummaryCsv})");

        if (context.Config.Zp.Enabled)
        {
            string zp = Path.Join(layout.ZpDir, ComputeZpStage.SummaryFile);
            if (File.Exists(zp))
            {
                var t = SourceTableCsv.Read(zp, "Zero-point summary");
                var bands = Enumerable.Range(0, t.RowCount).Select(i => string.Create(CultureInfo.InvariantCulture,
                    $"{t.Text("band", i)} {t.Numeric("zp_median")[i]:F3} ± {t.Numeric("zp_err_mad")[i]:F3} ({t.Text("n_kept", i)} stars)"));
                lines.Add("Zero points: " + string.Join(", ", bands));
            }
            else lines.Add("Zero points: none (no GaiaXP match, or ComputeZp has not run)");
        }
        lines.Add(File.Exists(layout.FinalCatalog) ? $"Final catalogue: {layout.FinalCatalog}" : $"Final catalogue: not written yet ({layout.FinalCatalog})");
        return lines;
    }

    private static string Plural(int n, string what) => n.ToString(CultureInfo.InvariantCulture) + " " + what + (n == 1 ? "" : "s");
}
