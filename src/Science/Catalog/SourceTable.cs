using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Catalog;

/// <summary>
/// A catalogue: ordered, uniquely named columns of equal length. Columns read from a CSV
/// are <see cref="TextColumn"/>s holding each cell's exact text; numeric views are parsed
/// on demand (invariant culture, cached). Columns added by the pipeline are typed
/// (<see cref="DoubleColumn"/>, <see cref="BoolColumn"/>, <see cref="IntColumn"/>,
/// <see cref="TextColumn"/>). Read and write with <see cref="SourceTableCsv"/>.
/// </summary>
public sealed class SourceTable
{
    private readonly List<TableColumn> _columns = new();
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double[]> _numeric = new(StringComparer.Ordinal);

    /// <param name="rowCount">Number of rows every column must have.</param>
    /// <param name="sourceLines">1-based line in the source file where each row starts (null when not read from a file).</param>
    public SourceTable(int rowCount, IReadOnlyList<int>? sourceLines = null)
    {
        RowCount = rowCount;
        SourceLines = sourceLines;
    }

    public int RowCount { get; }

    /// <summary>1-based file line where each row starts, for messages; null for built tables.</summary>
    public IReadOnlyList<int>? SourceLines { get; }

    public IReadOnlyList<TableColumn> Columns => _columns;

    public IEnumerable<string> ColumnNames => _columns.Select(c => c.Name);

    public bool Contains(string name) => _index.ContainsKey(name);

    /// <summary>Position of the column, or -1.</summary>
    public int IndexOf(string name) => _index.TryGetValue(name, out int i) ? i : -1;

    /// <summary>The column named exactly <paramref name="name"/>; <see cref="ErrorCodes.CatalogColumn"/> if absent.</summary>
    public TableColumn this[string name] => _index.TryGetValue(name, out int i)
        ? _columns[i]
        : throw new Tract7dtException(ErrorCodes.CatalogColumn,
            $"Catalog has no column '{name}'. Columns: {string.Join(", ", ColumnNames)}.");

    /// <summary>Append a column; <see cref="ErrorCodes.CatalogColumn"/> if the name exists or the length differs.</summary>
    public void Add(TableColumn column)
    {
        CheckLength(column);
        if (_index.ContainsKey(column.Name))
            throw new Tract7dtException(ErrorCodes.CatalogColumn, $"Catalog already has a column '{column.Name}'.");
        _index[column.Name] = _columns.Count;
        _columns.Add(column);
    }

    /// <summary>Replace the column of the same name in place (keeping its position), or append it.</summary>
    public void Set(TableColumn column)
    {
        CheckLength(column);
        _numeric.Remove(column.Name);
        if (_index.TryGetValue(column.Name, out int i)) _columns[i] = column;
        else Add(column);
    }

    public void AddDouble(string name, double[] values) => Add(new DoubleColumn(name, values));

    public void AddBool(string name, bool[] values) => Add(new BoolColumn(name, values));

    public void AddInt(string name, long[] values) => Add(new IntColumn(name, values));

    public void AddText(string name, string[] values) => Add(new TextColumn(name, values));

    /// <summary>The CSV text of one cell.</summary>
    public string Text(string column, int row) => this[column].FormatCell(row);

    /// <summary>
    /// Numeric view of a column: a double column's own array; a text column parsed with
    /// <see cref="CellText.ToDouble"/> (NaN where missing or not a number), cached;
    /// int and bool columns converted (true = 1). Do not modify the returned array.
    /// </summary>
    public double[] Numeric(string column)
    {
        var col = this[column];
        if (col is DoubleColumn dc) return dc.Values;
        if (_numeric.TryGetValue(column, out var cached)) return cached;
        var v = new double[RowCount];
        switch (col)
        {
            case TextColumn t:
                for (int i = 0; i < v.Length; i++) v[i] = CellText.ToDouble(t.Values[i]);
                break;
            case IntColumn ic:
                for (int i = 0; i < v.Length; i++) v[i] = ic.Values[i];
                break;
            case BoolColumn bc:
                for (int i = 0; i < v.Length; i++) v[i] = bc.Values[i] ? 1 : 0;
                break;
        }
        _numeric[column] = v;
        return v;
    }

    private void CheckLength(TableColumn column)
    {
        if (column.Count != RowCount)
            throw new ArgumentException($"Column '{column.Name}' has {column.Count} rows; the table has {RowCount}.");
    }
}
