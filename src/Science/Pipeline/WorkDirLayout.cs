using Tract7dt.Science.Config;

namespace Tract7dt.Science.Pipeline;

/// <summary>
/// Where every stage reads and writes (docs/outputs.md §2), from the resolved config. The
/// original's folders keep their names and keys; <see cref="StateDir"/> is ours: the files
/// that carry one stage's results to the next (the original kept them in memory), and the
/// stamps and hash cache of the build graph.
/// </summary>
public sealed class WorkDirLayout
{
    public WorkDirLayout(PipelineConfig config)
    {
        var o = config.Outputs;
        WorkDir = o.WorkDir;
        EpsfDir = o.EpsfDir;
        PatchesDir = o.PatchesDir;
        PatchInputsDir = o.PatchInputsDir;
        TractorOutDir = o.TractorOutDir;
        FinalCatalog = o.FinalCatalog;
        CroppedImagesDir = o.CroppedImagesDir;
        ZpDir = Path.Join(WorkDir, "ZP");
        StateDir = Path.Join(WorkDir, "state");
        InputCatalogStem = Path.GetFileNameWithoutExtension(config.Inputs.InputCatalog);
    }

    public string WorkDir { get; }

    /// <summary><c>outputs.epsf_dir</c>: <c>&lt;band&gt;/&lt;cell&gt;/epsf.npy</c> etc.</summary>
    public string EpsfDir { get; }

    public string PatchesDir { get; }

    public string PatchInputsDir { get; }

    /// <summary><c>outputs.tractor_out_dir</c>: one folder per patch.</summary>
    public string TractorOutDir { get; }

    public string FinalCatalog { get; }

    public string CroppedImagesDir { get; }

    /// <summary><c>{work_dir}/ZP</c> (fixed name): augmented catalog, ZP tables and plots.</summary>
    public string ZpDir { get; }

    /// <summary><c>{work_dir}/state</c>: inter-stage files, stamps and the hash cache.</summary>
    public string StateDir { get; }

    private string InputCatalogStem { get; }

    // --- Stamps ---------------------------------------------------------------------------

    /// <summary>Every stamp of the work dir lives under this folder (docs/pipeline.md §1.5).</summary>
    public string StampsDir => Path.Join(StateDir, "stamps");

    /// <summary>
    /// The stamp of one item: <c>state/stamps/&lt;stage&gt;/&lt;item id&gt;.json</c> (an id with a
    /// <c>/</c>, as <c>m400/r00_c00</c>, makes a subfolder). One scheme for every stage, away from
    /// the products, so a product folder holds only what a user opens and a stamp is found by
    /// the item it belongs to.
    /// </summary>
    public string StampPath(Pipeline.StageId stage, string itemId) => Path.Join(StampsDir, stage.ToString(), itemId + ".json");

    // --- LoadInputs -----------------------------------------------------------------------

    /// <summary>Per-band header values, scales, content hashes and the crop (see <c>FramesManifest</c>).</summary>
    public string FramesManifest => Path.Join(StateDir, "frames.json");

    /// <summary>White stack (primary HDU) and white noise map (extension SIGMA), post-crop, with the WCS.</summary>
    public string WhiteFits => Path.Join(StateDir, "white.fits");

    /// <summary>The input catalog, every row and column as read, plus excluded_crop/_saturation/_any.</summary>
    public string FlaggedCatalog => Path.Join(StateDir, "catalog_flagged.csv");

    /// <summary>Saturated pixels of every band in the post-crop frame (sparse), for AugmentGaia.</summary>
    public string SaturatedPixels => Path.Join(StateDir, "saturated_pixels.bin");

    // --- AugmentGaia ----------------------------------------------------------------------

    /// <summary><c>ZP/{stem(input_catalog)}_with_Gaia.csv</c>.</summary>
    public string AugmentedCatalog => Path.Join(ZpDir, InputCatalogStem + "_with_Gaia.csv");

    /// <summary>Which catalog the later stages read (written by AugmentGaia; see <c>CatalogState</c>).</summary>
    public string CatalogStateFile => Path.Join(StateDir, "catalog_state.json");

    /// <summary>The catalogue the stages after LoadInputs read (<see cref="State.CatalogState.CurrentPath"/>).</summary>
    public string CurrentCatalog(bool zpEnabled) => State.CatalogState.CurrentPath(CatalogStateFile, FlaggedCatalog, WorkDir, zpEnabled);

    // --- BuildEpsf ------------------------------------------------------------------------

    public string EpsfCellDir(string band, string cellTag) => Path.Join(EpsfDir, band, cellTag);

    public string EpsfNpy(string band, string cellTag) => Path.Join(EpsfCellDir(band, cellTag), "epsf.npy");

    /// <summary>The band model at one patch's centre (<c>epsf.psf_field: band</c>), in its cell's folder.</summary>
    public string EpsfPatchNpy(string band, string cellTag, int patchRow, int patchCol) =>
        Path.Join(EpsfCellDir(band, cellTag), $"epsf_pr{patchRow:00}_pc{patchCol:00}.npy");

    /// <summary>The band model on one patch's 3×3 grid of places (nine stamps stacked along the rows; <c>PatchPsfGridFile</c>).</summary>
    public string EpsfPatchGridNpy(string band, string cellTag, int patchRow, int patchCol) =>
        Path.Join(EpsfCellDir(band, cellTag), $"epsf_pr{patchRow:00}_pc{patchCol:00}_grid.npy");

    /// <summary>The ePSF a patch is fitted with: its own model where the ePSF stage wrote one, else its cell's.</summary>
    public string EpsfNpyForPatch(string band, Patches.PatchDefinition def)
    {
        string own = EpsfPatchNpy(band, def.EpsfTag, def.PatchRow, def.PatchCol);
        return File.Exists(own) ? own : EpsfNpy(band, def.EpsfTag);
    }

    /// <summary>The patch's grid of places when the ePSF stage wrote it with the patch's own model, else null.</summary>
    public string? EpsfGridForPatch(string band, Patches.PatchDefinition def)
    {
        string grid = EpsfPatchGridNpy(band, def.EpsfTag, def.PatchRow, def.PatchCol);
        return File.Exists(grid) && File.Exists(EpsfPatchNpy(band, def.EpsfTag, def.PatchRow, def.PatchCol)) ? grid : null;
    }

    public string EpsfMeta(string band, string cellTag) => Path.Join(EpsfCellDir(band, cellTag), "meta.json");

    /// <summary>What one cell's pictures draw (<c>Psf.Stage.EpsfCellPictureData</c>), saved by BuildEpsf for EpsfDiagnostics.</summary>
    public string EpsfPictureData(string band, string cellTag) => Path.Join(StateDir, "epsf_pictures", band, cellTag + ".bin");

    // --- Patches --------------------------------------------------------------------------

    public string PatchesCsv => Path.Join(PatchesDir, "patches.csv");

    public string PatchesJson => Path.Join(PatchesDir, "patches.json");

    /// <summary>The payloads of the current patch list, in patch order (written by BuildPatchInputs,
    /// read by RunPatches, so a payload left by another geometry or catalog is never fitted).</summary>
    public string PayloadList => Path.Join(StateDir, "patch_payloads.json");

    public string PatchOutDir(string patchTag) => Path.Join(TractorOutDir, patchTag);

    public string PatchFitCsv(string patchTag) => Path.Join(PatchOutDir(patchTag), patchTag + "_cat_fit.csv");

    public string RunSummaryCsv => Path.Join(TractorOutDir, "run_summary.csv");

    /// <summary>Per-band model and residual images of the whole field (<see cref="Diagnostics.FieldMosaic"/>).</summary>
    public string MosaicsDir => Path.Join(TractorOutDir, "mosaics");

    /// <summary>The persistent content-hash cache of the build graph.</summary>
    public string HashCache => Path.Join(StateDir, "hashcache.tsv");
}
