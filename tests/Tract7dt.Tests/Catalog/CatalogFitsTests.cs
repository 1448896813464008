using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Tract7dt.Science.Catalog;
using Xunit;

namespace Tract7dt.Tests.Catalog;

/// <summary>The final catalogue's FITS binary table and DS9 region files.</summary>
public sealed class CatalogFitsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("t7d-catfits");

    public void Dispose() => _dir.Delete(true);

    private static SourceTable Table()
    {
        var t = new SourceTable(3);
        t.AddText("ID", ["007", "8", "9"]);                                    // leading zero: stays text
        t.AddText("RA", ["150.1", "150.2", "150.3"]);
        t.AddText("DEC", ["2.1", "2.2", "2.3"]);
        t.AddText("gaia_source_id", ["", "4295806720123456789", "123"]);       // 19 digits: exact
        t.AddText("FLUX_m400_fit", ["1234.5", "NaN", ""]);
        t.AddText("opt_niters", ["3", "20", ""]);
        t.AddText("excluded_any", ["False", "True", ""]);
        t.AddText("stype_fit", ["star", "exp", ""]);
        t.AddText("RA_fit", ["150.10001", "", "150.3"]);
        t.AddText("DEC_fit", ["2.10001", "", "2.3"]);
        t.AddText("fit_status", ["ok", "excluded", "ok"]);
        t.AddText("excluded_reason", ["", "crop", ""]);
        t.AddText("MAG_m400_fit", ["17.25", "", "19.5"]);
        return t;
    }

    [Fact]
    public void Every_column_round_trips_with_its_type_unit_and_exact_64_bit_ids()
    {
        string path = Path.Combine(_dir.FullName, "cat.fits");
        CatalogFits.Write(Table(), path, "test");
        var cols = ReadBinaryTable(path);

        Assert.Equal(Table().ColumnNames, cols.Select(c => c.Name));
        Assert.Equal("A", Col(cols, "ID").Form[^1..]);
        Assert.Equal(["007", "8", "9"], Col(cols, "ID").Values);
        Assert.Equal("K", Col(cols, "gaia_source_id").Form);
        Assert.Equal([null, 4295806720123456789L, 123L], Col(cols, "gaia_source_id").Values);
        Assert.Equal("D", Col(cols, "FLUX_m400_fit").Form);
        Assert.Equal(1234.5, (double)Col(cols, "FLUX_m400_fit").Values[0]!);
        Assert.True(double.IsNaN((double)Col(cols, "FLUX_m400_fit").Values[1]!));
        Assert.True(double.IsNaN((double)Col(cols, "FLUX_m400_fit").Values[2]!));
        Assert.Equal([3L, 20L, null], Col(cols, "opt_niters").Values);
        Assert.Equal([false, true, null], Col(cols, "excluded_any").Values);
        Assert.Equal("deg", Col(cols, "RA").Unit);
        Assert.Equal("deg", Col(cols, "DEC_fit").Unit);
        Assert.Equal("mag", Col(cols, "MAG_m400_fit").Unit);
        Assert.Null(Col(cols, "FLUX_m400_fit").Unit);
    }

    /// <summary>
    /// astropy reads every column of the file the writer makes today with its type, unit and value
    /// (the 19-digit Gaia ID exactly) and fitsverify finds no warning and no error: the fixture
    /// script (tools/fixtures/catalog/verify_catalog_fits.py) checked this file and recorded its
    /// SHA-256. Set T7D_FITS_SAMPLES_OUT to a folder to get the file for re-verification.
    /// </summary>
    [Fact]
    public void The_table_is_the_one_astropy_and_fitsverify_checked()
    {
        string dir = Environment.GetEnvironmentVariable("T7D_FITS_SAMPLES_OUT") is { Length: > 0 } outDir ? outDir : _dir.FullName;
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "catalog_table.fits");
        CatalogFits.Write(Table(), path, "test");
        using var golden = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "Catalog", "catalog_verified.json")));
        string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
        Assert.True(golden.RootElement.GetProperty("sha256").GetString() == hash,
            $"the catalogue table's bytes changed since astropy and fitsverify checked them (sha256 {hash}): re-run tools/fixtures/catalog/verify_catalog_fits.py");
        // what astropy read, as recorded: the exact 64-bit ID and the masked empty cell
        var gaia = golden.RootElement.GetProperty("astropy").GetProperty("gaia_source_id");
        Assert.EndsWith("i8", gaia.GetProperty("dtype").GetString()); // int64 (big-endian as stored)
        Assert.Equal("4295806720123456789", gaia.GetProperty("values")[1].GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, gaia.GetProperty("values")[0].ValueKind);
    }

    [Fact]
    public void Region_files_place_fitted_excluded_and_gaia_sources_in_fk5()
    {
        string csv = Path.Combine(_dir.FullName, "output_catalog.csv");
        var paths = RegionFile.WriteAll(Table(), csv);
        Assert.Equal(["output_catalog_fitted.reg", "output_catalog_excluded.reg", "output_catalog_gaia.reg"], paths.Select(Path.GetFileName));
        foreach (var p in paths)
        {
            var lines = File.ReadAllLines(p);
            Assert.Equal("# Region file format: DS9 version 4.1", lines[0]);
            Assert.Contains("fk5", lines);
        }
        var fitted = Shapes(paths[0]);
        Assert.Equal(["circle(150.1000100,2.1000100,1.5\") # text={007}", "circle(150.3000000,2.3000000,1.5\") # text={9}"], fitted);
        Assert.Equal(["point(150.2000000,2.2000000) # point=x text={8 crop}"], Shapes(paths[1]));
        Assert.Equal(["box(150.2000000,2.2000000,2\",2\",0) # text={Gaia 4295806720123456789}", "box(150.3000000,2.3000000,2\",2\",0) # text={Gaia 123}"],
            Shapes(paths[2]));
    }

    private static List<string> Shapes(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0 && char.IsLetter(l[0]) && l != "fk5" && !l.StartsWith("global", StringComparison.Ordinal)).ToList();

    private sealed record ReadColumn(string Name, string Form, string? Unit, List<object?> Values);

    private static ReadColumn Col(List<ReadColumn> cols, string name) => cols.Single(c => c.Name == name);

    /// <summary>A reader written from the FITS standard for this test: the first BINTABLE extension's columns.</summary>
    private static List<ReadColumn> ReadBinaryTable(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(0, bytes.Length % 2880);
        int pos = 0;
        Dictionary<string, string> ReadHeader()
        {
            var cards = new Dictionary<string, string>(StringComparer.Ordinal);
            while (true)
            {
                string card = Encoding.ASCII.GetString(bytes, pos, 80);
                pos += 80;
                string key = card[..8].Trim();
                if (key == "END") break;
                if (card.Length > 10 && card[8] == '=')
                {
                    string v = card[10..];
                    int slash = v.StartsWith('\'') ? v.IndexOf('\'', 1) + 1 + Math.Max(0, v[(v.IndexOf('\'', 1) + 1)..].IndexOf('/')) : v.IndexOf('/');
                    string value = (slash > 0 && !v.StartsWith('\'') ? v[..slash] : v).Trim();
                    if (value.StartsWith('\'')) value = value[1..value.IndexOf('\'', 1)].TrimEnd();
                    cards[key] = value;
                }
            }
            pos = (pos + 2879) / 2880 * 2880;
            return cards;
        }
        var primary = ReadHeader();
        Assert.Equal("T", primary["SIMPLE"]);
        var h = ReadHeader();
        Assert.Equal("BINTABLE", h["XTENSION"]);
        int rowBytes = int.Parse(h["NAXIS1"], CultureInfo.InvariantCulture), rows = int.Parse(h["NAXIS2"], CultureInfo.InvariantCulture);
        int n = int.Parse(h["TFIELDS"], CultureInfo.InvariantCulture);
        var cols = new List<ReadColumn>();
        int offset = 0;
        for (int j = 1; j <= n; j++)
        {
            string form = h["TFORM" + j], name = h["TTYPE" + j];
            int width = form switch { "K" or "D" => 8, "L" => 1, _ => int.Parse(form[..^1], CultureInfo.InvariantCulture) };
            var values = new List<object?>();
            for (int r = 0; r < rows; r++)
            {
                var cell = bytes.AsSpan(pos + r * rowBytes + offset, width);
                values.Add(form switch
                {
                    "K" => BinaryPrimitives.ReadInt64BigEndian(cell) is long v && h.TryGetValue("TNULL" + j, out var tn)
                           && v == long.Parse(tn, CultureInfo.InvariantCulture) ? null : BinaryPrimitives.ReadInt64BigEndian(cell),
                    "D" => BinaryPrimitives.ReadDoubleBigEndian(cell),
                    "L" => cell[0] switch { (byte)'T' => true, (byte)'F' => false, _ => (bool?)null },
                    _ => Encoding.ASCII.GetString(cell).Split((char)0)[0].TrimEnd(), // a NUL ends the string (FITS 4.0 §7.3.3.1)
                });
            }
            cols.Add(new ReadColumn(name, form, h.GetValueOrDefault("TUNIT" + j), values));
            offset += width;
        }
        Assert.Equal(rowBytes, offset);
        return cols;
    }
}
