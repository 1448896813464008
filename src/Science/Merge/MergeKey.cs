using System.Globalization;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Merge;

/// <summary>
/// The column(s) that identify a source across the base catalog and the fit tables
/// (docs/pipeline.md §9.2): <c>ID</c> when a column named exactly so exists (its text,
/// compared exactly, so <c>00019</c> ≠ <c>19</c>); otherwise <c>RA</c>/<c>DEC</c>, or
/// <c>ra</c>/<c>dec</c>, compared as parsed doubles (exact equality).
/// </summary>
public sealed class MergeKey
{
    private MergeKey(IReadOnlyList<string> columns) => Columns = columns;

    /// <summary><c>["ID"]</c>, <c>["RA","DEC"]</c> or <c>["ra","dec"]</c>.</summary>
    public IReadOnlyList<string> Columns { get; }

    public bool IsId => Columns.Count == 1;

    /// <summary>The key of <paramref name="table"/> (the base catalog); <see cref="ErrorCodes.MergeKeyMissing"/> if none.</summary>
    public static MergeKey For(SourceTable table, string label)
    {
        if (table.Contains("ID")) return new MergeKey(["ID"]);
        string? ra = table.Contains("RA") ? "RA" : table.Contains("ra") ? "ra" : null;
        string? dec = table.Contains("DEC") ? "DEC" : table.Contains("dec") ? "dec" : null;
        if (ra is not null && dec is not null) return new MergeKey([ra, dec]);
        throw new Tract7dtException(ErrorCodes.MergeKeyMissing,
            $"Could not find merge key columns in {label}. Need 'ID' or ('RA','DEC'); its columns are: {string.Join(", ", table.ColumnNames)}.");
    }

    /// <summary>True when <paramref name="table"/> has every key column.</summary>
    public bool IsIn(SourceTable table) => Columns.All(table.Contains);

    /// <summary>
    /// The key values of every row as comparable strings: the ID text (missing token → empty),
    /// or the round-trip texts of the parsed RA and DEC joined by a separator that cannot
    /// occur in a number.
    /// </summary>
    public string[] Values(SourceTable table)
    {
        var keys = new string[table.RowCount];
        if (IsId)
        {
            for (int i = 0; i < keys.Length; i++)
            {
                string t = table.Text("ID", i);
                keys[i] = CellText.IsMissing(t) ? "" : t;
            }
            return keys;
        }
        double[] ra = table.Numeric(Columns[0]), dec = table.Numeric(Columns[1]);
        for (int i = 0; i < keys.Length; i++) keys[i] = Pair(ra[i], dec[i]);
        return keys;
    }

    /// <summary>Position text of a row, used to tell apart base rows that share an ID.</summary>
    internal static string Pair(double a, double b) =>
        a.ToString("R", CultureInfo.InvariantCulture) + "\u0001" + b.ToString("R", CultureInfo.InvariantCulture);
}
