namespace Tract7dt.Science.Psf.Stage;

/// <summary>
/// An ordered JSON object written the way Python's <c>json.dumps(obj, indent=2)</c> writes
/// it (docs/outputs.md §1.2): 2-space indent, keys in insertion order, floats in shortest
/// round-trip form (<c>1.0</c>, <c>1e-05</c>), non-finite floats as the bare tokens
/// <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>, non-ASCII as <c>\uXXXX</c>.
/// Values: null, bool, int/long, double/float, string, <see cref="PyJson"/>, or a list of those.
/// </summary>
public sealed class PyJson : IEnumerable<(string Key, object? Value)>
{
    private readonly List<(string Key, object? Value)> _items = new();

    public IReadOnlyList<(string Key, object? Value)> Items => _items;

    /// <summary>Appends a key (keys are not checked for duplicates; the writer keeps order).</summary>
    public PyJson Add(string key, object? value)
    {
        _items.Add((key, value));
        return this;
    }

    /// <summary>Value of the first item named <paramref name="key"/>, or null.</summary>
    public object? this[string key] => _items.FirstOrDefault(i => i.Key == key).Value;

    /// <summary>The object's text (no trailing newline, as <c>json.dump</c>).</summary>
    public override string ToString() => IO.PythonJson.Write(_items);

    public IEnumerator<(string Key, object? Value)> GetEnumerator() => _items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>A JSON array of objects, Python-style.</summary>
    public static string Array(IEnumerable<PyJson> items) => IO.PythonJson.Write(items.Select(o => o._items).ToList());
}
