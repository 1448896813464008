using System.Globalization;

namespace Tract7dt.Science.Catalog;

/// <summary>
/// One named column of a <see cref="SourceTable"/>. Subclasses store their values as a flat
/// array (struct of arrays); <see cref="FormatCell"/> gives the CSV text of one row
/// (docs/outputs.md §1.1: missing → empty field, booleans <c>True</c>/<c>False</c>, doubles in
/// shortest round-trip form).
/// </summary>
public abstract class TableColumn
{
    protected TableColumn(string name) => Name = name;

    /// <summary>Header name, exactly as read or given.</summary>
    public string Name { get; }

    /// <summary>Number of rows.</summary>
    public abstract int Count { get; }

    /// <summary>CSV text of row <paramref name="row"/> (before quoting).</summary>
    public abstract string FormatCell(int row);

    /// <summary>The same values under another name.</summary>
    public abstract TableColumn Rename(string name);
}

/// <summary>
/// A text column: every cell's exact text. Input catalogue columns are kept this way, so
/// IDs keep leading zeros and numbers keep their digits (README.md, Differences #7).
/// </summary>
public sealed class TextColumn(string name, string[] values) : TableColumn(name)
{
    /// <summary>The cells; a missing value is the empty string.</summary>
    public string[] Values { get; } = values;

    public override int Count => Values.Length;

    public override string FormatCell(int row) => Values[row];

    public override TableColumn Rename(string name) => new TextColumn(name, Values);
}

/// <summary>A double column; NaN is written as an empty field, others as Python <c>repr</c>.</summary>
public sealed class DoubleColumn(string name, double[] values) : TableColumn(name)
{
    public double[] Values { get; } = values;

    public override int Count => Values.Length;

    public override string FormatCell(int row) =>
        double.IsNaN(Values[row]) ? "" : FloatText.Repr(Values[row]);

    public override TableColumn Rename(string name) => new DoubleColumn(name, Values);
}

/// <summary>A boolean column written as <c>True</c>/<c>False</c>.</summary>
public sealed class BoolColumn(string name, bool[] values) : TableColumn(name)
{
    public bool[] Values { get; } = values;

    public override int Count => Values.Length;

    public override string FormatCell(int row) => Values[row] ? "True" : "False";

    public override TableColumn Rename(string name) => new BoolColumn(name, Values);
}

/// <summary>A 64-bit integer column written as plain digits.</summary>
public sealed class IntColumn(string name, long[] values) : TableColumn(name)
{
    public long[] Values { get; } = values;

    public override int Count => Values.Length;

    public override string FormatCell(int row) => Values[row].ToString(CultureInfo.InvariantCulture);

    public override TableColumn Rename(string name) => new IntColumn(name, Values);
}
