namespace Tract7dt.Science.Pipeline;

/// <summary>
/// One unit of work of a stage, keyed by content: an ePSF cell × band, a patch payload, a
/// patch fit, or the whole stage for the single-item stages.
/// </summary>
/// <param name="Id">Stable item id, e.g. <c>m400/r00_c01</c> or <c>r00_c01_pr02_pc03</c>; <c>all</c> for a single-item stage.</param>
/// <param name="Key">The <see cref="StageKeyBuilder"/> key: algorithm version + config values read + input content hashes.</param>
/// <param name="Manifest">What went into the key (written into the stamp, to answer "why did this rerun?").</param>
/// <param name="StampPath">Where the item's stamp lives once its outputs are complete.</param>
public sealed record StageItem(string Id, string Key, string Manifest, string StampPath)
{
    public static StageItem From(string id, StageKeyBuilder key, string stampPath) => new(id, key.Key, key.Manifest, stampPath);
}

/// <summary>
/// A stage whose work is split into content-keyed items. <see cref="Plan"/> is cheap (it
/// hashes inputs but reads no pixels), so the CLI and the MSBuild graph can both ask which
/// items are stale and run only those; <see cref="RunItems"/> builds the outputs of the
/// given items, each written atomically with its stamp last (<see cref="Stamp.Write"/>).
/// </summary>
public interface IKeyedStage : IPipelineStage
{
    /// <summary>Every item the current inputs and config call for, in a fixed order.</summary>
    IReadOnlyList<StageItem> Plan(StageContext context);

    /// <summary>Builds the given items (a subset of <see cref="Plan"/>'s, in its order) and
    /// then whatever stage-level summary files depend on all items.</summary>
    void RunItems(StageContext context, IReadOnlyList<StageItem> items);
}

/// <summary>The up-to-date check shared by every keyed stage.</summary>
public static class KeyedStages
{
    /// <summary>Items whose stamp is missing, has another key, or whose outputs no longer hash to the stamp.</summary>
    public static IReadOnlyList<StageItem> Stale(StageContext context, IReadOnlyList<StageItem> planned, out int upToDate)
    {
        var stale = new List<StageItem>();
        foreach (var item in planned)
            if (!Stamp.IsUpToDate(item.StampPath, item.Key, context.Hasher, out _))
                stale.Add(item);
        upToDate = planned.Count - stale.Count;
        return stale;
    }

    /// <summary>Plan → keep the stale items → run them. Logs how many were up to date.</summary>
    public static void RunStale(IKeyedStage stage, StageContext context, string component)
    {
        var planned = stage.Plan(context);
        var stale = Stale(context, planned, out int upToDate);
        var log = context.Log(component);
        if (planned.Count > 1 || upToDate > 0)
            log.Info($"{PipelineStages.DisplayName(stage.Id)}: {planned.Count} items, {upToDate} up to date, {stale.Count} to build");
        stage.RunItems(context, stale);
    }
}
