using System.Diagnostics;
using System.Globalization;
using Tract7dt.Science.Fits;

namespace Tract7dt.Bench;

/// <summary>
/// FITS I/O speed: streaming write of a large float32 image, full read, and 200×200 window
/// reads (time and bytes actually read from the file). Args: [width] [height] [windows].
/// Default 4096×4096 (64 MB); the white stack of a full 7DT tile is 9576×6388.
/// </summary>
public sealed class FitsWindowBench : IBenchmark
{
    public string Name => "fits-window";

    public string Description => "FITS float32 write / full read / 200x200 window reads: time and bytes read";

    public void Run(string[] args)
    {
        int w = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 4096;
        int h = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4096;
        int nWin = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100;
        const int S = 200;
        string path = Path.Combine(Path.GetTempPath(), $"t7d-bench-{Environment.ProcessId}.fits");
        try
        {
            // Streaming write in 64-row blocks: memory stays at one block.
            var rng = new Random(1);
            var block = new float[w * 64];
            var sw = Stopwatch.StartNew();
            using (var wr = FitsWriter.Create(path))
            {
                wr.BeginImage(-32, w, h);
                for (int y = 0; y < h; y += 64)
                {
                    int k = Math.Min(64, h - y);
                    for (int i = 0; i < k * w; i++) block[i] = (float)rng.NextDouble();
                    wr.WriteRows(block.AsSpan(0, k * w));
                }
                wr.Commit();
            }
            double tWrite = sw.Elapsed.TotalSeconds;
            long fileBytes = new FileInfo(path).Length;

            // Full read.
            var counting = new ByteCountingStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0));
            float[] full;
            sw.Restart();
            using (var f = FitsFile.Open(counting, path))
                full = f.ReadImage();
            double tFull = sw.Elapsed.TotalSeconds;
            long bytesFull = counting.BytesRead;

            // Windows at seeded random positions (one file handle, as a patch builder would).
            var win = new float[S * S];
            counting = new ByteCountingStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0));
            double checksum = 0;
            sw.Restart();
            using (var f = FitsFile.Open(counting, path))
            {
                long afterHeader = counting.BytesRead;
                for (int i = 0; i < nWin; i++)
                {
                    int x0 = rng.Next(0, w - S), y0 = rng.Next(0, h - S);
                    f.ReadWindow(0, x0, x0 + S, y0, y0 + S, win);
                    checksum += win[0] - full[y0 * w + x0]; // 0 when the window is right
                }
                counting.BytesRead -= afterHeader;
            }
            double tWin = sw.Elapsed.TotalSeconds;

            Console.WriteLine($"image {w}x{h} float32, file {fileBytes / 1e6:F1} MB");
            Console.WriteLine($"{"operation",-28} {"time",10} {"MB/s",8} {"bytes read",14}");
            Console.WriteLine($"{"write (streamed, 64 rows)",-28} {tWrite * 1e3,8:F1}ms {fileBytes / 1e6 / tWrite,8:F0} {"-",14}");
            Console.WriteLine($"{"full read",-28} {tFull * 1e3,8:F1}ms {bytesFull / 1e6 / tFull,8:F0} {bytesFull,14}");
            Console.WriteLine($"{$"{nWin} windows {S}x{S}",-28} {tWin * 1e3,8:F1}ms {counting.BytesRead / 1e6 / tWin,8:F0} {counting.BytesRead,14}");
            Console.WriteLine($"per window: {tWin / nWin * 1e6:F0} us, {counting.BytesRead / nWin} bytes (= {S}x{S}x4 = {S * S * 4}); check {checksum}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class ByteCountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; set; }
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
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing) { if (disposing) inner.Dispose(); base.Dispose(disposing); }
    }
}
