using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Config;

/// <summary>
/// A YAML mapping as read from a config file: keys in file order (a repeated key keeps its
/// first position and takes the last value, as PyYAML does), plus the 1-based line of each
/// key for messages.
/// </summary>
internal sealed class YamlMap
{
    private readonly List<string> _order = new();
    private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _lines = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Keys => _order;

    public int Count => _order.Count;

    public object? this[string key] => _values[key];

    public bool TryGetValue(string key, out object? value) => _values.TryGetValue(key, out value);

    public bool ContainsKey(string key) => _values.ContainsKey(key);

    /// <summary>1-based line of the key in the file, 0 when unknown.</summary>
    public int LineOf(string key) => _lines.TryGetValue(key, out int l) ? l : 0;

    /// <summary>Keys given more than once in this mapping: the key, the line of its earlier and of its later occurrence.</summary>
    public IReadOnlyList<(string Key, int EarlierLine, int Line)> Repeats => _repeats;

    private readonly List<(string, int, int)> _repeats = new();

    public void Set(string key, object? value, int line = 0)
    {
        if (!_values.ContainsKey(key)) _order.Add(key);
        else _repeats.Add((key, LineOf(key), line));
        _values[key] = value;
        if (line > 0) _lines[key] = line;
    }
}

/// <summary>
/// Reads YAML text into plain values: <see cref="YamlMap"/>, <c>List&lt;object?&gt;</c> and
/// the scalars of <see cref="Yaml11Scalar"/>. Only data is built ("safe" loading): tags
/// other than the core scalar tags are ignored; anchors and aliases are honoured.
/// </summary>
internal static class YamlTree
{
    private const string StrTag = "tag:yaml.org,2002:str";

    /// <summary>
    /// Parse one YAML document. An empty stream gives <c>null</c>. A syntax error, or more
    /// than one document, throws <see cref="ErrorCodes.ConfigYamlSyntax"/> naming
    /// <paramref name="fileLabel"/>, the line and the column.
    /// </summary>
    public static object? Parse(string text, string fileLabel)
    {
        var anchors = new Dictionary<string, object?>(StringComparer.Ordinal);
        try
        {
            var parser = new Parser(new StringReader(text));
            parser.Consume<StreamStart>();
            if (parser.TryConsume<StreamEnd>(out _)) return null;
            parser.Consume<DocumentStart>();
            object? root = ReadNode(parser, anchors);
            parser.Consume<DocumentEnd>();
            if (parser.Current is DocumentStart ds)
                throw new Tract7dtException(ErrorCodes.ConfigYamlSyntax,
                    $"YAML syntax error in {fileLabel} at line {ds.Start.Line}, column {ds.Start.Column}: " +
                    "the file holds more than one YAML document ('---'); a config must be a single mapping.").At(fileLabel, (int)ds.Start.Line);
            return root;
        }
        catch (YamlException e)
        {
            string reason = e.InnerException?.Message ?? e.Message;
            // YamlDotNet prefixes "(Lin: .., Col: ..)" to some messages; ours states the position itself.
            int cut = reason.IndexOf("): ", StringComparison.Ordinal);
            if (reason.StartsWith("(Line:", StringComparison.Ordinal) && cut > 0) reason = reason[(cut + 3)..];
            throw new Tract7dtException(ErrorCodes.ConfigYamlSyntax,
                $"YAML syntax error in {fileLabel} at line {e.Start.Line}, column {e.Start.Column}: {reason} " +
                "Check the indentation (spaces only, children indented under their section) and that every " +
                "string containing ': ' or starting with a special character is quoted.", e).At(fileLabel, (int)e.Start.Line);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this, without a position, when the text ends inside a
            // flow collection ('[' or '{' never closed).
            int line = UnclosedFlowLine(text);
            string where = line > 0 ? $" at line {line}" : "";
            throw new Tract7dtException(ErrorCodes.ConfigYamlSyntax,
                $"YAML syntax error in {fileLabel}{where}: a '[' or '{{' is never closed. Close it, or quote the value " +
                "if the bracket is meant as text.", e).At(fileLabel, line);
        }
    }

    /// <summary>The 1-based line of the first '[' or '{' (outside quotes and comments) that no
    /// bracket on the same line closes; 0 when there is none.</summary>
    internal static int UnclosedFlowLine(string text)
    {
        var lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            int depth = 0;
            char quote = '\0';
            string l = lines[n];
            for (int i = 0; i < l.Length; i++)
            {
                char c = l[i];
                if (quote != '\0') { if (c == quote) quote = '\0'; continue; }
                if (c is '\'' or '"') quote = c;
                else if (c == '#' && (i == 0 || char.IsWhiteSpace(l[i - 1]))) break;
                else if (c is '[' or '{') depth++;
                else if (c is ']' or '}') depth--;
            }
            if (depth > 0) return n + 1;
        }
        return 0;
    }

    private static object? ReadNode(IParser parser, Dictionary<string, object?> anchors)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!anchors.TryGetValue(alias.Value.Value, out var target))
                throw new YamlException(alias.Start, alias.End, $"Alias *{alias.Value.Value} refers to no anchor.");
            return target;
        }
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            object? v;
            bool plain = scalar.Style == ScalarStyle.Plain;
            if (!scalar.Tag.IsEmpty && scalar.Tag.Value == StrTag) v = scalar.Value;
            else if (!scalar.Tag.IsEmpty && scalar.Tag.Value != "!") v = Yaml11Scalar.Resolve(scalar.Value);
            else v = plain ? Yaml11Scalar.Resolve(scalar.Value) : scalar.Value;
            if (!scalar.Anchor.IsEmpty) anchors[scalar.Anchor.Value] = v;
            return v;
        }
        if (parser.TryConsume<SequenceStart>(out var seq))
        {
            var list = new List<object?>();
            if (!seq.Anchor.IsEmpty) anchors[seq.Anchor.Value] = list;
            while (!parser.TryConsume<SequenceEnd>(out _)) list.Add(ReadNode(parser, anchors));
            return list;
        }
        if (parser.TryConsume<MappingStart>(out var map))
        {
            var m = new YamlMap();
            if (!map.Anchor.IsEmpty) anchors[map.Anchor.Value] = m;
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyEvent = parser.Current!;
                object? key = ReadNode(parser, anchors);
                object? value = ReadNode(parser, anchors);
                string keyText = key switch
                {
                    null => "null",
                    bool b => b ? "True" : "False",
                    string s => s,
                    IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                    _ => key.ToString() ?? "",
                };
                m.Set(keyText, value, (int)keyEvent.Start.Line);
            }
            return m;
        }
        var ev = parser.Current!;
        throw new YamlException(ev.Start, ev.End, $"Unexpected YAML event {ev.GetType().Name}.");
    }
}
