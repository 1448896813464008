using System.Globalization;
using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Detection;

/// <summary>
/// Source extraction in the manner of Source Extractor / SEP (Bertin &amp; Arnouts 1996;
/// Barbary 2016): filter, threshold, 8-connected segmentation, multi-threshold
/// deblending, measurement of barycentres and second moments, and cleaning.
/// </summary>
/// <remarks>
/// <para>Masking: a masked pixel (mask ≠ 0) has value 0 and, with a noise map, infinite
/// noise (so a threshold of thresh·1e30); it can still be "on" through its neighbours.</para>
/// <para>Thresholds: with a noise map or a single noise value, <c>thresh</c> is in units of
/// σ (pixel threshold thresh·σₚ); without noise it is absolute. With a noise map and
/// <see cref="FilterType.Matched"/> a pixel is on iff its matched-filter significance
/// Σk·f/σ² / √(Σk²/σ²) exceeds thresh; otherwise iff its filtered value exceeds its
/// threshold. The object threshold t₀ is the mean of the thresholds of its unmasked pixels
/// (of all its pixels if every one is masked). SEP 1.2.1 takes the threshold of the pixel
/// where its scan closes the object, which is the same value for a uniform noise map but 0
/// for objects touching the right or top edge; SEP ≥ 1.3 takes the mean over all pixels,
/// which a single masked pixel (threshold thresh·1e30) turns into ~1e29. We avoid both.</para>
/// <para>Deterministic deblending: SEP hands the pixels of a blend that lie below every
/// deblended core to one of the cores at random, with probabilities proportional to each
/// core's elliptical Gaussian profile there (a seeded rand_r stream). We give each such
/// pixel to the core of largest profile value instead (ties: the core of smallest
/// elliptical distance, then the first). Object counts and positions of deblended cores
/// are unaffected; fluxes and shapes of deblended objects differ slightly from SEP's.</para>
/// <para>Cleaning's "minarea-th brightest pixel" is the true minarea-th largest of
/// (filtered value − pixel threshold), where SEP takes it from a partly sorted heap that
/// depends on its pixel-list order.</para>
/// <para>Output order is SEP's: objects in the order the raster scan completes their
/// components (by the last pixel in raster order), a blend's deblended children in place
/// of the blend.</para>
/// </remarks>
public static class Extractor
{
    private const float Big = 1e30f;

    /// <summary>
    /// Extracts objects from <paramref name="data"/> (row-major, element [y*width + x]).
    /// </summary>
    /// <param name="thresh">Detection threshold: in σ with noise, absolute without; &gt; 0.</param>
    /// <param name="noise">Per-pixel or global noise (σ or variance), or none.</param>
    /// <param name="mask">Optional; non-zero = masked.</param>
    /// <param name="options">Settings; null = defaults.</param>
    /// <exception cref="Tract7dtException">T7D200/T7D201 bad shapes; T7D203 bad parameters;
    /// T7D205 a component larger than the pixel-stack limit; T7D206 too many sub-objects.</exception>
    public static SourceCatalog Extract(ReadOnlySpan<float> data, int width, int height, double thresh,
        PixelNoise noise = default, ReadOnlySpan<byte> mask = default, ExtractOptions? options = null)
    {
        var o = options ?? new ExtractOptions();
        Validate(data.Length, width, height, thresh, noise, mask, o);
        int n = width * height;

        var conv = new float[n];
        var on = new byte[n];
        Filter(data, width, height, thresh, noise, mask, o, conv, on);

        // Connected components (8-connected), pixel lists in raster order.
        var labels = new int[n];
        var (compStart, compPix) = Label(on, labels, width, height);
        int ncomp = compStart.Length - 1;

        // Process order: completion of the raster scan = the component's last pixel.
        var order = new List<int>();
        for (int k = 0; k < ncomp; k++)
            if (compStart[k + 1] - compStart[k] >= o.MinArea) order.Add(k);
        order.Sort((a, b) => compPix[compStart[a + 1] - 1].CompareTo(compPix[compStart[b + 1] - 1]));

        var objects = new List<ObjectStats>();
        var deblender = new Deblender(o);
        foreach (int k in order)
        {
            int start = compStart[k], len = compStart[k + 1] - start;
            if (len > o.PixelStackLimit)
                throw new Tract7dtException(ErrorCodes.ExtractPixelStackFull,
                    $"Extract: a connected component holds {len} pixels, more than the pixel-stack limit {o.PixelStackLimit}; " +
                    "raise the detection threshold, subtract the background first, or raise ExtractOptions.PixelStackLimit.");
            var comp = new Component(len);
            for (int q = 0; q < len; q++)
            {
                int idx = compPix[start + q];
                bool masked = !mask.IsEmpty && mask[idx] != 0;
                comp.X[q] = idx % width;
                comp.Y[q] = idx / width;
                comp.F[q] = masked ? 0f : data[idx];
                comp.C[q] = conv[idx];
                comp.T[q] = PixelThreshold(thresh, noise, masked, idx);
                comp.Masked[q] = masked;
            }
            comp.Prepare();
            deblender.Run(comp, objects);
        }

        if (o.Clean) objects = Cleaner.Clean(objects, o.CleanParam);
        return ToCatalog(objects, width, height);
    }

    /// <summary>
    /// <see cref="Extract(ReadOnlySpan{float}, int, int, double, PixelNoise, ReadOnlySpan{byte}, ExtractOptions?)"/>
    /// with one noise σ for all pixels (SEP's <c>err=globalrms</c>): the threshold is thresh·σ
    /// on the filtered image.
    /// </summary>
    public static SourceCatalog Extract(ReadOnlySpan<float> data, int width, int height, double thresh,
        float globalRms, ReadOnlySpan<byte> mask = default, ExtractOptions? options = null) =>
        Extract(data, width, height, thresh, PixelNoise.StdDev(globalRms), mask, options);

    private static void Validate(int length, int width, int height, double thresh, PixelNoise noise,
        ReadOnlySpan<byte> mask, ExtractOptions o)
    {
        ImageChecks.Shape(length, width, height, "Extract");
        ImageChecks.Optional(mask.Length, length, "Extract", "mask");
        if (noise.IsMap) ImageChecks.Optional(noise.MapLength, length, "Extract", "noise");
        string? bad = null;
        if (!(thresh > 0) || double.IsInfinity(thresh)) bad = $"thresh = {F(thresh)} must be finite and > 0";
        else if (o.MinArea < 1) bad = $"minarea = {o.MinArea} must be ≥ 1";
        else if (o.DeblendNThresh < 1) bad = $"deblend_nthresh = {o.DeblendNThresh} must be ≥ 1";
        else if (!(o.DeblendCont >= 0) || double.IsInfinity(o.DeblendCont)) bad = $"deblend_cont = {F(o.DeblendCont)} must be finite and ≥ 0";
        else if (!(o.CleanParam > 0) || double.IsInfinity(o.CleanParam)) bad = $"clean_param = {F(o.CleanParam)} must be finite and > 0";
        else if (o.PixelStackLimit < 1 || o.SubObjectLimit < 1) bad = "pixel-stack and sub-object limits must be ≥ 1";
        if (bad != null)
            throw new Tract7dtException(ErrorCodes.ExtractParameter, $"Extract: {bad}.");
    }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static float PixelThreshold(double thresh, PixelNoise noise, bool masked, int idx)
    {
        if (!noise.IsPresent) return (float)thresh;
        if (masked && noise.IsMap) return (float)(thresh * Big);
        return (float)(thresh * noise.StdDevAt(idx));
    }

    /// <summary>Filtered image and the on/off decision per pixel.</summary>
    private static void Filter(ReadOnlySpan<float> data, int w, int h, double thresh, PixelNoise noise,
        ReadOnlySpan<byte> mask, ExtractOptions o, float[] conv, byte[] on)
    {
        bool hasMask = !mask.IsEmpty;
        var kernel = o.Kernel;
        if (kernel is null)
        {
            for (int i = 0; i < conv.Length; i++)
            {
                bool masked = hasMask && mask[i] != 0;
                float f = masked ? 0f : data[i];
                conv[i] = f;
                on[i] = (byte)(f > PixelThreshold(thresh, noise, masked, i) ? 1 : 0);
            }
            return;
        }
        bool matched = o.FilterType == FilterType.Matched && noise.IsMap;
        float[] k = kernel.Values;
        int kw = kernel.Width, kh = kernel.Height, hx = kw / 2, hy = kh / 2;
        for (int y = 0; y < h; y++)
        {
            int r0 = Math.Max(0, hy - y), r1 = Math.Min(kh, h - y + hy);
            for (int x = 0; x < w; x++)
            {
                int c0 = Math.Max(0, hx - x), c1 = Math.Min(kw, w - x + hx);
                double s = 0, sw = 0, sw2 = 0;
                for (int r = r0; r < r1; r++)
                {
                    int row = (y + r - hy) * w + x - hx;
                    for (int c = c0; c < c1; c++)
                    {
                        int i = row + c;
                        bool masked = hasMask && mask[i] != 0;
                        float f = masked ? 0f : data[i];
                        float kv = k[r * kw + c];
                        s += kv * f;
                        if (matched)
                        {
                            float var = masked ? float.PositiveInfinity : noise.VarianceAt(i);
                            if (var != 0f)
                            {
                                sw += kv * f / var;
                                sw2 += (double)kv * kv / var;
                            }
                        }
                    }
                }
                int idx = y * w + x;
                conv[idx] = (float)s;
                bool isOn;
                if (matched)
                    isOn = sw / Math.Sqrt(sw2) > thresh; // sw2 = 0 → NaN → off
                else
                    isOn = conv[idx] > PixelThreshold(thresh, noise, hasMask && mask[idx] != 0, idx);
                on[idx] = (byte)(isOn ? 1 : 0);
            }
        }
    }

    /// <summary>
    /// 8-connected labelling of the on-pixels. Returns component offsets and the pixel
    /// indices of each component in raster order (CSR layout).
    /// </summary>
    private static (int[] start, int[] pix) Label(byte[] on, int[] labels, int w, int h)
    {
        var sizes = new List<int> { 0 };
        var stack = new Stack<int>();
        int next = 0;
        for (int i = 0; i < on.Length; i++)
        {
            if (on[i] == 0 || labels[i] != 0) continue;
            next++;
            int count = 0;
            labels[i] = next;
            stack.Push(i);
            while (stack.Count > 0)
            {
                int p = stack.Pop();
                count++;
                int px = p % w, py = p / w;
                for (int dy = -1; dy <= 1; dy++)
                {
                    int yy = py + dy;
                    if ((uint)yy >= (uint)h) continue;
                    for (int dx = -1; dx <= 1; dx++)
                    {
                        int xx = px + dx;
                        if ((uint)xx >= (uint)w) continue;
                        int q = yy * w + xx;
                        if (on[q] != 0 && labels[q] == 0) { labels[q] = next; stack.Push(q); }
                    }
                }
            }
            sizes.Add(count);
        }
        var start = new int[next + 1];
        for (int k = 0; k < next; k++) start[k + 1] = start[k] + sizes[k + 1];
        var fill = (int[])start.Clone();
        var pix = new int[start[next]];
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] != 0) pix[fill[labels[i] - 1]++] = i;
        return (start, pix);
    }

    private static SourceCatalog ToCatalog(List<ObjectStats> objs, int width, int height)
    {
        var cat = new SourceCatalog(objs.Count);
        for (int i = 0; i < objs.Count; i++)
        {
            var s = objs[i];
            cat.Thresh[i] = s.Thresh; cat.NPix[i] = s.NPix; cat.TNPix[i] = s.TNPix;
            cat.XMin[i] = s.XMin; cat.XMax[i] = s.XMax; cat.YMin[i] = s.YMin; cat.YMax[i] = s.YMax;
            cat.X[i] = s.X; cat.Y[i] = s.Y; cat.X2[i] = s.X2; cat.Y2[i] = s.Y2; cat.XY[i] = s.XY;
            cat.A[i] = s.A; cat.B[i] = s.B; cat.Theta[i] = s.Theta;
            cat.Cxx[i] = s.Cxx; cat.Cyy[i] = s.Cyy; cat.Cxy[i] = s.Cxy;
            cat.CFlux[i] = s.CFlux; cat.Flux[i] = s.Flux; cat.CPeak[i] = s.CPeak; cat.Peak[i] = s.Peak;
            cat.XCPeak[i] = s.XCPeak; cat.YCPeak[i] = s.YCPeak; cat.XPeak[i] = s.XPeak; cat.YPeak[i] = s.YPeak;
            // Touching the image border: the isophote is cut (SEP sets this too).
            bool edge = s.XMin == 0 || s.YMin == 0 || s.XMax == width - 1 || s.YMax == height - 1;
            cat.Flag[i] = edge ? (short)(s.Flag | SourceFlags.Truncated) : s.Flag;
        }
        return cat;
    }
}
