using System.Text.Json;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Patches;

namespace Tract7dt.Science.Merge;

/// <summary>
/// Reads <c>patches/patches.json</c> (outputs.md §7.2): a JSON array of objects with the
/// integer fields <c>epsf_r, epsf_c, patch_r, patch_c, x0_base … y1_roi, halo_pix</c>.
/// This is the current run's patch list: Merge joins exactly these patches' results.
/// </summary>
public static class PatchListFile
{
    /// <summary>The patches in file order; <see cref="ErrorCodes.MergePatchList"/> when absent or malformed.</summary>
    public static IReadOnlyList<PatchDefinition> Read(string path)
    {
        if (!File.Exists(path))
            throw new Tract7dtException(ErrorCodes.MergePatchList,
                $"Missing patch list {path}: the BuildPatches stage has not run for this work_dir. Run 'tract7dt run' (or build-patches, build-patch-inputs and run-patches) first.");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
                throw new FormatException("the top level is not a JSON array");
            var list = new List<PatchDefinition>();
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                int I(string name) => e.TryGetProperty(name, out var p) && p.TryGetInt32(out int v)
                    ? v : throw new FormatException($"entry {list.Count} has no integer '{name}'");
                list.Add(new PatchDefinition(I("epsf_r"), I("epsf_c"), I("patch_r"), I("patch_c"),
                    new PixelBox(I("x0_base"), I("x1_base"), I("y0_base"), I("y1_base")),
                    new PixelBox(I("x0_roi"), I("x1_roi"), I("y0_roi"), I("y1_roi")), I("halo_pix")));
            }
            return list;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new Tract7dtException(ErrorCodes.MergePatchList,
                $"Patch list {path} is not in the BuildPatches format ({e.Message}). Delete it and rerun build-patches.", e);
        }
    }
}
