using System.Numerics;

namespace Tract7dt.Science.Fitting.Rendering;

/// <summary>
/// Lanczos-3 sub-pixel shift of an image (docs/fitting.md §15.4): a separable 7-tap filter,
/// taps normalised in f64 and rounded to f32, zero padding, f32 arithmetic. A feature at
/// index c moves to c + d.
/// </summary>
public static class Lanczos3
{
    /// <summary>L3(t) = 3 sin(πt) sin(πt/3)/(πt)² for 0 &lt; |t| &lt; 3, 1 at 0, 0 beyond.</summary>
    public static double Kernel(double t)
    {
        if (t == 0) return 1.0;
        if (Math.Abs(t) >= 3) return 0.0;
        double pt = Math.PI * t;
        return 3.0 * Math.Sin(pt) * Math.Sin(pt / 3.0) / (pt * pt);
    }

    /// <summary>Fills the 7 taps for offsets −3..+3 for a shift d ∈ [−½, ½].</summary>
    public static void Taps(double d, Span<float> taps)
    {
        taps.Slice(0, 7).Clear();
        if (d == 0) { taps[3] = 1f; return; }
        Span<double> f = stackalloc double[7];
        f.Clear();
        int lo = d > 0 ? 0 : 1, hi = d > 0 ? 5 : 6;
        double s = 0;
        for (int i = lo; i <= hi; i++) { f[i] = Kernel(i - 3 + d); s += f[i]; }
        for (int i = lo; i <= hi; i++) taps[i] = (float)(f[i] / s);
    }

    /// <summary>
    /// Shifts <paramref name="img"/> (w×h, row-major) by (dx, dy) into <paramref name="dst"/>
    /// (same size; may not overlap <paramref name="img"/>), using <paramref name="scratch"/>
    /// (length ≥ w·h) for the intermediate pass.
    /// </summary>
    public static void Shift(ReadOnlySpan<float> img, int w, int h, double dx, double dy, Span<float> dst, Span<float> scratch)
        => ShiftRegion(img, w, h, dx, dy, dst, scratch, 0, 0, w, h);

    /// <summary>
    /// <see cref="Shift"/> restricted to the output pixels [x0, x1) × [y0, y1) (clipped to the
    /// image); the rest of <paramref name="dst"/> is left untouched and the rest of
    /// <paramref name="scratch"/> is undefined. Every written pixel is bit-identical to the full
    /// shift's: each is the same sum of the same products in the same order (the SIMD lanes
    /// run over pixels, never over taps), and zero padding reads only inside the image.
    /// </summary>
    public static void ShiftRegion(ReadOnlySpan<float> img, int w, int h, double dx, double dy, Span<float> dst, Span<float> scratch,
                                   int x0, int y0, int x1, int y1)
    {
        int n = w * h;
        if (img.Length < n || dst.Length < n || scratch.Length < n) throw new ArgumentException("buffer too short");
        x0 = Math.Max(0, x0); y0 = Math.Max(0, y0); x1 = Math.Min(w, x1); y1 = Math.Min(h, y1);
        if (x1 <= x0 || y1 <= y0) return;
        Span<float> fx = stackalloc float[7];
        Span<float> fy = stackalloc float[7];
        Taps(dx, fx); Taps(dy, fy);
        var t = scratch.Slice(0, n);
        // pass 1 along x, on the rows pass 2 reads
        int ta = Math.Max(0, y0 - 3), tb = Math.Min(h, y1 + 3);
        for (int y = ta; y < tb; y++) RowPass(img.Slice(y * w, w), t.Slice(y * w, w), fx, x0, x1);
        // pass 2 along y
        for (int y = y0; y < y1; y++)
        {
            var o = dst.Slice(y * w + x0, x1 - x0);
            int jlo = Math.Max(-3, -y), jhi = Math.Min(3, h - 1 - y);
            o.Clear();
            for (int j = jlo; j <= jhi; j++)
            {
                float f = fy[j + 3];
                if (f == 0f) continue;
                AddScaled(t.Slice((y + j) * w + x0, x1 - x0), f, o);
            }
        }
    }

    /// <summary>o[x] = Σ_j f[j+3]·src[x+j] for x in [x0, x1), j over the taps inside the row.</summary>
    private static void RowPass(ReadOnlySpan<float> src, Span<float> o, ReadOnlySpan<float> f, int x0, int x1)
    {
        int w = src.Length;
        // Interior columns [3, w − 3) see all seven taps: vectorised over x.
        int ia = Math.Max(x0, 3), ib = Math.Min(x1, w - 3);
        int x = x0;
        for (; x < Math.Min(x1, ia); x++) o[x] = EdgeTap(src, f, x);
        if (Vector.IsHardwareAccelerated)
        {
            int vc = Vector<float>.Count;
            var f0 = new Vector<float>(f[0]); var f1 = new Vector<float>(f[1]); var f2 = new Vector<float>(f[2]);
            var f3 = new Vector<float>(f[3]); var f4 = new Vector<float>(f[4]); var f5 = new Vector<float>(f[5]);
            var f6 = new Vector<float>(f[6]);
            for (; x + vc <= ib; x += vc)
            {
                var s = src.Slice(x - 3);
                var acc = Vector<float>.Zero;
                acc += f0 * new Vector<float>(s);
                acc += f1 * new Vector<float>(s.Slice(1));
                acc += f2 * new Vector<float>(s.Slice(2));
                acc += f3 * new Vector<float>(s.Slice(3));
                acc += f4 * new Vector<float>(s.Slice(4));
                acc += f5 * new Vector<float>(s.Slice(5));
                acc += f6 * new Vector<float>(s.Slice(6));
                acc.CopyTo(o.Slice(x));
            }
        }
        for (; x < x1; x++) o[x] = EdgeTap(src, f, x);
    }

    private static float EdgeTap(ReadOnlySpan<float> src, ReadOnlySpan<float> f, int x)
    {
        float acc = 0f;
        int jlo = Math.Max(-3, -x), jhi = Math.Min(3, src.Length - 1 - x);
        for (int j = jlo; j <= jhi; j++) acc += f[j + 3] * src[x + j];
        return acc;
    }

    private static void AddScaled(ReadOnlySpan<float> src, float f, Span<float> o)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vf = new Vector<float>(f);
            int vc = Vector<float>.Count;
            for (; i + vc <= o.Length; i += vc)
                (new Vector<float>(o.Slice(i)) + vf * new Vector<float>(src.Slice(i))).CopyTo(o.Slice(i));
        }
        for (; i < o.Length; i++) o[i] += f * src[i];
    }
}
