namespace Tract7dt.Science.Fitting.Rendering;

/// <summary>
/// A rectangle of model values: element [r·W + c] is image pixel (X0 + c, Y0 + r) (docs/fitting.md §16.1).
/// It may extend past the image; it is clipped when added or used.
/// </summary>
public sealed class ImagePatch
{
    public ImagePatch(int x0, int y0, int w, int h, float[] values)
    {
        if (values.Length < w * h) throw new ArgumentException("values shorter than w·h");
        X0 = x0; Y0 = y0; W = w; H = h; Values = values;
    }

    public int X0 { get; }
    public int Y0 { get; }
    public int W { get; }
    public int H { get; }
    /// <summary>Row-major values (length ≥ W·H; counts per unit flux for unit patches).</summary>
    public float[] Values { get; }

    /// <summary>True if the patch overlaps [0, width) × [0, height).</summary>
    public bool Overlaps(int width, int height) =>
        X0 < width && Y0 < height && X0 + W > 0 && Y0 + H > 0 && W > 0 && H > 0;

    /// <summary>image[overlap] += scale · patch (f32, the reference's model accumulation).</summary>
    public void AddTo(Span<float> image, int width, int height, float scale)
    {
        int xa = Math.Max(0, X0), xb = Math.Min(width, X0 + W);
        int ya = Math.Max(0, Y0), yb = Math.Min(height, Y0 + H);
        for (int y = ya; y < yb; y++)
        {
            var src = Values.AsSpan((y - Y0) * W + (xa - X0), xb - xa);
            var dst = image.Slice(y * width + xa, xb - xa);
            for (int i = 0; i < src.Length; i++) dst[i] += src[i] * scale;
        }
    }

    /// <summary>
    /// (a − b)·k on the bounding box of both footprints (each operand on its own footprint,
    /// zero elsewhere), computed in f64 and rounded to f32 (docs/fitting.md §16.1). <paramref name="b"/> may be null (= 0).
    /// </summary>
    public static ImagePatch ScaledDifference(ImagePatch a, ImagePatch? b, double k)
    {
        if (b is null)
        {
            var v0 = new float[a.W * a.H];
            for (int i = 0; i < v0.Length; i++) v0[i] = (float)(a.Values[i] * k);
            return new ImagePatch(a.X0, a.Y0, a.W, a.H, v0);
        }
        if (a.X0 == b.X0 && a.Y0 == b.Y0 && a.W == b.W && a.H == b.H)
        {
            var v1 = new float[a.W * a.H];
            for (int i = 0; i < v1.Length; i++) v1[i] = (float)(((double)a.Values[i] - b.Values[i]) * k);
            return new ImagePatch(a.X0, a.Y0, a.W, a.H, v1);
        }
        int x0 = Math.Min(a.X0, b.X0), y0 = Math.Min(a.Y0, b.Y0);
        int x1 = Math.Max(a.X0 + a.W, b.X0 + b.W), y1 = Math.Max(a.Y0 + a.H, b.Y0 + b.H);
        int w = x1 - x0, h = y1 - y0;
        var acc = new double[w * h];
        Accumulate(acc, x0, y0, w, a, 1.0);
        Accumulate(acc, x0, y0, w, b, -1.0);
        var v = new float[w * h];
        for (int i = 0; i < v.Length; i++) v[i] = (float)(acc[i] * k);
        return new ImagePatch(x0, y0, w, h, v);
    }

    private static void Accumulate(double[] acc, int x0, int y0, int w, ImagePatch p, double s)
    {
        for (int r = 0; r < p.H; r++)
        {
            int o = (p.Y0 + r - y0) * w + (p.X0 - x0);
            for (int c = 0; c < p.W; c++) acc[o + c] += s * p.Values[r * p.W + c];
        }
    }
}
