using Tract7dt.Science.Catalog;
using Tract7dt.Science.Patches;
using Tract7dt.Science.Wcs;

namespace Tract7dt.Science.Merge;

/// <summary>
/// The <c>fit_status</c> column (ours; the original has no way to tell a failed patch from
/// an excluded source): why a row has, or lacks, fit values.
/// </summary>
public static class FitStatus
{
    public const string Column = "fit_status";

    /// <summary>Joined to a current patch result.</summary>
    public const string Ok = "ok";
    /// <summary>Excluded before fitting (<c>excluded_any</c>; see <c>excluded_reason</c>).</summary>
    public const string Excluded = "excluded";
    /// <summary>Its position lies in a current patch whose fit has no current result (the fit failed or has not run).</summary>
    public const string PatchFailed = "patch_failed";
    /// <summary>No current patch owns its position (unusable RA/DEC, off the white frame, or an inactive ePSF cell).</summary>
    public const string NoPatch = "no_patch";
    /// <summary>Fitted, but no band had a usable pixel under it (all masked or NaN): every flux is NaN.
    /// A source missing only some bands stays <see cref="Ok"/>, with NaN fluxes and <c>fit_no_pixels_&lt;band&gt;</c> there.</summary>
    public const string NoPixels = "no_pixels";

    /// <summary>Marks rows that are <see cref="Ok"/> but whose fit saw no pixel (<c>fit_no_pixels</c>) as <see cref="NoPixels"/>.</summary>
    public static void MarkNoPixels(string[] status, bool[] fitNoPixels)
    {
        for (int i = 0; i < status.Length; i++)
            if (status[i] == Ok && fitNoPixels[i]) status[i] = NoPixels;
    }

    /// <summary>
    /// One status per base row. Ownership follows BuildPatchInputs: a source belongs to the
    /// patch whose base box contains its white-frame pixel position (half-open boxes).
    /// </summary>
    /// <param name="matchedPatch">Per row: the patch whose result was joined, or null.</param>
    /// <param name="excluded">Per row: <c>excluded_any</c>.</param>
    /// <param name="ra">Catalog RA (degrees) per row.</param>
    /// <param name="dec">Catalog DEC (degrees) per row.</param>
    /// <param name="whiteWcs">World → white-frame pixel; null when unknown (unmatched, non-excluded rows are then <see cref="NoPatch"/>).</param>
    /// <param name="patches">The current patch list.</param>
    /// <param name="current">Tags of the patches with a current result.</param>
    public static string[] Compute(string?[] matchedPatch, bool[] excluded, double[] ra, double[] dec, TanWcs? whiteWcs,
        IReadOnlyList<PatchDefinition> patches, IReadOnlySet<string> current)
    {
        int n = matchedPatch.Length;
        var status = new string[n];
        for (int i = 0; i < n; i++)
        {
            if (matchedPatch[i] is not null) { status[i] = Ok; continue; }
            if (excluded[i]) { status[i] = Excluded; continue; }
            status[i] = NoPatch;
            if (whiteWcs is null || !double.IsFinite(ra[i]) || !double.IsFinite(dec[i])) continue;
            var (x, y) = whiteWcs.SkyToPixel(ra[i], dec[i]);
            if (!double.IsFinite(x) || !double.IsFinite(y)) continue;
            foreach (var p in patches)
                if (p.Base.Contains(x, y))
                {
                    status[i] = current.Contains(p.PatchTag) ? Ok : PatchFailed;
                    break;
                }
            // Owned by a patch whose current result lacks the row: report it as that patch's failure.
            if (status[i] == Ok) status[i] = PatchFailed;
        }
        return status;
    }
}
