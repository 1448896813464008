using System.Buffers.Binary;
using SkiaSharp;
using Tract7dt.Science.Diagnostics;
using Tract7dt.Science.IO;
using Xunit;

namespace Tract7dt.Tests.Diagnostics;

/// <summary>
/// Our PNG writer, read back by an independent decoder (Skia's, which is libpng's and checks every
/// chunk's CRC and the zlib stream's Adler-32), and the figure path that draws under the Skia lock
/// and encodes outside it.
/// </summary>
public sealed class PngFileTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 5)]
    [InlineData(301, 17)]   // rows whose length is not a multiple of the vector width
    [InlineData(40, 300)]
    public void Random_pixels_come_back_exactly(int w, int h)
    {
        var rng = new Random(w * 1000 + h);
        var rgba = new byte[w * h * 4];
        rng.NextBytes(rgba);
        for (int i = 3; i < rgba.Length; i += 4) rgba[i] = 255;
        AssertDecodesTo(PngFile.Encode(rgba, w, h), rgba, w, h);
    }

    [Fact]
    public void Flat_and_repeated_rows_come_back_exactly_and_compress()
    {
        // what the figures are made of: white margins, pixel-replicated image rows (Up wins),
        // horizontal runs and gradients (Sub wins)
        int w = 200, h = 120;
        var rgba = new byte[w * h * 4];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * 4;
                byte v = y < 40 ? (byte)255 : y < 80 ? (byte)(x / 4 * 5) : (byte)((y / 8) * 13 + x);
                rgba[i] = v; rgba[i + 1] = (byte)(255 - v); rgba[i + 2] = (byte)(v / 2); rgba[i + 3] = 255;
            }
        byte[] png = PngFile.Encode(rgba, w, h);
        AssertDecodesTo(png, rgba, w, h);
        Assert.True(png.Length < w * h * 3 / 10, $"{png.Length} bytes for {w * h * 3} of RGB");
    }

    [Fact]
    public void Header_says_8_bit_truecolour_of_the_given_size()
    {
        byte[] png = PngFile.Encode(new byte[3 * 2 * 4], 3, 2);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal(13, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(8)));
        Assert.Equal("IHDR"u8.ToArray(), png[12..16]);
        Assert.Equal(3, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.Equal(new byte[] { 8, 2, 0, 0, 0 }, png[24..29]);
        Assert.Equal("IEND"u8.ToArray(), png[^8..^4]);
    }

    [Fact]
    public void The_filter_heuristic_sums_bytes_read_as_signed()
    {
        // the vector path (32 bytes at a time) and the scalar tail against the definition, 128 and 255 included
        var rng = new Random(7);
        foreach (int n in new[] { 0, 1, 31, 32, 33, 100, 3001 })
        {
            var b = new byte[n];
            rng.NextBytes(b);
            if (n > 2) { b[0] = 128; b[1] = 255; b[2] = 1; }
            long expected = b.Sum(x => (long)(x < 128 ? x : 256 - x));
            Assert.Equal(expected, PngFile.SumAbs(b));
        }
    }

    [Fact]
    public void Wrong_buffer_size_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => PngFile.Encode(new byte[10], 2, 2));
        Assert.Contains("2×2", e.Message);
    }

    [Fact]
    public void A_figure_drawn_on_many_threads_is_the_same_file_every_time()
    {
        string dir = Path.Combine(Path.GetTempPath(), "t7-png-" + Guid.NewGuid().ToString("N"));
        try
        {
            var paths = Enumerable.Range(0, 8).Select(i => Path.Combine(dir, $"f{i}.png")).ToArray();
            Parallel.For(0, paths.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
                SkiaGate.SavePng(paths[i], 90, 60, canvas =>
                {
                    using var paint = new SKPaint { Color = new SKColor(200, 10, 20), IsAntialias = false };
                    canvas.DrawRect(10, 20, 30, 15, paint);   // x 10..40, y 20..35
                }));
            byte[] first = File.ReadAllBytes(paths[0]);
            foreach (var p in paths) Assert.Equal(first, File.ReadAllBytes(p));
            Assert.Empty(Directory.GetFiles(dir, "*.tmp-*"));
            using var bmp = SKBitmap.Decode(first);
            Assert.Equal(new SKColor(200, 10, 20), bmp.GetPixel(25, 27));
            Assert.Equal(SKColors.White, bmp.GetPixel(5, 5));     // the canvas starts white
            Assert.Equal(SKColors.White, bmp.GetPixel(45, 27));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    private static void AssertDecodesTo(byte[] png, byte[] rgba, int w, int h)
    {
        using var bmp = SKBitmap.Decode(png);
        Assert.NotNull(bmp);
        Assert.Equal(w, bmp.Width);
        Assert.Equal(h, bmp.Height);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int i = (y * w + x) * 4;
                var c = bmp.GetPixel(x, y);
                if (c.Red != rgba[i] || c.Green != rgba[i + 1] || c.Blue != rgba[i + 2] || c.Alpha != 255)
                    Assert.Fail($"pixel ({x}, {y}): decoded {c}, written ({rgba[i]}, {rgba[i + 1]}, {rgba[i + 2]})");
            }
    }
}
