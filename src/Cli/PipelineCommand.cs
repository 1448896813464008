using Tract7dt.Science.Errors;

namespace Tract7dt.Cli;

/// <summary>
/// A pipeline command (<c>run</c>, <c>run-epsf</c>, …): loads and validates the config,
/// configures logging from <c>logging.*</c>, creates the work dir, saves the config
/// snapshot, then runs its stages.
/// </summary>
internal sealed class PipelineCommand(string name, string summary, IReadOnlyList<OptionSpec> options) : ICommand
{
    public string Name { get; } = name;

    public string Summary { get; } = summary;

    public IReadOnlyList<OptionSpec> Options { get; } = options;

    public int Execute(ParsedArgs args, CliContext context)
    {
        string configPath = Path.GetFullPath(args.Get("config")!, context.CurrentDirectory);
        if (!File.Exists(configPath))
            throw new Tract7dtException(ErrorCodes.FileNotFound,
                $"Config file not found: {configPath}. Write a template with 'tract7dt dump-config --out {Path.GetFileName(configPath)}' and edit it.");
        throw new Tract7dtException(ErrorCodes.NotBuiltYet,
            $"'tract7dt {Name}' is not built yet in this version; see the README's 'What works today'.");
    }
}
