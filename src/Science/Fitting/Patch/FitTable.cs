namespace Tract7dt.Science.Fitting.Patch;

/// <summary>
/// A column-ordered result table (one row per patch-catalogue source). Columns hold
/// <c>double[]</c> (NaN = empty), <c>int[]</c>, <c>bool[]</c> or <c>string[]</c>; the
/// stage that writes the CSV formats them.
/// </summary>
public sealed class FitTable
{
    private readonly List<string> _names = new();
    private readonly List<Array> _columns = new();
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public FitTable(int rows) => RowCount = rows;

    public int RowCount { get; }

    public IReadOnlyList<string> ColumnNames => _names;

    public IReadOnlyList<Array> Columns => _columns;

    public bool Contains(string name) => _index.ContainsKey(name);

    /// <summary>Adds a column, or returns the existing one of that name and type.</summary>
    public T[] Column<T>(string name, T initial)
    {
        if (_index.TryGetValue(name, out int i)) return (T[])_columns[i];
        var a = new T[RowCount];
        if (!EqualityComparer<T>.Default.Equals(initial, default)) a.AsSpan().Fill(initial);
        _index[name] = _columns.Count;
        _names.Add(name);
        _columns.Add(a);
        return a;
    }

    /// <summary>A new table with the first <paramref name="rows"/> rows of every column (same order).</summary>
    public FitTable Head(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, RowCount);
        var t = new FitTable(rows);
        for (int c = 0; c < _columns.Count; c++)
        {
            var a = Array.CreateInstance(_columns[c].GetType().GetElementType()!, rows);
            Array.Copy(_columns[c], a, rows);
            t._index[_names[c]] = c;
            t._names.Add(_names[c]);
            t._columns.Add(a);
        }
        return t;
    }

    public bool Has(string name) => _index.ContainsKey(name);
    public double[] Doubles(string name) => (double[])_columns[_index[name]];
    public bool[] Bools(string name) => (bool[])_columns[_index[name]];
    public int[] Ints(string name) => (int[])_columns[_index[name]];
    public string[] Texts(string name) => (string[])_columns[_index[name]];
}
