using Tract7dt.Science.Catalog;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Wcs;

namespace Tract7dt.Science.Patches;

/// <summary>
/// The catalog as the patch stages see it (docs/pipeline.md §6.1, §7.1): the active
/// (non-excluded) rows, renumbered in order, with their white-frame pixel positions.
/// </summary>
public sealed class PatchSources
{
    private PatchSources(SourceTable active, double[] x, double[] y, int totalRows, bool exactRaDecNames,
        SourceTable saturated, double[] satX, double[] satY)
    {
        Active = active;
        X = x;
        Y = y;
        TotalRows = totalRows;
        ExactRaDecNames = exactRaDecNames;
        Saturated = saturated;
        SaturatedX = satX;
        SaturatedY = satY;
    }

    /// <summary>
    /// Rows excluded by the saturation cut only (<c>excluded_saturation</c> true,
    /// <c>excluded_crop</c> not true), every input column as text: never fitted for output,
    /// but their unsaturated wings lie in neighbouring patches, which model them as
    /// nuisance point sources (see <see cref="NuisanceRowsIn"/>).
    /// </summary>
    public SourceTable Saturated { get; }

    /// <summary>x_pix_white of each <see cref="Saturated"/> row (NaN when RA/DEC are not finite).</summary>
    public double[] SaturatedX { get; }

    /// <summary>y_pix_white of each <see cref="Saturated"/> row.</summary>
    public double[] SaturatedY { get; }

    /// <summary>Active rows, every input column as text, in catalog order.</summary>
    public SourceTable Active { get; }

    /// <summary>x_pix_white of each active row (NaN when RA/DEC are not finite) [pix, 0-based].</summary>
    public double[] X { get; }

    /// <summary>y_pix_white of each active row.</summary>
    public double[] Y { get; }

    /// <summary>Rows of the catalog before dropping excluded ones.</summary>
    public int TotalRows { get; }

    /// <summary>False when the RA/DEC columns were found only case-insensitively (the original warns).</summary>
    public bool ExactRaDecNames { get; }

    /// <summary>Reads the catalog at <paramref name="path"/> and projects its active rows with <paramref name="wcs"/> (white frame).</summary>
    public static PatchSources Load(string path, TanWcs wcs)
    {
        if (!File.Exists(path))
            throw new Tract7dtException(ErrorCodes.MissingPrerequisite,
                $"Missing catalog {path}: the LoadInputs stage has not run for this work_dir. Run 'tract7dt run' (or a step command that loads inputs) first.");
        return FromTable(SourceTableCsv.Read(path, "Catalog"), wcs, path);
    }

    /// <summary>As <see cref="Load"/> for a table in memory.</summary>
    public static PatchSources FromTable(SourceTable table, TanWcs wcs, string label)
    {
        var keep = new List<int>();
        var saturated = new List<int>();
        int ex = table.IndexOf("excluded_any"), exSat = table.IndexOf("excluded_saturation"), exCrop = table.IndexOf("excluded_crop");
        for (int r = 0; r < table.RowCount; r++)
        {
            if (ex < 0 || !IsTrue(table.Columns[ex].FormatCell(r))) keep.Add(r);
            else if (exSat >= 0 && IsTrue(table.Columns[exSat].FormatCell(r))
                     && (exCrop < 0 || !IsTrue(table.Columns[exCrop].FormatCell(r)))) saturated.Add(r);
        }
        var active = Subset(table, keep);
        string? ra = FindColumn(active, "ra"), dec = FindColumn(active, "dec");
        if (ra is null || dec is null)
            throw new Tract7dtException(ErrorCodes.PatchCatalogNoRaDec,
                $"Catalog {label} must have RA and DEC columns (case-insensitive); found: {string.Join(", ", table.ColumnNames)}.");
        var (x, y) = Project(active, ra, dec, wcs);
        var sat = Subset(table, saturated);
        var (sx, sy) = Project(sat, ra, dec, wcs);
        return new PatchSources(active, x, y, table.RowCount, ra == "RA" && dec == "DEC", sat, sx, sy);
    }

    private static (double[] X, double[] Y) Project(SourceTable t, string ra, string dec, TanWcs wcs)
    {
        var raV = t.Numeric(ra);
        var decV = t.Numeric(dec);
        var x = new double[t.RowCount];
        var y = new double[t.RowCount];
        for (int i = 0; i < x.Length; i++)
        {
            if (double.IsFinite(raV[i]) && double.IsFinite(decV[i])) (x[i], y[i]) = wcs.SkyToPixel(raV[i], decV[i]);
            else x[i] = y[i] = double.NaN;
        }
        return (x, y);
    }

    /// <summary>Indices (into <see cref="Active"/>) of the rows whose position lies in <paramref name="box"/> (half-open).</summary>
    public List<int> RowsIn(PixelBox box)
    {
        var rows = new List<int>();
        for (int i = 0; i < X.Length; i++)
            if (double.IsFinite(X[i]) && double.IsFinite(Y[i]) && box.Contains(X[i], Y[i])) rows.Add(i);
        return rows;
    }

    /// <summary>
    /// Indices (into <see cref="Saturated"/>) of the saturation-excluded rows whose position
    /// lies in <paramref name="box"/> (half-open): the patch's nuisance sources.
    /// </summary>
    public List<int> NuisanceRowsIn(PixelBox box)
    {
        var rows = new List<int>();
        for (int i = 0; i < SaturatedX.Length; i++)
            if (double.IsFinite(SaturatedX[i]) && double.IsFinite(SaturatedY[i]) && box.Contains(SaturatedX[i], SaturatedY[i])) rows.Add(i);
        return rows;
    }

    /// <summary>
    /// Active rows in the ROI but outside the base box: sources another patch owns and
    /// reports, whose light is in this patch's pixels. Left out (as the original does), the
    /// patch's constant sky took up their light.
    /// </summary>
    public List<int> HaloRowsIn(PixelBox roi, PixelBox baseBox)
    {
        var rows = new List<int>();
        for (int i = 0; i < X.Length; i++)
            if (double.IsFinite(X[i]) && double.IsFinite(Y[i]) && roi.Contains(X[i], Y[i]) && !baseBox.Contains(X[i], Y[i])) rows.Add(i);
        return rows;
    }

    /// <summary>
    /// The patch catalogue (docs/pipeline.md §7.1): the given active rows with every column, then
    /// <c>x_pix_white</c>, <c>y_pix_white</c>, <c>x_pix_patch</c>, <c>y_pix_patch</c>.
    /// The optional <paramref name="nuisanceRows"/> (into <see cref="Saturated"/>) follow the
    /// owned rows; they keep <c>excluded_any</c> = True, which is how the patch fit tells
    /// them apart (modelled, never reported).
    /// </summary>
    /// <param name="haloRows">Active rows another patch owns (see <see cref="HaloRowsIn"/>): they
    /// come after the owned rows with <c>excluded_any</c> = True, as nuisance sources.</param>
    public SourceTable PatchTable(IReadOnlyList<int> rows, PixelBox roi, IReadOnlyList<int>? nuisanceRows = null,
        IReadOnlyList<int>? haloRows = null)
    {
        nuisanceRows ??= [];
        haloRows ??= [];
        string? ex = Active.ColumnNames.Contains("excluded_any") ? "excluded_any" : null;
        if (ex is null) haloRows = []; // nothing tells a nuisance row apart without the column
        var t = Subset(Active, rows);
        if (haloRows.Count > 0)
        {
            var halo = Subset(Active, haloRows);
            halo.Set(new TextColumn(ex!, Enumerable.Repeat("True", haloRows.Count).ToArray()));
            t = Concat(t, halo);
        }
        if (nuisanceRows.Count > 0) t = Concat(t, Subset(Saturated, nuisanceRows));
        var xw = rows.Select(i => X[i]).Concat(haloRows.Select(i => X[i])).Concat(nuisanceRows.Select(i => SaturatedX[i])).ToArray();
        var yw = rows.Select(i => Y[i]).Concat(haloRows.Select(i => Y[i])).Concat(nuisanceRows.Select(i => SaturatedY[i])).ToArray();
        t.Set(new DoubleColumn("x_pix_white", xw));
        t.Set(new DoubleColumn("y_pix_white", yw));
        t.Set(new DoubleColumn("x_pix_patch", xw.Select(v => v - roi.X0).ToArray()));
        t.Set(new DoubleColumn("y_pix_patch", yw.Select(v => v - roi.Y0).ToArray()));
        return t;
    }

    /// <summary>The column whose lower-cased, trimmed name is <paramref name="lower"/> (the last one if several).</summary>
    public static string? FindColumn(SourceTable t, string lower)
    {
        string? found = null;
        foreach (var n in t.ColumnNames)
            if (n.Trim().ToLowerInvariant() == lower) found = n;
        return found;
    }

    /// <summary>A boolean cell as pandas reads it: <c>True</c>/<c>true</c>/<c>1</c> are true, missing is false.</summary>
    public static bool IsTrue(string cell)
    {
        var s = cell.Trim();
        return s.Equals("true", StringComparison.OrdinalIgnoreCase) || s == "1" || s == "1.0";
    }

    /// <summary>Rows of <paramref name="a"/> then rows of <paramref name="b"/>; both have the same columns.</summary>
    private static SourceTable Concat(SourceTable a, SourceTable b)
    {
        var r = new SourceTable(a.RowCount + b.RowCount);
        for (int c = 0; c < a.Columns.Count; c++)
        {
            var ca = a.Columns[c];
            var cb = b[ca.Name];
            var v = new string[a.RowCount + b.RowCount];
            for (int i = 0; i < a.RowCount; i++) v[i] = ca.FormatCell(i);
            for (int i = 0; i < b.RowCount; i++) v[a.RowCount + i] = cb.FormatCell(i);
            r.Add(new TextColumn(ca.Name, v));
        }
        return r;
    }

    /// <summary>The first <paramref name="n"/> rows of <paramref name="t"/> (every column as text).</summary>
    public static SourceTable Head(SourceTable t, int n) => Subset(t, Enumerable.Range(0, n).ToArray());

    private static SourceTable Subset(SourceTable t, IReadOnlyList<int> rows)
    {
        var r = new SourceTable(rows.Count);
        foreach (var c in t.Columns)
        {
            var v = new string[rows.Count];
            for (int i = 0; i < v.Length; i++) v[i] = c.FormatCell(rows[i]);
            r.Add(new TextColumn(c.Name, v));
        }
        return r;
    }
}
