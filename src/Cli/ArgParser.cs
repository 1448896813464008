namespace Tract7dt.Cli;

/// <summary>One option of a command: <c>--name value</c>, <c>--name=value</c> or a bare flag.</summary>
/// <param name="Name">Long name without dashes, e.g. <c>config</c>.</param>
/// <param name="ValueName">Placeholder shown in help (e.g. <c>PATH</c>); null for a flag.</param>
/// <param name="Help">One line.</param>
/// <param name="Required">Missing → usage error (exit 2).</param>
/// <param name="Arity">Number of values the option takes (2 for <c>--size W H</c>).</param>
public sealed record OptionSpec(string Name, string? ValueName, string Help, bool Required = false, int Arity = 1)
{
    public bool IsFlag => ValueName is null;
}

/// <summary>Parsed options of one command.</summary>
public sealed class ParsedArgs
{
    private readonly Dictionary<string, string[]> _values = new(StringComparer.Ordinal);

    internal void Set(string name, string[] values) => _values[name] = values;

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Get(string name) => _values.TryGetValue(name, out var v) && v.Length > 0 ? v[0] : null;

    public string[] GetAll(string name) => _values.TryGetValue(name, out var v) ? v : Array.Empty<string>();
}

/// <summary>Raised for command-line usage errors; the CLI prints usage and exits 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// A small, strict parser: long options only, values as <c>--opt v</c> or <c>--opt=v</c>,
/// unknown options and missing values are usage errors (exit 2), as in the original.
/// </summary>
public static class ArgParser
{
    public static ParsedArgs Parse(IReadOnlyList<OptionSpec> specs, IReadOnlyList<string> args)
    {
        var parsed = new ParsedArgs();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
                throw new UsageException($"unexpected argument '{a}'");
            string name = a[2..];
            string? inline = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { inline = name[(eq + 1)..]; name = name[..eq]; }
            var spec = specs.FirstOrDefault(s => s.Name == name)
                ?? throw new UsageException($"unrecognized option '--{name}'");
            if (spec.IsFlag)
            {
                if (inline is not null) throw new UsageException($"option '--{name}' takes no value");
                parsed.Set(name, Array.Empty<string>());
                continue;
            }
            var values = new List<string>();
            if (inline is not null) values.Add(inline);
            while (values.Count < spec.Arity)
            {
                if (i + 1 >= args.Count || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
                    throw new UsageException($"option '--{name}' expects {spec.Arity} value(s) ({spec.ValueName})");
                values.Add(args[++i]);
            }
            parsed.Set(name, values.ToArray());
        }
        foreach (var s in specs.Where(s => s.Required && !parsed.Has(s.Name)))
            throw new UsageException($"the following argument is required: --{s.Name}");
        return parsed;
    }
}
