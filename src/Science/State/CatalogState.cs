using System.Text.Json;
using System.Text.Json.Serialization;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.State;

/// <summary>
/// <c>state/catalog_state.json</c>: which catalog the later stages read. LoadInputs points it
/// at <c>state/catalog_flagged.csv</c>; AugmentGaia, when it wrote one, at
/// <c>ZP/&lt;stem&gt;_with_Gaia.csv</c> (the original's "replace the state catalog").
/// Both catalogs carry <c>excluded_crop</c>, <c>excluded_saturation</c>, <c>excluded_any</c>;
/// empty flags (injected Gaia rows) read as false.
/// </summary>
public sealed record CatalogState
{
    /// <summary>Absolute path of the catalog later stages read.</summary>
    [JsonPropertyName("catalog")] public required string Catalog { get; init; }

    /// <summary>Stage that chose it: <c>LoadInputs</c> or <c>AugmentGaia</c>.</summary>
    [JsonPropertyName("written_by")] public required string WrittenBy { get; init; }

    /// <summary>True when <see cref="Catalog"/> is the Gaia-augmented catalog (it has <c>gaia_source_id</c>).</summary>
    [JsonPropertyName("augmented")] public bool Augmented { get; init; }

    /// <summary>Writes the file (only when its content changes, so its date moves only then).</summary>
    public void Write(string path) => IO.JsonFile.WriteIfChanged(path, this);

    /// <summary>Reads <c>catalog_state.json</c>; a clear error when LoadInputs has not run.</summary>
    public static CatalogState Read(string path)
    {
        if (!File.Exists(path))
            throw new Tract7dtException(ErrorCodes.MissingPrerequisite,
                $"Missing {path}: the LoadInputs stage has not run for this work_dir. Run 'tract7dt run' (or a step command that loads inputs) first.");
        CatalogState? s;
        try { s = IO.JsonFile.Parse<CatalogState>(File.ReadAllText(path)); }
        catch (JsonException e)
        {
            throw new Tract7dtException(ErrorCodes.CatalogStateInvalid, $"{path} is damaged ({e.Message}); delete it and rerun LoadInputs.", e);
        }
        if (s is null || !File.Exists(s.Catalog))
            throw new Tract7dtException(ErrorCodes.CatalogStateInvalid,
                $"{path} points to a catalog that does not exist ({s?.Catalog}); rerun LoadInputs (and AugmentGaia when zp.enabled).");
        return s;
    }

    /// <summary>Property names accepted for the catalog's path in a hand-written or older <c>catalog_state.json</c>.</summary>
    private static readonly string[] PathProperties = ["catalog", "catalog_path", "path", "base_catalog"];

    /// <summary>
    /// The one answer to "which catalogue do the later stages read": with <c>zp.enabled</c> the one
    /// AugmentGaia chose (the Gaia-augmented CSV, or the flagged catalogue when it wrote none),
    /// named by <c>state/catalog_state.json</c>; without it always LoadInputs' flagged catalogue,
    /// whatever an earlier zp-enabled run left, so turning the zero point off needs no reset.
    /// Both carry LoadInputs' exclusion flags.
    /// </summary>
    public static string CurrentPath(string catalogStateFile, string flaggedCatalog, string workDir, bool zpEnabled)
    {
        if (zpEnabled && File.Exists(catalogStateFile))
        {
            string? path = null;
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(catalogStateFile));
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
                    $"Unreadable {catalogStateFile} ({e.Message}); delete it and rerun LoadInputs/AugmentGaia.", e);
            }
            if (path is null)
                throw new Tract7dtException(ErrorCodes.MergeCatalogState,
                    $"{catalogStateFile} names no catalog (expected a string property '{PathProperties[0]}'); rerun LoadInputs/AugmentGaia.");
            path = Path.GetFullPath(path, workDir);
            if (!File.Exists(path))
                throw new Tract7dtException(ErrorCodes.MergeCatalogState,
                    $"{catalogStateFile} names the catalog {path}, which does not exist; rerun LoadInputs/AugmentGaia.");
            return path;
        }
        if (File.Exists(flaggedCatalog)) return Path.GetFullPath(flaggedCatalog);
        throw new Tract7dtException(ErrorCodes.MissingPrerequisite,
            $"Missing input catalog: {flaggedCatalog} (the LoadInputs stage has not run for this work_dir). Run 'tract7dt run' first.");
    }

    /// <summary>The catalog the later stages read (<see cref="CurrentPath"/>), as a table (exact text; flags as text True/False/empty).</summary>
    public static SourceTable Load(string catalogPath) => SourceTableCsv.Read(catalogPath, "Pipeline catalog");

    /// <summary>
    /// <c>excluded_any</c> of a catalog read back from CSV: true only for the text <c>True</c>
    /// (any case); empty (injected Gaia rows) and anything else read as false. All false when
    /// the column is absent.
    /// </summary>
    public static bool[] ExcludedAny(SourceTable table) => Flag(table, "excluded_any");

    /// <summary>A boolean flag column read back from CSV (see <see cref="ExcludedAny"/>).</summary>
    public static bool[] Flag(SourceTable table, string column)
    {
        var f = new bool[table.RowCount];
        if (!table.Contains(column)) return f;
        var col = table[column];
        if (col is BoolColumn bc) return (bool[])bc.Values.Clone();
        for (int i = 0; i < f.Length; i++)
            f[i] = col.FormatCell(i).Trim().Equals("True", StringComparison.OrdinalIgnoreCase);
        return f;
    }
}
