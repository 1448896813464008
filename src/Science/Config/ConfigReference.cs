using System.Globalization;
using System.Text;

namespace Tract7dt.Science.Config;

/// <summary>
/// <c>docs/config-keys.md</c>: every config key with its type, default, allowed values and what
/// it does, generated from the schema (<see cref="ConfigSchema"/>: type, bounds, choices) and the
/// template <c>dump-config</c> writes (<see cref="ConfigTemplate"/>: default as written, one-line
/// description). A test regenerates it and fails when the committed page differs, so the page
/// cannot drift from the code.
/// </summary>
public static class ConfigReference
{
    /// <summary>The page's Markdown text.</summary>
    public static string Markdown()
    {
        var sb = new StringBuilder();
        sb.Append("# Config keys\n\n");
        sb.Append("Every key of `config.yaml`, generated from the schema and the `dump-config` template\n");
        sb.Append("(`src/Science/Config/ConfigReference.cs`; a test fails when this page is out of date, and\n");
        sb.Append("`T7D_UPDATE_DOCS=1 dotnet test --filter ConfigReference` rewrites it). How the file is read,\n");
        sb.Append("checked and resolved: [config.md](config.md). A missing key takes its default.\n");
        string? section = null;
        foreach (var (path, value, comment) in TemplateKeys())
        {
            var def = ConfigSchema.Find(path)
                ?? throw new InvalidOperationException($"The config template names {path}, which the schema does not define.");
            string top = path[..path.IndexOf('.')];
            if (top != section)
            {
                section = top;
                sb.Append("\n## `").Append(top).Append("`\n\n");
                sb.Append("| key | type | default | allowed | what it does |\n|---|---|---|---|---|\n");
            }
            sb.Append("| `").Append(path[(top.Length + 1)..]).Append("` | ").Append(TypeName(def.Kind)).Append(" | `")
              .Append(value.Replace("|", "\\|")).Append("` | ").Append(Allowed(def).Replace("|", "\\|")).Append(" | ")
              .Append(comment.Replace("|", "\\|")).Append(" |\n");
        }
        return sb.ToString();
    }

    /// <summary>(dotted path, default as written, comment) of every leaf key of the template, in its order.</summary>
    private static IEnumerable<(string Path, string Value, string Comment)> TemplateKeys()
    {
        var stack = new List<string>();
        foreach (var raw in ConfigTemplate.Text.Split('\n'))
        {
            string line = raw.TrimEnd();
            string body = line.TrimStart();
            if (body.Length == 0 || body.StartsWith('#')) continue;
            int depth = (line.Length - body.Length) / 2;
            int colon = body.IndexOf(':');
            if (colon < 0) continue;
            string key = body[..colon];
            string rest = body[(colon + 1)..];
            string comment = "";
            int hash = CommentStart(rest);
            if (hash >= 0)
            {
                comment = rest[(hash + 1)..].Trim();
                rest = rest[..hash];
            }
            rest = rest.Trim();
            if (stack.Count > depth) stack.RemoveRange(depth, stack.Count - depth);
            string path = string.Join('.', stack.Append(key));
            if (rest.Length == 0 && ConfigSchema.IsMapping(path))
            {
                stack.Add(key);
                continue;
            }
            yield return (path, rest, comment);
        }
    }

    /// <summary>The index of a comment's '#' outside quotes, or −1.</summary>
    private static int CommentStart(string s)
    {
        char quote = '\0';
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; }
            else if (c is '"' or '\'') quote = c;
            else if (c == '#' && (i == 0 || char.IsWhiteSpace(s[i - 1]))) return i;
        }
        return -1;
    }

    private static string TypeName(ConfigKind kind) => kind switch
    {
        ConfigKind.Bool => "bool",
        ConfigKind.Int => "int",
        ConfigKind.Float => "number",
        ConfigKind.String => "string",
        ConfigKind.List => "list",
        ConfigKind.Workers => "int or `auto`",
        ConfigKind.IntOrNull => "int or null",
        ConfigKind.StringOrNull => "string or null",
        _ => kind.ToString(),
    };

    private static string Allowed(ConfigKeyDef d)
    {
        var parts = new List<string>();
        if (d.Choices is { } c) parts.Add(string.Join(", ", c.Select(x => "`" + x + "`")));
        if (d.IntChoices is { } ic) parts.Add(string.Join(", ", ic.Select(x => x.ToString(CultureInfo.InvariantCulture))));
        string N(double v) => v.ToString("G", CultureInfo.InvariantCulture);
        if (d.Min is { } lo && d.Max is { } hi) parts.Add($"{N(lo)} {(d.MinExclusive ? "<" : "≤")} x ≤ {N(hi)}");
        else if (d.Min is { } lo2) parts.Add($"{(d.MinExclusive ? ">" : "≥")} {N(lo2)}");
        else if (d.Max is { } hi2) parts.Add($"≤ {N(hi2)}");
        if (d.Finite) parts.Add("finite");
        if (d.NonEmpty) parts.Add("not empty");
        return parts.Count == 0 ? "" : string.Join("; ", parts);
    }
}
