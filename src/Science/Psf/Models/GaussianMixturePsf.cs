using System.Numerics;
using Tract7dt.Science.Errors;
using Tract7dt.Science.Fitting.Rendering;

namespace Tract7dt.Science.Psf.Models;

/// <summary>
/// A PSF that is a fixed Gaussian mixture in pixel units, means relative to the source
/// position (docs/fitting.md §15.3). Point sources are evaluated on the box
/// [floor(px − 25), ceil(px + 25) + 1) in each axis, clipped to the image; galaxies are
/// convolved analytically.
/// </summary>
public sealed class GaussianMixturePsf : IPsf
{
    /// <summary>The reference's fixed radius [px] of a Gaussian-mixture PSF.</summary>
    public const double FixedRadius = 25.0;

    public GaussianMixturePsf(GaussianMixture mixture) => Mixture = mixture;

    public GaussianMixture Mixture { get; }
    public double Radius => FixedRadius;
    public GalaxyConvolution GalaxyPath => GalaxyConvolution.Analytic;
    public GaussianMixture? GalaxyMixture => Mixture;
    public PixelizedPsf? Stamp => null;
    public bool IsHybrid => false;

    public ImagePatch? RenderPoint(double px, double py, int width, int height)
    {
        double r = Radius;
        if (px + r < 0 || px - r > width || py + r < 0 || py - r > height) return null;
        int x0 = Math.Max(0, (int)Math.Floor(px - r)), x1 = Math.Min(width, (int)Math.Ceiling(px + r) + 1);
        int y0 = Math.Max(0, (int)Math.Floor(py - r)), y1 = Math.Min(height, (int)Math.Ceiling(py + r) + 1);
        return MixturePatch.Evaluate(Mixture, x0, y0, x1 - x0, y1 - y0, px, py);
    }

    /// <summary>
    /// EM fit of an <paramref name="n"/>-component mixture to a stamp treated as a density
    /// (docs/fitting.md §15.3 <c>fromStamp</c>): normalise, clip negatives, start from w = 1/N, μ = 0,
    /// C_k = (k+1)·I, run exactly 1000 iterations (stopping early, silently, if a covariance
    /// becomes singular). Coordinates are relative to the stamp centre [H/2][W/2].
    /// </summary>
    public static GaussianMixturePsf FromStamp(ReadOnlySpan<float> stamp, int width, int height, int n)
        => new(EmFit(stamp, width, height, n, 1000));

    internal static GaussianMixture EmFit(ReadOnlySpan<float> stamp, int width, int height, int n, int iterations)
    {
        if (n < 1) throw new Tract7dtException(ErrorCodes.PsfInvalid, $"Gaussian-mixture PSF needs at least 1 component; got {n} (patch_run.gaussian_mixture_n / hybrid_psf_n).");
        int np = width * height;
        // Normalise in the stamp's own precision (f32), then clip, then promote to f64.
        // NumPy sums f32 pairwise, accurate to ~1 ulp: a double sum rounded once matches it
        // far better than a naive f32 loop (which drifts ~1e-6 over a 51×51 stamp).
        double dsum = 0;
        for (int i = 0; i < np; i++) dsum += stamp[i];
        float sum = (float)dsum;
        var s = new double[np];
        for (int i = 0; i < np; i++) { float v = stamp[i] / sum; s[i] = v > 0f ? v : 0f; }
        var xs = new double[np]; var ys = new double[np];
        for (int iy = 0; iy < height; iy++)
            for (int ix = 0; ix < width; ix++) { xs[iy * width + ix] = ix - width / 2; ys[iy * width + ix] = iy - height / 2; }

        var w = new double[n]; var mx = new double[n]; var my = new double[n];
        var cxx = new double[n]; var cxy = new double[n]; var cyy = new double[n];
        for (int k = 0; k < n; k++) { w[k] = 1.0 / n; cxx[k] = cyy[k] = k + 1; }
        // t_ki = S_i r_ik, component-major so that both the E-step (SIMD over pixels) and the
        // M-step (each component's sums over pixels, in pixel order) read contiguously.
        var t = new double[n * np];
        var z = new double[np];
        for (int it = 0; it < iterations; it++)
        {
            // E-step: the same per-pixel formulas as the direct loop, vectorised over pixels;
            // each z_i still sums the components in order k = 0..N−1.
            z.AsSpan().Clear();
            for (int k = 0; k < n; k++)
            {
                double det = cxx[k] * cyy[k] - cxy[k] * cxy[k];
                if (!(det > 0)) return new GaussianMixture(w, mx, my, cxx, cxy, cyy); // silent stop (docs/fitting.md §15.3)
                double i00 = cyy[k] / det, i01 = -cxy[k] / det, i11 = cxx[k] / det;
                double sc = w[k] / (2 * Math.PI * Math.Sqrt(det));
                EStepComponent(xs, ys, mx[k], my[k], i00, i01, i11, sc, t.AsSpan(k * np, np), z);
            }
            for (int k = 0; k < n; k++) Responsibilities(t.AsSpan(k * np, np), s, z);
            // M-step: weights and means, then covariances about the new means. The sums run in
            // SIMD lanes (a different summation order from a plain loop: ~1e-16 relative).
            for (int k = 0; k < n; k++)
            {
                var tk = t.AsSpan(k * np, np);
                var (sw, sx, sy) = Moments1(tk, xs, ys);
                double ux = sx / sw, uy = sy / sw;
                var (sxx, sxy, syy) = Moments2(tk, xs, ys, ux, uy);
                w[k] = sw; mx[k] = ux; my[k] = uy;
                cxx[k] = sxx / sw; cxy[k] = sxy / sw; cyy[k] = syy / sw;
            }
        }
        return new GaussianMixture(w, mx, my, cxx, cxy, cyy);
    }

    /// <summary>t_i ← S_i · t_i / z_i, or 0 where z_i = 0 (the pixel is beyond every component's cut).</summary>
    private static void Responsibilities(Span<double> t, ReadOnlySpan<double> s, ReadOnlySpan<double> z)
    {
        int np = t.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
            for (int vc = Vector<double>.Count; i + vc <= np; i += vc)
            {
                var vz = new Vector<double>(z.Slice(i));
                var r = new Vector<double>(s.Slice(i)) * (new Vector<double>(t.Slice(i)) / vz);
                Vector.ConditionalSelect(Vector.Equals(vz, Vector<double>.Zero), Vector<double>.Zero, r).CopyTo(t.Slice(i));
            }
        for (; i < np; i++) t[i] = z[i] == 0 ? 0 : s[i] * (t[i] / z[i]);
    }

    /// <summary>(Σ t, Σ t·x, Σ t·y).</summary>
    private static (double, double, double) Moments1(ReadOnlySpan<double> t, ReadOnlySpan<double> xs, ReadOnlySpan<double> ys)
    {
        int np = t.Length, i = 0;
        double sw = 0, sx = 0, sy = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<double> aw = default, ax = default, ay = default;
            for (int vc = Vector<double>.Count; i + vc <= np; i += vc)
            {
                var vt = new Vector<double>(t.Slice(i));
                aw += vt; ax += vt * new Vector<double>(xs.Slice(i)); ay += vt * new Vector<double>(ys.Slice(i));
            }
            sw = Vector.Sum(aw); sx = Vector.Sum(ax); sy = Vector.Sum(ay);
        }
        for (; i < np; i++) { double ti = t[i]; sw += ti; sx += ti * xs[i]; sy += ti * ys[i]; }
        return (sw, sx, sy);
    }

    /// <summary>(Σ t·dx², Σ t·dx·dy, Σ t·dy²) about (ux, uy).</summary>
    private static (double, double, double) Moments2(ReadOnlySpan<double> t, ReadOnlySpan<double> xs, ReadOnlySpan<double> ys, double ux, double uy)
    {
        int np = t.Length, i = 0;
        double sxx = 0, sxy = 0, syy = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<double> axx = default, axy = default, ayy = default;
            var vux = new Vector<double>(ux); var vuy = new Vector<double>(uy);
            for (int vc = Vector<double>.Count; i + vc <= np; i += vc)
            {
                var vt = new Vector<double>(t.Slice(i));
                var dx = new Vector<double>(xs.Slice(i)) - vux;
                var dy = new Vector<double>(ys.Slice(i)) - vuy;
                axx += vt * dx * dx; axy += vt * dx * dy; ayy += vt * dy * dy;
            }
            sxx = Vector.Sum(axx); sxy = Vector.Sum(axy); syy = Vector.Sum(ayy);
        }
        for (; i < np; i++)
        {
            double ti = t[i], dx = xs[i] - ux, dy = ys[i] - uy;
            sxx += ti * dx * dx; sxy += ti * dx * dy; syy += ti * dy * dy;
        }
        return (sxx, sxy, syy);
    }

    /// <summary>
    /// dst_i = sc·exp(−d²/2) for d² &lt; 100 (else 0), d² the Mahalanobis distance of pixel i from
    /// (mx, my) under the inverse covariance [[i00, i01], [i01, i11]]; z_i += dst_i.
    /// </summary>
    private static void EStepComponent(ReadOnlySpan<double> xs, ReadOnlySpan<double> ys, double mx, double my,
                                       double i00, double i01, double i11, double sc, Span<double> dst, Span<double> z)
    {
        int np = dst.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int vc = Vector<double>.Count;
            var vmx = new Vector<double>(mx); var vmy = new Vector<double>(my);
            var v00 = new Vector<double>(i00); var v01 = new Vector<double>(i01); var v11 = new Vector<double>(i11);
            var vsc = new Vector<double>(sc); var half = new Vector<double>(-0.5); var cut = new Vector<double>(100.0);
            for (; i + vc <= np; i += vc)
            {
                var dx = new Vector<double>(xs.Slice(i)) - vmx;
                var dy = new Vector<double>(ys.Slice(i)) - vmy;
                var d2 = dx * (v00 * dx + v01 * dy) + dy * (v01 * dx + v11 * dy);
                var e = Vector.ConditionalSelect(Vector.LessThan(d2, cut), vsc * Vector.Exp(half * d2), Vector<double>.Zero);
                e.CopyTo(dst.Slice(i));
                (new Vector<double>(z.Slice(i)) + e).CopyTo(z.Slice(i));
            }
        }
        for (; i < np; i++)
        {
            double dx = xs[i] - mx, dy = ys[i] - my;
            double d2 = dx * (i00 * dx + i01 * dy) + dy * (i01 * dx + i11 * dy);
            dst[i] = d2 < 100 ? sc * Math.Exp(-0.5 * d2) : 0;
            z[i] += dst[i];
        }
    }
}

/// <summary>Evaluates a mixture on a pixel box into a new f32 patch (docs/fitting.md §15.1, f64 inside).</summary>
internal static class MixturePatch
{
    public static ImagePatch? Evaluate(GaussianMixture mix, int x0, int y0, int w, int h, double fx, double fy)
    {
        if (w <= 0 || h <= 0) return null;
        var acc = new double[w * h];
        mix.AddToGrid(x0, y0, w, h, fx, fy, acc);
        var v = new float[w * h];
        for (int i = 0; i < v.Length; i++) v[i] = (float)acc[i];
        return new ImagePatch(x0, y0, w, h, v);
    }
}
