using System.Runtime.InteropServices;
using System.Text.Json;
using Tract7dt.Science.Fits;
using Xunit;

namespace Tract7dt.Tests.Fits;

/// <summary>
/// Files written by astropy 5.2.1 (tools/fixtures/fits/make_fits_fixtures.py): our reader
/// must give astropy's values exactly (bit for bit; NaN where astropy has NaN) and the same
/// header cards.
/// </summary>
public class FitsReaderGoldenTests
{
    internal static string GoldenDir => Path.Combine(AppContext.BaseDirectory, "Golden", "Fits");

    private static readonly Lazy<JsonElement> Expected = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(GoldenDir, "expected.json"))).RootElement.GetProperty("files"));

    public static IEnumerable<object[]> Files() =>
        Expected.Value.EnumerateObject().Select(p => new object[] { p.Name });

    private static string Base(string name) => Path.Combine(GoldenDir, name.Replace(".fits.gz", "").Replace(".fits", ""));

    private static T[] ReadLittleEndian<T>(string path) where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(File.ReadAllBytes(path)).ToArray();

    [Theory]
    [MemberData(nameof(Files))]
    public void Float_pixels_equal_astropy_bit_for_bit(string name)
    {
        var e = Expected.Value.GetProperty(name);
        using var f = FitsFile.Open(Path.Combine(GoldenDir, name));
        int hdu = e.GetProperty("hdu").GetInt32();
        var ours = f.ReadImage(hdu);
        var theirs = ReadLittleEndian<float>(Base(name) + ".f4.bin");
        Assert.Equal(e.GetProperty("width").GetInt32(), f.GetHdu(hdu).Width);
        Assert.Equal(e.GetProperty("height").GetInt32(), f.GetHdu(hdu).Height);
        Assert.Equal(theirs.Length, ours.Length);
        for (int i = 0; i < ours.Length; i++)
        {
            bool same = float.IsNaN(theirs[i]) ? float.IsNaN(ours[i])
                : BitConverter.SingleToInt32Bits(theirs[i]) == BitConverter.SingleToInt32Bits(ours[i]);
            Assert.True(same, $"{name} pixel {i} (x={i % f.GetHdu(hdu).Width}, y={i / f.GetHdu(hdu).Width}): ours {ours[i]:R}, astropy {theirs[i]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Double_pixels_equal_raw_times_bscale_plus_bzero(string name)
    {
        var e = Expected.Value.GetProperty(name);
        using var f = FitsFile.Open(Path.Combine(GoldenDir, name));
        var ours = f.ReadImageDouble(e.GetProperty("hdu").GetInt32());
        var theirs = ReadLittleEndian<double>(Base(name) + ".f8.bin");
        Assert.Equal(theirs.Length, ours.Length);
        for (int i = 0; i < ours.Length; i++)
        {
            bool same = double.IsNaN(theirs[i]) ? double.IsNaN(ours[i])
                : BitConverter.DoubleToInt64Bits(theirs[i]) == BitConverter.DoubleToInt64Bits(ours[i]);
            Assert.True(same, $"{name} pixel {i}: ours {ours[i]:R}, reference {theirs[i]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Header_cards_equal_astropy(string name)
    {
        var e = Expected.Value.GetProperty(name);
        var intended = e.TryGetProperty("intended", out var iv) ? iv : default;
        using var f = FitsFile.Open(Path.Combine(GoldenDir, name));
        var headers = e.GetProperty("headers");
        Assert.Equal(headers.GetArrayLength(), f.Hdus.Count);
        for (int h = 0; h < f.Hdus.Count; h++)
        {
            var ours = f.Hdus[h].Header.Cards;
            var theirs = headers[h].EnumerateArray().ToList();
            Assert.Equal(theirs.Count, ours.Count);
            for (int i = 0; i < ours.Count; i++)
            {
                var t = theirs[i];
                var o = ours[i];
                string key = t.GetProperty("key").GetString()!;
                string where = $"{name} HDU {h} card {i} ({key})";
                Assert.True(key == o.Key, $"{where}: key '{o.Key}'");
                string type = t.GetProperty("type").GetString()!;
                if (type == "commentary")
                {
                    Assert.Null(o.Value);
                    Assert.Equal(t.GetProperty("text").GetString(), o.Comment);
                    continue;
                }
                Assert.True((t.GetProperty("comment").GetString() ?? "") == (o.Comment ?? ""), $"{where}: comment '{o.Comment}'");
                switch (type)
                {
                    case "undefined": Assert.Null(o.Value); break;
                    case "bool": Assert.Equal(t.GetProperty("value").GetBoolean(), Assert.IsType<bool>(o.Value)); break;
                    case "int":
                        if (t.GetProperty("value").TryGetInt64(out long l)) Assert.Equal(l, Assert.IsType<long>(o.Value));
                        else Assert.Equal(t.GetProperty("value").GetDouble(), Assert.IsType<double>(o.Value)); // beyond 64 bits (BZERO 2^63): kept as a real
                        break;
                    case "real":
                        // An integer written in a real field ("10.") stays a real; astropy agrees.
                        Assert.Equal(t.GetProperty("value").GetDouble(), Assert.IsType<double>(o.Value));
                        break;
                    case "string":
                        string expected = intended.ValueKind == JsonValueKind.Object && intended.TryGetProperty(key, out var iv2)
                            ? iv2.GetString()! : t.GetProperty("value").GetString()!;
                        Assert.Equal(expected, Assert.IsType<string>(o.Value));
                        break;
                    default: throw new InvalidOperationException(type);
                }
            }
        }
    }

    [Fact]
    public void Windows_equal_slices_of_the_full_image()
    {
        using var f = FitsFile.Open(Path.Combine(GoldenDir, "window.fits"));
        var full = f.ReadImage();
        var d = f.ReadImageDouble();
        int w = f.GetHdu(0).Width, h = f.GetHdu(0).Height;
        Assert.Equal((150, 100), (w, h));
        (int x0, int x1, int y0, int y1)[] windows =
        [
            (0, w, 0, h), (0, w, 10, 11), (0, 1, 0, h), (w - 1, w, h - 1, h), (17, 63, 5, 88), (40, 40, 3, 9), (0, w, 37, 99),
        ];
        foreach (var (x0, x1, y0, y1) in windows)
        {
            var win = new float[(x1 - x0) * (y1 - y0)];
            var wind = new double[win.Length];
            f.ReadWindow(0, x0, x1, y0, y1, win);
            f.ReadWindow(0, x0, x1, y0, y1, wind);
            for (int y = y0; y < y1; y++)
                for (int x = x0; x < x1; x++)
                {
                    Assert.Equal(full[y * w + x], win[(y - y0) * (x1 - x0) + (x - x0)]);
                    Assert.Equal(d[y * w + x], wind[(y - y0) * (x1 - x0) + (x - x0)]);
                }
        }
    }

    [Fact]
    public void Windows_of_scaled_integers_and_of_a_gzip_file_equal_the_full_read()
    {
        foreach (var name in new[] { "scaled16.fits", "blank16.fits", "uint64.fits", "gz.fits.gz" })
        {
            using var f = FitsFile.Open(Path.Combine(GoldenDir, name));
            var full = f.ReadImage();
            int w = f.GetHdu(0).Width;
            // Backward, then forward again: the gzip stream must restart and skip correctly.
            foreach (var (x0, x1, y0, y1) in new[] { (5, 30, 10, 20), (0, 7, 2, 4), (36, 37, 22, 23) })
            {
                var win = new float[(x1 - x0) * (y1 - y0)];
                f.ReadWindow(0, x0, x1, y0, y1, win);
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++)
                        Assert.Equal(full[y * w + x], win[(y - y0) * (x1 - x0) + (x - x0)]);
            }
        }
    }

    [Fact]
    public void Extension_hdus_are_listed_with_their_kind_and_name()
    {
        using var f = FitsFile.Open(Path.Combine(GoldenDir, "ext.fits"));
        Assert.Equal(4, f.Hdus.Count);
        Assert.False(f.Hdus[0].HasImage);
        Assert.Equal(("IMAGE", "SCI", -32), (f.Hdus[1].Extension, f.Hdus[1].Name, f.Hdus[1].Bitpix));
        Assert.Equal(("IMAGE", "MASK", 16), (f.Hdus[2].Extension, f.Hdus[2].Name, f.Hdus[2].Bitpix));
        Assert.Equal("BINTABLE", f.Hdus[3].Extension);
        Assert.Equal(0, f.Hdus[1].DataOffset % 2880);
        Assert.Equal("fixture", FitsFile.ReadPrimaryHeader(Path.Combine(GoldenDir, "ext.fits")).GetString("ORIGIN"));
        var img = FitsImage.ReadFloat(Path.Combine(GoldenDir, "ext.fits"), hdu: 1);
        Assert.Equal((37, 23, "SCI"), (img.Width, img.Height, img.Header.GetString("EXTNAME")));
    }

    [Fact]
    public void Header_values_used_by_the_pipeline_read_through_FitsHeader()
    {
        var h = FitsFile.ReadPrimaryHeader(Path.Combine(GoldenDir, "headers.fits"));
        Assert.Equal("m400", h.GetString("FILTER"));
        Assert.Equal(65535.0, h.GetDouble("SATURATE"));
        Assert.Equal(1.5e-6, h.GetDouble("DEXP"));
        Assert.Equal(-2000.0, h.GetDouble("DEXP2"));
        Assert.Equal(10L, h.GetInt("INTREAL"));
        Assert.Equal(3.5, h.GetDouble("PEEING")); // a number written as a string
        Assert.Null(h["UNDEF"]);
        Assert.True(h.Contains("UNDEF"));
        Assert.Equal("CCD-42", h.GetString("ESO DET CHIP NAME"));
    }
}
