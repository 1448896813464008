using Tract7dt.Science.Numerics;

namespace Tract7dt.Science.Psf.Epsf;

/// <summary>The written ePSF (float32, centre-cropped, unit sum) and its QA metrics.</summary>
/// <param name="Data">ePSF <c>[j*Size + i]</c>, float32, sums to 1 unless the sum was ≤ 0.</param>
/// <param name="Size">Side in (oversampled) pixels, odd.</param>
/// <param name="Oversampling">Oversampling factor o of the grid.</param>
/// <param name="Qa">Growth-curve and edge metrics (<c>epsf_qa</c> of meta.json).</param>
/// <param name="GrowthRadii">Radii k = 0..r_max of the growth curve, ePSF pixels.</param>
/// <param name="GrowthFraction">Encircled-energy fraction EE_k for each radius.</param>
/// <param name="FwhmPix">FWHM in stamp (native) pixels; see <see cref="EpsfPostProcess.Fwhm"/>.</param>
public sealed record EpsfProduct(float[] Data, int Size, int Oversampling, EpsfQa Qa,
    double[] GrowthRadii, double[] GrowthFraction, double FwhmPix);

/// <summary>The <c>epsf_qa</c> record of meta.json (docs/outputs.md §6.2, docs/epsf.md §12). Radii in ePSF array pixels.</summary>
/// <param name="EeR50Pix">First integer radius with encircled energy ≥ 0.5 (NaN if none).</param>
/// <param name="EeR80Pix">Same for 0.8.</param>
/// <param name="EeR90Pix">Same for 0.9.</param>
/// <param name="EeEdge">Encircled energy at r_max (1 unless the total is 0).</param>
/// <param name="EdgeMedian">nan-median of the border pixels (corners counted twice).</param>
/// <param name="EdgeMean">nan-mean of the border pixels (corners counted twice).</param>
/// <param name="Min">nan-min of the array.</param>
/// <param name="Max">nan-max of the array.</param>
public readonly record struct EpsfQa(double EeR50Pix, double EeR80Pix, double EeR90Pix, double EeEdge,
    double EdgeMedian, double EdgeMean, double Min, double Max);

/// <summary>
/// The pipeline's post-processing of a built ePSF (docs/epsf.md §8) and the
/// metrics it reports.
/// </summary>
public static class EpsfPostProcess
{
    /// <summary>
    /// Converts to float32 (non-finite → 0), centre-crops to <paramref name="finalSize"/>
    /// when that is smaller than the array (rows/columns from <c>(n − c) div 2</c>; in
    /// oversampled pixels, nothing resampled), divides by the float32 sum when it is &gt; 0,
    /// and computes the QA metrics.
    /// </summary>
    /// <param name="epsf">The builder's array, <c>[j*size + i]</c>.</param>
    /// <param name="size">Its side.</param>
    /// <param name="oversampling">Its oversampling factor.</param>
    /// <param name="finalSize">Wanted side (<c>epsf.final_psf_size</c>, 55).</param>
    public static EpsfProduct Finish(ReadOnlySpan<double> epsf, int size, int oversampling, int finalSize)
    {
        var p = Normalise(epsf, size, finalSize, out int c);
        var (radii, ee, qa) = Growth(p, c);
        return new EpsfProduct(p, c, oversampling, qa, radii, ee, Fwhm(p, c, oversampling));
    }

    /// <summary>
    /// The pixels of <see cref="Finish"/> alone: the centre crop to <paramref name="finalSize"/> (when
    /// smaller), non-finite values set to 0, in float32, normalised to unit sum when the sum is positive.
    /// The band model is evaluated at thousands of places (each held-out star, each node of each patch's
    /// grid), and there only the pixels are used: the growth curve and the FWHM that <see cref="Finish"/>
    /// adds were 78 % of the ePSF stage's CPU.
    /// </summary>
    /// <param name="side">The side of the returned square.</param>
    public static float[] Normalise(ReadOnlySpan<double> epsf, int size, int finalSize, out int side)
    {
        if (epsf.Length != size * size) throw new ArgumentException($"expected {size}×{size} values", nameof(epsf));
        int c = finalSize < size ? finalSize : size;
        int off = (size - c) / 2;
        var p = new float[c * c];
        float sum = 0;
        for (int j = 0; j < c; j++)
            for (int i = 0; i < c; i++)
            {
                double v = epsf[(j + off) * size + i + off];
                float f = double.IsFinite(v) ? (float)v : 0f;
                p[j * c + i] = f;
                sum += f;
            }
        if (sum > 0)
            for (int k = 0; k < p.Length; k++) p[k] /= sum;
        side = c;
        return p;
    }

    /// <summary>
    /// Growth curve and QA of docs/epsf.md §12: centre <c>((n−1)/2, (n−1)/2)</c>, float32 distance ρ of
    /// each pixel centre, <c>C_k = Σ P[ρ ≤ k]</c> for k = 0..ceil(max ρ), EE = C/C_last.
    /// </summary>
    public static (double[] Radii, double[] Fraction, EpsfQa Qa) Growth(ReadOnlySpan<float> p, int n)
    {
        float c = (n - 1) / 2f;
        var rho = new float[n * n];
        float rhoMax = 0;
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
            {
                float dx = i - c, dy = j - c;
                float r = MathF.Sqrt(dx * dx + dy * dy);
                rho[j * n + i] = r;
                rhoMax = Math.Max(rhoMax, r);
            }
        int kMax = (int)Math.Ceiling(rhoMax);
        var radii = new double[kMax + 1];
        var cum = new double[kMax + 1];
        for (int k = 0; k <= kMax; k++)
        {
            radii[k] = k;
            double s = 0; // float32 input summed in double; the order of summation is row-major
            for (int q = 0; q < rho.Length; q++) if (rho[q] <= k) s += p[q];
            cum[k] = s;
        }
        double total = cum[kMax];
        var ee = new double[kMax + 1];
        if (double.IsFinite(total) && total != 0)
            for (int k = 0; k <= kMax; k++) ee[k] = cum[k] / total;

        double First(double f)
        {
            for (int k = 0; k <= kMax; k++) if (ee[k] >= f) return k;
            return double.NaN;
        }

        var edge = new List<double>(4 * n);
        for (int i = 0; i < n; i++) edge.Add(p[i]);
        for (int i = 0; i < n; i++) edge.Add(p[(n - 1) * n + i]);
        for (int j = 0; j < n; j++) edge.Add(p[j * n]);
        for (int j = 0; j < n; j++) edge.Add(p[j * n + n - 1]);
        var finiteEdge = edge.Where(double.IsFinite).ToArray();
        double edgeMedian = ClippedStats.MedianInPlace(finiteEdge);
        double edgeMean = finiteEdge.Length > 0 ? finiteEdge.Average() : double.NaN;
        double min = double.NaN, max = double.NaN;
        foreach (float v in p)
        {
            if (!float.IsFinite(v)) continue;
            if (double.IsNaN(min) || v < min) min = v;
            if (double.IsNaN(max) || v > max) max = v;
        }
        var qa = new EpsfQa(First(0.5), First(0.8), First(0.9), ee[kMax], edgeMedian, edgeMean, min, max);
        return (radii, ee, qa);
    }

    /// <summary>Sub-samples per ePSF pixel and axis used by <see cref="Fwhm"/>.</summary>
    public const int FwhmSubsamples = 8;

    /// <summary>
    /// FWHM in stamp (native) pixels by the half-maximum area: the area A (native pixels²)
    /// where the bicubic interpolant of the array (<see cref="SplineGrid"/>, as the ePSF is
    /// evaluated everywhere else) exceeds half the peak pixel, counted on an 8×8 sub-grid per
    /// array cell, gives <c>FWHM = 2·sqrt(A/π)</c>: the diameter of the circle of equal
    /// area, i.e. the geometric mean of the major- and minor-axis FWHM of an elliptical core.
    /// Not a key of the original's meta.json (it reports no FWHM). NaN when the peak is not
    /// positive or the array is smaller than 4×4.
    /// </summary>
    public static double Fwhm(ReadOnlySpan<float> p, int n, int oversampling)
    {
        float peak = float.NegativeInfinity;
        foreach (float v in p) if (v > peak) peak = v;
        if (!(peak > 0) || n < 4) return double.NaN;
        double half = peak / 2.0;
        var values = new double[n * n];
        for (int k = 0; k < values.Length; k++) values[k] = float.IsFinite(p[k]) ? p[k] : 0;
        var grid = new SplineGrid(n, n);
        grid.Fit(values);
        const int m = FwhmSubsamples;
        long count = 0;
        for (int j = 0; j < n - 1; j++)
            for (int i = 0; i < n - 1; i++)
            {
                // a cell whose corners and neighbours are all far below half cannot cross it
                double a = values[j * n + i], b = values[j * n + i + 1], c = values[(j + 1) * n + i], d = values[(j + 1) * n + i + 1];
                if (Math.Max(Math.Max(a, b), Math.Max(c, d)) < 0.25 * peak) continue;
                for (int q = 0; q < m; q++)
                    for (int r = 0; r < m; r++)
                        if (grid.Evaluate(i + (r + 0.5) / m, j + (q + 0.5) / m) > half) count++;
            }
        double area = count / (double)(m * m) / ((double)oversampling * oversampling);
        return 2.0 * Math.Sqrt(area / Math.PI);
    }
}
