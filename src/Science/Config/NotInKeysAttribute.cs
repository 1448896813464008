namespace Tract7dt.Science.Config;

/// <summary>
/// Marks a setting that decides how work is scheduled (worker counts, parallelism), which
/// items exist, or only which pictures are drawn (those reach the picture items' keys through
/// their own settings records, docs/pipeline.md §1.6), never the numbers an item writes: a stage's content key leaves
/// it out (<see cref="Pipeline.StageKeyBuilder.Settings"/>), so changing it rebuilds no numbers.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = true)]
public sealed class NotInKeysAttribute : Attribute;
