using Tract7dt.Science.Numerics;

namespace Tract7dt.Science.Simulation;

/// <summary>
/// In-place complex FFT of an N×N array held as separate real and imaginary planes
/// (row-major), N a power of two: <see cref="Radix2Fft.Transform"/> along every row, then
/// every column. Forward uses e^(−2πi·kn/N); the inverse includes the 1/N² factor.
/// One instance per thread: it owns a scratch column buffer.
/// </summary>
internal sealed class Fft2D
{
    private readonly int _n;
    private readonly double[] _colRe, _colIm;

    public Fft2D(int n)
    {
        if (n < 2 || (n & (n - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(n), "FFT size must be a power of two >= 2");
        _n = n;
        _colRe = new double[n]; _colIm = new double[n];
    }

    public int Size => _n;

    /// <summary>Transforms the N×N planes in place.</summary>
    public void Transform(double[] re, double[] im, bool inverse)
    {
        int n = _n;
        for (int row = 0; row < n; row++)
            Radix2Fft.Transform(re.AsSpan(row * n, n), im.AsSpan(row * n, n), inverse);
        for (int col = 0; col < n; col++)
        {
            for (int r = 0; r < n; r++) { _colRe[r] = re[r * n + col]; _colIm[r] = im[r * n + col]; }
            Radix2Fft.Transform(_colRe, _colIm, inverse);
            for (int r = 0; r < n; r++) { re[r * n + col] = _colRe[r]; im[r * n + col] = _colIm[r]; }
        }
        if (inverse)
        {
            double s = 1.0 / ((double)n * n);
            for (int i = 0; i < re.Length; i++) { re[i] *= s; im[i] *= s; }
        }
    }
}
