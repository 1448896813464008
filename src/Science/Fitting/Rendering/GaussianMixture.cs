using Tract7dt.Science.Fitting.Profiles;

namespace Tract7dt.Science.Fitting.Rendering;

/// <summary>
/// An immutable 2-D Gaussian mixture in pixel units: component k has amplitude
/// <c>Amp[k]</c>, mean (<c>MeanX[k]</c>, <c>MeanY[k]</c>) [px] and covariance
/// [[<c>Vxx</c>, <c>Vxy</c>], [<c>Vxy</c>, <c>Vyy</c>]] [px²].
/// Used for PSF mixtures (means relative to the PSF centre) and galaxy⊗PSF products.
/// </summary>
public sealed class GaussianMixture
{
    public GaussianMixture(double[] amp, double[] meanX, double[] meanY, double[] vxx, double[] vxy, double[] vyy)
    {
        int k = amp.Length;
        if (meanX.Length != k || meanY.Length != k || vxx.Length != k || vxy.Length != k || vyy.Length != k)
            throw new ArgumentException("mixture arrays differ in length");
        Amp = amp; MeanX = meanX; MeanY = meanY; Vxx = vxx; Vxy = vxy; Vyy = vyy;
    }

    public double[] Amp { get; }
    public double[] MeanX { get; }
    public double[] MeanY { get; }
    public double[] Vxx { get; }
    public double[] Vxy { get; }
    public double[] Vyy { get; }
    public int Count => Amp.Length;

    /// <summary>
    /// Adds the mixture, evaluated at the integer pixel centres of the box
    /// <c>[x0, x0 + w) × [y0, y0 + h)</c> with every mean shifted by (<paramref name="fx"/>,
    /// <paramref name="fy"/>), into <paramref name="dst"/> (row-major w×h), in f64 (docs/fitting.md §15.1).
    /// Each component is cut at Mahalanobis distance 10 (d² ≥ 100 adds nothing); a component
    /// with a non-positive determinant is skipped (it has no density).
    /// </summary>
    public void AddToGrid(int x0, int y0, int w, int h, double fx, double fy, Span<double> dst)
    {
        if (dst.Length < w * h) throw new ArgumentException("destination too short", nameof(dst));
        for (int k = 0; k < Count; k++)
        {
            double cxx = Vxx[k], cxy = Vxy[k], cyy = Vyy[k];
            double det = cxx * cyy - cxy * cxy;
            if (!(det > 0)) continue;
            double i0 = cyy / det, i1 = -(cxy + cxy) / det, i2 = cxx / det;
            double scale = Amp[k] / Math.Sqrt(4.0 * Math.PI * Math.PI * det);
            double mx = fx + MeanX[k], my = fy + MeanY[k];
            for (int r = 0; r < h; r++)
            {
                double dy = (y0 + r) - my;
                double a = i2 * dy * dy, b = i1 * dy;
                // Rows entirely beyond d² = 100 add nothing: the minimum over x of the
                // quadratic is a − b²/(4 i0).
                if (a - b * b / (4 * i0) >= 100) continue;
                var row = dst.Slice(r * w, w);
                for (int c = 0; c < w; c++)
                {
                    double dx = (x0 + c) - mx;
                    double d2 = i0 * dx * dx + b * dx + a;
                    if (d2 < 100) row[c] += scale * Math.Exp(-0.5 * d2);
                }
            }
        }
    }

    /// <summary>
    /// The convolution of a galaxy mixture (components (a_k, mean (px, py), C_k)) with this PSF
    /// mixture: component j·K + k has amplitude a_k b_j, mean (px, py) + μ_j and covariance
    /// C_k + P_j (docs/fitting.md §16.4).
    /// </summary>
    public GaussianMixture ConvolveWith(ReadOnlySpan<double> galAmp, ReadOnlySpan<Cov2> galCov, double px, double py)
    {
        int kk = galAmp.Length, n = kk * Count;
        var amp = new double[n]; var mx = new double[n]; var my = new double[n];
        var vxx = new double[n]; var vxy = new double[n]; var vyy = new double[n];
        for (int j = 0; j < Count; j++)
            for (int k = 0; k < kk; k++)
            {
                int i = j * kk + k;
                amp[i] = galAmp[k] * Amp[j];
                mx[i] = px + MeanX[j]; my[i] = py + MeanY[j];
                vxx[i] = galCov[k].Xx + Vxx[j]; vxy[i] = galCov[k].Xy + Vxy[j]; vyy[i] = galCov[k].Yy + Vyy[j];
            }
        return new GaussianMixture(amp, mx, my, vxx, vxy, vyy);
    }
}
