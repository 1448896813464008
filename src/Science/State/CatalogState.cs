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

    /// <summary>The catalog the later stages read, as a table (exact text; flags as text True/False/empty).</summary>
    public static SourceTable Load(string catalogStateFile) => SourceTableCsv.Read(Read(catalogStateFile).Catalog, "Pipeline catalog");

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
