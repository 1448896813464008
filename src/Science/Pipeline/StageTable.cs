using Tract7dt.Science.Config;
using Tract7dt.Science.Pipeline.Stages;

namespace Tract7dt.Science.Pipeline;

/// <summary>One row of the stage table (docs/pipeline.md): everything the CLI, the MSBuild
/// tasks and the targets need to know about a stage, in one place.</summary>
/// <param name="Id">The stage; also the name of its MSBuild target and task.</param>
/// <param name="Command">The CLI command that builds this stage and everything it needs, or null when none does.</param>
/// <param name="Title">The original's name for the stage in the <c>run</c> log ("build ePSF").</param>
/// <param name="Component">The logger name of the stage's records.</param>
/// <param name="Algorithm">Name/version hashed into every key of the stage (bumped when its numbers change).</param>
/// <param name="Prerequisites">The stages whose outputs this one reads, directly.</param>
/// <param name="OnlyWithZeroPoint">True for the stages that run only with <c>zp.enabled</c>.</param>
/// <param name="Reads">What the stage reads, for people (docs, <c>--help</c>).</param>
/// <param name="Writes">What the stage writes, for people.</param>
public sealed record StageDefinition(
    StageId Id, string? Command, string Title, string Component, string Algorithm,
    IReadOnlyList<StageId> Prerequisites, bool OnlyWithZeroPoint, string Reads, string Writes)
{
    /// <summary>Whether the stage runs under <paramref name="config"/>; <paramref name="why"/> says why not.</summary>
    public bool AppliesTo(PipelineConfig config, out string why)
    {
        why = OnlyWithZeroPoint && !config.Zp.Enabled ? "zp.enabled is false" : "";
        return why.Length == 0;
    }
}

/// <summary>
/// The stage table: the one description of the pipeline's graph. The CLI's pipeline
/// commands, the MSBuild tasks and <c>build/Tract7dt.targets</c> are all driven from it (a
/// test fails when the targets' dependencies disagree with <see cref="StageDefinition.Prerequisites"/>).
/// A command or target builds its stage's closure: every prerequisite, in table order, then
/// the stage; items already up to date cost only their planning.
/// </summary>
public static class StageTable
{
    /// <summary>The stages in the order a full run builds them. The catalogue comes first:
    /// the patch and ePSF diagnostics follow the zero point, so pictures never delay the numbers.</summary>
    public static readonly IReadOnlyList<StageDefinition> All =
    [
        new(StageId.LoadInputs, null, "load inputs + validation", "tract7dt.pipeline", LoadInputsStage.Algorithm, [], false,
            "config, image_list, the images, the input catalogue",
            "state/frames.json, white stack, state/catalog_flagged.csv, saturated pixels, cropped images, load plots"),
        new(StageId.AugmentGaia, null, "augment catalog with Gaia sources", "tract7dt.zp", AugmentGaiaStage.Algorithm,
            [StageId.LoadInputs], true,
            "LoadInputs' outputs, the GaiaXP synthetic-photometry CSV",
            "ZP/<stem>_with_Gaia.csv, state/catalog_state.json, ZP/gaia_augmentation_overlay.png"),
        new(StageId.BuildEpsf, "run-epsf", "build ePSF", "tract7dt.epsf", BuildEpsfStage.Algorithm,
            [StageId.LoadInputs, StageId.AugmentGaia], false,
            "the images (one window per ePSF cell), the current catalogue, GaiaXP seeds",
            "EPSFs/<band>/<cell>/ (epsf.npy, epsf.fits, meta.json, per-patch models), EPSFs/epsf_summary.json, state/epsf_pictures/"),
        new(StageId.BuildPatches, "build-patches", "build patches", "tract7dt.patches", BuildPatchesStage.Algorithm,
            [StageId.LoadInputs, StageId.AugmentGaia], false,
            "state/frames.json, the current catalogue",
            "patches.csv, patches.json"),
        new(StageId.BuildPatchInputs, "build-patch-inputs", "build patch inputs", "tract7dt.patch_inputs", BuildPatchInputsStage.Algorithm,
            [StageId.LoadInputs, StageId.AugmentGaia, StageId.BuildPatches], false,
            "patches.json, the images (one window per patch), the current catalogue",
            "patch_payloads/<patch>.fits + .csv, patch_payloads/payload_list.json"),
        new(StageId.RunPatches, "run-patches", "run patch subprocesses", "tract7dt.run_patches", RunPatchesStage.Algorithm,
            [StageId.BuildPatchInputs, StageId.BuildEpsf], false,
            "each patch payload, the ePSF files of its cell",
            "outputs/<patch>/ (fit table, meta.json, model.fits, log), run_summary.csv"),
        new(StageId.Merge, "merge", "merge patch catalogs", "tract7dt.merge", MergeStage.Algorithm,
            [StageId.RunPatches], false,
            "the current catalogue, every patch's fit table (with its PSF-over-aperture checks), the ePSF's fallback model errors",
            "state/merged_catalog.csv, outputs/flux_model_error.csv, the final catalogue (without zp.enabled)"),
        new(StageId.ComputeZp, "compute-zp", "compute zero-point calibration", "tract7dt.zp", ComputeZpStage.Algorithm,
            [StageId.Merge], true,
            "state/merged_catalog.csv, the GaiaXP CSV",
            "the final catalogue with MAG columns, ZP/ tables and plots"),
        new(StageId.PatchDiagnostics, "plot-patches", "draw patch diagnostics", "tract7dt.run_patches", PatchDiagnosticsStage.Algorithm,
            [StageId.RunPatches], false,
            "each patch payload, its fit table and model.fits; state/frames.json; plotting.dpi, patch_run.no_cutouts, cutout_*, no_mosaics",
            "outputs/<patch>/patch_overview.png, outputs/<patch>/cutouts/*.png, outputs/mosaics/{model,residual}_<band>.fits"),
        new(StageId.EpsfDiagnostics, "plot-epsf", "draw ePSF diagnostics", "tract7dt.epsf", EpsfDiagnosticsStage.Algorithm,
            [StageId.BuildEpsf], false,
            "state/epsf_pictures/<band>/<cell>.bin (saved by BuildEpsf), each cell's pixels; plotting.dpi, epsf.save_* picture switches",
            "EPSFs/<band>/<cell>/*.png (psfstars, background, epsf, growth curve, residuals, star montages)"),
    ];

    /// <summary>The stages of <c>tract7dt run</c> and of the <c>Tract7dtRun</c> target.</summary>
    public static readonly IReadOnlyList<StageId> RunTargets = [StageId.ComputeZp, StageId.PatchDiagnostics, StageId.EpsfDiagnostics];

    public static StageDefinition Get(StageId id) => All.First(d => d.Id == id);

    /// <summary>The stages <paramref name="targets"/> need, prerequisites first, each once, in table order.</summary>
    public static IReadOnlyList<StageId> Closure(IEnumerable<StageId> targets)
    {
        var need = new HashSet<StageId>();
        void Add(StageId id)
        {
            if (!need.Add(id)) return;
            foreach (var p in Get(id).Prerequisites) Add(p);
        }
        foreach (var t in targets) Add(t);
        return All.Select(d => d.Id).Where(need.Contains).ToList();
    }

    /// <summary>The CLI's pipeline commands with the stages each one targets.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<StageId>> Commands { get; } = BuildCommands();

    private static Dictionary<string, IReadOnlyList<StageId>> BuildCommands()
    {
        var map = new Dictionary<string, IReadOnlyList<StageId>>(StringComparer.Ordinal) { ["run"] = RunTargets };
        foreach (var d in All)
            if (d.Command is not null) map[d.Command] = [d.Id];
        return map;
    }

    /// <summary>The stages a command builds, in order (its targets' closure).</summary>
    /// <exception cref="ArgumentException">Not a pipeline command.</exception>
    public static IReadOnlyList<StageId> ForCommand(string command) =>
        Commands.TryGetValue(command, out var targets) ? Closure(targets)
            : throw new ArgumentException($"not a pipeline command: {command}", nameof(command));
}
