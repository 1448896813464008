using System.Globalization;
using System.Text;
using Tract7dt.Science.Catalog;

namespace Tract7dt.Science.Config;

/// <summary>
/// The merged, validated and path-resolved value of every config key, by dotted path.
/// Values are normalised: <c>bool</c>, <c>long</c> (int keys), <c>double</c> (float keys,
/// integers widened), <c>string</c>, <c>null</c>, <see cref="WorkerCount"/> or
/// <c>IReadOnlyList&lt;object?&gt;</c>.
/// </summary>
internal sealed class ConfigValues
{
    private readonly Dictionary<string, object?> _values;

    public ConfigValues(Dictionary<string, object?> values) => _values = values;

    public object? this[string path] => _values.TryGetValue(path, out var v)
        ? v
        : throw new ArgumentException($"'{path}' is not a config key.", nameof(path));

    /// <summary>
    /// Stable, culture-invariant text of a key's value, for content keys: the same text
    /// whether the value was written by the user or came from the default, and whether an
    /// integer was written for a float key (<c>20</c> and <c>20.0</c> both give <c>20.0</c>).
    /// Floats use Python's shortest round-trip <c>repr</c>; strings are double-quoted with
    /// <c>\</c> and <c>"</c> escaped; null is <c>null</c>; lists are <c>[a, b]</c>.
    /// </summary>
    public string Canonical(string path) => Format(this[path]);

    internal static string Format(object? v) => v switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        double d => FloatText.Repr(d),
        string s => Quote(s),
        WorkerCount w => w.Explicit is int n ? n.ToString(CultureInfo.InvariantCulture) : Quote("auto"),
        IEnumerable<object?> list => "[" + string.Join(", ", list.Select(Format)) + "]",
        _ => throw new InvalidOperationException($"Unexpected config value type {v.GetType()}."),
    };

    /// <summary>A JSON string literal (the one escaping rule of <see cref="IO.PythonJson"/>).</summary>
    private static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        IO.PythonJson.WriteString(sb, s);
        return sb.ToString();
    }
}
