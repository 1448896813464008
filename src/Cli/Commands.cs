namespace Tract7dt.Cli;

/// <summary>The command table, in the order the help lists them.</summary>
public static class Commands
{
    private static readonly OptionSpec ConfigOption = new("config", "PATH", "the YAML config file", Required: true);

    /// <summary>Overrides <c>cluster.executor</c> for the commands that fit patches.</summary>
    private static readonly OptionSpec ExecutorOption = new("executor", "local|slurm", "where patch fits run (overrides cluster.executor)");

    public static IReadOnlyList<ICommand> All() => new ICommand[]
    {
        new PipelineCommand("run", "full pipeline: load → [Gaia] → ePSF → patches → payloads → fits → merge → [ZP]",
            new[] { ConfigOption, ExecutorOption }),
        new PipelineCommand("run-epsf", "ePSF only (after loading inputs)", new[] { ConfigOption }),
        new PipelineCommand("build-patches", "patch definitions only", new[] { ConfigOption }),
        new PipelineCommand("build-patch-inputs", "patch definitions + patch payloads", new[] { ConfigOption }),
        new PipelineCommand("run-patches", "fit the existing patch payloads", new[] { ConfigOption, ExecutorOption }),
        new PipelineCommand("merge", "merge existing patch fits into the final catalog", new[] { ConfigOption }),
        new PipelineCommand("compute-zp", "zero-point calibration of the existing merged catalog", new[] { ConfigOption }),
        new FitPatchCommand(),
        new DumpConfigCommand(),
        new SimulateCommand(),
        new ScoreCommand(),
        new ScoreRealCommand(),
        new VerifyCommand(),
    };
}
