namespace Tract7dt.Science.Detection;

/// <summary>
/// Measurements of one object (a set of a component's pixels), SExtractor's isophotal
/// analysis: barycentre and second moments weighted by the filtered values, the ellipse
/// they define, and the profile-steepness correction <see cref="AbCor"/> used by
/// deblending and cleaning.
/// </summary>
internal sealed class ObjectStats
{
    // Moments whose determinant falls below this (px⁴) describe a line or a point; SExtractor
    // then adds 1/12 px² (the variance of a uniform pixel) to both axes.
    private const double SingularDet = 0.00694;
    private const double PixelVariance = 0.0833333;

    public float Thresh;
    public int NPix, TNPix, XMin, XMax, YMin, YMax;
    public double X, Y, X2, Y2, XY;
    public float A, B, Theta, Cxx, Cyy, Cxy, CFlux, Flux, CPeak, Peak, AbCor;
    public int XCPeak, YCPeak, XPeak, YPeak;
    public short Flag;
    /// <summary>Cleaning's reference level: the minarea-th largest (C − T) of the pixels; 0 if fewer.</summary>
    public float MThresh;

    /// <summary>
    /// Analyses pixels <paramref name="sel"/> (local indices, any order; ties of the peaks go
    /// to the first in that order) of <paramref name="c"/> against threshold <paramref name="t"/>.
    /// With <paramref name="keepCentre"/> the moments are taken about (xc, yc) and X, Y keep it.
    /// </summary>
    public static ObjectStats Analyse(Component c, ReadOnlySpan<int> sel, float t,
        bool keepCentre = false, double xc = 0, double yc = 0)
    {
        var s = new ObjectStats { Thresh = t, NPix = sel.Length };
        int x0 = int.MaxValue, x1 = int.MinValue, y0 = int.MaxValue, y1 = int.MinValue;
        float peak = float.NegativeInfinity, cpeak = float.NegativeInfinity;
        foreach (int q in sel)
        {
            x0 = Math.Min(x0, c.X[q]); x1 = Math.Max(x1, c.X[q]);
            y0 = Math.Min(y0, c.Y[q]); y1 = Math.Max(y1, c.Y[q]);
            if (c.F[q] > peak) { peak = c.F[q]; s.XPeak = c.X[q]; s.YPeak = c.Y[q]; }
            if (c.C[q] > cpeak) { cpeak = c.C[q]; s.XCPeak = c.X[q]; s.YCPeak = c.Y[q]; }
        }
        s.XMin = x0; s.XMax = x1; s.YMin = y0; s.YMax = y1;
        s.Peak = peak; s.CPeak = cpeak;

        // Moments relative to the box corner keep the sums well conditioned.
        double r = 0, flux = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        int tnpix = 0, area2 = 0;
        float t2 = (t + peak) / 2f;
        foreach (int q in sel)
        {
            double v = c.C[q], dx = c.X[q] - x0, dy = c.Y[q] - y0;
            r += v; flux += c.F[q];
            sx += v * dx; sy += v * dy;
            sxx += v * dx * dx; syy += v * dy * dy; sxy += v * dx * dy;
            if (c.F[q] > t) tnpix++;
            if (c.F[q] > t2) area2++;
        }
        s.TNPix = tnpix;
        s.CFlux = (float)r;
        s.Flux = (float)flux;
        if (!(r > 0))
        {
            // Only possible with negative filtered values (e.g. an absolute threshold ≤ 0
            // is refused, but a matched filter can turn on near strong negative noise):
            // fall back to unweighted moments so the object still has a shape.
            r = sel.Length; sx = sy = sxx = syy = sxy = 0;
            foreach (int q in sel)
            {
                double dx = c.X[q] - x0, dy = c.Y[q] - y0;
                sx += dx; sy += dy; sxx += dx * dx; syy += dy * dy; sxy += dx * dy;
            }
        }
        double mx = sx / r, my = sy / r, x2, y2, xy;
        if (keepCentre)
        {
            double xn = xc - x0, yn = yc - y0;
            x2 = sxx / r + xn * xn - 2 * mx * xn;
            y2 = syy / r + yn * yn - 2 * my * yn;
            xy = sxy / r + xn * yn - mx * yn - my * xn;
            s.X = xc; s.Y = yc;
        }
        else
        {
            x2 = sxx / r - mx * mx;
            y2 = syy / r - my * my;
            xy = sxy / r - mx * my;
            s.X = mx + x0; s.Y = my + y0;
        }
        double det = x2 * y2 - xy * xy;
        if (det < SingularDet)
        {
            x2 += PixelVariance; y2 += PixelVariance;
            det = x2 * y2 - xy * xy;
            s.Flag |= SourceFlags.Singular;
        }
        s.X2 = x2; s.Y2 = y2; s.XY = xy;
        double half = (x2 + y2) / 2, dif = (x2 - y2) / 2;
        double root = Math.Sqrt(dif * dif + xy * xy);
        s.A = (float)Math.Sqrt(half + root);
        double b2 = half - root;
        s.B = (float)(b2 > 0 ? Math.Sqrt(b2) : 0);
        s.Theta = (float)(x2 - y2 != 0 ? Math.Atan2(2 * xy, x2 - y2) / 2 : Math.PI / 4);
        s.Cxx = (float)(y2 / det); s.Cyy = (float)(x2 / det); s.Cxy = (float)(-2 * xy / det);

        // Profile steepness: how fast the isophotal area shrinks between the threshold and
        // halfway to the peak, relative to a Gaussian of the same a, b (1 = Gaussian or flatter).
        float ratio = t / t2;
        if (ratio > 0)
        {
            int delta = area2 - tnpix;
            double num = delta < 0 ? delta : -1;
            double ab = Math.Log(ratio < 1 ? ratio : 0.99);
            double cor = num / (2 * Math.PI * ab * s.A * s.B);
            s.AbCor = (float)(cor > 1 ? 1 : cor);
        }
        else s.AbCor = 1f;
        return s;
    }

    /// <summary>Sets <see cref="MThresh"/> from the pixels: the minArea-th largest of C − T.</summary>
    public void SetMThresh(Component c, ReadOnlySpan<int> sel, int minArea)
    {
        if (sel.Length < minArea) { MThresh = 0f; return; }
        var buf = new float[sel.Length];
        for (int k = 0; k < sel.Length; k++) buf[k] = c.C[sel[k]] - c.T[sel[k]];
        Array.Sort(buf);
        MThresh = buf[sel.Length - minArea];
    }
}
