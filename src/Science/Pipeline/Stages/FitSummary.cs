using Tract7dt.Science.Catalog;
using Tract7dt.Science.Merge;

namespace Tract7dt.Science.Pipeline.Stages;

/// <summary>
/// The line <c>run</c> logs after the merge (docs/pipeline.md §1.1): "Fit summary: converged=C,
/// hit_max_iters=H, total=N" from the merged catalogue (the final one before its magnitudes: with
/// the zero point on, the final catalogue appears only after ComputeZp), or a warning when it cannot.
/// </summary>
public static class FitSummary
{
    /// <summary>Counts (converged, hit_max_iters, total) of a merged catalog; null when a column is absent.</summary>
    public static (int Converged, int HitMaxIters, int Total)? Count(SourceTable table)
    {
        if (!table.Contains("opt_converged") || !table.Contains("opt_hit_max_iters")) return null;
        return (ExclusionColumns.Flags(table, "opt_converged").Count(b => b),
                ExclusionColumns.Flags(table, "opt_hit_max_iters").Count(b => b), table.RowCount);
    }

    /// <summary>Logs the summary of the merged catalogue under <c>tract7dt.pipeline</c>.</summary>
    public static void Log(StageContext context)
    {
        var log = context.Log("tract7dt.pipeline");
        string path = MergeStage.MergedCatalogPath(context.Layout);
        if (!File.Exists(path)) { log.Warn($"Merged catalog not found for summary: {path}"); return; }
        SourceTable table;
        try { table = SourceTableCsv.Read(path, "Final catalog"); }
        catch (Exception e) when (e is Errors.Tract7dtException or IOException)
        {
            log.Warn($"Could not read final catalog for summary: {e.Message}");
            return;
        }
        if (Count(table) is not { } c) { log.Warn("Summary skipped: opt_converged/opt_hit_max_iters missing."); return; }
        log.Info($"Fit summary: converged={c.Converged}, hit_max_iters={c.HitMaxIters}, total={c.Total}");
    }
}
