using System.Text;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;
using Xunit;

namespace Tract7dt.Tests.Fits;

/// <summary>Each bad input gives one <see cref="Tract7dtException"/> with its code and the file's name.</summary>
public class FitsErrorTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "t7d-fits-err-" + Guid.NewGuid().ToString("N"));

    public FitsErrorTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Good()
    {
        string p = Path.Combine(_dir, "good.fits");
        var data = new float[37 * 23];
        for (int i = 0; i < data.Length; i++) data[i] = i;
        FitsWriter.WriteImage(p, data, 37, 23);
        return p;
    }

    private string WriteBytes(string name, byte[] bytes)
    {
        string p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    private static Tract7dtException Expect(string code, string path, Action act)
    {
        var e = Assert.Throws<Tract7dtException>(act);
        Assert.Equal(code, e.Code);
        Assert.Contains(Path.GetFileName(path), e.Message);
        return e;
    }

    private static string Card(string text) => text.PadRight(80);

    private static byte[] Header(params string[] cards)
    {
        var s = string.Concat(cards.Select(Card)) + Card("END");
        s = s.PadRight((s.Length + 2879) / 2880 * 2880);
        return Encoding.ASCII.GetBytes(s);
    }

    [Fact]
    public void Truncated_data_is_reported_not_read_as_garbage()
    {
        var bytes = File.ReadAllBytes(Good());
        string p = WriteBytes("cut.fits", bytes[..(2880 + 1000)]);
        using var f = FitsFile.Open(p); // the header is intact
        var e = Expect(ErrorCodes.FitsTruncated, p, () => f.ReadImage());
        Assert.Contains("3404", e.Message); // the declared data size
        Expect(ErrorCodes.FitsTruncated, p, () => f.ReadWindow(0, 0, 5, 0, 5, new float[25]));
    }

    [Fact]
    public void Truncated_gzip_is_reported()
    {
        string src = Path.Combine(FitsReaderGoldenTests.GoldenDir, "gz.fits.gz");
        var bytes = File.ReadAllBytes(src);
        string p = WriteBytes("cut.fits.gz", bytes[..(bytes.Length * 2 / 3)]);
        var e = Assert.Throws<Tract7dtException>(() => { using var f = FitsFile.Open(p); f.ReadImage(); });
        Assert.Contains(e.Code, new[] { ErrorCodes.FitsTruncated, ErrorCodes.FitsBadGzip });
        Assert.Contains("cut.fits.gz", e.Message);
    }

    [Fact]
    public void Header_without_END_is_reported()
    {
        var s = Card("SIMPLE  =                    T") + Card("BITPIX  =                  -32") + Card("NAXIS   =                    0");
        string p = WriteBytes("noend.fits", Encoding.ASCII.GetBytes(s.PadRight(2880 * 2)));
        Expect(ErrorCodes.FitsHeaderWithoutEnd, p, () => FitsFile.Open(p));
        string q = WriteBytes("short.fits", Encoding.ASCII.GetBytes(s)); // ends mid-block
        Expect(ErrorCodes.FitsHeaderWithoutEnd, q, () => FitsFile.ReadPrimaryHeader(q));
    }

    [Theory]
    [InlineData("catalog.csv", "ID,RA,DEC\n1,10.0,-5.0\n")]
    [InlineData("empty.fits", "")]
    [InlineData("short.fits", "SIMP")]
    [InlineData("simplef.fits", "XSIMPLE =                    T")]
    public void Non_FITS_files_are_reported(string name, string content)
    {
        string p = WriteBytes(name, Encoding.ASCII.GetBytes(content));
        Expect(ErrorCodes.FitsNotFits, p, () => FitsFile.Open(p));
    }

    [Fact]
    public void Binary_garbage_is_not_FITS()
    {
        var bytes = new byte[5000];
        new Random(3).NextBytes(bytes);
        bytes[0] = (byte)'S'; // not enough to look like FITS
        string p = WriteBytes("garbage.bin", bytes);
        Expect(ErrorCodes.FitsNotFits, p, () => FitsFile.Open(p));
    }

    [Fact]
    public void Tile_compressed_images_are_refused_clearly()
    {
        string p = Path.Combine(FitsReaderGoldenTests.GoldenDir, "tilecomp.fits");
        using var f = FitsFile.Open(p);
        Assert.True(f.GetHdu(1).IsTileCompressed);
        var e = Expect(ErrorCodes.FitsTileCompressed, p, () => f.ReadImage(1));
        Assert.Contains("RICE_1", e.Message);
        Assert.Contains("funpack", e.Message);
        // Asking for the (empty) primary of a .fz-style file also says why.
        Expect(ErrorCodes.FitsTileCompressed, p, () => f.ReadImage(0));
    }

    [Fact]
    public void Unsupported_BITPIX_is_reported()
    {
        string p = WriteBytes("bitpix24.fits", Header("SIMPLE  =                    T", "BITPIX  =                   24", "NAXIS   =                    0"));
        var e = Expect(ErrorCodes.FitsUnsupportedBitpix, p, () => FitsFile.Open(p));
        Assert.Contains("24", e.Message);
    }

    [Fact]
    public void Cubes_tables_and_empty_HDUs_are_not_images()
    {
        var cube = Header("SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    3",
            "NAXIS1  =                    4", "NAXIS2  =                    3", "NAXIS3  =                    2");
        string p = WriteBytes("cube.fits", [.. cube, .. new byte[2880]]);
        var e = Expect(ErrorCodes.FitsNotAnImage, p, () => FitsFile.Open(p).ReadImage());
        Assert.Contains("NAXIS = 3", e.Message);

        // NAXIS3 = 1 is a 2-D image in disguise: accepted.
        var flat3 = Header("SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    3",
            "NAXIS1  =                    4", "NAXIS2  =                    3", "NAXIS3  =                    1");
        string q = WriteBytes("flat3.fits", [.. flat3, .. new byte[2880]]);
        Assert.Equal(12, FitsFile.Open(q).ReadImage().Length);

        string ext = Path.Combine(FitsReaderGoldenTests.GoldenDir, "ext.fits");
        using var f = FitsFile.Open(ext);
        Expect(ErrorCodes.FitsNotAnImage, ext, () => f.ReadImage(0)); // empty primary
        Expect(ErrorCodes.FitsNotAnImage, ext, () => f.ReadImage(3)); // BINTABLE
        Expect(ErrorCodes.FitsHduNotFound, ext, () => f.ReadImage(4));
    }

    [Fact]
    public void Missing_mandatory_keyword_is_reported()
    {
        string p = WriteBytes("nonaxis1.fits", Header("SIMPLE  =                    T", "BITPIX  =                  -32", "NAXIS   =                    2", "NAXIS2  =                    3"));
        var e = Expect(ErrorCodes.FitsBadHeader, p, () => FitsFile.Open(p));
        Assert.Contains("NAXIS1", e.Message);
    }

    [Fact]
    public void Missing_file_is_reported_with_the_general_code()
    {
        string p = Path.Combine(_dir, "nope.fits");
        Expect(ErrorCodes.FileNotFound, p, () => FitsFile.Open(p));
    }
}
