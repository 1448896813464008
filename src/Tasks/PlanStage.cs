using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline;

namespace Tract7dt.Tasks;

/// <summary>
/// Plans one stage for the graph: writes each item's key file (only when its content
/// changed), aligns key/stamp dates with the stamps' content check (<see cref="StageGraph.Plan"/>)
/// and returns the items, so the stage's run target, with Inputs = key files and Outputs =
/// stamps, receives exactly the stale ones. Reads no pixels (stage plans only hash files).
/// </summary>
public sealed class PlanStage : Tract7dtTask, IIncrementalTask
{
    /// <summary>Stage name as in <see cref="StageId"/>, e.g. <c>BuildEpsf</c>.</summary>
    [Required]
    public string Stage { get; set; } = "";

    /// <summary>One item per planned stage item: ItemSpec = key file; metadata <c>ItemId</c>,
    /// <c>Key</c>, <c>StampPath</c>, <c>UpToDate</c> (true/false), <c>Reason</c>.</summary>
    [Output]
    public ITaskItem[] Items { get; private set; } = [];

    /// <summary>Set by MSBuild's <c>-question</c> on an in-process task: change nothing, and fail if anything would change.</summary>
    public bool FailIfNotIncremental { get; set; }

    /// <summary>The same from the targets (<c>$(Tract7dtQuestion)</c>): this task runs in the
    /// out-of-process task host, which MSBuild does not hand <see cref="FailIfNotIncremental"/>.</summary>
    public bool Question { get; set; }

    protected override void ExecuteCore(Log log)
    {
        var id = StageGraph.ParseStage(Stage);
        var context = CreateContext();
        bool question = FailIfNotIncremental || Question;
        // A check reads only and takes no lock; a real plan rewrites key files and stamps' dates.
        using var workDirLock = question ? null : WorkDirLock.Acquire(context.Layout, $"an MSBuild build (planning {id})");
        try
        {
            var plan = StageGraph.Plan(PipelineStages.Create(id), context, dryRun: question);
            Items = plan.Items.Select(ToTaskItem).ToArray();
            int stale = plan.Items.Count - plan.UpToDateCount;
            Log.LogMessage(MessageImportance.High, stale == 0
                ? $"{id}: all {plan.Items.Count} item(s) up to date"
                : $"{id}: {plan.Items.Count} item(s), {plan.UpToDateCount} up to date, {stale} to build");
            foreach (var item in plan.Items.Where(i => !i.UpToDate))
                Log.LogMessage(MessageImportance.Normal, $"{id} {item.Id}: {item.Reason}");
            if (question)
                foreach (var change in plan.Changes)
                    Log.LogError($"{id}: not up to date (would have {change})");
        }
        finally
        {
            // The hash cache is a cache, but a check writes nothing.
            if (!(FailIfNotIncremental || Question)) context.Hasher.Save();
        }
    }

    private static TaskItem ToTaskItem(GraphItem item)
    {
        var t = new TaskItem(item.KeyFile);
        t.SetMetadata("ItemId", item.Id);
        t.SetMetadata("Key", item.Key);
        t.SetMetadata("StampPath", item.StampPath);
        t.SetMetadata("UpToDate", item.UpToDate ? "true" : "false");
        t.SetMetadata("Reason", item.Reason);
        return t;
    }
}
