using System.Globalization;
using Tract7dt.Science.Config;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Pipeline;
using Tract7dt.Science.Simulation;

namespace Tract7dt.Cli;

/// <summary><c>tract7dt dump-config [--out PATH] [--force]</c>: writes the commented template of every key.</summary>
internal sealed class DumpConfigCommand : ICommand
{
    public string Name => "dump-config";

    public string Summary => "write the full commented sample config (every key with its default)";

    public IReadOnlyList<OptionSpec> Options { get; } = new OptionSpec[]
    {
        new("out", "PATH", "output file (default sample_config.yaml)"),
        new("force", null, "overwrite an existing file"),
    };

    public int Execute(ParsedArgs args, CliContext context)
    {
        string outPath = PathResolution.Resolve(args.Get("out") ?? "sample_config.yaml", context.CurrentDirectory);
        string written = ConfigTemplate.Write(outPath, args.Has("force"));
        context.Logger("tract7dt.cli").Info($"Wrote sample config: {written}");
        return 0;
    }
}

/// <summary><c>tract7dt simulate</c>: the built-in sample tile with truth.</summary>
internal sealed class SimulateCommand : ICommand
{
    public string Name => "simulate";

    public string Summary => "write a simulated 7DT-like input set with truth (the built-in sample)";

    public IReadOnlyList<OptionSpec> Options { get; } = new OptionSpec[]
    {
        new("out", "DIR", "output folder", Required: true),
        new("preset", "NAME", "tiny | sample | tile | hard (default sample)"),
        new("bands", "LIST", "comma-separated bands, e.g. m400,m425"),
        new("size", "W H", "image size in pixels", Arity: 2),
        new("sources", "N", "number of sources"),
        new("seed", "S", "random seed"),
        new("force", null, "overwrite a simulated set already in --out"),
    };

    public int Execute(ParsedArgs args, CliContext context)
    {
        var preset = (args.Get("preset") ?? "sample").Trim().ToLowerInvariant() switch
        {
            "tiny" => SimulationPreset.Tiny,
            "sample" => SimulationPreset.Sample,
            "tile" => SimulationPreset.Tile,
            "hard" => SimulationPreset.Hard,
            var p => throw new UsageException($"--preset must be tiny, sample, tile or hard, got '{p}'"),
        };
        int? width = null, height = null;
        if (args.Has("size"))
        {
            var s = args.GetAll("size");
            width = ParseInt("size", s[0]);
            height = ParseInt("size", s[1]);
        }
        var options = new SimulationOptions(
            Path.GetFullPath(args.Get("out")!, context.CurrentDirectory), preset,
            args.Get("bands")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            width, height,
            args.Has("sources") ? ParseInt("sources", args.Get("sources")!) : null,
            args.Has("seed") ? ParseSeed(args.Get("seed")!) : 7);
        // A set in --out is somebody's inputs (perhaps edited, perhaps with a run in its work dir).
        string existing = Path.Join(options.OutDir, "config.yaml");
        if (File.Exists(existing) && !args.Has("force"))
            throw new UsageException($"{options.OutDir} already holds an input set ({existing}); pass --force to overwrite it, or choose another --out");
        var log = context.Logger("tract7dt.simulate");
        Simulator.Run(options, new Tract7dt.Science.Logging.SyncProgress<string>(log.Info));
        log.Info($"Simulated input set ready: {options.OutDir} (run it with: tract7dt run --config {Path.Join(options.OutDir, "config.yaml")})");
        return 0;
    }

    private static ulong ParseSeed(string text) =>
        ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong v)
            ? v
            : throw new UsageException($"--seed expects a non-negative integer, got '{text}'");

    private static int ParseInt(string option, string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0
            ? v
            : throw new UsageException($"--{option} expects positive integers, got '{text}'");
}

/// <summary>
/// <c>tract7dt score</c> (a final catalog against simulation truth) and <c>tract7dt score-real</c>
/// (a final catalog of a real image set against its aperture truth): one command shape, two scorers.
/// </summary>
internal sealed class ScoreCommand(string name, string summary, string truthHelp, Func<string, string, bool, string> score) : ICommand
{
    /// <summary><c>score</c>: matches a final catalog to simulation truth.</summary>
    public static ScoreCommand Simulated() => new("score", "match a final catalog to simulation truth and print the scores",
        "simulation folder with truth.csv", (truth, catalog, json) =>
        {
            var r = Scorer.Score(truth, catalog);
            return json ? r.ToJson() + "\n" : r.ToText();
        });

    /// <summary><c>score-real</c>: compares a final catalog of a real image set with its aperture truth.</summary>
    public static ScoreCommand Real() => new("score-real",
        "compare a final catalog of a real image set with its aperture truth (truth_stars.csv)",
        "folder with truth_stars.csv", (truth, catalog, json) =>
        {
            var r = RealSetScorer.Score(truth, catalog);
            return json ? r.ToJson() + "\n" : r.ToText();
        });

    public string Name => name;

    public string Summary => summary;

    public IReadOnlyList<OptionSpec> Options { get; } = new OptionSpec[]
    {
        new("truth", "DIR", truthHelp, Required: true),
        new("catalog", "PATH", "final catalog (output_catalog.csv)", Required: true),
        new("json", null, "print JSON instead of text"),
    };

    public int Execute(ParsedArgs args, CliContext context)
    {
        context.Out.Write(score(Path.GetFullPath(args.Get("truth")!, context.CurrentDirectory),
            Path.GetFullPath(args.Get("catalog")!, context.CurrentDirectory), args.Has("json")));
        return 0;
    }
}

/// <summary>
/// <c>tract7dt verify</c>: rehashes every output and cached input of the config's work dir from
/// its bytes (what a file's size and date cannot show); damaged items lose their stamps so the
/// next run rebuilds them. Exit 0 when everything matched, 1 when something was found.
/// </summary>
internal sealed class VerifyCommand : ICommand
{
    public string Name => "verify";

    public string Summary => "rehash every output and input of the work dir; what changed unseen is rebuilt by the next run";

    public IReadOnlyList<OptionSpec> Options { get; } = new OptionSpec[]
    {
        new("config", "PATH", "the YAML config file", Required: true),
    };

    public int Execute(ParsedArgs args, CliContext context)
    {
        var (configPath, config, _) = ConfigArgument.Load(args, context);
        var layout = new WorkDirLayout(config);
        var log = context.Logger("tract7dt.verify");
        if (!Directory.Exists(layout.WorkDir))
        {
            context.Out.WriteLine($"verify: no work dir at {layout.WorkDir}; nothing to check.");
            return 0;
        }
        using var workDirLock = WorkDirLock.Acquire(layout, "tract7dt verify");
        var r = WorkDirVerifier.Verify(layout, log);
        context.Out.WriteLine(r.Clean
            ? $"verify: {r.Outputs} outputs of {r.Stamps} items and every cached input match their hashes."
            : $"verify: {r.DamagedOutputs.Count} damaged output(s) and {r.ChangedFiles.Count} file(s) changed in place " +
              $"(of {r.Outputs} outputs of {r.Stamps} items); run the pipeline again to rebuild what they affect.");
        return r.Clean ? 0 : 1;
    }
}

/// <summary>
/// <c>tract7dt inspect --config C --id ID [--out PNG]</c>: one fitted source's data, model and
/// residual in every band (docs/outputs.md §9.7), and its fluxes, from the files a run left.
/// </summary>
internal sealed class InspectCommand : ICommand
{
    public string Name => "inspect";

    public string Summary => "draw one source's data / model / residual in every band and print its fit";

    public IReadOnlyList<OptionSpec> Options { get; } = new OptionSpec[]
    {
        new("config", "PATH", "the YAML config file of the run", Required: true),
        new("id", "ID", "the source's ID in the final catalogue", Required: true),
        new("out", "PNG", "where to write the picture (default <work_dir>/inspect/src_<ID>.png)"),
    };

    public int Execute(ParsedArgs args, CliContext context)
    {
        var (configPath, config, _) = ConfigArgument.Load(args, context);
        var layout = new WorkDirLayout(config);
        string id = args.Get("id")!;
        string picture = args.Get("out") is { } o ? Path.GetFullPath(o, context.CurrentDirectory)
            : Path.Join(layout.WorkDir, "inspect", Science.Diagnostics.SourceMontage.FileName(id, 0));
        var settings = Science.Patches.PatchDiagnosticsSettings.From(config);
        var r = Science.Diagnostics.SourceInspector.Inspect(layout.FinalCatalog,
            tag => new(Science.Patches.PatchPayload.FitsPath(layout.PatchInputsDir, tag), layout.PatchFitCsv(tag),
                Science.Patches.PatchModelImages.PathIn(layout.PatchOutDir(tag))),
            settings, id, picture);
        foreach (string line in r.Lines) context.Out.WriteLine(line);
        return 0;
    }
}
