using System.Globalization;
using Tract7dt.Science.Catalog;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Patches;

namespace Tract7dt.Science.Diagnostics;

/// <summary>
/// <c>tract7dt inspect --id ID</c>: one source's data, model and residual in every band (the
/// patch montage of docs/outputs.md §9.7, for any source, not only the first
/// <c>cutout_max_sources</c> of a patch), and its catalogue row in words.
/// </summary>
public static class SourceInspector
{
    /// <summary>The picture written and the lines to print.</summary>
    public sealed record Result(string Picture, string PatchTag, IReadOnlyList<string> Lines);

    /// <summary>The files of one fitted patch: payload FITS, fit table, model.fits.</summary>
    public readonly record struct PatchFiles(string PayloadFits, string FitCsv, string ModelFits);

    /// <param name="finalCatalog">The final catalogue (<c>output_catalog.csv</c>).</param>
    /// <param name="filesOf">The files of the patch with a given tag.</param>
    /// <param name="id">The source's <c>ID</c>, as in the catalogue.</param>
    /// <param name="picture">Where to write the PNG.</param>
    public static Result Inspect(string finalCatalog, Func<string, PatchFiles> filesOf, PatchDiagnosticsSettings settings,
        string id, string picture)
    {
        if (!File.Exists(finalCatalog))
            throw new Tract7dtException(ErrorCodes.MissingPrerequisite,
                $"No final catalogue at {finalCatalog}: run 'tract7dt run --config …' (or 'merge') first.");
        var cat = SourceTableCsv.Read(finalCatalog, "Final catalogue");
        if (!cat.Contains("ID"))
            throw new Tract7dtException(ErrorCodes.CatalogColumn, $"The final catalogue {finalCatalog} has no ID column; 'inspect' finds sources by ID.");
        int row = -1;
        for (int i = 0; i < cat.RowCount && row < 0; i++) if (cat.Text("ID", i) == id) row = i;
        if (row < 0)
        {
            var near = Enumerable.Range(0, cat.RowCount).Select(i => cat.Text("ID", i))
                .Where(x => x.Contains(id, StringComparison.OrdinalIgnoreCase) || id.Contains(x, StringComparison.OrdinalIgnoreCase))
                .Take(5).ToList();
            throw new Tract7dtException(ErrorCodes.Usage,
                $"No source with ID '{id}' in {finalCatalog} ({cat.RowCount} rows)" +
                (near.Count > 0 ? $"; did you mean {string.Join(", ", near.Select(x => "'" + x + "'"))}?" : "."));
        }
        string Cell(string column) => cat.Contains(column) ? cat.Text(column, row) : "";
        string tag = Cell("patch_tag");
        if (string.IsNullOrWhiteSpace(tag))
        {
            string why = Cell("excluded_reason");
            throw new Tract7dtException(ErrorCodes.Usage,
                $"Source '{id}' was not fitted" + (why.Length > 0 ? $" (excluded: {why})" : " (no patch_tag in the final catalogue)") + ", so there is nothing to draw.");
        }
        var files = filesOf(tag);
        foreach (string f in new[] { files.PayloadFits, files.FitCsv, files.ModelFits })
            if (!File.Exists(f))
                throw new Tract7dtException(ErrorCodes.MissingPrerequisite,
                    $"Source '{id}' belongs to patch {tag}, but {f} is missing: rerun 'tract7dt run --config …' to refit it.");
        var views = PatchViews.Load(files.PayloadFits, files.FitCsv, files.ModelFits);
        int index = views.Ids is null ? -1 : Array.IndexOf(views.Ids, id);
        if (index < 0)
            throw new Tract7dtException(ErrorCodes.PayloadInvalid,
                $"Source '{id}' is in patch {tag} by the final catalogue but not in its payload {files.PayloadFits}; the catalogue is older than the patches: rerun 'tract7dt run --config …'.");
        string? dir = Path.GetDirectoryName(Path.GetFullPath(picture));
        if (dir is not null) Directory.CreateDirectory(dir);
        SourceMontage.Save(views, tag, index, settings, picture);

        var inv = CultureInfo.InvariantCulture;
        // numbers as a person reads them; text cells (flags, names) as they are
        string Num(string column, string format) =>
            double.TryParse(Cell(column), NumberStyles.Float, inv, out double v) ? v.ToString(format, inv) : Cell(column);
        var lines = new List<string>
        {
            $"{id}: patch {tag}, TYPE {Cell("TYPE")}, fitted as {Cell("stype_fit")}, fit_status {Cell("fit_status")}, converged {Cell("opt_converged")}",
            $"  position: RA {Num("RA_fit", "F6")}, Dec {Num("DEC_fit", "F6")} (white-frame pixel {Num("x_pix_white_fit", "F2")}, {Num("y_pix_white_fit", "F2")})",
        };
        foreach (var b in views.Bands)
        {
            string f = Cell($"FLUX_{b.Band}_fit"), e = Cell($"FLUXERR_{b.Band}_fit"), m = Cell($"MAG_{b.Band}_fit"), me = Cell($"MAGERR_{b.Band}_fit");
            string snr = double.TryParse(f, NumberStyles.Float, inv, out double fv) && double.TryParse(e, NumberStyles.Float, inv, out double ev) && ev > 0
                ? (fv / ev).ToString("F1", inv) : "—";
            lines.Add($"  {b.Band}: flux {Num($"FLUX_{b.Band}_fit", "G6")} ± {Num($"FLUXERR_{b.Band}_fit", "G3")} (S/N {snr})"
                + (m.Length > 0 ? $", mag {Num($"MAG_{b.Band}_fit", "F3")} ± {Num($"MAGERR_{b.Band}_fit", "F3")}" : ""));
        }
        lines.Add($"  picture: {Path.GetFullPath(picture)}");
        return new Result(Path.GetFullPath(picture), tag, lines);
    }
}
