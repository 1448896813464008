using Tract7dt.Science.Errors;

namespace Tract7dt.Cli;

/// <summary>The command table, in the order the help lists them.</summary>
public static class Commands
{
    private static readonly OptionSpec ConfigOption = new("config", "PATH", "the YAML config file", Required: true);

    public static IReadOnlyList<ICommand> All() => new ICommand[]
    {
        new PipelineCommand("run", "full pipeline: load → [Gaia] → ePSF → patches → payloads → fits → merge → [ZP]",
            new[] { ConfigOption }),
        new PipelineCommand("run-epsf", "ePSF only (after loading inputs)", new[] { ConfigOption }),
        new PipelineCommand("build-patches", "patch definitions only", new[] { ConfigOption }),
        new PipelineCommand("build-patch-inputs", "patch definitions + patch payloads", new[] { ConfigOption }),
        new PipelineCommand("run-patches", "fit the existing patch payloads", new[] { ConfigOption }),
        new PipelineCommand("merge", "merge existing patch fits into the final catalog", new[] { ConfigOption }),
        new PipelineCommand("compute-zp", "zero-point calibration of the existing merged catalog", new[] { ConfigOption }),
        new NotYetCommand("dump-config", "write the full commented sample config",
            new OptionSpec[] { new("out", "PATH", "output file (default sample_config.yaml)"), new("force", null, "overwrite an existing file") }),
        new NotYetCommand("simulate", "write a simulated 7DT-like input set with truth (the built-in sample)",
            new OptionSpec[]
            {
                new("out", "DIR", "output folder", Required: true),
                new("preset", "NAME", "tiny | sample | tile (default sample)"),
                new("bands", "LIST", "comma-separated bands, e.g. m400,m425"),
                new("size", "W H", "image size in pixels", Arity: 2),
                new("sources", "N", "number of sources"),
                new("seed", "S", "random seed"),
            }),
        new NotYetCommand("score", "match a final catalog to simulation truth and print the scores",
            new OptionSpec[]
            {
                new("truth", "DIR", "simulation folder with truth.csv", Required: true),
                new("catalog", "PATH", "final catalog (output_catalog.csv)", Required: true),
                new("json", null, "print JSON instead of text"),
            }),
    };
}

/// <summary>A command whose implementation has not landed yet: it says so and exits non-zero.</summary>
internal sealed class NotYetCommand(string name, string summary, IReadOnlyList<OptionSpec> options) : ICommand
{
    public string Name { get; } = name;

    public string Summary { get; } = summary;

    public IReadOnlyList<OptionSpec> Options { get; } = options;

    public int Execute(ParsedArgs args, CliContext context) =>
        throw new Tract7dtException(ErrorCodes.NotBuiltYet,
            $"'tract7dt {Name}' is not built yet in this version; see the README's 'What works today'.");
}
