using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Catalog;

/// <summary>
/// The GaiaXP synthetic-photometry CSV (docs/inputs.md §4). Column names are exact and
/// case-sensitive. <c>source_id</c> stays text (64-bit ids never pass through a double).
/// </summary>
public sealed class GaiaXpCatalog
{
    private readonly SourceTable _table;

    private GaiaXpCatalog(string path, SourceTable table, IReadOnlyList<string> bands)
    {
        Path = path;
        _table = table;
        Bands = bands;
        Ra = table.Numeric("ra");
        Dec = table.Numeric("dec");
        SourceId = table.Contains("source_id") ? ((TextColumn)table["source_id"]).Values : null;
        GMag = table.Contains("phot_g_mean_mag") ? table.Numeric("phot_g_mean_mag") : null;
    }

    public string Path { get; }

    public int Count => _table.RowCount;

    /// <summary>Right ascension (deg); NaN where missing or not a number.</summary>
    public double[] Ra { get; }

    /// <summary>Declination (deg).</summary>
    public double[] Dec { get; }

    /// <summary>Gaia DR3 source_id text, exactly as written; null when the column is absent.</summary>
    public string[]? SourceId { get; }

    /// <summary>Gaia G mean magnitude (mag); null when the column is absent.</summary>
    public double[]? GMag { get; }

    /// <summary>Bands with a <c>mag_&lt;band&gt;</c> column, in column order.</summary>
    public IReadOnlyList<string> Bands { get; }

    /// <summary>Synthetic AB magnitudes of <paramref name="band"/>, or null without a <c>mag_&lt;band&gt;</c> column.</summary>
    public double[]? Mag(string band) => _table.Contains("mag_" + band) ? _table.Numeric("mag_" + band) : null;

    /// <summary>
    /// Read the file. <c>ra</c> and <c>dec</c> are always required; with
    /// <paramref name="requireZpColumns"/> (AugmentGaia, ComputeZp) also <c>source_id</c> and
    /// <c>phot_g_mean_mag</c>, checked in that order: "GaiaXP CSV missing required column: &lt;name&gt;".
    /// </summary>
    public static GaiaXpCatalog Read(string path, bool requireZpColumns = true)
    {
        SourceTable t = SourceTableCsv.Read(path, "GaiaXP synphot CSV");
        string[] required = requireZpColumns ? ["ra", "dec", "source_id", "phot_g_mean_mag"] : ["ra", "dec"];
        foreach (string c in required)
            if (!t.Contains(c))
                throw new Tract7dtException(ErrorCodes.GaiaMissingColumn,
                    $"GaiaXP CSV missing required column: {c} (in {path}; names are case-sensitive). " +
                    $"Its columns are: {string.Join(", ", t.ColumnNames)}.");
        var bands = t.ColumnNames.Where(n => n.StartsWith("mag_", StringComparison.Ordinal) && n.Length > 4)
            .Select(n => n[4..]).ToArray();
        return new GaiaXpCatalog(System.IO.Path.GetFullPath(path), t, bands);
    }
}
