using System.IO.Compression;

namespace Tract7dt.Science.Fits;

/// <summary>
/// A read-only view of a gzip file that can "seek": forward by decompressing and
/// discarding, backward by starting over from the beginning. Good for reading HDUs in
/// order; a window read decompresses up to the window's last row, never further.
/// </summary>
internal sealed class GzipSeekStream : Stream
{
    private readonly Func<Stream> _openCompressed;
    private Stream _compressed;
    private GZipStream _gzip;
    private long _position;
    private byte[]? _skipBuffer;

    public GzipSeekStream(Func<Stream> openCompressed)
    {
        _openCompressed = openCompressed;
        _compressed = openCompressed();
        _gzip = new GZipStream(_compressed, CompressionMode.Decompress);
    }

    /// <summary>True when the first two bytes of <paramref name="head"/> are the gzip magic number.</summary>
    public static bool IsGzip(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == 0x1F && head[1] == 0x8B;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;

    /// <summary>Unknown without decompressing everything.</summary>
    public override long Length => throw new NotSupportedException("The decompressed length of a gzip stream is not known in advance.");

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = _gzip.Read(buffer);
        _position += n;
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => throw new NotSupportedException("Seeking from the end of a gzip stream is not supported."),
        };
        if (target < _position)
        {
            _gzip.Dispose();
            _compressed.Dispose();
            _compressed = _openCompressed();
            _gzip = new GZipStream(_compressed, CompressionMode.Decompress);
            _position = 0;
        }
        _skipBuffer ??= new byte[81920];
        while (_position < target)
        {
            int n = Read(_skipBuffer.AsSpan(0, (int)Math.Min(_skipBuffer.Length, target - _position)));
            if (n == 0) break; // past the end: the caller's next read returns 0
        }
        return _position;
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gzip.Dispose();
            _compressed.Dispose();
        }
        base.Dispose(disposing);
    }
}
