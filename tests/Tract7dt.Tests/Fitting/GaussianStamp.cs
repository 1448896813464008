namespace Tract7dt.Tests.Fitting;

/// <summary>A unit-sum circular Gaussian PSF stamp, centred on the stamp's middle pixel.</summary>
internal static class GaussianStamp
{
    public static float[] Make(int size, double sigma)
    {
        var s = new float[size * size];
        double sum = 0;
        for (int j = 0; j < size; j++)
            for (int i = 0; i < size; i++)
            {
                double dx = i - size / 2, dy = j - size / 2;
                sum += s[j * size + i] = (float)Math.Exp(-0.5 * (dx * dx + dy * dy) / (sigma * sigma));
            }
        for (int k = 0; k < s.Length; k++) s[k] = (float)(s[k] / sum);
        return s;
    }

    /// <summary>Adds a point source of <paramref name="flux"/> at (x, y), rendered by <paramref name="psf"/>, to a w×h image.</summary>
    public static void AddPoint(float[] img, int w, int h, Tract7dt.Science.Psf.Models.IPsf psf, double x, double y, double flux)
    {
        var p = psf.RenderPoint(x, y, w, h)!;
        for (int j = 0; j < p.H; j++)
            for (int i = 0; i < p.W; i++)
            {
                int gx = p.X0 + i, gy = p.Y0 + j;
                if ((uint)gx < w && (uint)gy < h) img[gy * w + gx] += (float)(flux * p.Values[j * p.W + i]);
            }
    }
}
