using System.Text.RegularExpressions;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Wcs;

namespace Tract7dt.Science.Merge;

/// <summary>
/// Fills <c>RA_fit</c>/<c>DEC_fit</c> from <c>x_pix_white_fit</c>/<c>y_pix_white_fit</c> and,
/// for every <c>x_pix_white_&lt;b&gt;_fit</c> with a matching y column,
/// <c>RA_&lt;b&gt;_fit</c>/<c>DEC_&lt;b&gt;_fit</c> (docs/pipeline.md §9.5). The WCS must be the
/// white-frame (post-crop) one: fitted pixels are post-crop, so this is the fix of the
/// original's crop-margin offset (README.md, Differences #5). Rows with finite x and y and a
/// non-finite RA or DEC are filled; existing finite values are never overwritten.
/// </summary>
public static partial class FitSkyCoordinates
{
    [GeneratedRegex("^x_pix_white_(.+)_fit$")]
    private static partial Regex PerBandX();

    /// <summary>The (x, y, ra, dec) column quadruples present in <paramref name="table"/>, in column order.</summary>
    public static IReadOnlyList<(string X, string Y, string Ra, string Dec)> Pairs(SourceTable table)
    {
        var list = new List<(string, string, string, string)>();
        if (table.Contains("x_pix_white_fit") && table.Contains("y_pix_white_fit"))
            list.Add(("x_pix_white_fit", "y_pix_white_fit", "RA_fit", "DEC_fit"));
        foreach (var name in table.ColumnNames.ToArray())
        {
            var m = PerBandX().Match(name);
            if (!m.Success) continue;
            string b = m.Groups[1].Value, y = $"y_pix_white_{b}_fit";
            if (table.Contains(y)) list.Add((name, y, $"RA_{b}_fit", $"DEC_{b}_fit"));
        }
        return list;
    }

    /// <summary>Fills every pair in place; returns the pairs filled (for the log).</summary>
    public static IReadOnlyList<(string X, string Y, string Ra, string Dec)> Fill(SourceTable table, TanWcs whiteWcs)
    {
        var pairs = Pairs(table);
        int n = table.RowCount;
        foreach (var (xc, yc, rc, dc) in pairs)
        {
            double[] x = table.Numeric(xc), y = table.Numeric(yc);
            string[] ra = Cells(table, rc), dec = Cells(table, dc);
            for (int i = 0; i < n; i++)
            {
                if (!double.IsFinite(x[i]) || !double.IsFinite(y[i])) continue;
                if (double.IsFinite(CellText.ToDouble(ra[i])) && double.IsFinite(CellText.ToDouble(dec[i]))) continue;
                var (a, d) = whiteWcs.PixelToSky(x[i], y[i]);
                ra[i] = double.IsNaN(a) ? "" : FloatText.Repr(a);
                dec[i] = double.IsNaN(d) ? "" : FloatText.Repr(d);
            }
            table.Set(new TextColumn(rc, ra));
            table.Set(new TextColumn(dc, dec));
        }
        return pairs;
    }

    private static string[] Cells(SourceTable t, string name)
    {
        var v = new string[t.RowCount];
        if (!t.Contains(name)) { Array.Fill(v, ""); return v; }
        var col = t[name];
        for (int i = 0; i < v.Length; i++) v[i] = col.FormatCell(i);
        return v;
    }
}
