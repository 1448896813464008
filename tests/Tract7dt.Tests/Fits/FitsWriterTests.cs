using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tract7dt.Science.Fits;
using Xunit;

namespace Tract7dt.Tests.Fits;

public class FitsWriterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "t7d-fits-w-" + Guid.NewGuid().ToString("N"));

    public FitsWriterTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// The files astropy and fitsverify accepted (hashes recorded by the fixture script)
    /// are exactly what the writer produces today. Set T7D_FITS_SAMPLES_OUT to a folder to
    /// get the files for re-verification.
    /// </summary>
    [Fact]
    public void Written_files_hash_to_what_astropy_and_fitsverify_verified()
    {
        string dir = Environment.GetEnvironmentVariable("T7D_FITS_SAMPLES_OUT") is { Length: > 0 } outDir ? outDir : _dir;
        var names = OurSamples.WriteAll(dir);
        var verified = JsonDocument.Parse(File.ReadAllText(Path.Combine(FitsReaderGoldenTests.GoldenDir, "ours_verified.json")))
            .RootElement.GetProperty("sha256");
        foreach (var name in names)
        {
            string hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, name))));
            Assert.True(verified.TryGetProperty(name, out var v), $"{name} was never verified; run the fixture script with --verify-ours");
            Assert.True(v.GetString() == hash, $"{name}: bytes changed since astropy/fitsverify checked them (sha256 {hash}); re-run the fixture script");
        }
    }

    [Fact]
    public void Our_files_read_back_exactly_with_our_reader()
    {
        OurSamples.WriteAll(_dir);
        var f32 = OurSamples.FloatImage();
        var img = FitsImage.ReadFloat(Path.Combine(_dir, "ours_f32.fits"));
        Assert.Equal((OurSamples.W, OurSamples.H), (img.Width, img.Height));
        Assert.Equal(f32.Select(BitConverter.SingleToInt32Bits), img.Data.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal("O'Brien field", img.Header.GetString("OBJECT"));
        Assert.Equal(OurSamples.Header().GetString("LONGSTR"), img.Header.GetString("LONGSTR"));
        Assert.Equal(-32L, img.Header.GetInt("BITPIX")); // structural keys from the data, not the user header
        Assert.Null(img.Header["BZERO"]);
        Assert.Equal(double.Epsilon, img.Header.GetDouble("DENORM"));
        Assert.Equal(long.MaxValue, img.Header.GetInt("BIGINT"));
        Assert.Equal("CCD-42", img.Header.GetString("ESO DET CHIP"));

        using var d = FitsFile.Open(Path.Combine(_dir, "ours_f64.fits"));
        Assert.Equal(OurSamples.DoubleImage().Select(BitConverter.DoubleToInt64Bits), d.ReadImageDouble().Select(BitConverter.DoubleToInt64Bits));

        using var mef = FitsFile.Open(Path.Combine(_dir, "ours_mef.fits"));
        Assert.Equal(4, mef.Hdus.Count);
        Assert.Equal(new[] { null, "SCI", "MASK", "STREAMED" }, mef.Hdus.Select(h => h.Name));
        Assert.Equal(OurSamples.ShortImage().Select(s => (float)s), mef.ReadImage(2));
        Assert.Equal(mef.ReadImage(1).Select(BitConverter.SingleToInt32Bits), mef.ReadImage(3).Select(BitConverter.SingleToInt32Bits));
        Assert.All(mef.Hdus, h => Assert.Equal(0, h.HeaderOffset % 2880));
        Assert.Equal(0, new FileInfo(Path.Combine(_dir, "ours_mef.fits")).Length % 2880);
    }

    [Fact]
    public void Header_blocks_are_ascii_blank_padded_and_data_zero_padded()
    {
        string p = Path.Combine(_dir, "pad.fits");
        FitsWriter.WriteImage(p, new float[] { 1, 2, 3 }, 3, 1);
        var b = File.ReadAllBytes(p);
        Assert.Equal(2 * 2880, b.Length);
        string header = Encoding.ASCII.GetString(b, 0, 2880);
        int end = header.IndexOf("END     ", StringComparison.Ordinal);
        Assert.Equal(0, end % 80);
        Assert.All(header[(end + 3)..], c => Assert.Equal(' ', c));
        Assert.Equal(new byte[] { 0x3F, 0x80, 0, 0, 0x40, 0, 0, 0, 0x40, 0x40, 0, 0 }, b[2880..2892]);
        Assert.All(b[2892..], x => Assert.Equal(0, x));
        Assert.Equal("SIMPLE  =                    T", header[..30]);
        Assert.Equal("BITPIX  =                  -32", header[80..110]);
    }

    [Fact]
    public void An_uncommitted_or_failed_writer_leaves_no_file_under_the_final_name()
    {
        string p = Path.Combine(_dir, "atomic.fits");
        using (var w = FitsWriter.Create(p))
        {
            w.BeginImage(-32, 10, 10);
            w.WriteRows(new float[50]); // half the image, then "crash"
            Assert.False(File.Exists(p));
        }
        Assert.False(File.Exists(p));
        Assert.Empty(Directory.GetFiles(_dir)); // the temporary file is gone too

        // An existing file is replaced only on commit.
        FitsWriter.WriteImage(p, new float[] { 7 }, 1, 1);
        using (var w = FitsWriter.Create(p))
        {
            w.WriteImage(new float[] { 8 }, 1, 1);
            Assert.Equal(7f, FitsImage.ReadFloat(p).Data[0]);
            w.Commit();
        }
        Assert.Equal(8f, FitsImage.ReadFloat(p).Data[0]);
        Assert.Single(Directory.GetFiles(_dir));

        using var bad = FitsWriter.Create(Path.Combine(_dir, "bad.fits"));
        bad.BeginImage(-32, 4, 2);
        Assert.Throws<ArgumentException>(() => bad.WriteRows(new float[3])); // not whole rows
        Assert.Throws<InvalidOperationException>(() => bad.WriteRows(new short[4])); // wrong type
        Assert.Throws<InvalidOperationException>(() => bad.Commit()); // incomplete
    }

    [Fact]
    public void Streaming_rows_gives_the_same_bytes_as_writing_at_once()
    {
        var rng = new Random(11);
        const int w = 301, h = 257; // odd sizes: rows straddle chunk and block boundaries
        var data = new float[w * h];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 1e4 - 5e3);
        string a = Path.Combine(_dir, "a.fits"), b = Path.Combine(_dir, "b.fits");
        FitsWriter.WriteImage(a, data, w, h);
        using (var wr = FitsWriter.Create(b))
        {
            wr.BeginImage(-32, w, h);
            for (int y = 0; y < h; y += 13) wr.WriteRows(data.AsSpan(y * w, Math.Min(13, h - y) * w));
            wr.Commit();
        }
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.Equal(data, FitsImage.ReadFloat(b).Data);
    }

    [Fact]
    public void Doubles_into_a_float32_image_round_to_nearest()
    {
        string p = Path.Combine(_dir, "narrow.fits");
        using (var wr = FitsWriter.Create(p))
        {
            wr.BeginImage(-32, 2, 1);
            wr.WriteRows(new[] { 0.1, 1.0 / 3 });
            wr.Commit();
        }
        Assert.Equal(new[] { 0.1f, (float)(1.0 / 3) }, FitsImage.ReadFloat(p).Data);
    }
}
