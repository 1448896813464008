namespace Tract7dt.Cli;

/// <summary>The command table, in the order the help lists them.</summary>
public static class Commands
{
    private static readonly OptionSpec ConfigOption = new("config", "PATH", "the YAML config file", Required: true);

    /// <summary>Overrides <c>cluster.executor</c> for the commands that fit patches.</summary>
    private static readonly OptionSpec ExecutorOption = new("executor", "local|slurm", "where patch fits run (overrides cluster.executor)");

    public static IReadOnlyList<ICommand> All() => new ICommand[]
    {
        new PipelineCommand("run", "full pipeline: load → [Gaia] → ePSF → patches → payloads → fits → merge → [ZP] → pictures",
            new[] { ConfigOption, ExecutorOption }),
        new PipelineCommand("run-epsf", "build the ePSF grid (and what it needs); its pictures: plot-epsf", new[] { ConfigOption }),
        new PipelineCommand("build-patches", "patch definitions (and what they need)", new[] { ConfigOption }),
        new PipelineCommand("build-patch-inputs", "patch payloads (and what they need)", new[] { ConfigOption }),
        new PipelineCommand("run-patches", "fit the patches (and build what the fits need)", new[] { ConfigOption, ExecutorOption }),
        new PipelineCommand("merge", "the merged catalog: fits stale patches first", new[] { ConfigOption, ExecutorOption }),
        new PipelineCommand("compute-zp", "zero points and magnitudes: builds anything stale first", new[] { ConfigOption, ExecutorOption }),
        new PipelineCommand("plot-patches", "draw each fitted patch's overview and source montages", new[] { ConfigOption, ExecutorOption }),
        new PipelineCommand("plot-epsf", "draw each ePSF cell's pictures (stars, background, ePSF, residuals, montages)", new[] { ConfigOption }),
        new InspectCommand(),
        new FitPatchCommand(),
        new DumpConfigCommand(),
        new SimulateCommand(),
        ScoreCommand.Simulated(),
        ScoreCommand.Real(),
        new VerifyCommand(),
    };
}
