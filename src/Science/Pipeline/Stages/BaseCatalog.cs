using System.Text.Json;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Pipeline.Stages;

/// <summary>
/// Which catalog Merge starts from: the one <c>state/catalog_state.json</c> names (written
/// by AugmentGaia: the Gaia-augmented CSV when it wrote one, else the flagged catalog), or
/// <c>state/catalog_flagged.csv</c> when no state file exists (AugmentGaia did not run).
/// Either way the base carries LoadInputs' exclusion flags, so the final catalog always
/// has them (the documented intent; docs/outputs.md §11.3).
/// </summary>
public static class BaseCatalog
{
    /// <summary>Property names accepted for the catalog path in <c>catalog_state.json</c>.</summary>
    private static readonly string[] PathProperties = ["catalog", "catalog_path", "path", "base_catalog"];

    /// <summary>Absolute path of the base catalog; a clear error when none exists.</summary>
    public static string Resolve(WorkDirLayout layout)
    {
        string? path = null;
        if (File.Exists(layout.CatalogStateFile))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(layout.CatalogStateFile));
                foreach (var name in PathProperties)
                    if (doc.RootElement.ValueKind == JsonValueKind.Object
                        && doc.RootElement.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String)
                    {
                        path = p.GetString();
                        break;
                    }
            }
            catch (JsonException e)
            {
                throw new Tract7dtException(ErrorCodes.MergeCatalogState,
                    $"Unreadable {layout.CatalogStateFile} ({e.Message}); delete it and rerun LoadInputs/AugmentGaia.", e);
            }
            if (path is null)
                throw new Tract7dtException(ErrorCodes.MergeCatalogState,
                    $"{layout.CatalogStateFile} names no catalog (expected a string property '{PathProperties[0]}'); rerun LoadInputs/AugmentGaia.");
            path = Path.GetFullPath(path, layout.WorkDir);
            if (!File.Exists(path))
                throw new Tract7dtException(ErrorCodes.MergeCatalogState,
                    $"{layout.CatalogStateFile} names the catalog {path}, which does not exist; rerun LoadInputs/AugmentGaia.");
            return path;
        }
        if (File.Exists(layout.FlaggedCatalog)) return layout.FlaggedCatalog;
        throw new Tract7dtException(ErrorCodes.MissingPrerequisite,
            $"Missing input catalog: {layout.FlaggedCatalog} (the LoadInputs stage has not run for this work_dir). Run 'tract7dt merge' or 'tract7dt run'.");
    }
}
