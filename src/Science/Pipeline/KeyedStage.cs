namespace Tract7dt.Science.Pipeline;

/// <summary>
/// One unit of work of a stage, keyed by content: an ePSF cell × band, a patch payload, a
/// patch fit, a patch's pictures, a stage-level summary, or the whole stage for the
/// single-item stages.
/// </summary>
/// <param name="Id">Stable item id, e.g. <c>m400/r00_c01</c> or <c>r00_c01_pr02_pc03</c>; <c>all</c> for a single-item stage.</param>
/// <param name="Key">The <see cref="StageKeyBuilder"/> key: algorithm version + settings read + input content hashes.</param>
/// <param name="Manifest">What went into the key (written into the stamp, to answer "why did this rerun?").</param>
/// <param name="StampPath">Where the item's stamp lives once its outputs are complete.</param>
/// <param name="FollowsItems">A stage-level output that summarises the stage's other items (e.g.
/// <c>run_summary.csv</c>): built when its own stamp is stale and whenever any other item of the
/// stage is built, so it always describes the last build.</param>
public sealed record StageItem(string Id, string Key, string Manifest, string StampPath, bool FollowsItems = false)
{
    public static StageItem From(string id, StageKeyBuilder key, string stampPath, bool followsItems = false) =>
        new(id, key.Key, key.Manifest, stampPath, followsItems);
}

/// <summary>
/// A stage whose work is split into content-keyed items. <see cref="Plan"/> reads and hashes
/// (it never writes or deletes, and reads no pixels), so <see cref="StageRunner"/> can tell
/// the CLI and MSBuild alike which items are stale; <see cref="RunItems"/> builds the outputs
/// of the given items, each written atomically with its stamp last (<see cref="Stamp.Write"/>).
/// </summary>
public interface IKeyedStage : IPipelineStage
{
    /// <summary>Every item the current inputs and config call for, in a fixed order.</summary>
    IReadOnlyList<StageItem> Plan(StageContext context);

    /// <summary>Builds the given items (a subset of <see cref="Plan"/>'s, in its order). Stage-level
    /// outputs are items of their own (<see cref="StageItem.FollowsItems"/>): with an empty list
    /// nothing is written.</summary>
    void RunItems(StageContext context, IReadOnlyList<StageItem> items);
}

/// <summary>The default <see cref="IPipelineStage.Run"/> of a keyed stage, and helpers every keyed stage uses.</summary>
public static class KeyedStages
{
    /// <summary>Splits a stage's summary item (by id) from the items to build: the summary is
    /// written after them, from the whole plan.</summary>
    public static (StageItem? Summary, IReadOnlyList<StageItem> Items) TakeSummary(IReadOnlyList<StageItem> items, string summaryId) =>
        (items.FirstOrDefault(i => i.Id == summaryId), items.Where(i => i.Id != summaryId).ToList());

    /// <summary>The planned items whose stamp is missing, has another key, or whose outputs no longer hash to it.</summary>
    public static IReadOnlyList<StageItem> Stale(StageContext context, IReadOnlyList<StageItem> planned, out int upToDate)
    {
        var stale = planned.Where(i => !Stamp.IsUpToDate(i.StampPath, i.Key, context.Hasher, out _)).ToList();
        upToDate = planned.Count - stale.Count;
        return stale;
    }

    /// <summary>Plan → keep the stale items → build them (<see cref="StageRunner.Run"/>).</summary>
    public static void RunStale(IKeyedStage stage, StageContext context, string component) =>
        StageRunner.Run(stage, context, question: false);
}
