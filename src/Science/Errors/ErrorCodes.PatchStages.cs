namespace Tract7dt.Science.Errors;

public static partial class ErrorCodes
{
    // BuildPatches / BuildPatchInputs (T7D300–349)

    /// <summary><c>patches.json</c> is missing or unreadable.</summary>
    public const string PatchListMissing = "T7D301";
    /// <summary>The catalog lacks RA/DEC columns needed to assign sources to patches.</summary>
    public const string PatchCatalogNoRaDec = "T7D302";
    /// <summary>A patch payload is missing, unreadable or inconsistent.</summary>
    public const string PayloadInvalid = "T7D303";
    /// <summary>A payload's geometry differs from the current <c>patches.json</c> (stale payload).</summary>
    public const string PayloadStale = "T7D304";

    // RunPatches (T7D410–419)

    /// <summary>The patch named for a single-patch run is not in the current patch list.</summary>
    public const string PatchNotPlanned = "T7D410";
    /// <summary>An ePSF stamp or its meta.json cannot be used.</summary>
    public const string EpsfUnreadable = "T7D411";
    /// <summary>The payload folder of RunPatches is missing.</summary>
    public const string PayloadDirMissing = "T7D412";
    /// <summary>Some patch fits failed; the command exits non-zero after writing what it could.</summary>
    public const string PatchesFailed = "T7D413";
    /// <summary>An ePSF stamp read for a fit fails its sanity check (damaged after it was written).</summary>
    public const string EpsfInvalid = "T7D414";
}
