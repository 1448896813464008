using Tract7dt.Science.Catalog;
using Tract7dt.Science.Errors;
using Xunit;

namespace Tract7dt.Tests.Catalog;

public sealed class CatalogTests : IDisposable
{
    private readonly string _dir = Path.Join(Path.GetTempPath(), "t7d_cat_" + Guid.NewGuid().ToString("N"));

    public CatalogTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string p = Path.Join(_dir, name);
        File.WriteAllText(p, text);
        return p;
    }

    // Odd formatting on purpose: leading-zero ids, 1.50, exponents, quoted commas and quotes,
    // blank TYPE, a leading space, inf, NA tokens, a multi-line quoted field.
    private const string OddCatalog =
        "ID,RA,DEC,TYPE,FLUX_m400,note\n" +
        "00017,150.10234100,2.213457,STAR,1.50,\"a, b\"\n" +
        "0018,1.5e2,-2.2E-1,,3e+02,\"say \"\"hi\"\"\"\n" +
        "gal_A,150.116002, 2.201377,GAL,NA, leading\n" +
        "x9,150,2,sersic,inf,\"two\nlines\"\n";

    [Fact]
    public void RoundTripKeepsEveryInputCellByteIdentical()
    {
        string p = Write("odd.csv", OddCatalog);
        var warnings = new List<string>();
        var cat = InputCatalog.Read(p, warnings);
        Assert.Empty(warnings);
        Assert.Equal(4, cat.Count);
        string outPath = Path.Join(_dir, "out", "copy.csv");
        SourceTableCsv.Write(cat.Table, outPath);
        Assert.Equal(OddCatalog, File.ReadAllText(outPath));   // minimal quoting in, so the bytes match exactly
        var back = SourceTableCsv.Read(outPath);
        foreach (var col in cat.Table.Columns)
            Assert.Equal(((TextColumn)col).Values, ((TextColumn)back[col.Name]).Values);
    }

    [Fact]
    public void AppendedColumnsUsePandasConventions()
    {
        var cat = InputCatalog.Read(Write("odd.csv", OddCatalog), new List<string>());
        var t = cat.Table;
        t.AddDouble("x_fit", [0.1, 1e-5, double.NaN, 20.0]);
        t.AddBool("excluded_any", [true, false, false, true]);
        t.AddInt("opt_niters", [20, 3, 0, -1]);
        t.AddText("patch_tag", ["r00_c01_pr00_pc00", "", "a,b", "q"]);
        var sw = new StringWriter();
        SourceTableCsv.Write(t, sw);
        string[] lines = sw.ToString().Split('\n');
        Assert.Equal("ID,RA,DEC,TYPE,FLUX_m400,note,x_fit,excluded_any,opt_niters,patch_tag", lines[0]);
        Assert.EndsWith(",0.1,True,20,r00_c01_pr00_pc00", lines[1]);
        Assert.EndsWith(",1e-05,False,3,", lines[2]);
        Assert.EndsWith(", leading,,False,0,\"a,b\"", lines[3]);
        Assert.EndsWith("lines\",20.0,True,-1,q", lines[5]);
    }

    [Fact]
    public void SetReplacesInPlaceAndAddRejectsDuplicates()
    {
        var t = new SourceTable(2);
        t.AddText("excluded_crop", ["x", "y"]);
        t.AddText("b", ["1", "2"]);
        t.Set(new BoolColumn("excluded_crop", [true, false]));
        Assert.Equal(["excluded_crop", "b"], t.ColumnNames);
        Assert.Equal("True", t.Text("excluded_crop", 0));
        Assert.Equal("T7D088", Assert.Throws<Tract7dtException>(() => t.AddText("b", ["", ""])).Code);
        Assert.Equal("T7D088", Assert.Throws<Tract7dtException>(() => t["nope"]).Code);
    }

    [Fact]
    public void NumericViewsAreParsedInvariantly()
    {
        var cat = InputCatalog.Read(Write("odd.csv", OddCatalog), new List<string>());
        Assert.Equal([150.102341, 150.0, 150.116002, 150.0], cat.Ra);
        Assert.Equal([2.213457, -0.22, 2.201377, 2.0], cat.Dec);        // " 2.201377": blanks ignored for numbers
        double[] f = cat.Table.Numeric("FLUX_m400");
        Assert.Equal(1.5, f[0]);
        Assert.Equal(300.0, f[1]);
        Assert.True(double.IsNaN(f[2]));
        Assert.True(double.IsPositiveInfinity(f[3]));
        double[] prior = cat.FluxPriors("m400");                        // inf is not a usable prior
        Assert.Equal(1.5, prior[0]);
        Assert.True(double.IsNaN(prior[2]) && double.IsNaN(prior[3]));
        Assert.Equal("00017", cat.Id(0));
        Assert.Equal("0018", cat.Id(1));
        Assert.Null(cat.TypeText(1));
        Assert.Equal(["m400"], cat.FluxBands);
        Assert.Equal(2, cat.Table.SourceLines![0]);
        Assert.Equal(5, cat.Table.SourceLines![3]);
    }

    [Theory]
    [InlineData("1.50", 1.5)]
    [InlineData(" 7 ", 7.0)]
    [InlineData("-3.", -3.0)]
    [InlineData(".5", 0.5)]
    [InlineData("1E5", 1e5)]
    [InlineData("-Infinity", double.NegativeInfinity)]
    [InlineData("+inf", double.PositiveInfinity)]
    public void NumbersParse(string text, double expected)
    {
        Assert.True(CellText.TryParseNumber(text, out double v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("")]
    [InlineData("NA")]
    [InlineData("nan")]
    [InlineData("None")]
    [InlineData("#N/A")]
    [InlineData("abc")]
    [InlineData("1,5")]
    [InlineData("0x10")]
    public void NonNumbersDoNotParse(string text) => Assert.False(CellText.TryParseNumber(text, out _));

    [Fact]
    public void LowerCaseColumnsAreFoundWithAWarning()
    {
        var warnings = new List<string>();
        var cat = InputCatalog.Read(Write("lc.csv", "id,Ra,dec,type\n1,10,20,STAR\n"), warnings);
        Assert.Equal(("Ra", "dec", "id", "type"), (cat.RaColumn, cat.DecColumn, cat.IdColumn, cat.TypeColumn));
        Assert.Equal(3, warnings.Count);
        Assert.Contains("'Ra' and 'dec'", warnings[0]);
        Assert.Equal("STAR", cat.TypeText(0));
    }

    [Fact]
    public void MissingRaDecNamesTheFileAndItsColumns()
    {
        string p = Write("nora.csv", "ID,ALPHA,DEC\n1,2,3\n");
        var e = Assert.Throws<Tract7dtException>(() => InputCatalog.Read(p, new List<string>()));
        Assert.Equal(ErrorCodes.CatalogMissingRaDec, e.Code);
        Assert.Contains(p, e.Message);
        Assert.Contains("'ALPHA'", e.Message);
    }

    [Theory]
    [InlineData("ID,RA,DEC\n1,10,20\n2,abc,20\n", "line 3", "'RA'", "'abc'")]
    [InlineData("ID,RA,DEC\n1,10,20\n\n2,10,\n", "line 4", "'DEC'", "is empty")]
    [InlineData("ID,RA,DEC\n\"a\nb\",10,20\n2,10,NA\n", "line 4", "'DEC'", "'NA'")]
    public void BadCoordinateNamesFileLineAndColumn(string csv, string line, string column, string detail)
    {
        string p = Write("bad.csv", csv);
        var e = Assert.Throws<Tract7dtException>(() => InputCatalog.Read(p, new List<string>()));
        Assert.Equal(ErrorCodes.CatalogBadValue, e.Code);
        Assert.Contains(p, e.Message);
        Assert.Contains(line, e.Message);
        Assert.Contains(column, e.Message);
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public void MalformedAndMissingFiles()
    {
        var e = Assert.Throws<Tract7dtException>(() => InputCatalog.Read(Write("long.csv", "RA,DEC\n1,2\n1,2,3\n"), new List<string>()));
        Assert.Equal(ErrorCodes.CatalogMalformed, e.Code);
        Assert.Contains("line 3", e.Message);
        Assert.Equal(ErrorCodes.CatalogMalformed,
            Assert.Throws<Tract7dtException>(() => InputCatalog.Read(Write("empty.csv", ""), new List<string>())).Code);
        Assert.Equal(ErrorCodes.CatalogNotFound,
            Assert.Throws<Tract7dtException>(() => InputCatalog.Read(Path.Join(_dir, "none.csv"), new List<string>())).Code);
        // A short row is padded with missing cells, as pandas does.
        var cat = InputCatalog.Read(Write("short.csv", "RA,DEC,X\n1,2\n"), new List<string>());
        Assert.Equal("", cat.Table.Text("X", 0));
    }

    [Fact]
    public void DuplicateHeadersAreRenamedLikePandas()
    {
        var t = SourceTableCsv.Read(Write("dup.csv", "RA,DEC,A,A,A\n1,2,x,y,z\n"));
        Assert.Equal(["RA", "DEC", "A", "A.1", "A.2"], t.ColumnNames);
    }

    [Fact]
    public void BandConsistency()
    {
        var cat = InputCatalog.Read(Write("b.csv", "RA,DEC,FLUX_m400,FLUX_m425,FLUX_m400_err,flux_m450\n1,2,3,4,5,6\n"), new List<string>());
        Assert.Equal(["m400", "m425", "m400_err"], cat.FluxBands);     // lower-case flux_ is not a band column
        var e = Assert.Throws<Tract7dtException>(() => cat.CheckBands(["m425", "m400", "m450"]));
        Assert.Equal(ErrorCodes.CatalogBandMismatch, e.Code);
        Assert.Contains("catalog-only=[m400_err] image-only=[m450]", e.Message);
        Assert.Equal("flux_m450", cat.FluxColumnFor("m450"));            // but it initialises the flux
        Assert.Equal(6.0, cat.FluxPriors("m450")[0]);
        var noFlux = InputCatalog.Read(Write("nf.csv", "RA,DEC\n1,2\n"), new List<string>());
        noFlux.CheckBands(["anything"]);                                  // no FLUX_ columns: no check
        Assert.True(double.IsNaN(noFlux.FluxPriors("m400")[0]));
    }

    [Fact]
    public void Conventions()
    {
        Assert.Equal(SourceModel.Star, CatalogConventions.ModelFor("star", SourceModel.Exp));
        Assert.Equal(SourceModel.Sersic, CatalogConventions.ModelFor("Sersic", SourceModel.Exp));
        Assert.Equal(SourceModel.Dev, CatalogConventions.ModelFor(" STAR", SourceModel.Dev));   // not trimmed
        Assert.Equal(SourceModel.Exp, CatalogConventions.ModelFor("GAL", SourceModel.Exp));
        Assert.Equal(SourceModel.Exp, CatalogConventions.ModelFor(null, SourceModel.Exp));
        Assert.Equal(0.8, CatalogConventions.AxisRatio(false, 0.5));
        Assert.Equal(1.0, CatalogConventions.AxisRatio(true, double.NaN));
        Assert.Equal(0.65, CatalogConventions.AxisRatio(true, 0.35), 12);
        Assert.Equal(0.1, CatalogConventions.AxisRatio(true, 0.95));
        Assert.Equal(1.0, CatalogConventions.AxisRatio(true, -0.2));
        Assert.Equal(0.0, CatalogConventions.PhiDeg(false, 30));
        Assert.Equal(-90.0, CatalogConventions.PhiDeg(true, double.NaN));
        Assert.Equal(-17.5, CatalogConventions.PhiDeg(true, 72.5));
        Assert.Equal(49.0, CatalogConventions.PhiDeg(true, -41.0));
        Assert.Equal(3.0, CatalogConventions.InitialRe(false, 50, 3.0));
        Assert.Equal(3.0, CatalogConventions.InitialRe(true, double.NaN, 3.0));
        Assert.Equal(100.0, CatalogConventions.InitialRe(true, 500, 3.0));
        Assert.Equal(0.3, CatalogConventions.InitialRe(true, 0.01, 3.0));
    }

    [Fact]
    public void GaiaXpKeepsSourceIdDigits()
    {
        string p = Write("gaia.csv",
            "source_id,ra,dec,phot_g_mean_mag,mag_m400,mag_m425\n" +
            "3838912318312395776,150.102341,2.213457,14.83,15.62,\n" +
            "3838912318312395904,150.118870,2.197120,16.27,17.40,17.12\n");
        var g = GaiaXpCatalog.Read(p);
        Assert.Equal(["3838912318312395776", "3838912318312395904"], g.SourceId!);
        Assert.Equal([14.83, 16.27], g.GMag!);
        Assert.Equal(["m400", "m425"], g.Bands);
        Assert.True(double.IsNaN(g.Mag("m425")![0]));
        Assert.Null(g.Mag("m450"));

        string q = Write("gaia2.csv", "ra,dec,mag_m400\n1,2,3\n");
        var e = Assert.Throws<Tract7dtException>(() => GaiaXpCatalog.Read(q));
        Assert.Equal(ErrorCodes.GaiaMissingColumn, e.Code);
        Assert.Contains("GaiaXP CSV missing required column: source_id", e.Message);
        Assert.Null(GaiaXpCatalog.Read(q, requireZpColumns: false).SourceId);
        Assert.Equal(ErrorCodes.GaiaMissingColumn,
            Assert.Throws<Tract7dtException>(() => GaiaXpCatalog.Read(Write("g3.csv", "RA,dec\n1,2\n"), false)).Code);
    }

    [Fact]
    public void ImageListRules()
    {
        string conf = Path.Join(_dir, "conf");
        Directory.CreateDirectory(conf);
        string list = Write("lists_image_list.txt",
            "# header comment\n\n   /data/a.fits   \r\nimages/b.fits\n  # indented comment\nc#1.fits\n~/d.fits\n\t\n");
        var paths = ImageList.Read(list, conf);
        Assert.Equal(4, paths.Count);
        Assert.Equal("/data/a.fits", paths[0]);
        Assert.Equal(Path.Join(conf, "images", "b.fits"), paths[1]);     // relative to the config folder, not the list's
        Assert.Equal(Path.Join(conf, "c#1.fits"), paths[2]);             // '#' later in a line is part of the path
        Assert.Equal(Tract7dt.Science.Config.PathResolution.Resolve("~/d.fits", "/"), paths[3]);

        var e1 = Assert.Throws<Tract7dtException>(() => ImageList.Read(Path.Join(_dir, "none.txt"), conf));
        Assert.Equal(ErrorCodes.ImageListNotFound, e1.Code);
        Assert.Contains("Image list file not found: " + Path.Join(_dir, "none.txt"), e1.Message);
        string empty = Write("empty.txt", "# nothing\n\n");
        var e2 = Assert.Throws<Tract7dtException>(() => ImageList.Read(empty, conf));
        Assert.Equal(ErrorCodes.ImageListEmpty, e2.Code);
        Assert.Contains("No image paths found in " + empty, e2.Message);
    }
}
