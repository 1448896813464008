using Tract7dt.Science.Catalog;

namespace Tract7dt.Science.Pipeline.Stages;

/// <summary>
/// What is published beside the final catalogue's CSV by the stage that publishes it (Merge
/// without the zero point, ComputeZp with it): the FITS binary table (<c>outputs.fits_catalog</c>)
/// and the DS9 region files (<c>outputs.region_files</c>), from the CSV's own text so the three
/// always agree. Products a switch turned off are removed, so nothing stale stays beside the CSV.
/// </summary>
public static class FinalCatalogProducts
{
    /// <summary>The FITS catalogue's path: the CSV's with <c>.fits</c>.</summary>
    public static string FitsPath(WorkDirLayout layout) => Path.ChangeExtension(layout.FinalCatalog, ".fits");

    /// <summary>The config keys the products depend on (for the publishing stage's key).</summary>
    /// <summary>Which products beside the CSV are written (<c>outputs.fits_catalog</c>, <c>outputs.region_files</c>):
    /// part of the settings of the stage that publishes the catalogue.</summary>
    public sealed record Settings(bool FitsCatalog, bool RegionFiles)
    {
        public static Settings From(Config.PipelineConfig c) => new(c.Outputs.FitsCatalog, c.Outputs.RegionFiles);
    }

    /// <summary>Writes the products of the final catalogue as published; returns their paths (for the stamp).</summary>
    public static IReadOnlyList<string> Write(StageContext context)
    {
        var layout = context.Layout;
        var o = Settings.From(context.Config);
        var table = SourceTableCsv.Read(layout.FinalCatalog, "Final catalog");
        var written = new List<string>();
        string fits = FitsPath(layout);
        if (o.FitsCatalog)
        {
            CatalogFits.Write(table, fits, "tract7dt");
            written.Add(fits);
        }
        else if (File.Exists(fits)) File.Delete(fits);
        if (o.RegionFiles) written.AddRange(RegionFile.WriteAll(table, layout.FinalCatalog));
        else
        {
            var (a, b, c) = RegionFile.PathsFor(layout.FinalCatalog);
            foreach (var p in new[] { a, b, c }) if (File.Exists(p)) File.Delete(p);
        }
        if (written.Count > 0) context.Log("tract7dt.merge").Info($"Wrote: {string.Join(", ", written.Select(Path.GetFileName))} beside {layout.FinalCatalog}");
        return written;
    }

    /// <summary>Removes every product (the final catalogue is not published by this stage any more).</summary>
    public static void Remove(WorkDirLayout layout)
    {
        var (a, b, c) = RegionFile.PathsFor(layout.FinalCatalog);
        foreach (var p in new[] { FitsPath(layout), a, b, c }) if (File.Exists(p)) File.Delete(p);
    }
}
