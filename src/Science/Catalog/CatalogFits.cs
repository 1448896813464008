using System.Globalization;
using Tract7dt.Science.Fits;

namespace Tract7dt.Science.Catalog;

/// <summary>
/// The final catalogue as a FITS binary table (<c>output_catalog.fits</c>, extension
/// <c>CATALOG</c>) beside the CSV: the same columns in the same order, each typed from its
/// cells so that TOPCAT and astropy read numbers as numbers: 64-bit integers (K; exact
/// <c>gaia_source_id</c>, which a CSV reader turns into float64), doubles (D; empty = NaN),
/// logicals (L; True/False, empty = undefined), and text (A) for everything else (IDs with
/// leading zeros stay text). Units from the column's name where the catalogue defines one.
/// </summary>
public static class CatalogFits
{
    /// <summary>Writes <paramref name="table"/> to <paramref name="path"/> (atomically).</summary>
    public static void Write(SourceTable table, string path, string? origin = null)
    {
        var columns = table.Columns.Select(c => Column(c.Name, Enumerable.Range(0, table.RowCount).Select(c.FormatCell).ToArray())).ToList();
        using var w = FitsWriter.Create(path);
        var primary = new FitsHeader();
        if (origin is not null) primary.Set("ORIGIN", origin, "software that wrote the file");
        w.AddEmptyPrimary(primary);
        var h = new FitsHeader();
        h.Set("EXTNAME", "CATALOG", "the final catalogue, as its CSV");
        w.WriteBinaryTable(columns, h);
        w.Commit();
    }

    /// <summary>The typed column for the cells' text (see the class remarks for the rules).</summary>
    public static BinaryTableColumn Column(string name, string[] cells)
    {
        string? unit = UnitOf(name);
        var present = cells.Where(s => s.Length > 0).ToList();
        if (present.Count > 0 && present.All(IsInteger))
            return new BinaryTableColumn(name, BinaryColumnKind.Int64, unit,
                Ints: cells.Select(s => s.Length == 0 ? (long?)null : long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)).ToArray());
        if (present.Count > 0 && present.All(IsLogical))
            return new BinaryTableColumn(name, BinaryColumnKind.Logical, unit,
                Logicals: cells.Select(s => s.Length == 0 ? (bool?)null : s.Equals("True", StringComparison.OrdinalIgnoreCase)).ToArray());
        // a whole number written with a leading zero ("007") is an identifier's text: a number would lose it
        if (present.Count > 0 && !present.Any(LeadingZeroInteger) && present.All(s => TryDouble(s, out _)))
            return new BinaryTableColumn(name, BinaryColumnKind.Float64, unit,
                Doubles: cells.Select(s => TryDouble(s, out double v) ? v : double.NaN).ToArray());
        return new BinaryTableColumn(name, BinaryColumnKind.Text, unit, Texts: cells);
    }

    /// <summary>A whole number that survives as one (no leading zero: "007" is an ID's text).</summary>
    private static bool IsInteger(string s)
    {
        string digits = s.StartsWith('-') ? s[1..] : s;
        return digits.Length is > 0 and <= 18 && digits.All(char.IsAsciiDigit) && (digits.Length == 1 || digits[0] != '0')
               || (digits.Length == 19 && digits.All(char.IsAsciiDigit) && digits[0] != '0'
                   && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _));
    }

    private static bool LeadingZeroInteger(string s)
    {
        string digits = s.StartsWith('-') ? s[1..] : s;
        return digits.Length > 1 && digits[0] == '0' && digits.All(char.IsAsciiDigit);
    }

    private static bool IsLogical(string s) => s.Equals("True", StringComparison.OrdinalIgnoreCase) || s.Equals("False", StringComparison.OrdinalIgnoreCase);

    private static bool TryDouble(string s, out double v)
    {
        switch (s)
        {
            case "NaN" or "nan": v = double.NaN; return true;
            case "inf" or "Infinity": v = double.PositiveInfinity; return true;
            case "-inf" or "-Infinity": v = double.NegativeInfinity; return true;
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v);
    }

    /// <summary>The unit of a catalogue column, by its name (docs/outputs.md §11), or null.</summary>
    public static string? UnitOf(string name)
    {
        string n = name.ToUpperInvariant();
        if (n.StartsWith("MAGERR_", StringComparison.Ordinal) || n.StartsWith("MAG_", StringComparison.Ordinal)) return "mag";
        if (n is "RA" or "DEC" || n.StartsWith("RA_", StringComparison.Ordinal) || n.StartsWith("DEC_", StringComparison.Ordinal)) return "deg";
        if (n.StartsWith("PHI_DEG", StringComparison.Ordinal) || n is "THETA" || n.StartsWith("THETA_", StringComparison.Ordinal)) return "deg";
        if (n.StartsWith("X_PIX", StringComparison.Ordinal) || n.StartsWith("Y_PIX", StringComparison.Ordinal)
            || n.StartsWith("RE_PIX", StringComparison.Ordinal) || n.EndsWith("_PIX", StringComparison.Ordinal)) return "pix";
        return null;
    }
}
