using System.Globalization;
using System.Text;

namespace Tract7dt.Science.Catalog;

/// <summary>
/// DS9 region files of the final catalogue, in sky coordinates (fk5, degrees) so they load
/// on any image of the tile: <c>*_fitted.reg</c> (green circles at each measured source's fitted
/// position, labelled with its ID; galaxies dashed), <c>*_excluded.reg</c> (red crosses at the
/// catalogue position of excluded sources, labelled with the reason) and <c>*_gaia.reg</c> (blue
/// boxes at the Gaia stars the zero point can use, labelled with the Gaia source id).
/// </summary>
public static class RegionFile
{
    /// <summary>The three files' paths for a catalogue path (<c>output_catalog.csv</c> → <c>output_catalog_fitted.reg</c>, …).</summary>
    public static (string Fitted, string Excluded, string Gaia) PathsFor(string catalogPath)
    {
        string stem = Path.Join(Path.GetDirectoryName(catalogPath), Path.GetFileNameWithoutExtension(catalogPath));
        return (stem + "_fitted.reg", stem + "_excluded.reg", stem + "_gaia.reg");
    }

    /// <summary>Writes the three region files of <paramref name="table"/> (atomically); returns their paths.</summary>
    public static IReadOnlyList<string> WriteAll(SourceTable table, string catalogPath)
    {
        var (fitted, excluded, gaia) = PathsFor(catalogPath);
        IO.AtomicFile.WriteAllText(fitted, Fitted(table));
        IO.AtomicFile.WriteAllText(excluded, Excluded(table));
        IO.AtomicFile.WriteAllText(gaia, Gaia(table));
        return [fitted, excluded, gaia];
    }

    private const string Header = "# Region file format: DS9 version 4.1\n";

    /// <summary>Measured sources (fit_status ok) at RA_fit/DEC_fit.</summary>
    public static string Fitted(SourceTable t)
    {
        var sb = new StringBuilder(Header).Append("global color=green width=1 font=\"helvetica 9 normal roman\"\nfk5\n");
        foreach (int i in Rows(t))
        {
            if (Cell(t, "fit_status", i) is not ("ok" or "")) continue;
            if (!Sky(t, "RA_fit", "DEC_fit", i, out double ra, out double dec)) continue;
            bool galaxy = Cell(t, "stype_fit", i) is { Length: > 0 } s && !s.Equals("star", StringComparison.OrdinalIgnoreCase)
                          && !s.Equals("point", StringComparison.OrdinalIgnoreCase);
            sb.Append(Inv($"circle({ra:F7},{dec:F7},1.5\") # text={{{Label(t, i)}}}{(galaxy ? " dash=1" : "")}\n"));
        }
        return sb.ToString();
    }

    /// <summary>Sources with excluded_any True, at their catalogue RA/DEC.</summary>
    public static string Excluded(SourceTable t)
    {
        var sb = new StringBuilder(Header).Append("global color=red width=1\nfk5\n");
        foreach (int i in Rows(t))
        {
            if (!Cell(t, "excluded_any", i).Equals("True", StringComparison.OrdinalIgnoreCase)) continue;
            if (!Sky(t, "RA", "DEC", i, out double ra, out double dec)) continue;
            string why = Cell(t, "excluded_reason", i);
            sb.Append(Inv($"point({ra:F7},{dec:F7}) # point=x text={{{Label(t, i)}{(why.Length > 0 ? " " + why : "")}}}\n"));
        }
        return sb.ToString();
    }

    /// <summary>Rows with a gaia_source_id, at their catalogue RA/DEC.</summary>
    public static string Gaia(SourceTable t)
    {
        var sb = new StringBuilder(Header).Append("global color=blue width=1\nfk5\n");
        foreach (int i in Rows(t))
        {
            string id = Cell(t, "gaia_source_id", i);
            if (id.Length == 0 || !Sky(t, "RA", "DEC", i, out double ra, out double dec)) continue;
            sb.Append(Inv($"box({ra:F7},{dec:F7},2\",2\",0) # text={{Gaia {id}}}\n"));
        }
        return sb.ToString();
    }

    private static IEnumerable<int> Rows(SourceTable t) => Enumerable.Range(0, t.RowCount);

    private static string Cell(SourceTable t, string column, int row) => t.Contains(column) ? t.Text(column, row) : "";

    private static string Label(SourceTable t, int i) => Cell(t, "ID", i) is { Length: > 0 } id ? id.Replace("}", ")") : "#" + (i + 1).ToString(CultureInfo.InvariantCulture);

    private static bool Sky(SourceTable t, string raCol, string decCol, int i, out double ra, out double dec)
    {
        ra = dec = double.NaN;
        return double.TryParse(Cell(t, raCol, i), NumberStyles.Float, CultureInfo.InvariantCulture, out ra)
               && double.TryParse(Cell(t, decCol, i), NumberStyles.Float, CultureInfo.InvariantCulture, out dec)
               && double.IsFinite(ra) && double.IsFinite(dec);
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
