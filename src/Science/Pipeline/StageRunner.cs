using System.Globalization;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Pipeline;

/// <summary>One planned item and the content check's verdict on it.</summary>
/// <param name="Reason">"up to date", or why not ("no stamp", "inputs or settings changed", "output missing: …").</param>
public sealed record PlannedItem(StageItem Item, bool UpToDate, string Reason);

/// <summary>What planning a stage found.</summary>
/// <param name="Skipped">Why the stage does not run under this config (e.g. "zp.enabled is false"), or null.</param>
/// <param name="Items">Every planned item, in the stage's order.</param>
public sealed record StagePlan(StageId Stage, string? Skipped, IReadOnlyList<PlannedItem> Items)
{
    /// <summary>The items a build must make: the stale ones, plus every summary item
    /// (<see cref="StageItem.FollowsItems"/>) when any other item is built.</summary>
    public IReadOnlyList<StageItem> ToBuild
    {
        get
        {
            bool anyWork = Items.Any(i => !i.UpToDate && !i.Item.FollowsItems);
            return Items.Where(i => !i.UpToDate || (anyWork && i.Item.FollowsItems)).Select(i => i.Item).ToList();
        }
    }

    public int UpToDateCount => Items.Count(i => i.UpToDate);
}

/// <summary>
/// The one way a stage is run, by the CLI's commands and by the MSBuild tasks alike:
/// <see cref="Plan"/> (pure: it reads and hashes, never writes or deletes) and then
/// <see cref="IKeyedStage.RunItems"/> on the items to build. Both paths therefore do the same
/// work for the same inputs, and a CLI run followed by an MSBuild build (or the reverse)
/// redoes nothing.
/// </summary>
public static class StageRunner
{
    /// <summary>Plans <paramref name="stage"/> under the context's config. Writes nothing.</summary>
    /// <exception cref="Tract7dtException"><see cref="ErrorCodes.GraphDuplicateItem"/> for a stage that plans an id twice.</exception>
    public static StagePlan Plan(IPipelineStage stage, StageContext context)
    {
        var def = StageTable.Get(stage.Id);
        if (!def.AppliesTo(context.Config, out string why)) return new StagePlan(stage.Id, why, []);
        if (stage is not IKeyedStage keyed)
            throw new Tract7dtException(ErrorCodes.GraphUnknownStage,
                $"Stage {stage.Id} is not keyed by content; every stage must plan its items (report this as a bug).");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var items = new List<PlannedItem>();
        foreach (var item in keyed.Plan(context))
        {
            if (!seen.Add(item.Id))
                throw new Tract7dtException(ErrorCodes.GraphDuplicateItem,
                    $"Stage {stage.Id} planned item '{item.Id}' twice; item ids must be unique (report this as a bug).");
            bool upToDate = Stamp.IsUpToDate(item.StampPath, item.Key, context.Hasher, out string reason);
            items.Add(new PlannedItem(item, upToDate, reason));
        }
        return new StagePlan(stage.Id, null, items);
    }

    /// <summary>
    /// Plans the stage, logs what is stale and why, and builds those items. With
    /// <paramref name="question"/> (MSBuild's <c>-question</c>, <c>tract7dt … --dry-run</c>) it only
    /// plans and reports: nothing is written, deleted or re-dated.
    /// </summary>
    /// <returns>The plan (its <see cref="StagePlan.ToBuild"/> are the items built, or that would be).</returns>
    public static StagePlan Run(IPipelineStage stage, StageContext context, bool question)
    {
        var def = StageTable.Get(stage.Id);
        var log = context.Log(def.Component);
        var planClock = System.Diagnostics.Stopwatch.StartNew();
        var plan = Plan(stage, context);
        var planTime = planClock.Elapsed;
        if (plan.Skipped is not null)
        {
            log.Info($"{stage.Id}: skipped ({plan.Skipped})");
            return plan;
        }
        var build = plan.ToBuild;
        log.Info(build.Count == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{stage.Id}: all {plan.Items.Count} item(s) up to date")
            : string.Create(CultureInfo.InvariantCulture, $"{stage.Id}: {plan.Items.Count} item(s), {plan.UpToDateCount} up to date, {build.Count} to build"));
        LogReasons(log, plan, build);
        if (question || build.Count == 0) return plan;
        context.Cancellation.ThrowIfCancellationRequested();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var cpu = StageTimes.ProcessCpu();
        ((IKeyedStage)stage).RunItems(context, build);
        StageTimes.Record(context.Layout, stage.Id, build.Count, plan.Items.Count, sw.Elapsed, StageTimes.ProcessCpu() - cpu, planTime);
        log.Info(string.Create(CultureInfo.InvariantCulture, $"{stage.Id}: built {build.Count} item(s) in {sw.Elapsed.TotalSeconds:F1} s"));
        return plan;
    }

    /// <summary>Most builds touch a few items: one line each says why. A first build of a big
    /// tile would print thousands, so beyond <see cref="ItemLinesMax"/> the reasons are counted.</summary>
    private static void LogReasons(Logging.Log log, StagePlan plan, IReadOnlyList<StageItem> build)
    {
        var why = plan.Items.ToDictionary(p => p.Item.Id, p => p.UpToDate ? "summarises the items built" : p.Reason, StringComparer.Ordinal);
        foreach (string line in ReasonLines(plan.Stage.ToString(), build.Select(i => (i.Id, why[i.Id])).ToList()))
            log.Info(line);
    }

    /// <summary>
    /// The log lines of <see cref="LogReasons"/>: one per item up to <see cref="ItemLinesMax"/>, else one
    /// per kind of reason ("output missing: &lt;path&gt;" counts as "output missing", so a first build
    /// of 1208 patches is one line), most frequent first, with the first three items and their own reasons.
    /// </summary>
    internal static List<string> ReasonLines(string stage, IReadOnlyList<(string Id, string Reason)> items)
    {
        if (items.Count <= ItemLinesMax) return items.Select(i => $"{stage} {i.Id}: {i.Reason}").ToList();
        static string Kind(string reason) => reason.IndexOf(": ", StringComparison.Ordinal) is int c and > 0 ? reason[..c] : reason;
        return items.GroupBy(i => Kind(i.Reason)).OrderByDescending(g => g.Count())
            .Select(g => string.Create(CultureInfo.InvariantCulture,
                $"{stage}: {g.Count()} item(s): {g.Key} (e.g. {string.Join("; ", g.Take(3).Select(i => i.Reason == g.Key ? i.Id : $"{i.Id}: {i.Reason}"))})"))
            .ToList();
    }

    /// <summary>Up to this many items to build, each gets its own line in the log.</summary>
    public const int ItemLinesMax = 40;
}
