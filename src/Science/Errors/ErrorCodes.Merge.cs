namespace Tract7dt.Science.Errors;

public static partial class ErrorCodes
{
    /// <summary>The merge base catalog has neither an <c>ID</c> column nor RA/DEC key columns.</summary>
    public const string MergeKeyMissing = "T7D500";
    // T7D501 (patches.json unreadable at merge) is retired: the one patch-list reader reports T7D301.
    /// <summary>A per-patch fit table cannot be used (no key column, unreadable).</summary>
    public const string MergeFitTable = "T7D502";
    /// <summary><c>state/catalog_state.json</c> is unreadable or names a missing catalog.</summary>
    public const string MergeCatalogState = "T7D503";
    /// <summary>Some patch fits are out of date (never run, or run with other settings or inputs): merging
    /// would replace the catalogue with one whose rows for those patches have no fit.</summary>
    public const string MergeStaleFits = "T7D504";

    /// <summary>ComputeZp: the merged catalog does not exist (run merge first).</summary>
    public const string ZpMergedCatalogMissing = "T7D600";
    /// <summary>ComputeZp: invalid clipping settings.</summary>
    public const string ZpBadSettings = "T7D601";
}
