using System.Globalization;
using System.Text;
using Tract7dt.Science.Catalog;

namespace Tract7dt.Science.Patches;

/// <summary>
/// JSON text as the original's per-patch files have it (Python <c>json.dumps</c>): keys in
/// insertion order, non-ASCII escaped as <c>\uXXXX</c>, floats as Python <c>repr</c>,
/// non-finite floats as <c>null</c> where the caller asks (our meta never writes bare NaN).
/// Values: null, string, bool, int/long, double, <see cref="IEnumerable{T}"/> of values,
/// and <see cref="JsonObject"/>.
/// </summary>
public sealed class JsonObject : List<KeyValuePair<string, object?>>
{
    public void Add(string key, object? value) => Add(new KeyValuePair<string, object?>(key, value));
}

/// <summary>Formatting of <see cref="JsonObject"/> trees.</summary>
public static class PyJson
{
    /// <summary><c>json.dumps(value, indent=2)</c>.</summary>
    public static string Indented(object? value)
    {
        var sb = new StringBuilder();
        Write(sb, value, 0, indent: true);
        return sb.ToString();
    }

    /// <summary><c>json.dumps(value)</c> (separators <c>", "</c> and <c>": "</c>).</summary>
    public static string Compact(object? value)
    {
        var sb = new StringBuilder();
        Write(sb, value, 0, indent: false);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? v, int level, bool indent)
    {
        switch (v)
        {
            case null: sb.Append("null"); break;
            case string s: Str(sb, s); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case int i: sb.Append(i.ToString(CultureInfo.InvariantCulture)); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d: sb.Append(double.IsFinite(d) ? FloatText.Repr(d) : "null"); break;
            case JsonObject o:
                if (o.Count == 0) { sb.Append("{}"); break; }
                sb.Append('{');
                for (int k = 0; k < o.Count; k++)
                {
                    if (k > 0) sb.Append(indent ? "," : ", ");
                    NewLine(sb, level + 1, indent);
                    Str(sb, o[k].Key);
                    sb.Append(": ");
                    Write(sb, o[k].Value, level + 1, indent);
                }
                NewLine(sb, level, indent);
                sb.Append('}');
                break;
            case System.Collections.IEnumerable e:
                var items = e.Cast<object?>().ToList();
                if (items.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (int k = 0; k < items.Count; k++)
                {
                    if (k > 0) sb.Append(indent ? "," : ", ");
                    NewLine(sb, level + 1, indent);
                    Write(sb, items[k], level + 1, indent);
                }
                NewLine(sb, level, indent);
                sb.Append(']');
                break;
            default: Str(sb, Convert.ToString(v, CultureInfo.InvariantCulture) ?? ""); break;
        }
    }

    private static void NewLine(StringBuilder sb, int level, bool indent)
    {
        if (indent) sb.Append('\n').Append(' ', 2 * level);
    }

    private static void Str(StringBuilder sb, string s)
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
                    if (c < 0x20 || c > 0x7f) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
