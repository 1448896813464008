namespace Tract7dt.Science.Simulation;

/// <summary>
/// In-place complex radix-2 FFT of an N×N array held as separate real and imaginary
/// planes (row-major), N a power of two. Twiddle factors are tabulated once per size.
/// Forward uses e^(−2πi·kn/N); the inverse includes the 1/N² factor.
/// One instance per thread: it owns a scratch column buffer.
/// </summary>
internal sealed class Fft2D
{
    private readonly int _n, _log2;
    private readonly double[] _cos, _sin;
    private readonly int[] _rev;
    private readonly double[] _colRe, _colIm;

    public Fft2D(int n)
    {
        if (n < 2 || (n & (n - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(n), "FFT size must be a power of two >= 2");
        _n = n; _log2 = System.Numerics.BitOperations.Log2((uint)n);
        _cos = new double[n / 2]; _sin = new double[n / 2];
        for (int i = 0; i < n / 2; i++)
        {
            double a = -2.0 * Math.PI * i / n;
            _cos[i] = Math.Cos(a); _sin[i] = Math.Sin(a);
        }
        _rev = new int[n];
        for (int i = 0; i < n; i++)
        {
            int r = 0, x = i;
            for (int b = 0; b < _log2; b++) { r = (r << 1) | (x & 1); x >>= 1; }
            _rev[i] = r;
        }
        _colRe = new double[n]; _colIm = new double[n];
    }

    public int Size => _n;

    /// <summary>Transforms the N×N planes in place.</summary>
    public void Transform(double[] re, double[] im, bool inverse)
    {
        int n = _n;
        for (int row = 0; row < n; row++)
            Transform1D(re.AsSpan(row * n, n), im.AsSpan(row * n, n), inverse);
        for (int col = 0; col < n; col++)
        {
            for (int r = 0; r < n; r++) { _colRe[r] = re[r * n + col]; _colIm[r] = im[r * n + col]; }
            Transform1D(_colRe, _colIm, inverse);
            for (int r = 0; r < n; r++) { re[r * n + col] = _colRe[r]; im[r * n + col] = _colIm[r]; }
        }
        if (inverse)
        {
            double s = 1.0 / ((double)n * n);
            for (int i = 0; i < re.Length; i++) { re[i] *= s; im[i] *= s; }
        }
    }

    private void Transform1D(Span<double> re, Span<double> im, bool inverse)
    {
        int n = _n;
        for (int i = 0; i < n; i++)
        {
            int j = _rev[i];
            if (j > i) { (re[i], re[j]) = (re[j], re[i]); (im[i], im[j]) = (im[j], im[i]); }
        }
        double sign = inverse ? -1.0 : 1.0;
        for (int len = 2; len <= n; len <<= 1)
        {
            int half = len >> 1, step = n / len;
            for (int start = 0; start < n; start += len)
            {
                for (int k = 0; k < half; k++)
                {
                    double wr = _cos[k * step], wi = sign * _sin[k * step];
                    int a = start + k, b = a + half;
                    double xr = re[b] * wr - im[b] * wi;
                    double xi = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - xr; im[b] = im[a] - xi;
                    re[a] += xr; im[a] += xi;
                }
            }
        }
    }
}
