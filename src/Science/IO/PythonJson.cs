using System.Globalization;
using System.Text;
using Tract7dt.Science.Catalog;

namespace Tract7dt.Science.IO;

/// <summary>
/// JSON text the way Python's <c>json.dumps</c> writes it (docs/outputs.md §1.2), so files that
/// Python users of the original read keep their look: keys in insertion order, 2-space
/// indent (or Python's compact <c>", "</c> / <c>": "</c> separators), floats as Python
/// <c>repr</c> (<c>1.0</c>, <c>1e-05</c>), non-ASCII as <c>\uXXXX</c>, and non-finite floats
/// either as Python's bare tokens (<c>NaN</c>, <c>Infinity</c>) or as <c>null</c>.
/// </summary>
/// <remarks>
/// Values: null, bool, int/long, float/double, string, an object
/// (<see cref="IEnumerable{T}"/> of <see cref="KeyValuePair{TKey,TValue}"/> with string keys,
/// or of (string, object?) tuples), or any other enumerable as an array.
/// </remarks>
public static class PythonJson
{
    /// <param name="indent">True: <c>indent=2</c>; false: Python's default separators on one line.</param>
    /// <param name="nonFiniteAsNull">Write NaN/±∞ as <c>null</c> instead of Python's bare tokens.</param>
    public static string Write(object? value, bool indent = true, bool nonFiniteAsNull = false)
    {
        var sb = new StringBuilder();
        WriteValue(sb, value, 0, indent, nonFiniteAsNull);
        return sb.ToString();
    }

    private static void WriteValue(StringBuilder sb, object? v, int level, bool indent, bool nanNull)
    {
        switch (v)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case string s: WriteString(sb, s); break;
            case int i: sb.Append(i.ToString(CultureInfo.InvariantCulture)); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case float f: WriteValue(sb, (double)f, level, indent, nanNull); break;
            case double d:
                if (double.IsFinite(d)) sb.Append(FloatText.Repr(d));
                else if (nanNull) sb.Append("null");
                else sb.Append(double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
                break;
            case IEnumerable<KeyValuePair<string, object?>> kv:
                WriteObject(sb, kv.Select(p => (p.Key, p.Value)).ToList(), level, indent, nanNull);
                break;
            case IEnumerable<(string Key, object? Value)> tuples:
                WriteObject(sb, tuples.ToList(), level, indent, nanNull);
                break;
            case System.Collections.IEnumerable list:
                var items = list.Cast<object?>().ToList();
                if (items.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (int k = 0; k < items.Count; k++)
                {
                    if (k > 0) sb.Append(indent ? "," : ", ");
                    NewLine(sb, level + 1, indent);
                    WriteValue(sb, items[k], level + 1, indent, nanNull);
                }
                NewLine(sb, level, indent);
                sb.Append(']');
                break;
            default:
                WriteString(sb, Convert.ToString(v, CultureInfo.InvariantCulture) ?? "");
                break;
        }
    }

    private static void WriteObject(StringBuilder sb, List<(string Key, object? Value)> items, int level, bool indent, bool nanNull)
    {
        if (items.Count == 0) { sb.Append("{}"); return; }
        sb.Append('{');
        for (int k = 0; k < items.Count; k++)
        {
            if (k > 0) sb.Append(indent ? "," : ", ");
            NewLine(sb, level + 1, indent);
            WriteString(sb, items[k].Key);
            sb.Append(": ");
            WriteValue(sb, items[k].Value, level + 1, indent, nanNull);
        }
        NewLine(sb, level, indent);
        sb.Append('}');
    }

    private static void NewLine(StringBuilder sb, int level, bool indent)
    {
        if (indent) sb.Append('\n').Append(' ', 2 * level);
    }

    /// <summary>A JSON string literal with Python's <c>ensure_ascii</c> escaping.</summary>
    public static void WriteString(StringBuilder sb, string s)
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
