namespace Tract7dt.Science.Config;

/// <summary>The YAML type a config key accepts (docs/config.md §3.2, plus the override keys).</summary>
internal enum ConfigKind
{
    /// <summary>A boolean only.</summary>
    Bool,
    /// <summary>An integer that is not a boolean.</summary>
    Int,
    /// <summary>An integer or a float (integers are widened).</summary>
    Float,
    /// <summary>A string only.</summary>
    String,
    /// <summary>A list (element types checked per key where it matters).</summary>
    List,
    /// <summary>A worker count: an integer, or a string (<c>auto</c> or an integer literal).</summary>
    Workers,
    /// <summary>An integer or null.</summary>
    IntOrNull,
    /// <summary>A string (often a path) or null.</summary>
    StringOrNull,
}

/// <summary>What happens to a string value outside <see cref="ConfigKeyDef.Choices"/>.</summary>
internal enum ChoiceMode
{
    /// <summary>Rejected at load (README.md, Differences #8).</summary>
    Reject,
    /// <summary>Warned about and replaced by the default (the original's <c>epsf.psfstar_mode</c> rule).</summary>
    WarnAndUseDefault,
}

/// <summary>
/// One leaf key of the configuration: dotted YAML path, accepted type, default, and the
/// value rules checked at load. The table of all keys is <see cref="ConfigSchema"/>.
/// </summary>
internal sealed class ConfigKeyDef
{
    public ConfigKeyDef(string path, ConfigKind kind, object? @default)
    {
        Path = path;
        Kind = kind;
        Default = @default;
        int dot = path.LastIndexOf('.');
        Parent = path[..dot];
        Leaf = path[(dot + 1)..];
    }

    /// <summary>Dotted YAML path, e.g. <c>patch_run.n_opt_iters</c>.</summary>
    public string Path { get; }

    /// <summary>Dotted path of the enclosing mapping, e.g. <c>checks.wcs_tolerance</c>.</summary>
    public string Parent { get; }

    /// <summary>The key's own YAML name, e.g. <c>n_opt_iters</c>.</summary>
    public string Leaf { get; }

    public ConfigKind Kind { get; }

    /// <summary>The default: <c>bool</c>, <c>long</c>, <c>double</c>, <c>string</c>, <c>null</c> or a list.</summary>
    public object? Default { get; }

    /// <summary>Lower bound for numbers (null: none).</summary>
    public double? Min { get; init; }

    /// <summary>True when <see cref="Min"/> itself is not allowed.</summary>
    public bool MinExclusive { get; init; }

    /// <summary>Upper bound for numbers (null: none).</summary>
    public double? Max { get; init; }

    /// <summary>Allowed string values (null: any string).</summary>
    public string[]? Choices { get; init; }

    /// <summary>Compare choices after trimming and lower-casing (otherwise exactly).</summary>
    public bool ChoicesFolded { get; init; }

    public ChoiceMode ChoiceMode { get; init; } = ChoiceMode.Reject;

    /// <summary>An empty or blank string is rejected.</summary>
    public bool NonEmpty { get; init; }

    /// <summary>Number must be finite (rejects .inf and .nan).</summary>
    public bool Finite { get; init; }

    /// <summary>Integer set that is allowed (e.g. {1, 2, 3}); null: any in range.</summary>
    public long[]? IntChoices { get; init; }
}
