namespace Tract7dt.Science.Config;

/// <summary>
/// Marks a setting that decides how work is scheduled (worker counts, parallelism) or which
/// items exist, never the numbers an item writes: a stage's content key leaves it out
/// (<see cref="Pipeline.StageKeyBuilder.Settings"/>), so changing it rebuilds nothing.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = true)]
public sealed class NotInKeysAttribute : Attribute;
