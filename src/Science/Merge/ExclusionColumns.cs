using Tract7dt.Science.Catalog;

namespace Tract7dt.Science.Merge;

/// <summary>
/// The exclusion columns of the final catalog (docs/outputs.md §11.3): when the base has
/// <c>excluded_crop</c> and/or <c>excluded_saturation</c>, a missing one is created false,
/// empty cells (injected Gaia rows) become false, <c>excluded_any</c> = crop ∨ saturation
/// and <c>excluded_reason</c> = <c>crop+saturation</c> / <c>crop</c> / <c>saturation</c> / empty.
/// </summary>
public static class ExclusionColumns
{
    public const string Crop = "excluded_crop", Saturation = "excluded_saturation", Any = "excluded_any", Reason = "excluded_reason";

    /// <summary>Applies the rule in place; false (nothing done) when the base has neither flag.</summary>
    public static bool Apply(SourceTable table)
    {
        if (!table.Contains(Crop) && !table.Contains(Saturation)) return false;
        int n = table.RowCount;
        bool[] crop = Flags(table, Crop), sat = Flags(table, Saturation);
        var any = new bool[n];
        var reason = new string[n];
        for (int i = 0; i < n; i++)
        {
            any[i] = crop[i] || sat[i];
            reason[i] = crop[i] && sat[i] ? "crop+saturation" : crop[i] ? "crop" : sat[i] ? "saturation" : "";
        }
        table.Set(new BoolColumn(Crop, crop));
        table.Set(new BoolColumn(Saturation, sat));
        table.Set(new BoolColumn(Any, any));
        table.Set(new TextColumn(Reason, reason));
        return true;
    }

    /// <summary>A flag column read as booleans: <c>True</c>/<c>true</c>/<c>1</c>/<c>1.0</c> → true,
    /// anything else (empty, <c>False</c>, <c>0</c>) → false; an absent column → all false.</summary>
    public static bool[] Flags(SourceTable table, string column)
    {
        var v = new bool[table.RowCount];
        if (!table.Contains(column)) return v;
        var col = table[column];
        for (int i = 0; i < v.Length; i++) v[i] = IsTrue(col.FormatCell(i));
        return v;
    }

    /// <summary>Boolean text as pandas writes and reads it (<c>True</c>), tolerant of case and 1/1.0.</summary>
    public static bool IsTrue(string text)
    {
        var s = text.AsSpan().Trim();
        return s.Equals("True", StringComparison.OrdinalIgnoreCase) || s.SequenceEqual("1") || s.SequenceEqual("1.0");
    }
}
