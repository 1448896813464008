using Tract7dt.Science.Config;
using Tract7dt.Science.Errors;

namespace Tract7dt.Cli;

/// <summary>The <c>--config PATH</c> every command that works on a run reads: resolved against the
/// current directory, checked to exist (one coded error that says how to get one), loaded.</summary>
internal static class ConfigArgument
{
    /// <summary>The config's full path and its loaded, validated contents with the load warnings.</summary>
    public static (string Path, PipelineConfig Config, IReadOnlyList<string> Warnings) Load(ParsedArgs args, CliContext context)
    {
        string configPath = System.IO.Path.GetFullPath(args.Get("config")!, context.CurrentDirectory);
        if (!File.Exists(configPath))
            throw new Tract7dtException(ErrorCodes.FileNotFound,
                $"Config file not found: {configPath}. Write a template with 'tract7dt dump-config --out {System.IO.Path.GetFileName(configPath)}' and edit it.");
        var (config, warnings) = ConfigLoader.Load(configPath);
        return (configPath, config, warnings);
    }
}
