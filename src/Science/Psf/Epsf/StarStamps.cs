using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Psf.Epsf;

/// <summary>The stamps cut by <see cref="StarStamps.Extract"/> and the input rows dropped
/// because their stamp was not fully inside the image.</summary>
/// <param name="Stars">Stamps, in input order.</param>
/// <param name="InputIndex">For each stamp, its row in the input position list.</param>
/// <param name="Dropped">Input rows without a stamp (edge or non-finite position).</param>
public sealed record StampSet(IReadOnlyList<EpsfStar> Stars, IReadOnlyList<int> InputIndex, IReadOnlyList<int> Dropped);

/// <summary>
/// Cuts star stamps as photutils' <c>extract_stars</c> does (docs/epsf.md §13.4).
/// </summary>
public static class StarStamps
{
    /// <summary>
    /// Cuts a <paramref name="size"/>×<paramref name="size"/> stamp around each position.
    /// The stamp covers rows <c>[ceil(y − size/2), ceil(y + size/2))</c> and the same in x,
    /// so its central pixel is <c>ceil(x − 0.5)</c>; a stamp not fully inside the image is
    /// dropped silently (listed in <see cref="StampSet.Dropped"/>). Weights are <c>1/e</c>;
    /// a pixel with non-finite data or a non-positive / non-finite error gets weight 0.
    /// </summary>
    /// <param name="image">Image, <c>[y*width + x]</c>, image units.</param>
    /// <param name="error">1-σ uncertainty per pixel, same layout and units.</param>
    /// <param name="width">Image width (NAXIS1).</param>
    /// <param name="height">Image height (NAXIS2).</param>
    /// <param name="x">Star x positions, 0-based image pixels.</param>
    /// <param name="y">Star y positions, 0-based image pixels.</param>
    /// <param name="ids">Star labels, or null for "0", "1", …</param>
    /// <param name="size">Stamp side (odd, ≥ 3).</param>
    /// <param name="totalError">Optional 1-σ error including the sources' photon noise: its
    /// inverse square becomes each stamp's <see cref="EpsfStar.StackInverseVariance"/>.</param>
    /// <exception cref="Tract7dtException"><see cref="ErrorCodes.EpsfInvalidOption"/> for a bad
    /// size; <see cref="ErrorCodes.EpsfInputShape"/> for inconsistent array lengths.</exception>
    public static StampSet Extract(ReadOnlySpan<float> image, ReadOnlySpan<float> error, int width, int height,
        ReadOnlySpan<double> x, ReadOnlySpan<double> y, IReadOnlyList<string>? ids, int size,
        ReadOnlySpan<float> totalError = default)
    {
        if (size < 3 || size % 2 == 0)
            throw new Tract7dtException(ErrorCodes.EpsfInvalidOption,
                $"epsf.cutout_size = {size}: the star stamp side must be odd and at least 3; set an odd value such as 61.");
        if (width <= 0 || height <= 0 || image.Length != (long)width * height || error.Length != image.Length)
            throw new Tract7dtException(ErrorCodes.EpsfInputShape,
                $"star stamps: image ({image.Length}) and error ({error.Length}) must both hold width×height = {width}×{height} pixels.");
        if (x.Length != y.Length || (ids != null && ids.Count != x.Length))
            throw new Tract7dtException(ErrorCodes.EpsfInputShape,
                $"star stamps: {x.Length} x positions, {y.Length} y positions and {ids?.Count ?? x.Length} ids must agree.");

        var stars = new List<EpsfStar>();
        var index = new List<int>();
        var dropped = new List<int>();
        double half = size / 2.0;
        for (int s = 0; s < x.Length; s++)
        {
            double xs = x[s], ys = y[s];
            if (!double.IsFinite(xs) || !double.IsFinite(ys)) { dropped.Add(s); continue; }
            double fx0 = Math.Ceiling(xs - half), fy0 = Math.Ceiling(ys - half);
            if (fx0 < 0 || fy0 < 0 || fx0 + size > width || fy0 + size > height) { dropped.Add(s); continue; }
            int x0 = (int)fx0, y0 = (int)fy0;
            var data = new float[size * size];
            var w = new double[size * size];
            var iv = totalError.IsEmpty ? null : new double[size * size];
            for (int j = 0; j < size; j++)
            {
                int row = (y0 + j) * width + x0;
                for (int i = 0; i < size; i++)
                {
                    float e = error[row + i];
                    data[j * size + i] = image[row + i];
                    w[j * size + i] = e > 0 && float.IsFinite(e) ? 1.0 / e : 0.0;
                    if (iv != null)
                    {
                        float t = totalError[row + i];
                        iv[j * size + i] = w[j * size + i] > 0 && t > 0 && float.IsFinite(t) ? 1.0 / ((double)t * t) : 0.0;
                    }
                }
            }
            string id = ids?[s] ?? s.ToString(System.Globalization.CultureInfo.InvariantCulture);
            stars.Add(new EpsfStar(id, size, data, w, x0, y0, xs - x0, ys - y0) { StackInverseVariance = iv });
            index.Add(s);
        }
        return new StampSet(stars, index, dropped);
    }
}
