using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Config;

/// <summary>
/// Loads a tract7dt YAML config (docs/config.md §2–§4): parse with YAML 1.1 scalar rules, warn
/// about unknown keys, deep-merge over the defaults, check types and values, resolve paths,
/// and bind the typed <see cref="PipelineConfig"/>.
/// </summary>
/// <remarks>
/// Differences from the original, on purpose: an unknown key is a warning (with a "did you
/// mean"), not an error; invalid choices and clearly impossible numbers are rejected here
/// instead of failing every patch later (README.md, Differences #8); a section left empty
/// (<c>crop:</c> with every child commented out) means "all defaults" with a warning;
/// <c>inputs.gaiaxp_synphot_csv: null</c> is accepted and means "no GaiaXP file".
/// </remarks>
public static partial class ConfigLoader
{
    /// <summary>
    /// Load the config at <paramref name="path"/> (<c>~</c> expanded, relative to the current
    /// directory). Returns the configuration and the warnings for the caller to log.
    /// Throws <see cref="Tract7dtException"/> with a T7D05x code on the first problem.
    /// </summary>
    public static (PipelineConfig Config, IReadOnlyList<string> Warnings) Load(string path)
    {
        string full = PathResolution.Canonicalize(PathResolution.ExpandHome(path));
        if (!File.Exists(full))
            throw new Tract7dtException(ErrorCodes.ConfigNotFound,
                $"Config not found: {full}. Pass an existing YAML file with --config, or write a template " +
                "with 'tract7dt dump-config --out <path>'.");
        string text;
        try
        {
            text = File.ReadAllText(full, new UTF8Encoding(false, true));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            throw new Tract7dtException(ErrorCodes.ConfigIo,
                $"Cannot read config file {full}: {e.Message} Check that it is a readable UTF-8 text file.", e);
        }
        return LoadText(text, full);
    }

    /// <summary>
    /// Load config text as if it were the file <paramref name="configPath"/> (an absolute
    /// path: its folder is the base of relative input paths; the file need not exist).
    /// </summary>
    public static (PipelineConfig Config, IReadOnlyList<string> Warnings) LoadText(string text, string configPath)
    {
        var warnings = new List<string>();
        string configDir = Path.GetDirectoryName(configPath) ?? Directory.GetCurrentDirectory();
        object? root = YamlTree.Parse(text, configPath);
        YamlMap user = root switch
        {
            YamlMap m => m,
            null or false or 0L or "" => new YamlMap(),
            _ => throw new Tract7dtException(ErrorCodes.ConfigRootNotMapping,
                $"Config root must be a mapping (YAML dict) in {configPath}, but the document is {Describe(root)}. " +
                "Write the sections as 'inputs:', 'outputs:', … at the start of a line."),
        };

        var ctx = new Context(configPath, warnings);
        CollectUnknown(user, "", ctx);
        var values = MergeAndCheckTypes(user, ctx);
        CheckValues(values, ctx);
        ResolvePaths(values, configDir);
        var cv = new ConfigValues(values);
        return (ConfigBinder.Bind(cv, configPath, configDir), warnings);
    }

    private sealed record Context(string File, List<string> Warnings)
    {
        /// <summary>Line of each user key, by dotted path.</summary>
        public Dictionary<string, int> Lines { get; } = new(StringComparer.Ordinal);

        public string Where(string path) =>
            Lines.TryGetValue(path, out int l) && l > 0 ? $" (line {l} of {File})" : $" (in {File})";

        /// <summary>The line of a user key, 0 when the key is not in the file.</summary>
        public int LineOf(string path) => Lines.TryGetValue(path, out int l) ? l : 0;
    }

    // ---- 1. unknown keys (warnings) ---------------------------------------------------------

    private static void CollectUnknown(YamlMap map, string prefix, Context ctx)
    {
        // PyYAML keeps the last of a repeated key, and so do we (an existing config must run
        // unchanged), but never silently: a repeated section drops every key of the earlier block.
        foreach (var (key, earlier, line) in map.Repeats)
        {
            string path = prefix.Length == 0 ? key : prefix + "." + key;
            ctx.Warnings.Add(ConfigSchema.IsMapping(path)
                ? $"Config section '{path}' appears twice (lines {earlier} and {line} of {ctx.File}): the later block replaces the earlier one, whose keys are ignored. Merge the two blocks."
                : $"Config key '{path}' appears twice (lines {earlier} and {line} of {ctx.File}): the later value is used. Remove one.");
        }
        foreach (string key in map.Keys)
        {
            string path = prefix.Length == 0 ? key : prefix + "." + key;
            ctx.Lines[path] = map.LineOf(key);
            object? v = map[key];
            if (ConfigSchema.IsMapping(path))
            {
                if (v is YamlMap sub) CollectUnknown(sub, path, ctx);
                else if (v is null)
                    ctx.Warnings.Add($"Config section '{path}'{ctx.Where(path)} is empty (null); using its defaults.");
                continue;
            }
            if (ConfigSchema.Find(path) is not null) continue;
            string? hint = EditDistance.Suggest(path, ConfigSchema.Keys.Select(k => k.Path).Concat(ConfigSchema.Mappings));
            ctx.Warnings.Add(hint is null
                ? $"Unknown config key '{path}' (ignored){ctx.Where(path)}."
                : $"Unknown config key '{path}' (ignored); did you mean '{hint}'?{ctx.Where(path)}");
        }
    }

    // ---- 2. merge over defaults + types ------------------------------------------------------

    private static Dictionary<string, object?> MergeAndCheckTypes(YamlMap user, Context ctx)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var def in ConfigSchema.Keys)
        {
            YamlMap? parent = FindUserMapping(user, def.Parent, ctx);
            if (parent is not null && parent.TryGetValue(def.Leaf, out object? raw))
                values[def.Path] = CheckType(def, raw, ctx);
            else
                values[def.Path] = CloneDefault(def);
        }
        return values;
    }

    /// <summary>The user's mapping at a dotted path, null when absent; a non-mapping is an error.</summary>
    private static YamlMap? FindUserMapping(YamlMap root, string mappingPath, Context ctx)
    {
        YamlMap current = root;
        string prefix = "";
        foreach (string part in mappingPath.Split('.'))
        {
            prefix = prefix.Length == 0 ? part : prefix + "." + part;
            if (!current.TryGetValue(part, out object? v) || v is null) return null;
            if (v is not YamlMap m)
                throw new Tract7dtException(ErrorCodes.ConfigWrongType,
                    $"Config key '{prefix}'{ctx.Where(prefix)} must be a mapping (YAML dict), got {Describe(v)}. " +
                    $"Write '{part}:' on its own line with its keys indented below it.").At(ctx.File, ctx.LineOf(prefix));
            current = m;
        }
        return current;
    }

    private static object? CloneDefault(ConfigKeyDef def) => def.Default switch
    {
        List<object?> l => new List<object?>(l).AsReadOnly(),
        string s when def.Kind == ConfigKind.Workers => ParseWorkers(def, s, null!),
        var v => v,
    };

    private static object? CheckType(ConfigKeyDef def, object? raw, Context ctx)
    {
        switch (def.Kind)
        {
            case ConfigKind.Bool:
                if (raw is bool) return raw;
                throw TypeError(def, raw, "a boolean (true/false, yes/no, on/off)", ctx);
            case ConfigKind.Int:
                if (raw is long) return raw;
                throw TypeError(def, raw, "an integer", ctx);
            case ConfigKind.Float:
                if (raw is long l) return (double)l;
                if (raw is double) return raw;
                throw TypeError(def, raw, "a number", ctx);
            case ConfigKind.String:
                if (raw is string) return raw;
                throw TypeError(def, raw, "a string", ctx);
            case ConfigKind.List:
                if (raw is List<object?> list) return list.AsReadOnly();
                throw TypeError(def, raw, "a list, e.g. [a, b]", ctx);
            case ConfigKind.Workers:
                if (raw is long or string) return ParseWorkers(def, raw, ctx);
                throw TypeError(def, raw, "one of: int, str (\"auto\" or an integer)", ctx);
            case ConfigKind.IntOrNull:
                if (raw is null or long) return raw;
                throw TypeError(def, raw, "one of: int, null", ctx);
            case ConfigKind.StringOrNull:
                if (raw is null or string) return raw;
                throw TypeError(def, raw, "one of: str, null", ctx);
            default:
                throw new InvalidOperationException(def.Kind.ToString());
        }
    }

    private static WorkerCount ParseWorkers(ConfigKeyDef def, object? raw, Context ctx)
    {
        if (raw is long l) return new WorkerCount(ToInt(def, l, ctx));
        string s = ((string)raw!).Trim();
        if (s.Equals("auto", StringComparison.OrdinalIgnoreCase)) return WorkerCount.Auto;
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
            return new WorkerCount(ToInt(def, n, ctx));
        throw new Tract7dtException(ErrorCodes.ConfigInvalidChoice,
            $"Config key '{def.Path}'{ctx.Where(def.Path)} must be 'auto' or an integer, got: '{raw}'.").At(ctx.File, ctx.LineOf(def.Path));
    }

    private static int ToInt(ConfigKeyDef def, long v, Context ctx) =>
        v is >= int.MinValue and <= int.MaxValue
            ? (int)v
            : throw new Tract7dtException(ErrorCodes.ConfigOutOfRange,
                $"Config key '{def.Path}'{ctx.Where(def.Path)} = {v} is too large for a 32-bit integer.").At(ctx.File, ctx.LineOf(def.Path));

    private static Tract7dtException TypeError(ConfigKeyDef def, object? raw, string expected, Context ctx)
    {
        string hint = "";
        if (def.Kind == ConfigKind.Float && raw is string s && ExponentWithoutDot().IsMatch(s.Trim()))
            hint = $" YAML 1.1 reads '{s}' as a string because it has no decimal point; write it as " +
                   $"'{ExponentFix(s.Trim())}'.";
        else if (raw is string q && def.Kind is ConfigKind.Int or ConfigKind.Float or ConfigKind.IntOrNull &&
                 double.TryParse(q, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            hint = " Remove the quotes around the number.";
        else if (def.Kind == ConfigKind.Int && raw is double)
            hint = " Write a whole number without a decimal point.";
        else if (raw is null)
            hint = " Give a value after the colon, or delete the line to use the default.";
        return new Tract7dtException(ErrorCodes.ConfigWrongType,
            $"Config key '{def.Path}'{ctx.Where(def.Path)} must be {expected}, got {Describe(raw)}." + hint +
            $" Default: {ConfigValues.Format(def.Kind == ConfigKind.Workers ? def.Default : def.Default)}.").At(ctx.File, ctx.LineOf(def.Path));
    }

    [GeneratedRegex(@"^[-+]?[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+$")]
    private static partial Regex ExponentWithoutDot();

    /// <summary>Rewrite e.g. 1e-6 as 1.0e-6 and 1.0e6 as 1.0e+6 (a form YAML 1.1 reads as a float).</summary>
    private static string ExponentFix(string s)
    {
        int e = s.IndexOfAny(['e', 'E']);
        string mant = s[..e];
        string exp = s[(e + 1)..];
        if (!mant.Contains('.')) mant += ".0";
        if (exp[0] is not ('+' or '-')) exp = "+" + exp;
        return mant + "e" + exp;
    }

    internal static string Describe(object? v) => v switch
    {
        null => "null",
        bool b => $"the boolean {(b ? "true" : "false")}",
        long l => $"the integer {l.ToString(CultureInfo.InvariantCulture)}",
        double d => $"the float {Catalog.FloatText.Repr(d)}",
        string s => $"the string \"{s}\"",
        YamlMap => "a mapping",
        List<object?> => "a list",
        _ => v.GetType().Name,
    };

    // ---- 3. values: choices and ranges -------------------------------------------------------

    private static void CheckValues(Dictionary<string, object?> values, Context ctx)
    {
        foreach (var def in ConfigSchema.Keys)
        {
            object? v = values[def.Path];
            switch (v)
            {
                case string s:
                    values[def.Path] = CheckString(def, s, ctx);
                    break;
                case long l:
                    CheckNumber(def, l, ctx);
                    if (def.IntChoices is { } ic && Array.IndexOf(ic, l) < 0)
                        throw new Tract7dtException(ErrorCodes.ConfigInvalidChoice,
                            $"Config key '{def.Path}'{ctx.Where(def.Path)} = {l} is not allowed; allowed values: " +
                            string.Join(", ", ic) + ".").At(ctx.File, ctx.LineOf(def.Path));
                    ToInt(def, l, ctx);
                    break;
                case double d:
                    CheckNumber(def, d, ctx);
                    break;
            }
        }
        CheckCrossKey(values, ctx);
    }

    private static string CheckString(ConfigKeyDef def, string s, Context ctx)
    {
        if (def.NonEmpty && s.Trim().Length == 0)
            throw new Tract7dtException(ErrorCodes.ConfigOutOfRange,
                $"Config key '{def.Path}'{ctx.Where(def.Path)} must not be empty. Give a value or delete the " +
                $"line to use the default {ConfigValues.Format(def.Default)}.").At(ctx.File, ctx.LineOf(def.Path));
        if (def.Choices is null) return s;
        string probe = def.ChoicesFolded ? s.Trim().ToLowerInvariant() : s;
        foreach (string c in def.Choices)
        {
            string cc = def.ChoicesFolded ? c.ToLowerInvariant() : c;
            if (probe == cc)
                return def.Path == "logging.level" ? NormaliseLevel(c) : cc;
        }
        string allowed = string.Join(", ", def.Choices);
        if (def.ChoiceMode == ChoiceMode.WarnAndUseDefault)
        {
            ctx.Warnings.Add($"Config key '{def.Path}'{ctx.Where(def.Path)}: '{s}' is not one of {allowed}; " +
                             $"using '{def.Default}'.");
            return (string)def.Default!;
        }
        string caseNote = def.ChoicesFolded ? " (case-insensitive)" : " (exactly, lower case)";
        throw new Tract7dtException(ErrorCodes.ConfigInvalidChoice,
            $"Config key '{def.Path}'{ctx.Where(def.Path)} = '{s}' is not allowed; allowed values{caseNote}: {allowed}.").At(ctx.File, ctx.LineOf(def.Path));
    }

    private static string NormaliseLevel(string level) => level switch
    {
        "WARN" => "WARNING",
        "FATAL" => "CRITICAL",
        _ => level,
    };

    private static void CheckNumber(ConfigKeyDef def, double v, Context ctx)
    {
        if (def.Finite && !double.IsFinite(v))
            throw new Tract7dtException(ErrorCodes.ConfigOutOfRange,
                $"Config key '{def.Path}'{ctx.Where(def.Path)} = {Show(v)} must be a finite number.").At(ctx.File, ctx.LineOf(def.Path));
        bool ok = true;
        if (def.Min is double lo) ok &= def.MinExclusive ? v > lo : v >= lo;
        if (def.Max is double hi) ok &= v <= hi;
        if (ok) return;
        string range = (def.Min, def.Max) switch
        {
            (double a, double b) => $"between {Show(a)} and {Show(b)}",
            (double a, null) => (def.MinExclusive ? "> " : ">= ") + Show(a),
            (null, double b) => "<= " + Show(b),
            _ => "",
        };
        throw new Tract7dtException(ErrorCodes.ConfigOutOfRange,
            $"Config key '{def.Path}'{ctx.Where(def.Path)} = {Show(v)} is out of range: it must be {range}. " +
            $"Default: {ConfigValues.Format(def.Default)}.").At(ctx.File, ctx.LineOf(def.Path));
    }

    private static string Show(double v) =>
        v == Math.Floor(v) && Math.Abs(v) < 1e15 ? ((long)v).ToString(CultureInfo.InvariantCulture) : Catalog.FloatText.Repr(v);

    private static readonly string[] s_logFields =
    [
        "asctime", "name", "levelname", "message", "levelno", "module", "funcName", "lineno", "process",
        "thread", "threadName", "msecs", "relativeCreated", "filename", "pathname",
    ];

    [GeneratedRegex(@"%\((?<name>[^)]*)\)[-#0 +]*[0-9]*(?:\.[0-9]+)?[sdifFeEgGrx]")]
    private static partial Regex LogPlaceholder();

    [GeneratedRegex(@"^(?:\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d{1,2}|\d+-\d{1,2}:\d{1,2}|\d+-\d{1,2}:\d{1,2}:\d{1,2}|UNLIMITED|INFINITE)$")]
    private static partial Regex SlurmTime();

    [GeneratedRegex(@"^[0-9]+[KMGT]?$")]
    private static partial Regex SlurmMemory();

    private static void CheckCrossKey(Dictionary<string, object?> v, Context ctx)
    {
        // epsf.q_range: two numbers lo <= hi (only elements 0 and 1 are used).
        var q = (IReadOnlyList<object?>)v["epsf.q_range"]!;
        if (q.Count < 2 || q[0] is not (long or double) || q[1] is not (long or double))
            throw new Tract7dtException(ErrorCodes.ConfigWrongType,
                $"Config key 'epsf.q_range'{ctx.Where("epsf.q_range")} must be a list of two numbers [lo, hi], " +
                $"got {ConfigValues.Format(q)}. Default: [0.7, 1.3].").At(ctx.File, ctx.LineOf("epsf.q_range"));
        double qlo = Convert.ToDouble(q[0], CultureInfo.InvariantCulture);
        double qhi = Convert.ToDouble(q[1], CultureInfo.InvariantCulture);
        if (!(qlo <= qhi))
            throw new Tract7dtException(ErrorCodes.ConfigOutOfRange,
                $"Config key 'epsf.q_range'{ctx.Where("epsf.q_range")} = {ConfigValues.Format(q)} must have lo <= hi.").At(ctx.File, ctx.LineOf("epsf.q_range"));
        var qList = new List<object?>(q.Count) { qlo, qhi };
        for (int i = 2; i < q.Count; i++) qList.Add(q[i]);
        v["epsf.q_range"] = qList.AsReadOnly();

        Ordered(v, "epsf.gaia_mag_min", "epsf.gaia_mag_max", ctx);
        Ordered(v, "epsf.gaia_forced_rmin_pix", "epsf.gaia_forced_rmax_pix", ctx);
        Ordered(v, "zp.gaia_mag_min", "zp.gaia_mag_max", ctx);

        if ((long)v["epsf.recenter_boxsize"]! % 2 == 0)
            throw new Tract7dtException(ErrorCodes.ConfigOutOfRange,
                $"Config key 'epsf.recenter_boxsize'{ctx.Where("epsf.recenter_boxsize")} = {v["epsf.recenter_boxsize"]} " +
                "must be odd (the recentring box has a centre pixel). Default: 9.").At(ctx.File, ctx.LineOf("epsf.recenter_boxsize"));

        // A worker count below 1 is a typo, not a wish for one worker: say so rather than run on one.
        foreach (string key in new[] { "performance.frame_prep_workers", "performance.white_stack_workers" })
            if (v[key] is WorkerCount { Explicit: < 1 } pw)
                throw new Tract7dtException(ErrorCodes.ConfigOutOfRange,
                    $"Config key '{key}'{ctx.Where(key)} = {pw.Explicit} must be >= 1 or \"auto\" (the default).").At(ctx.File, ctx.LineOf(key));

        if ((bool)v["epsf.parallel_bands"]! && v["epsf.max_workers"] is WorkerCount { Explicit: < 1 } w)
            throw new Tract7dtException(ErrorCodes.ConfigOutOfRange,
                $"Config key 'epsf.max_workers'{ctx.Where("epsf.max_workers")} = {w.Explicit} must be >= 1 or \"auto\" " +
                "when epsf.parallel_bands is true.").At(ctx.File, ctx.LineOf("epsf.max_workers"));

        string fmt = (string)v["logging.format"]!;
        var fields = LogPlaceholder().Matches(fmt).Select(m => m.Groups["name"].Value).ToList();
        if (fields.Count == 0)
            throw new Tract7dtException(ErrorCodes.ConfigOutOfRange,
                $"Config key 'logging.format'{ctx.Where("logging.format")} = \"{fmt}\" has no %(field)s placeholder; " +
                "use e.g. \"%(asctime)s | %(name)s | %(levelname)s | %(message)s\".").At(ctx.File, ctx.LineOf("logging.format"));
        foreach (string f in fields)
            if (Array.IndexOf(s_logFields, f) < 0)
                throw new Tract7dtException(ErrorCodes.ConfigInvalidChoice,
                    $"Config key 'logging.format'{ctx.Where("logging.format")} uses the unknown field %({f})s; " +
                    $"allowed fields: {string.Join(", ", s_logFields)}.").At(ctx.File, ctx.LineOf("logging.format"));

        string time = ((string)v["cluster.time_limit"]!).Trim();
        if (!SlurmTime().IsMatch(time))
            throw new Tract7dtException(ErrorCodes.ConfigInvalidChoice,
                $"Config key 'cluster.time_limit'{ctx.Where("cluster.time_limit")} = \"{time}\" is not a Slurm time; " +
                "use MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (e.g. \"00:30:00\").").At(ctx.File, ctx.LineOf("cluster.time_limit"));
        string mem = ((string)v["cluster.mem_per_task"]!).Trim();
        if (!SlurmMemory().IsMatch(mem))
            throw new Tract7dtException(ErrorCodes.ConfigInvalidChoice,
                $"Config key 'cluster.mem_per_task'{ctx.Where("cluster.mem_per_task")} = \"{mem}\" is not a Slurm " +
                "memory size; use an integer with an optional unit K, M, G or T (e.g. \"4G\", \"4000M\").").At(ctx.File, ctx.LineOf("cluster.mem_per_task"));
        foreach (object? a in (IReadOnlyList<object?>)v["cluster.extra_sbatch_args"]!)
            if (a is not string)
                throw new Tract7dtException(ErrorCodes.ConfigWrongType,
                    $"Config key 'cluster.extra_sbatch_args'{ctx.Where("cluster.extra_sbatch_args")} must be a list of " +
                    $"strings, got the element {ConfigValues.Format(a)}. Quote each argument, e.g. [\"--qos=short\"].").At(ctx.File, ctx.LineOf("cluster.extra_sbatch_args"));
    }

    private static void Ordered(Dictionary<string, object?> v, string lo, string hi, Context ctx)
    {
        double a = (double)v[lo]!, b = (double)v[hi]!;
        if (!(a <= b))
            throw new Tract7dtException(ErrorCodes.ConfigOutOfRange,
                $"Config key '{hi}'{ctx.Where(hi)} = {Show(b)} must be >= '{lo}' = {Show(a)}.").At(ctx.File, ctx.LineOf(hi));
    }

    // ---- 4. paths -------------------------------------------------------------------------

    private static void ResolvePaths(Dictionary<string, object?> v, string configDir)
    {
        foreach (string k in (string[])["inputs.input_catalog", "inputs.image_list_file", "inputs.gaiaxp_synphot_csv"])
            if (v[k] is string s) v[k] = PathResolution.Resolve(s, configDir);
        string workDir = PathResolution.Resolve((string)v["outputs.work_dir"]!, configDir);
        v["outputs.work_dir"] = workDir;
        foreach (string k in (string[])["outputs.epsf_dir", "outputs.patches_dir", "outputs.patch_inputs_dir",
                                        "outputs.tractor_out_dir", "outputs.final_catalog", "outputs.cropped_images_dir"])
            v[k] = PathResolution.Resolve((string)v[k]!, workDir);
        foreach (string k in (string[])["merge.wcs_fits", "moffat_psf.module_path"])
            if (v[k] is string { Length: > 0 } s) v[k] = PathResolution.Resolve(s, configDir);
        if (v["logging.file"] is string f && !f.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase))
            v["logging.file"] = PathResolution.Resolve(f, workDir);
    }
}
