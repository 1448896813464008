namespace Tract7dt.Science.Patches;

/// <summary>
/// JSON text as the original's per-patch files have it (Python <c>json.dumps</c>): keys in
/// insertion order, non-ASCII escaped as <c>\uXXXX</c>, floats as Python <c>repr</c>,
/// non-finite floats as <c>null</c> where the caller asks (our meta never writes bare NaN).
/// Values: null, string, bool, int/long, double, <see cref="IEnumerable{T}"/> of values,
/// and <see cref="JsonRecord"/>.
/// </summary>
public sealed class JsonRecord : List<KeyValuePair<string, object?>>
{
    public void Add(string key, object? value) => Add(new KeyValuePair<string, object?>(key, value));
}

/// <summary>Formatting of <see cref="JsonRecord"/> trees (our patch meta never writes bare NaN: null).</summary>
public static class PatchJson
{
    /// <summary><c>json.dumps(value, indent=2)</c>.</summary>
    public static string Indented(object? value) => IO.PythonJson.Write(value, indent: true, nonFiniteAsNull: true);

    /// <summary><c>json.dumps(value)</c> (separators <c>", "</c> and <c>": "</c>).</summary>
    public static string Compact(object? value) => IO.PythonJson.Write(value, indent: false, nonFiniteAsNull: true);
}
