using System.Globalization;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Catalog;

/// <summary>
/// The user's source catalogue (docs/inputs.md §5): every column kept as its exact text in
/// <see cref="Table"/>, plus the located RA/DEC/ID/TYPE columns and the FLUX_&lt;band&gt;
/// bands. RA and DEC are decimal degrees in the frame of the image WCS.
/// </summary>
public sealed class InputCatalog
{
    private InputCatalog(string path, SourceTable table, string ra, string dec, string? id, string? type,
        double[] raValues, double[] decValues, IReadOnlyList<string> fluxBands)
    {
        Path = path; Table = table; RaColumn = ra; DecColumn = dec; IdColumn = id; TypeColumn = type;
        Ra = raValues; Dec = decValues; FluxBands = fluxBands;
    }

    /// <summary>Absolute path of the CSV file.</summary>
    public string Path { get; }

    /// <summary>All input columns, exact text, original order; the pipeline appends its own columns.</summary>
    public SourceTable Table { get; }

    public int Count => Table.RowCount;

    /// <summary>Header of the RA column (normally exactly <c>RA</c>).</summary>
    public string RaColumn { get; }

    /// <summary>Header of the DEC column (normally exactly <c>DEC</c>).</summary>
    public string DecColumn { get; }

    /// <summary>Header of the ID column, or null when the catalogue has none.</summary>
    public string? IdColumn { get; }

    /// <summary>Header of the TYPE column, or null when the catalogue has none.</summary>
    public string? TypeColumn { get; }

    /// <summary>Right ascension per row (deg); every value is a number (possibly ±inf).</summary>
    public double[] Ra { get; }

    /// <summary>Declination per row (deg).</summary>
    public double[] Dec { get; }

    /// <summary>
    /// Bands named by columns that start with exactly <c>FLUX_</c> and have at least one more
    /// character (suffix trimmed), in column order; every such column counts (docs/inputs.md §5.4).
    /// </summary>
    public IReadOnlyList<string> FluxBands { get; }

    /// <summary>The row's ID text; "" without an ID column or for a missing-value token.</summary>
    public string Id(int row)
    {
        if (IdColumn is null) return "";
        string s = Table.Text(IdColumn, row);
        return CellText.IsMissing(s) ? "" : s;
    }

    /// <summary>The row's TYPE text, null without a TYPE column or for a missing-value token.</summary>
    public string? TypeText(int row)
    {
        if (TypeColumn is null) return null;
        string s = Table.Text(TypeColumn, row);
        return CellText.IsMissing(s) ? null : s;
    }

    /// <summary>
    /// The column holding the flux prior of <paramref name="band"/>: exactly
    /// <c>FLUX_&lt;band&gt;</c>, else the first column whose trimmed, lower-cased name equals
    /// <c>flux_&lt;band&gt;</c> lower-cased; null when none.
    /// </summary>
    public string? FluxColumnFor(string band)
    {
        string exact = "FLUX_" + band;
        if (Table.Contains(exact)) return exact;
        string want = exact.ToLowerInvariant();
        return Table.ColumnNames.FirstOrDefault(n => n.Trim().ToLowerInvariant() == want);
    }

    /// <summary>
    /// Flux priors of <paramref name="band"/> in the scaled system (docs/inputs.md §3.2): the value
    /// where it is a finite number &gt; 0, NaN elsewhere (NaN = use aperture photometry). All
    /// NaN when the catalogue has no such column.
    /// </summary>
    public double[] FluxPriors(string band)
    {
        var result = new double[Count];
        string? col = FluxColumnFor(band);
        if (col is null) { Array.Fill(result, double.NaN); return result; }
        double[] v = Table.Numeric(col);
        for (int i = 0; i < result.Length; i++) result[i] = CatalogConventions.UsableFlux(v[i]);
        return result;
    }

    /// <summary>
    /// Check that the FLUX_&lt;band&gt; bands equal the images' FILTER bands (when the catalogue
    /// has any FLUX_ column); <see cref="ErrorCodes.CatalogBandMismatch"/> otherwise.
    /// </summary>
    /// <param name="imageFiles">Optional: the image file of each band, named for the image-only bands
    /// (a FILTER keyword mistyped in one file shows up here).</param>
    public void CheckBands(IEnumerable<string> imageBands, IReadOnlyDictionary<string, string>? imageFiles = null)
    {
        if (FluxBands.Count == 0) return;
        var cat = FluxBands.ToHashSet(StringComparer.Ordinal);
        var img = imageBands.Select(b => b.Trim()).ToHashSet(StringComparer.Ordinal);
        if (cat.SetEquals(img)) return;
        var catOnly = cat.Except(img).OrderBy(s => s, StringComparer.Ordinal);
        var imgOnly = img.Except(cat).OrderBy(s => s, StringComparer.Ordinal).ToList();
        string from = imageFiles is null || imgOnly.Count == 0 ? "" :
            " (image-only FILTER values come from " + string.Join(", ", imgOnly.Select(b =>
                imageFiles.TryGetValue(b, out var f) ? $"{b}: {f}" : b)) + ")";
        throw new Tract7dtException(ErrorCodes.CatalogBandMismatch,
            $"Band mismatch between input catalog and image list. catalog-only=[{string.Join(", ", catOnly)}] " +
            $"image-only=[{string.Join(", ", imgOnly)}]{from}. Every column starting with FLUX_ names a band " +
            $"(in {Path}); rename or drop extra FLUX_ columns, add the missing images, or fix the FILTER keyword of the images named.");
    }

    /// <summary>
    /// Read the catalogue at <paramref name="path"/>. Column look-up (docs/inputs.md §5.2): RA, DEC,
    /// ID and TYPE by trimmed, case-insensitive name (a later duplicate wins); a warning is
    /// added to <paramref name="warnings"/> when a name is not spelled exactly RA/DEC/ID/TYPE.
    /// Missing RA or DEC column → <see cref="ErrorCodes.CatalogMissingRaDec"/>; a row whose RA
    /// or DEC is missing or not a number → <see cref="ErrorCodes.CatalogBadValue"/> naming the line.
    /// </summary>
    public static InputCatalog Read(string path, ICollection<string> warnings)
    {
        SourceTable t = SourceTableCsv.Read(path, "Input catalog");
        string[] names = t.ColumnNames.ToArray();
        string? Find(string lower) => names.LastOrDefault(n => n.Trim().ToLowerInvariant() == lower);

        string? ra = Find("ra"), dec = Find("dec");
        if (ra is null || dec is null)
            throw new Tract7dtException(ErrorCodes.CatalogMissingRaDec,
                $"Input catalog {path} must have RA and DEC columns (decimal degrees; any letter case). " +
                $"Its columns are: {string.Join(", ", names.Select(n => "'" + n + "'"))}.");
        if (ra != "RA" || dec != "DEC")
            warnings.Add($"Input catalog {path}: using columns '{ra}' and '{dec}' as RA and DEC; name them exactly " +
                         "'RA' and 'DEC' to avoid ambiguity.");
        string? id = Find("id"), type = Find("type");
        if (id is not null && id != "ID")
            warnings.Add($"Input catalog {path}: using column '{id}' as ID (the original tract7dt needs exactly 'ID' for the merge key).");
        if (type is not null && type != "TYPE")
            warnings.Add($"Input catalog {path}: using column '{type}' as TYPE (the original tract7dt needs exactly 'TYPE' for the model choice).");

        double[] raV = ParseCoordinate(t, ra, path);
        double[] decV = ParseCoordinate(t, dec, path);

        var bands = new List<string>();
        foreach (string n in names)
            if (n.StartsWith("FLUX_", StringComparison.Ordinal) && n.Length > 5)
            {
                string b = n[5..].Trim();
                if (!bands.Contains(b)) bands.Add(b);
            }
        return new InputCatalog(System.IO.Path.GetFullPath(path), t, ra, dec, id, type, raV, decV, bands);
    }

    private static double[] ParseCoordinate(SourceTable t, string column, string path)
    {
        var text = ((TextColumn)t[column]).Values;
        var v = new double[text.Length];
        for (int i = 0; i < v.Length; i++)
        {
            if (CellText.TryParseNumber(text[i], out v[i])) continue;
            int line = t.SourceLines?[i] ?? i + 2;
            string what = CellText.IsMissing(text[i]) ? $"is empty ('{text[i]}')" : $"has the value '{text[i]}', which is not a number";
            throw new Tract7dtException(ErrorCodes.CatalogBadValue,
                $"Input catalog {path}, line {line.ToString(CultureInfo.InvariantCulture)}: column '{column}' {what}. " +
                "Every row needs RA and DEC in decimal degrees; fix or remove that row.");
        }
        return v;
    }
}
