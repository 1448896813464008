using System.Reflection;

namespace Tract7dt.Science.Config;

/// <summary>
/// Builds the typed section records from <see cref="ConfigValues"/>. Each YAML key maps to
/// the property with its PascalCase name (<c>n_opt_iters</c> → <c>NOptIters</c>); a key
/// without a property, or a property without a key, is a programming error caught by the
/// first load (and by the tests).
/// </summary>
internal static class ConfigBinder
{
    public static PipelineConfig Bind(ConfigValues v, string configPath, string configDir)
    {
        var cfg = new PipelineConfig
        {
            ConfigPath = configPath,
            ConfigDir = configDir,
            Inputs = Section<InputsConfig>(v, "inputs"),
            Outputs = Section<OutputsConfig>(v, "outputs"),
            ImageScaling = Section<ImageScalingConfig>(v, "image_scaling"),
            Crop = Section<CropConfig>(v, "crop"),
            Checks = Section<ChecksConfig>(v, "checks"),
            SourceSaturationCut = Section<SourceSaturationCutConfig>(v, "source_saturation_cut"),
            Logging = Section<LoggingConfig>(v, "logging"),
            Plotting = Section<PlottingConfig>(v, "plotting"),
            Performance = Section<PerformanceConfig>(v, "performance"),
            Epsf = Section<EpsfConfig>(v, "epsf"),
            Patches = Section<PatchesConfig>(v, "patches"),
            PatchInputs = Section<PatchInputsConfig>(v, "patch_inputs"),
            PatchRun = Section<PatchRunConfig>(v, "patch_run"),
            MoffatPsf = Section<MoffatPsfConfig>(v, "moffat_psf"),
            Merge = Section<MergeConfig>(v, "merge"),
            Zp = Section<ZpConfig>(v, "zp"),
            Cluster = Section<ClusterConfig>(v, "cluster"),
            Values = v,
        };
        // Every top-level section of the schema must be one of the properties set above.
        var sections = typeof(PipelineConfig).GetProperties()
            .Where(p => p.Name.EndsWith("Config", StringComparison.Ordinal) is false && p.PropertyType.Name.EndsWith("Config", StringComparison.Ordinal))
            .Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string m in ConfigSchema.Mappings.Where(m => !m.Contains('.')))
            if (!sections.Contains(Pascal(m)))
                throw new InvalidOperationException($"Config section '{m}' has no property on PipelineConfig.");
        return cfg;
    }

    /// <summary>snake_case → PascalCase: <c>gzip_compresslevel</c> → <c>GzipCompresslevel</c>.</summary>
    internal static string Pascal(string snake) =>
        string.Concat(snake.Split('_', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => char.ToUpperInvariant(p[0]) + p[1..]));

    private static T Section<T>(ConfigValues v, string mapping) => (T)Build(typeof(T), v, mapping);

    private static object Build(Type t, ConfigValues v, string mapping)
    {
        object o = Activator.CreateInstance(t)!;
        var bound = new HashSet<string>(StringComparer.Ordinal);
        foreach (string child in ConfigSchema.ChildrenOf(mapping))
        {
            string path = mapping + "." + child;
            PropertyInfo prop = t.GetProperty(Pascal(child))
                ?? throw new InvalidOperationException($"Config key '{path}' has no property {t.Name}.{Pascal(child)}.");
            object? value = ConfigSchema.IsMapping(path) ? Build(prop.PropertyType, v, path) : Convert(prop.PropertyType, v[path], path);
            prop.SetValue(o, value);
            bound.Add(prop.Name);
        }
        foreach (var p in t.GetProperties())
            if (p.CanWrite && !bound.Contains(p.Name))
                throw new InvalidOperationException($"Property {t.Name}.{p.Name} has no config key under '{mapping}'.");
        return o;
    }

    private static object? Convert(Type target, object? value, string path)
    {
        if (target == typeof(bool)) return (bool)value!;
        if (target == typeof(int)) return checked((int)(long)value!);
        if (target == typeof(int?)) return value is null ? null : checked((int)(long)value);
        if (target == typeof(double)) return (double)value!;
        if (target == typeof(string)) return (string)value!;
        if (target == typeof(WorkerCount)) return (WorkerCount)value!;
        if (target == typeof(IReadOnlyList<object?>)) return value;
        if (target == typeof(IReadOnlyList<double>))
            return ((IReadOnlyList<object?>)value!).Select(e => System.Convert.ToDouble(e, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        if (target == typeof(IReadOnlyList<string>))
            return ((IReadOnlyList<object?>)value!).Select(e => (string)e!).ToArray();
        if (target.IsEnum)
        {
            foreach (var f in target.GetFields(BindingFlags.Public | BindingFlags.Static))
                if (f.GetCustomAttribute<ConfigNameAttribute>()?.Name == (string)value!)
                    return f.GetValue(null);
            throw new InvalidOperationException($"Config key '{path}': value '{value}' has no {target.Name} member.");
        }
        throw new InvalidOperationException($"Config key '{path}': unsupported property type {target}.");
    }
}
