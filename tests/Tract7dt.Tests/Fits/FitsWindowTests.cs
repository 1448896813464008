using Tract7dt.Science.Fits;
using Xunit;

namespace Tract7dt.Tests.Fits;

/// <summary>A read-only stream wrapper that counts the bytes actually read from the file.</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    public long BytesRead { get; private set; }
    public int Reads { get; private set; }
    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => inner.Position = value; }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public override int Read(Span<byte> buffer)
    {
        int n = inner.Read(buffer);
        BytesRead += n;
        Reads++;
        return n;
    }
    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
}

public class FitsWindowTests
{
    /// <summary>
    /// A 10000×10000 float32 image (400 MB of data) as a sparse file: a real header, then
    /// SetLength, then a few known pixel values written at the window's corners.
    /// </summary>
    [Fact]
    public void A_200x200_window_of_a_10000x10000_image_reads_only_its_rows()
    {
        const int N = 10000, X0 = 4321, Y0 = 6789, S = 200;
        string path = Path.Combine(Path.GetTempPath(), $"t7d-sparse-{Guid.NewGuid():N}.fits");
        try
        {
            var records = FitsWriter.BuildHeader(primary: true, bitpix: -32, N, N, header: null);
            var headerBytes = System.Text.Encoding.ASCII.GetBytes(string.Concat(records).PadRight(2880));
            long dataBytes = 4L * N * N;
            using (var fs = new FileStream(path, FileMode.CreateNew))
            {
                fs.Write(headerBytes);
                fs.SetLength(2880 + (dataBytes + 2879) / 2880 * 2880);
                // Big-endian 1.5f at (X0, Y0) and 2.5f at (X0+S-1, Y0+S-1).
                fs.Position = 2880 + 4L * ((long)Y0 * N + X0);
                fs.Write([0x3F, 0xC0, 0x00, 0x00]);
                fs.Position = 2880 + 4L * ((long)(Y0 + S - 1) * N + X0 + S - 1);
                fs.Write([0x40, 0x20, 0x00, 0x00]);
            }

            var counting = new CountingStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0));
            using var f = FitsFile.Open(counting, path);
            long afterHeader = counting.BytesRead;
            var win = new float[S * S];
            f.ReadWindow(0, X0, X0 + S, Y0, Y0 + S, win);
            long windowBytes = counting.BytesRead - afterHeader;

            Assert.Equal(1.5f, win[0]);
            Assert.Equal(2.5f, win[^1]);
            Assert.Equal(0f, win[S * S / 2]);
            // Exactly the window's bytes: S rows × S pixels × 4 bytes, nothing else.
            Assert.Equal((long)S * S * 4, windowBytes);
            Assert.True(afterHeader <= 2 * 2880, $"header scan read {afterHeader} bytes");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Full_width_row_ranges_are_read_in_a_few_large_reads()
    {
        const int W = 1000, H = 600;
        string path = Path.Combine(Path.GetTempPath(), $"t7d-rows-{Guid.NewGuid():N}.fits");
        try
        {
            var data = new float[W * H];
            for (int i = 0; i < data.Length; i++) data[i] = i * 0.5f;
            FitsWriter.WriteImage(path, data, W, H);
            var counting = new CountingStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0));
            using var f = FitsFile.Open(counting, path);
            long before = counting.BytesRead;
            int readsBefore = counting.Reads;
            var rows = new float[W * 400];
            f.ReadWindow(0, 0, W, 100, 500, rows);
            Assert.Equal(4L * W * 400, counting.BytesRead - before);
            Assert.True(counting.Reads - readsBefore <= 4, $"{counting.Reads - readsBefore} reads for 1.6 MB of rows");
            for (int i = 0; i < rows.Length; i++) Assert.Equal(data[100 * W + i], rows[i]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_window_outside_the_image_or_a_short_destination_is_refused()
    {
        string path = Path.Combine(FitsReaderGoldenTests.GoldenDir, "window.fits");
        using var f = FitsFile.Open(path);
        var buf = new float[100];
        Assert.Throws<ArgumentOutOfRangeException>(() => f.ReadWindow(0, -1, 5, 0, 5, buf));
        Assert.Throws<ArgumentOutOfRangeException>(() => f.ReadWindow(0, 0, 151, 0, 1, new float[151]));
        Assert.Throws<ArgumentOutOfRangeException>(() => f.ReadWindow(0, 10, 5, 0, 1, buf));
        Assert.Throws<ArgumentOutOfRangeException>(() => f.ReadWindow(0, 0, 11, 0, 10, buf));
        f.ReadWindow(0, 0, 10, 0, 10, buf); // exactly fits
    }
}
