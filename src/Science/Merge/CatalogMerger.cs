using Tract7dt.Science.Catalog;

namespace Tract7dt.Science.Merge;

/// <summary>One patch's result table, as read from its <c>&lt;tag&gt;_cat_fit.csv</c>.</summary>
/// <param name="PatchTag">The patch tag.</param>
/// <param name="Path">The file (for messages).</param>
/// <param name="Table">Its cells, exact text.</param>
public sealed record PatchFitTable(string PatchTag, string Path, SourceTable Table);

/// <summary>What <see cref="CatalogMerger.Join"/> produced.</summary>
/// <param name="Table">Base columns (exact text), then the fit-only columns in first-appearance order.</param>
/// <param name="MatchedPatch">Per base row: the tag of the patch whose result row was joined, or null.</param>
/// <param name="DuplicatesDropped">Result rows dropped because an earlier row had the same key.</param>
/// <param name="DuplicateSamples">Up to 10 of the dropped keys, for the warning.</param>
/// <param name="SharedBaseKeys">Number of distinct base keys carried by more than one base row.</param>
public sealed record MergeJoin(SourceTable Table, string?[] MatchedPatch, int DuplicatesDropped,
    IReadOnlyList<string> DuplicateSamples, int SharedBaseKeys);

/// <summary>
/// The left join of docs/pipeline.md §9.3–§9.4: every base row, in base order, gets the
/// columns the base lacks from the result row with the same key. Cells are copied as text,
/// so the base's input values (IDs with leading zeros, numbers' digits) are written back
/// byte for byte and the fit values exactly as the patch stage wrote them.
/// </summary>
/// <remarks>
/// Duplicate keys (README.md, Differences #13; the user's docs: "dropped (keeping first
/// occurrence) with a warning"). Within one run each source belongs to one patch, so a
/// repeated key means the base itself repeats an ID. For such IDs the base row and the
/// result row are matched on (ID, RA, DEC), so two different sources that share an ID
/// each get their own fit; only rows equal in ID and position collapse to the first result.
/// </remarks>
public static class CatalogMerger
{
    /// <summary>Legacy fit columns that are always taken from the fit side when the base lacks them.</summary>
    public static readonly IReadOnlyList<string> LegacyColumns = ["x_fit_white", "y_fit_white"];

    /// <param name="baseTable">The base catalog (every row survives, in order).</param>
    /// <param name="key">Its merge key (<see cref="MergeKey.For"/>).</param>
    /// <param name="fits">The current patches' tables, in the order that decides "first" for duplicates.</param>
    public static MergeJoin Join(SourceTable baseTable, MergeKey key, IReadOnlyList<PatchFitTable> fits)
    {
        // Columns the fit side contributes: not in the base, first-appearance order.
        var fitColumns = new List<string>();
        var seenCols = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in fits)
            foreach (var name in f.Table.ColumnNames)
                if (!baseTable.Contains(name) && seenCols.Add(name)) fitColumns.Add(name);

        // Base keys that more than one base row carries: those are told apart by position.
        string[] baseKeys = key.Values(baseTable);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var k in baseKeys) counts[k] = counts.GetValueOrDefault(k) + 1;
        var shared = new HashSet<string>(counts.Where(kv => kv.Value > 1).Select(kv => kv.Key), StringComparer.Ordinal);
        string[] baseIdentity = Identities(baseTable, key, baseKeys, shared);

        // Result lookup: identity → (file, row); the first occurrence wins.
        var lookup = new Dictionary<string, (int File, int Row)>(StringComparer.Ordinal);
        int dropped = 0;
        var samples = new List<string>();
        for (int f = 0; f < fits.Count; f++)
        {
            var t = fits[f].Table;
            string[] ids = Identities(t, key, key.Values(t), shared);
            for (int r = 0; r < ids.Length; r++)
            {
                if (lookup.TryAdd(ids[r], (f, r))) continue;
                dropped++;
                if (samples.Count < 10) samples.Add(ids[r].Replace('\u0001', ' '));
            }
        }

        int n = baseTable.RowCount;
        var match = new (int File, int Row)[n];
        var matchedPatch = new string?[n];
        for (int i = 0; i < n; i++)
        {
            if (lookup.TryGetValue(baseIdentity[i], out var m)) { match[i] = m; matchedPatch[i] = fits[m.File].PatchTag; }
            else match[i] = (-1, -1);
        }

        var output = new SourceTable(n, baseTable.SourceLines);
        foreach (var c in baseTable.Columns) output.Add(c);
        foreach (var name in fitColumns)
        {
            var cols = fits.Select(f => f.Table.Contains(name) ? f.Table[name] : null).ToArray();
            var v = new string[n];
            for (int i = 0; i < n; i++)
                v[i] = match[i].File >= 0 && cols[match[i].File] is { } col ? col.FormatCell(match[i].Row) : "";
            output.Add(new TextColumn(name, v));
        }
        return new MergeJoin(output, matchedPatch, dropped, samples, shared.Count);
    }

    private static string[] Identities(SourceTable t, MergeKey key, string[] keys, HashSet<string> shared)
    {
        if (shared.Count == 0 || !key.IsId) return keys;
        var sky = SkyColumns.Find(t);
        double[]? ra = sky is null ? null : t.Numeric(sky.Value.Ra);
        double[]? dec = sky is null ? null : t.Numeric(sky.Value.Dec);
        var ids = new string[keys.Length];
        for (int i = 0; i < keys.Length; i++)
            ids[i] = shared.Contains(keys[i]) && ra is not null ? keys[i] + "\u0001" + MergeKey.Pair(ra[i], dec![i]) : keys[i];
        return ids;
    }
}

/// <summary>Locates a catalog's RA/DEC columns as LoadInputs does (any letter case; the last match).</summary>
public static class SkyColumns
{
    public static (string Ra, string Dec)? Find(SourceTable t)
    {
        string? ra = t.ColumnNames.LastOrDefault(n => n.Trim().Equals("ra", StringComparison.OrdinalIgnoreCase));
        string? dec = t.ColumnNames.LastOrDefault(n => n.Trim().Equals("dec", StringComparison.OrdinalIgnoreCase));
        return ra is null || dec is null ? null : (ra, dec);
    }
}
