using Tract7dt.Science.Psf.Epsf;

namespace Tract7dt.Tests.Epsf;

/// <summary>Point-sampled analytic star fields for the ePSF tests.</summary>
internal static class SyntheticStars
{
    public static Func<double, double, double> Gaussian(double sigma) =>
        (dx, dy) => Math.Exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));

    public static Func<double, double, double> Moffat(double alpha, double beta) =>
        (dx, dy) => Math.Pow(1 + (dx * dx + dy * dy) / (alpha * alpha), -beta);

    /// <summary>
    /// Star centres on an exact sub-pixel dither: for every (a, b) in 0..o−1 one star at
    /// <c>(X + a/o, Y + b/o)</c> on a coarse lattice of well separated integer points,
    /// repeated <paramref name="copies"/> times.
    /// </summary>
    public static (double[] X, double[] Y) DitherGrid(int o, int copies, int spacing, int margin)
    {
        var xs = new List<double>();
        var ys = new List<double>();
        int k = 0;
        for (int c = 0; c < copies; c++)
            for (int b = 0; b < o; b++)
                for (int a = 0; a < o; a++)
                {
                    int col = k % 8, row = k / 8;
                    xs.Add(margin + col * spacing + (double)a / o);
                    ys.Add(margin + row * spacing + (double)b / o);
                    k++;
                }
        return (xs.ToArray(), ys.ToArray());
    }

    /// <summary>Renders stars (flux scale <paramref name="amp"/>·(1 + 0.1·index)) plus a
    /// constant background into an image; error map constant 1.</summary>
    public static (float[] Image, float[] Error, int W, int H) Render(double[] x, double[] y,
        Func<double, double, double> profile, double amp, double background, int spacing, int margin, int halfWidth)
    {
        int cols = Math.Min(8, x.Length), rows = (x.Length + 7) / 8;
        int w = 2 * margin + cols * spacing, h = 2 * margin + rows * spacing;
        var img = new float[w * h];
        var err = new float[w * h];
        Array.Fill(err, 1f);
        var acc = new double[w * h];
        Array.Fill(acc, background);
        for (int s = 0; s < x.Length; s++)
        {
            double a = amp * (1 + 0.1 * s);
            int x0 = Math.Max(0, (int)x[s] - halfWidth), x1 = Math.Min(w - 1, (int)x[s] + halfWidth + 1);
            int y0 = Math.Max(0, (int)y[s] - halfWidth), y1 = Math.Min(h - 1, (int)y[s] + halfWidth + 1);
            for (int j = y0; j <= y1; j++)
                for (int i = x0; i <= x1; i++)
                    acc[j * w + i] += a * profile(i - x[s], j - y[s]);
        }
        for (int k = 0; k < img.Length; k++) img[k] = (float)acc[k];
        return (img, err, w, h);
    }

    public static IReadOnlyList<EpsfStar> Stamps(double[] x, double[] y, Func<double, double, double> profile,
        int size, int spacing = 40, int margin = 30)
    {
        var (img, err, w, h) = Render(x, y, profile, 1000, 0, spacing, margin, spacing / 2);
        var set = StarStamps.Extract(img, err, w, h, x, y, null, size);
        if (set.Dropped.Count != 0) throw new InvalidOperationException("test layout drops stars");
        return set.Stars;
    }
}
