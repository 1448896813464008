using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Tract7dt.Science.Numerics;

/// <summary>
/// In-place iterative radix-2 complex FFT in f64 (split real / imaginary arrays), plus the
/// two 2-D real transforms the Fourier galaxy path needs, with NumPy's <c>rfft2</c> /
/// <c>irfft2</c> semantics (axis 0 complex, last axis real; the c2r step ignores the
/// imaginary parts of the DC and Nyquist columns). Sizes are powers of two.
/// </summary>
public static class Radix2Fft
{
    private static readonly ConcurrentDictionary<int, (double[] Cos, double[] Sin, int[] Rev)> s_tables = new();

    /// <summary>Unnormalised DFT (sign −1) or inverse DFT (sign +1, no 1/n) of length n = re.Length.</summary>
    public static void Transform(Span<double> re, Span<double> im, bool inverse)
    {
        int n = re.Length;
        if (im.Length != n) throw new ArgumentException("re and im differ in length");
        if (n <= 1) return;
        if (!BitOperations.IsPow2(n)) throw new ArgumentException($"FFT length {n} is not a power of two");
        var (cos, sin, rev) = s_tables.GetOrAdd(n, Build);
        for (int i = 0; i < n; i++)
        {
            int j = rev[i];
            if (j > i) { (re[i], re[j]) = (re[j], re[i]); (im[i], im[j]) = (im[j], im[i]); }
        }
        double sgn = inverse ? 1.0 : -1.0;
        for (int len = 2; len <= n; len <<= 1)
        {
            int half = len >> 1, step = n / len;
            for (int s = 0; s < n; s += len)
            {
                for (int k = 0; k < half; k++)
                {
                    double wr = cos[k * step], wi = sgn * sin[k * step];
                    int a = s + k, b = a + half;
                    double xr = re[b] * wr - im[b] * wi;
                    double xi = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - xr; im[b] = im[a] - xi;
                    re[a] += xr; im[a] += xi;
                }
            }
        }
    }

    /// <summary>
    /// Inverse complex DFT (no 1/n) along axis 0 of the n×m row-major split-complex array,
    /// every column at once: each butterfly works on whole rows, so the per-element
    /// arithmetic (and therefore every bit of the result) is exactly that of
    /// <see cref="Transform"/> applied to each column, but the loads are contiguous and SIMD.
    /// </summary>
    internal static void InverseColumns(Span<double> re, Span<double> im, int n, int m)
    {
        if (n <= 1) return;
        var (cos, sin, rev) = s_tables.GetOrAdd(n, Build);
        for (int i = 0; i < n; i++)
        {
            int j = rev[i];
            if (j <= i) continue;
            SwapRows(re, i, j, m);
            SwapRows(im, i, j, m);
        }
        for (int len = 2; len <= n; len <<= 1)
        {
            int half = len >> 1, step = n / len;
            for (int s = 0; s < n; s += len)
                for (int k = 0; k < half; k++)
                {
                    // wi = +sin: the inverse transform's sign (1.0 · sin is exact).
                    double wr = cos[k * step], wi = sin[k * step];
                    int a = s + k, b = a + half;
                    Butterfly(re.Slice(a * m, m), im.Slice(a * m, m), re.Slice(b * m, m), im.Slice(b * m, m), wr, wi);
                }
        }
    }

    private static void SwapRows(Span<double> x, int i, int j, int m)
    {
        var a = x.Slice(i * m, m); var b = x.Slice(j * m, m);
        for (int c = 0; c < m; c++) (a[c], b[c]) = (b[c], a[c]);
    }

    /// <summary>The radix-2 butterfly of <see cref="Transform"/>, element-wise over rows a and b.</summary>
    private static void Butterfly(Span<double> ar, Span<double> ai, Span<double> br, Span<double> bi, double wr, double wi)
    {
        int m = ar.Length, c = 0;
        if (Vector.IsHardwareAccelerated && m >= Vector<double>.Count)
        {
            var vwr = new Vector<double>(wr); var vwi = new Vector<double>(wi);
            var var_ = MemoryMarshal.Cast<double, Vector<double>>(ar);
            var vai = MemoryMarshal.Cast<double, Vector<double>>(ai);
            var vbr = MemoryMarshal.Cast<double, Vector<double>>(br);
            var vbi = MemoryMarshal.Cast<double, Vector<double>>(bi);
            for (int v = 0; v < var_.Length; v++)
            {
                var xr = vbr[v] * vwr - vbi[v] * vwi;
                var xi = vbr[v] * vwi + vbi[v] * vwr;
                vbr[v] = var_[v] - xr; vbi[v] = vai[v] - xi;
                var_[v] += xr; vai[v] += xi;
            }
            c = var_.Length * Vector<double>.Count;
        }
        for (; c < m; c++)
        {
            double xr = br[c] * wr - bi[c] * wi;
            double xi = br[c] * wi + bi[c] * wr;
            br[c] = ar[c] - xr; bi[c] = ai[c] - xi;
            ar[c] += xr; ai[c] += xi;
        }
    }

    private static (double[], double[], int[]) Build(int n)
    {
        var c = new double[n / 2];
        var s = new double[n / 2];
        for (int k = 0; k < n / 2; k++) { double a = 2 * Math.PI * k / n; c[k] = Math.Cos(a); s[k] = Math.Sin(a); }
        int bits = BitOperations.Log2((uint)n);
        var rev = new int[n];
        for (int i = 0; i < n; i++)
        {
            int r = 0;
            for (int b = 0; b < bits; b++) if ((i & (1 << b)) != 0) r |= 1 << (bits - 1 - b);
            rev[i] = r;
        }
        return (c, s, rev);
    }

    /// <summary>
    /// Forward real 2-D DFT of the n×n real image <paramref name="img"/> (row-major): output
    /// n rows × (n/2 + 1) columns, unnormalised, as <c>numpy.fft.rfft2</c>.
    /// </summary>
    public static void Rfft2(ReadOnlySpan<float> img, int n, Span<double> outRe, Span<double> outIm)
    {
        int m = n / 2 + 1;
        var re = new double[n]; var im = new double[n];
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++) { re[c] = img[r * n + c]; im[c] = 0; }
            Transform(re, im, false);
            for (int c = 0; c < m; c++) { outRe[r * m + c] = re[c]; outIm[r * m + c] = im[c]; }
        }
        for (int c = 0; c < m; c++)
        {
            for (int r = 0; r < n; r++) { re[r] = outRe[r * m + c]; im[r] = outIm[r * m + c]; }
            Transform(re, im, false);
            for (int r = 0; r < n; r++) { outRe[r * m + c] = re[r]; outIm[r * m + c] = im[r]; }
        }
    }

    /// <summary>
    /// Inverse real 2-D DFT with 1/n² normalisation, as <c>numpy.fft.irfft2(X, s=(n, n))</c>:
    /// the half spectrum (n × (n/2+1), overwritten as scratch) becomes the n×n real image
    /// <paramref name="dst"/>, rounded to f32. <paramref name="work"/> needs length ≥ 4n.
    /// </summary>
    public static void Irfft2(Span<double> specRe, Span<double> specIm, int n, Span<float> dst, Span<double> work)
        => Irfft2Rows(specRe, specIm, n, dst, work, 0, n);

    /// <summary>
    /// <see cref="Irfft2"/> that writes only the output rows of the row pairs (2i, 2i + 1)
    /// meeting [<paramref name="rowLo"/>, <paramref name="rowHi"/>); other rows of
    /// <paramref name="dst"/> are left untouched. The rows it writes are bit-identical to
    /// the full transform's: the column pass is complete and rows are still paired as there.
    /// </summary>
    public static void Irfft2Rows(Span<double> specRe, Span<double> specIm, int n, Span<float> dst, Span<double> work,
                                  int rowLo, int rowHi)
    {
        int m = n / 2 + 1;
        if (specRe.Length < n * m || specIm.Length < n * m || dst.Length < n * n || work.Length < 2 * n)
            throw new ArgumentException("buffer too short");
        var re = work.Slice(0, n); var im = work.Slice(n, n);
        rowLo = Math.Max(0, rowLo) & ~1;
        rowHi = Math.Min(n, rowHi);
        if (rowHi <= rowLo) return;
        // axis 0: complex inverse along each stored column (all columns at once)
        InverseColumns(specRe.Slice(0, n * m), specIm.Slice(0, n * m), n, m);
        // last axis: c2r of two rows at once (Z = A + iB has real inverse parts a and b).
        double norm = 1.0 / ((double)n * n);
        for (int r = rowLo; r < rowHi; r += 2)
        {
            int ra = r * m, rb = (r + 1) * m;
            // DC and Nyquist: real parts only
            re[0] = specRe[ra]; im[0] = specRe[rb];
            re[n / 2] = specRe[ra + n / 2]; im[n / 2] = specRe[rb + n / 2];
            for (int k = 1; k < n / 2; k++)
            {
                double ar = specRe[ra + k], ai = specIm[ra + k], br = specRe[rb + k], bi = specIm[rb + k];
                // Z[k] = A[k] + i B[k];  Z[n−k] = conj(A[k]) + i conj(B[k])
                re[k] = ar - bi; im[k] = ai + br;
                re[n - k] = ar + bi; im[n - k] = -ai + br;
            }
            Transform(re, im, true);
            var da = dst.Slice(r * n, n); var db = dst.Slice((r + 1) * n, n);
            for (int x = 0; x < n; x++) { da[x] = (float)(re[x] * norm); db[x] = (float)(im[x] * norm); }
        }
    }
}
