namespace Tract7dt.Science.Errors;

/// <summary>
/// The table of error codes. One bucket of codes per module or stage; each module adds
/// its codes in its own partial file (<c>ErrorCodes.&lt;Module&gt;.cs</c>) in this folder,
/// so the whole table stays in one place. A retired code is commented out, never reused.
/// </summary>
/// <remarks>
/// Buckets:
/// T7D000–009 general / CLI,
/// T7D010–029 FITS I/O,
/// T7D030–049 WCS,
/// T7D050–079 config,
/// T7D080–099 catalogs (input catalog, GaiaXP CSV),
/// T7D100–149 LoadInputs and AugmentGaia,
/// T7D200–249 BuildEpsf (background, detection, ePSF),
/// T7D300–349 BuildPatches / BuildPatchInputs,
/// T7D400–449 RunPatches and the fitting core,
/// T7D500–549 Merge,
/// T7D600–649 ComputeZp,
/// T7D700–749 build graph (keys, stamps, tasks),
/// T7D800–849 simulation and scoring,
/// T7D900–949 cluster executors.
/// </remarks>
public static partial class ErrorCodes
{
    /// <summary>An input file named by the user does not exist.</summary>
    public const string FileNotFound = "T7D001";
    /// <summary>A prerequisite output of an earlier stage is missing.</summary>
    public const string MissingPrerequisite = "T7D002";
    /// <summary>Command-line usage error.</summary>
    public const string Usage = "T7D003";
    /// <summary>A command whose stage is not built yet.</summary>
    public const string NotBuiltYet = "T7D004";
    /// <summary>The file system failed a read or write (disk full, permissions): see <see cref="IoFailure"/>.</summary>
    public const string IoFailure = "T7D005";
    /// <summary>An unexpected failure (a defect of ours): one line for the user, the stack trace in a
    /// crash file (<see cref="CrashReport"/>).</summary>
    public const string Internal = "T7D009";
}
