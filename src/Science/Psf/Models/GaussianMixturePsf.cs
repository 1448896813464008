using Tract7dt.Science.Errors;
using Tract7dt.Science.Fitting.Rendering;

namespace Tract7dt.Science.Psf.Models;

/// <summary>
/// A PSF that is a fixed Gaussian mixture in pixel units, means relative to the source
/// position (tractor-core.md §3.3). Point sources are evaluated on the box
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
    /// (§3.3 <c>fromStamp</c>): normalise, clip negatives, start from w = 1/N, μ = 0,
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
        var t = new double[np * n];                 // t_ik = S_i r_ik, pixel-major
        var i00 = new double[n]; var i01 = new double[n]; var i11 = new double[n]; var sc = new double[n];
        for (int it = 0; it < iterations; it++)
        {
            // E-step
            for (int k = 0; k < n; k++)
            {
                double det = cxx[k] * cyy[k] - cxy[k] * cxy[k];
                if (!(det > 0)) return new GaussianMixture(w, mx, my, cxx, cxy, cyy); // silent stop (§3.3)
                i00[k] = cyy[k] / det; i01[k] = -cxy[k] / det; i11[k] = cxx[k] / det;
                sc[k] = w[k] / (2 * Math.PI * Math.Sqrt(det));
            }
            for (int i = 0; i < np; i++)
            {
                var ti = t.AsSpan(i * n, n);
                double zi = 0;
                for (int k = 0; k < n; k++)
                {
                    double dx = xs[i] - mx[k], dy = ys[i] - my[k];
                    double d2 = dx * (i00[k] * dx + i01[k] * dy) + dy * (i01[k] * dx + i11[k] * dy);
                    ti[k] = d2 < 100 ? sc[k] * Math.Exp(-0.5 * d2) : 0;
                    zi += ti[k];
                }
                if (zi == 0) { ti.Clear(); continue; }
                for (int k = 0; k < n; k++) ti[k] = s[i] * (ti[k] / zi);
            }
            // M-step: weights and means, then covariances about the new means
            for (int k = 0; k < n; k++)
            {
                double sw = 0, sx = 0, sy = 0;
                for (int i = 0; i < np; i++) { double tk = t[i * n + k]; sw += tk; sx += tk * xs[i]; sy += tk * ys[i]; }
                double ux = sx / sw, uy = sy / sw;
                double sxx = 0, sxy = 0, syy = 0;
                for (int i = 0; i < np; i++)
                {
                    double tk = t[i * n + k], dx = xs[i] - ux, dy = ys[i] - uy;
                    sxx += tk * dx * dx; sxy += tk * dx * dy; syy += tk * dy * dy;
                }
                w[k] = sw; mx[k] = ux; my[k] = uy;
                cxx[k] = sxx / sw; cxy[k] = sxy / sw; cyy[k] = syy / sw;
            }
        }
        return new GaussianMixture(w, mx, my, cxx, cxy, cyy);
    }
}

/// <summary>Evaluates a mixture on a pixel box into a new f32 patch (§3.1, f64 inside).</summary>
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
