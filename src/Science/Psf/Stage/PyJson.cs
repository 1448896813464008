using System.Globalization;
using System.Text;
using Tract7dt.Science.Catalog;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>
/// An ordered JSON object written the way Python's <c>json.dumps(obj, indent=2)</c> writes
/// it (outputs.md §1.2): 2-space indent, keys in insertion order, floats in shortest
/// round-trip form (<c>1.0</c>, <c>1e-05</c>), non-finite floats as the bare tokens
/// <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>, non-ASCII as <c>\uXXXX</c>.
/// Values: null, bool, int/long, double/float, string, <see cref="PyJson"/>, or a list of those.
/// </summary>
public sealed class PyJson
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
    public override string ToString()
    {
        var sb = new StringBuilder();
        WriteValue(sb, this, 0);
        return sb.ToString();
    }

    /// <summary>A JSON array of objects, Python-style.</summary>
    public static string Array(IEnumerable<PyJson> items)
    {
        var sb = new StringBuilder();
        WriteValue(sb, items.Cast<object?>().ToList(), 0);
        return sb.ToString();
    }

    private static void WriteValue(StringBuilder sb, object? v, int indent)
    {
        switch (v)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case string s: WriteString(sb, s); break;
            case int i: sb.Append(i.ToString(CultureInfo.InvariantCulture)); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case float f: WriteValue(sb, (double)f, indent); break;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity"
                    : double.IsNegativeInfinity(d) ? "-Infinity" : FloatText.Repr(d));
                break;
            case PyJson o:
                if (o._items.Count == 0) { sb.Append("{}"); break; }
                sb.Append("{\n");
                for (int k = 0; k < o._items.Count; k++)
                {
                    sb.Append(' ', indent + 2);
                    WriteString(sb, o._items[k].Key);
                    sb.Append(": ");
                    WriteValue(sb, o._items[k].Value, indent + 2);
                    if (k < o._items.Count - 1) sb.Append(',');
                    sb.Append('\n');
                }
                sb.Append(' ', indent).Append('}');
                break;
            case System.Collections.IEnumerable list:
                var items = list.Cast<object?>().ToList();
                if (items.Count == 0) { sb.Append("[]"); break; }
                sb.Append("[\n");
                for (int k = 0; k < items.Count; k++)
                {
                    sb.Append(' ', indent + 2);
                    WriteValue(sb, items[k], indent + 2);
                    if (k < items.Count - 1) sb.Append(',');
                    sb.Append('\n');
                }
                sb.Append(' ', indent).Append(']');
                break;
            default:
                WriteString(sb, Convert.ToString(v, CultureInfo.InvariantCulture) ?? "");
                break;
        }
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7e) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
