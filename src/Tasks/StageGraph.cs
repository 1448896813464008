using Tract7dt.Science.Errors;
using Tract7dt.Science.IO;
using Tract7dt.Science.Pipeline;

namespace Tract7dt.Tasks;

/// <summary>
/// One item of a stage as the MSBuild graph sees it: a key file (the target's Input) and a
/// stamp (its Output). After <see cref="StageGraph.Plan"/> the two files' dates agree with
/// the content check, so MSBuild's timestamp comparison hands the run target exactly the
/// items the stamps call stale.
/// </summary>
/// <param name="Id">The stage's item id (<c>all</c> for a single-item stage).</param>
/// <param name="KeyFile">Absolute path of <c>state/keys/&lt;Stage&gt;/&lt;Id&gt;.key</c>; content = the key manifest.</param>
/// <param name="StampPath">Absolute path of the item's stamp (written by the stage, last).</param>
/// <param name="Key">The item's content key (32 hex digits; empty for an unkeyed stage).</param>
/// <param name="UpToDate">True when the stamp has this key and its outputs still hash to what it records.</param>
/// <param name="Reason">Why the item is stale ("no stamp", "inputs or settings changed", "output missing: …"), or "up to date".</param>
public sealed record GraphItem(string Id, string KeyFile, string StampPath, string Key, bool UpToDate, string Reason);

/// <summary>What <see cref="StageGraph.Plan"/> found, and what it had to change on disk to make dates tell the truth.</summary>
/// <param name="Items">Every planned item, in the stage's order.</param>
/// <param name="Changes">One line per file written, re-dated or removed (empty on a no-op build).</param>
public sealed record GraphPlan(IReadOnlyList<GraphItem> Items, IReadOnlyList<string> Changes)
{
    public int UpToDateCount => Items.Count(i => i.UpToDate);
}

/// <summary>
/// The bridge between content keys (<see cref="IKeyedStage"/>, <see cref="Stamp"/>) and
/// MSBuild's timestamp-based incrementality. The rule: a key file is rewritten only when its
/// content changes, so its date moves only with the key; then each item's dates are made to
/// agree with the stamp's verdict: an up-to-date item's key file is dated before its stamp
/// (so a CLI run, which writes no key files, followed by MSBuild redoes nothing), and a
/// stale item's stamp is removed (so a deleted or edited output is rebuilt even though no
/// key moved). The CLI and MSBuild thus share one decision: <see cref="Stamp.IsUpToDate"/>.
/// </summary>
public static class StageGraph
{
    /// <summary>Item id and key of a stage that does not implement <see cref="IKeyedStage"/>: always run.</summary>
    public const string UnkeyedItemId = "all";

    /// <summary>Folder of a stage's key files: <c>state/keys/&lt;Stage&gt;</c>.</summary>
    public static string KeysDir(WorkDirLayout layout, StageId stage) =>
        Path.GetFullPath(Path.Join(layout.StateDir, "keys", stage.ToString()));

    /// <summary>
    /// The key file of one item. Item ids may contain '/' (e.g. <c>m400/r00_c01</c>), which
    /// becomes a sub-folder; anything that could escape the folder is rejected.
    /// </summary>
    /// <exception cref="Tract7dtException"><see cref="ErrorCodes.GraphBadItemId"/> for an unusable id.</exception>
    public static string KeyFile(WorkDirLayout layout, StageId stage, string itemId)
    {
        ValidateItemId(stage, itemId);
        return Path.Join(KeysDir(layout, stage), itemId.Replace('/', Path.DirectorySeparatorChar) + ".key");
    }

    /// <summary>Parses a stage name as written in the targets (<c>BuildEpsf</c>, case-sensitive).</summary>
    /// <exception cref="Tract7dtException"><see cref="ErrorCodes.GraphUnknownStage"/>.</exception>
    public static StageId ParseStage(string name)
    {
        if (Enum.TryParse<StageId>(name, ignoreCase: false, out var id) && Enum.IsDefined(id) && !int.TryParse(name, out _))
            return id;
        throw new Tract7dtException(ErrorCodes.GraphUnknownStage,
            $"Unknown stage '{name}'. Use one of: {string.Join(", ", Enum.GetNames<StageId>())}.");
    }

    /// <summary>
    /// Plans <paramref name="stage"/>, writes each item's key file when its content changed,
    /// and aligns dates with the stamps (see the class remarks). With
    /// <paramref name="dryRun"/> nothing is touched and <see cref="GraphPlan.Changes"/> lists
    /// what would have been (MSBuild's <c>-question</c> mode).
    /// </summary>
    public static GraphPlan Plan(IPipelineStage stage, StageContext context, bool dryRun = false)
    {
        var changes = new List<string>();
        var items = new List<GraphItem>();
        if (stage is not IKeyedStage keyed)
        {
            // Without keys the stage is never known to be current: its stamp path never exists.
            string keyFile = KeyFile(context.Layout, stage.Id, UnkeyedItemId);
            SyncKeyFile(keyFile, "unkeyed stage: always runs\n", dryRun, changes);
            items.Add(new GraphItem(UnkeyedItemId, keyFile, keyFile + ".never", "", false, "stage is not keyed"));
            return new GraphPlan(items, changes);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in keyed.Plan(context))
        {
            if (!seen.Add(item.Id))
                throw new Tract7dtException(ErrorCodes.GraphDuplicateItem,
                    $"Stage {stage.Id} planned item '{item.Id}' twice; item ids must be unique (report this as a bug).");
            string keyFile = KeyFile(context.Layout, stage.Id, item.Id);
            string stampPath = Path.GetFullPath(item.StampPath);
            SyncKeyFile(keyFile, item.Manifest, dryRun, changes);
            bool upToDate = Stamp.IsUpToDate(stampPath, item.Key, context.Hasher, out string reason);
            if (upToDate)
            {
                // MSBuild calls an output stale only when an input is strictly newer, so a
                // key file newer than its stamp (first MSBuild run after a CLI run, or a
                // touch) would look stale although the content says otherwise.
                var stampTime = File.GetLastWriteTimeUtc(stampPath);
                if (File.Exists(keyFile) && File.GetLastWriteTimeUtc(keyFile) > stampTime)
                {
                    changes.Add($"dated {keyFile} before its stamp");
                    if (!dryRun) File.SetLastWriteTimeUtc(keyFile, stampTime.AddSeconds(-1));
                }
            }
            else if (File.Exists(stampPath))
            {
                // The stamp no longer vouches for its outputs (key changed, output edited or
                // deleted): remove it so MSBuild, which sees only dates, rebuilds the item.
                changes.Add($"removed stale stamp {stampPath} ({reason})");
                if (!dryRun) File.Delete(stampPath);
            }
            items.Add(new GraphItem(item.Id, keyFile, stampPath, item.Key, upToDate, reason));
        }
        return new GraphPlan(items, changes);
    }

    /// <summary>
    /// Runs the items MSBuild found stale: re-plans (cheap), keeps the plan's items whose ids
    /// are in <paramref name="itemIds"/>, in plan order, and hands them to
    /// <see cref="IKeyedStage.RunItems"/>. An unkeyed stage simply runs.
    /// </summary>
    /// <returns>The number of items built.</returns>
    /// <exception cref="Tract7dtException"><see cref="ErrorCodes.GraphItemNotPlanned"/> when an id is not in the plan.</exception>
    public static int Run(IPipelineStage stage, StageContext context, IReadOnlyCollection<string> itemIds, string component)
    {
        var log = context.Log(component);
        if (stage is not IKeyedStage keyed)
        {
            stage.Run(context);
            return 1;
        }
        var plan = keyed.Plan(context);
        var wanted = new HashSet<string>(itemIds, StringComparer.Ordinal);
        var selected = plan.Where(i => wanted.Contains(i.Id)).ToList();
        if (selected.Count != wanted.Count)
        {
            var missing = wanted.Except(plan.Select(i => i.Id), StringComparer.Ordinal).OrderBy(s => s, StringComparer.Ordinal);
            throw new Tract7dtException(ErrorCodes.GraphItemNotPlanned,
                $"Stage {stage.Id} was asked to build item(s) {string.Join(", ", missing)} that its plan no longer has; " +
                "an input changed during the build. Run the build again.");
        }
        log.Info($"{PipelineStages.DisplayName(stage.Id)}: {plan.Count} items, {plan.Count - selected.Count} up to date, {selected.Count} to build");
        keyed.RunItems(context, selected);
        return selected.Count;
    }

    private static void SyncKeyFile(string keyFile, string manifest, bool dryRun, List<string> changes)
    {
        if (File.Exists(keyFile) && File.ReadAllText(keyFile) == manifest) return;
        changes.Add($"wrote {keyFile}");
        if (!dryRun) AtomicFile.WriteAllTextIfChanged(keyFile, manifest);
    }

    private static void ValidateItemId(StageId stage, string id)
    {
        bool ok = id.Length > 0 && id.Length <= 200 && id[0] != '/' && id[^1] != '/';
        foreach (char c in id)
            ok &= char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/' or '+';
        foreach (var part in id.Split('/'))
            ok &= part.Length > 0 && part != "." && part != "..";
        if (!ok)
            throw new Tract7dtException(ErrorCodes.GraphBadItemId,
                $"Stage {stage} planned item id '{id}', which cannot name a key file; ids use letters, digits and _ - . + with '/' between parts.");
    }
}
