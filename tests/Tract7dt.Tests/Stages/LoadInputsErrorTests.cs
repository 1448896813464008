using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;
using Tract7dt.Science.Logging;
using Tract7dt.Science.Pipeline.Stages;
using Xunit;

namespace Tract7dt.Tests.Stages;

/// <summary>Each bad input gives one clear error (its code, naming the file/key/value) and no output files.</summary>
[Collection(LoadInputsCollection.Name)]
public sealed class LoadInputsErrorTests(LoadInputsFixture data)
{
    private static string Band(string dir, string band) => Path.Combine(dir, "images", $"7DT_SIM_{band}.fits");

    private static void EditHeader(string path, Action<FitsHeader> edit)
    {
        var img = FitsImage.ReadFloat(path);
        var h = img.Header.Clone();
        edit(h);
        FitsWriter.WriteImage(path, img.Data, img.Width, img.Height, h);
    }

    /// <summary>Runs LoadInputs, expects <paramref name="code"/>, and checks nothing was written.</summary>
    private static Tract7dtException Fails(string dir, string code, params string[] mentions)
    {
        var ctx = LoadInputsFixture.Context(dir, new MemoryLogSink());
        var e = Assert.Throws<Tract7dtException>(() => new LoadInputsStage().Run(ctx));
        Assert.Equal(code, e.Code);
        foreach (var s in mentions) Assert.Contains(s, e.Message);
        var L = ctx.Layout;
        foreach (var f in new[] { L.FramesManifest, L.WhiteFits, L.FlaggedCatalog, L.SaturatedPixels, L.CatalogStateFile })
            Assert.False(File.Exists(f), $"{f} must not be written after an input error");
        Assert.False(Directory.Exists(L.CroppedImagesDir), "no plots after an input error");
        return e;
    }

    [Fact]
    public void MissingFilter() { string d = data.Copy(); EditHeader(Band(d, "m550"), h => h.Remove("FILTER"));
        Fails(d, ErrorCodes.HeaderMissingKey, "Missing FILTER in", "7DT_SIM_m550.fits"); }

    [Fact]
    public void EmptyFilter() { string d = data.Copy(); EditHeader(Band(d, "m550"), h => h.Set("FILTER", "   "));
        Fails(d, ErrorCodes.HeaderEmptyFilter, "Empty FILTER in", "7DT_SIM_m550.fits"); }

    [Fact]
    public void MissingZpAuto() { string d = data.Copy(); EditHeader(Band(d, "m700"), h => h.Remove("ZP_AUTO"));
        Fails(d, ErrorCodes.HeaderMissingKey, "Missing ZP_AUTO in", "7DT_SIM_m700.fits"); }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.5)]
    public void SkysigNotPositive(double v) { string d = data.Copy(); EditHeader(Band(d, "m400"), h => h.Set("SKYSIG", v));
        Fails(d, ErrorCodes.HeaderBadValue, "Bad/Missing SKYSIG", "7DT_SIM_m400.fits", "SKYSIG = "); }

    [Fact]
    public void SkysigNaN() { string d = data.Copy(); EditHeader(Band(d, "m400"), h => h.Set("SKYSIG", "NaN"));
        Fails(d, ErrorCodes.HeaderBadValue, "Bad/Missing SKYSIG", "'NaN'"); }

    [Fact]
    public void MissingEgain() { string d = data.Copy(); EditHeader(Band(d, "m400"), h => h.Remove("EGAIN"));
        Fails(d, ErrorCodes.HeaderMissingKey, "Missing EGAIN in"); }

    [Fact]
    public void ShapeMismatch()
    {
        string d = data.Copy();
        string p = Band(d, "m700");
        var img = FitsImage.ReadFloat(p);
        FitsWriter.WriteImage(p, img.Data.AsSpan(0, 600 * 500), 600, 500, img.Header);
        Fails(d, ErrorCodes.ImageShapeMismatch, "Image shape mismatch", "7DT_SIM_m700.fits", "(500, 600)", "(600, 600)");
    }

    [Fact]
    public void WcsMismatchBeyondTolerance()
    {
        string d = data.Copy();
        EditHeader(Band(d, "m550"), h => h.Set("CRVAL1", h.GetDouble("CRVAL1")!.Value + 1e-4));
        Fails(d, ErrorCodes.WcsMismatch, "WCS mismatch with reference", "7DT_SIM_m550.fits", "CRVAL1");
    }

    [Fact]
    public void WcsDifferenceWithinToleranceIsAccepted()
    {
        string d = data.Copy();
        EditHeader(Band(d, "m550"), h => h.Set("CRVAL1", h.GetDouble("CRVAL1")!.Value + 1e-7));  // < 1e-6 default
        new LoadInputsStage().Run(LoadInputsFixture.Context(d, new MemoryLogSink()));
    }

    private static void EditData(string path, Func<float, float> edit)
    {
        var img = FitsImage.ReadFloat(path);
        var data = img.Data.Select(edit).ToArray();
        FitsWriter.WriteImage(path, data, img.Width, img.Height, img.Header.Clone());
    }

    [Fact]
    public void ABandOfOnlyNaNIsOneErrorNamingItsFile()
    {
        // Every source's "flux" in such a band used to be its catalogue flux, with a MAG.
        string d = data.Copy(); EditData(Band(d, "m550"), _ => float.NaN);
        Fails(d, ErrorCodes.BandWithoutSignal, "7DT_SIM_m550.fits", "no finite pixel");
    }

    [Fact]
    public void ABandOfZerosIsOneErrorNamingItsFile()
    {
        // It used to give fluxes of ~0 and a zero point of 7.67 ± 1.91 from five "stars".
        string d = data.Copy(); EditData(Band(d, "m700"), _ => 0f);
        Fails(d, ErrorCodes.BandWithoutSignal, "7DT_SIM_m700.fits", "the value 0 in every finite pixel");
    }

    [Fact]
    public void TwoImagesWithOneFilterNameBothFiles()
    {
        // The original measured m400 on the m550 file without a word; with the catalogue's FLUX
        // columns present it blamed the catalogue.
        string d = data.Copy();
        EditHeader(Band(d, "m400"), h => h.Set("FILTER", "m550"));
        Fails(d, ErrorCodes.DuplicateFilter, "FILTER = 'm550'", "7DT_SIM_m400.fits", "7DT_SIM_m550.fits");
    }

    [Fact]
    public void CatalogBandsDoNotMatchFilters()
    {
        string d = data.Copy();
        string cat = Path.Combine(d, "input_catalog.csv");
        var lines = File.ReadAllLines(cat);
        lines[0] = lines[0].Replace("FLUX_m700", "FLUX_m701");
        File.WriteAllLines(cat, lines);
        Fails(d, ErrorCodes.CatalogBandMismatch, "catalog-only=[m701]", "image-only=[m700]");
    }

    [Fact]
    public void CatalogWithoutRaDec()
    {
        string d = data.Copy();
        string cat = Path.Combine(d, "input_catalog.csv");
        var lines = File.ReadAllLines(cat);
        lines[0] = lines[0].Replace(",RA,", ",RA_J2000,");
        File.WriteAllLines(cat, lines);
        Fails(d, ErrorCodes.CatalogMissingRaDec, "RA and DEC");
    }

    [Fact]
    public void ImagePathThatDoesNotExist()
    {
        string d = data.Copy();
        File.AppendAllText(Path.Combine(d, "image_list.txt"), "images/7DT_SIM_m999.fits\n");
        Fails(d, ErrorCodes.ImageNotFound, "7DT_SIM_m999.fits", "image_list.txt");
    }

    [Fact]
    public void ACatalogWithNoRowsIsNothingToMeasure()
    {
        string d = data.Copy();
        string cat = Path.Combine(d, "input_catalog.csv");
        File.WriteAllLines(cat, [File.ReadLines(cat).First()]);
        Fails(d, ErrorCodes.NoSourceToMeasure, "has a header but no rows", "input_catalog.csv");
    }

    /// <summary>The catalogue's declinations moved off the images by 5°.</summary>
    private static void MoveCatalogOff(string dir)
    {
        string cat = Path.Combine(dir, "input_catalog.csv");
        var lines = File.ReadAllLines(cat);
        int dec = Array.IndexOf(lines[0].Split(','), "DEC");
        for (int i = 1; i < lines.Length; i++)
        {
            var f = lines[i].Split(',');
            f[dec] = (double.Parse(f[dec], System.Globalization.CultureInfo.InvariantCulture) + 5)
                .ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            lines[i] = string.Join(',', f);
        }
        File.WriteAllLines(cat, lines);
    }

    [Fact]
    public void ACatalogOffTheImagesIsNothingToMeasureWithoutZeroPoints()
    {
        string d = data.Copy("plotting:\n  dpi: 30\nzp:\n  enabled: false\n");
        MoveCatalogOff(d);
        Fails(d, ErrorCodes.NoSourceToMeasure, "fall outside the images", "input_catalog.csv");
    }

    [Fact]
    public void ACatalogOffTheImagesIsAWarningWhenGaiaStarsWillBeFitted()
    {
        string d = data.Copy("plotting:\n  dpi: 30\nzp:\n  enabled: true\n");
        MoveCatalogOff(d);
        var sink = new MemoryLogSink();
        var ctx = LoadInputsFixture.Context(d, sink);
        Assert.NotNull(ctx.Config.Inputs.GaiaxpSynphotCsv); // the premise: GaiaXP stars can be added
        new LoadInputsStage().Run(ctx);
        Assert.Contains(sink.Records, r => r.Level == LogLevel.Warning && r.Message.Contains("only GaiaXP stars"));
    }

    [Fact]
    public void AHeaderWhoseSizeTheFileDoesNotHoldIsTruncatedNamingTheFile()
    {
        // NAXIS1 = 10⁹ on a 600×600 file: the header promises 2.4 TB of pixels
        string d = data.Copy();
        string p = Band(d, "m550");
        var bytes = File.ReadAllBytes(p);
        string head = System.Text.Encoding.ASCII.GetString(bytes, 0, 2880);
        int at = head.IndexOf("NAXIS1  =", StringComparison.Ordinal);
        System.Text.Encoding.ASCII.GetBytes($"NAXIS1  = {1_000_000_000,20}".PadRight(80)).CopyTo(bytes, at);
        File.WriteAllBytes(p, bytes);
        Fails(d, ErrorCodes.FitsTruncated, "7DT_SIM_m550.fits", "truncated");
    }

    public static TheoryData<int> FuzzSeeds() => new(Enumerable.Range(0, 24));

    /// <summary>
    /// A header keyword of one band damaged at random (seeded): the stage either loads or stops
    /// with one coded error naming that band's file, and then writes none of its outputs.
    /// </summary>
    [Theory]
    [MemberData(nameof(FuzzSeeds))]
    public void A_damaged_header_loads_or_is_one_coded_error_naming_its_file_with_nothing_written(int seed)
    {
        string[] keys = ["FILTER", "ZP_AUTO", "SKYSIG", "EGAIN", "SATURATE", "CRVAL1", "CRVAL2", "CRPIX1", "CRPIX2",
                         "CD1_1", "CD1_2", "CD2_2", "CTYPE1", "CTYPE2", "CUNIT1", "PEEING", "SEEING"];
        object[] values = ["", "NaN", "-1", "0", "abc", "1E999", -1.0, 0.0, 1e300, true]; // (a NaN number cannot be written)
        var rng = new Random(7000 + seed);
        string d = data.Copy();
        string band = new[] { "m400", "m550", "m700" }[rng.Next(3)];
        string key = keys[rng.Next(keys.Length)];
        object value = values[rng.Next(values.Length)];
        EditHeader(Band(d, band), h =>
        {
            if (rng.Next(4) == 0) h.Remove(key);
            else h.Set(key, value);
        });
        var ctx = LoadInputsFixture.Context(d, new MemoryLogSink());
        try
        {
            new LoadInputsStage().Run(ctx);
        }
        catch (Tract7dtException e)
        {
            Assert.Contains($"7DT_SIM_{band}.fits", e.Message);
            var L = ctx.Layout;
            foreach (var f in new[] { L.FramesManifest, L.WhiteFits, L.FlaggedCatalog, L.SaturatedPixels, L.CatalogStateFile })
                Assert.False(File.Exists(f), $"{f} written after {e.Code} ({key} of {band})");
        }
    }

    [Fact]
    public void CropMarginTooLarge()
    {
        string d = data.Copy("plotting:\n  dpi: 30\ncrop:\n  margin: 300\n");
        Fails(d, ErrorCodes.InvalidCropRegion, "margin=300");
    }
}
