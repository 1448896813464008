namespace Tract7dt.Science.Fitting.Rendering;

/// <summary>
/// Lanczos-3 sub-pixel shift of an image (tractor-core.md §3.4): a separable 7-tap filter,
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
    {
        int n = w * h;
        if (img.Length < n || dst.Length < n || scratch.Length < n) throw new ArgumentException("buffer too short");
        Span<float> fx = stackalloc float[7];
        Span<float> fy = stackalloc float[7];
        Taps(dx, fx); Taps(dy, fy);
        var t = scratch.Slice(0, n);
        // pass 1 along x
        for (int y = 0; y < h; y++)
        {
            var src = img.Slice(y * w, w);
            var o = t.Slice(y * w, w);
            for (int x = 0; x < w; x++)
            {
                float acc = 0f;
                int jlo = Math.Max(-3, -x), jhi = Math.Min(3, w - 1 - x);
                for (int j = jlo; j <= jhi; j++) acc += fx[j + 3] * src[x + j];
                o[x] = acc;
            }
        }
        // pass 2 along y
        for (int y = 0; y < h; y++)
        {
            var o = dst.Slice(y * w, w);
            int jlo = Math.Max(-3, -y), jhi = Math.Min(3, h - 1 - y);
            o.Clear();
            for (int j = jlo; j <= jhi; j++)
            {
                float f = fy[j + 3];
                if (f == 0f) continue;
                var src = t.Slice((y + j) * w, w);
                for (int x = 0; x < w; x++) o[x] += f * src[x];
            }
        }
    }
}
