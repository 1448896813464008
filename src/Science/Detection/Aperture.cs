using Tract7dt.Science.Errors;

namespace Tract7dt.Science.Detection;

/// <summary>Flux, its 1σ error and flags of one aperture sum (image units).</summary>
public readonly record struct ApertureSum(double Flux, double FluxErr, short Flags);

/// <summary>
/// Circular aperture photometry with SEP's sub-pixel convention: pixels wholly inside
/// count fully, pixels wholly outside not at all, and pixels the circle edge may cross
/// are sampled on a subpix × subpix grid.
/// </summary>
public static class Aperture
{
    // Half the pixel diagonal (√2/2, rounded up): a pixel whose centre lies within
    // r − 0.7072 is wholly inside the circle, beyond r + 0.7072 wholly outside.
    private const double HalfDiagonal = 0.7072;

    /// <summary>
    /// Sums <paramref name="data"/> inside a circle of radius <paramref name="r"/> pixels
    /// centred on (x, y) (0-based pixel coordinates; pixel centres at integers).
    /// </summary>
    /// <remarks>
    /// The sum covers pixels i ∈ [int(x − r + 0.5), int(x + r + 1.4999999)) (and likewise
    /// in y), clipped to the image (flag <see cref="SourceFlags.ApertureTruncated"/>).
    /// Masked pixels (mask ≠ 0) are left out and the sum and variance are scaled by
    /// total area / unmasked area (flag <see cref="SourceFlags.ApertureHasMasked"/>).
    /// FluxErr = √(Σ overlap·σ²); 0 without noise. NaN data propagate.
    /// </remarks>
    /// <param name="subpix">Sub-pixel sampling per axis [5]; must be ≥ 1.</param>
    public static ApertureSum SumCircle(ReadOnlySpan<float> data, int width, int height,
        double x, double y, double r, PixelNoise noise = default, ReadOnlySpan<byte> mask = default, int subpix = 5)
    {
        Validate(data.Length, width, height, r, noise, mask, subpix);
        return SumOne(data, width, height, x, y, r, noise, mask, subpix);
    }

    /// <summary>
    /// <see cref="SumCircle(ReadOnlySpan{float}, int, int, double, double, double, PixelNoise, ReadOnlySpan{byte}, int)"/>
    /// for many positions; results go into the caller's spans (length of <paramref name="x"/>).
    /// </summary>
    public static void SumCircle(ReadOnlySpan<float> data, int width, int height,
        ReadOnlySpan<double> x, ReadOnlySpan<double> y, double r,
        Span<double> flux, Span<double> fluxErr, Span<short> flags,
        PixelNoise noise = default, ReadOnlySpan<byte> mask = default, int subpix = 5)
    {
        Validate(data.Length, width, height, r, noise, mask, subpix);
        int n = x.Length;
        if (y.Length != n || flux.Length < n || fluxErr.Length < n || flags.Length < n)
            throw new Tract7dtException(ErrorCodes.ApertureParameter,
                $"SumCircle: {n} x positions but {y.Length} y positions and outputs of {flux.Length}/{fluxErr.Length}/{flags.Length}; pass equal-length arrays.");
        for (int k = 0; k < n; k++)
        {
            var s = SumOne(data, width, height, x[k], y[k], r, noise, mask, subpix);
            flux[k] = s.Flux; fluxErr[k] = s.FluxErr; flags[k] = s.Flags;
        }
    }

    private static void Validate(int length, int width, int height, double r, PixelNoise noise, ReadOnlySpan<byte> mask, int subpix)
    {
        ImageChecks.Shape(length, width, height, "SumCircle");
        ImageChecks.Optional(mask.Length, length, "SumCircle", "mask");
        if (noise.IsMap) ImageChecks.Optional(noise.MapLength, length, "SumCircle", "noise");
        if (!(r >= 0) || double.IsInfinity(r))
            throw new Tract7dtException(ErrorCodes.ApertureParameter,
                $"SumCircle: radius {r.ToString(System.Globalization.CultureInfo.InvariantCulture)} must be finite and ≥ 0.");
        if (subpix < 1)
            throw new Tract7dtException(ErrorCodes.ApertureParameter,
                $"SumCircle: subpix {subpix} must be ≥ 1 (the pipeline uses 5).");
    }

    private static ApertureSum SumOne(ReadOnlySpan<float> data, int w, int h, double x, double y,
        double r, PixelNoise noise, ReadOnlySpan<byte> mask, int subpix)
    {
        var t = Totals(data, w, h, x, y, r, noise, mask, subpix, EdgeArea.RunningSum);
        double sum = t.Sum, var = t.Variance;
        if (t.MaskedArea > 0)
        {
            double corr = t.TotalArea / (t.TotalArea - t.MaskedArea);
            sum *= corr;
            var *= corr;
        }
        return new ApertureSum(sum, Math.Sqrt(var), t.Flags);
    }

    /// <summary>
    /// The one circular-aperture pixel loop (SEP's sub-pixel rule), before any masked-area
    /// correction: Σ data·overlap and Σ σ²·overlap over unmasked pixels, the covered area
    /// of all pixels and of the masked ones, and the truncation/masked flags. Callers apply
    /// their own correction for masked area.
    /// </summary>
    /// <param name="mask">Non-zero excludes a pixel; empty = nothing masked.</param>
    /// <param name="edgeArea">How an edge pixel's covered area is formed from its samples.</param>
    internal static ApertureTotals Totals(ReadOnlySpan<float> data, int w, int h, double x, double y,
        double r, PixelNoise noise, ReadOnlySpan<byte> mask, int subpix, EdgeArea edgeArea)
    {
        short flags = 0;
        double rin = r - HalfDiagonal;
        double rin2 = rin > 0 ? rin * rin : 0;
        double rout2 = (r + HalfDiagonal) * (r + HalfDiagonal);
        double r2 = r * r;
        double scale = 1.0 / subpix, scale2 = scale * scale, offset = 0.5 * (scale - 1.0);

        int xmin = (int)(x - r + 0.5), xmax = (int)(x + r + 1.4999999);
        int ymin = (int)(y - r + 0.5), ymax = (int)(y + r + 1.4999999);
        if (xmin < 0) { xmin = 0; flags |= SourceFlags.ApertureTruncated; }
        if (xmax > w) { xmax = w; flags |= SourceFlags.ApertureTruncated; }
        if (ymin < 0) { ymin = 0; flags |= SourceFlags.ApertureTruncated; }
        if (ymax > h) { ymax = h; flags |= SourceFlags.ApertureTruncated; }

        bool hasMask = !mask.IsEmpty, hasNoise = noise.IsPresent;
        double sum = 0, var = 0, totalArea = 0, maskArea = 0;
        for (int iy = ymin; iy < ymax; iy++)
        {
            double dy = iy - y;
            int row = iy * w;
            for (int ix = xmin; ix < xmax; ix++)
            {
                double dx = ix - x;
                double rpix2 = dx * dx + dy * dy;
                if (!(rpix2 < rout2)) continue;
                double overlap;
                if (rpix2 > rin2)
                {
                    // Edge pixel: count sub-pixel centres inside the circle. The centres are
                    // stepped by repeated addition, as SEP steps them: the rounding decides
                    // samples that fall exactly on the circle (e.g. integer centres).
                    int inside = 0;
                    double sy = dy + offset;
                    for (int j = 0; j < subpix; j++, sy += scale)
                    {
                        double sy2 = sy * sy;
                        double sx = dx + offset;
                        for (int i = 0; i < subpix; i++, sx += scale)
                            if (sx * sx + sy2 < r2) inside++;
                    }
                    overlap = edgeArea == EdgeArea.RunningSum ? RepeatedSum(scale2, inside) : scale2 * inside;
                }
                else overlap = 1.0;

                int idx = row + ix;
                totalArea += overlap;
                if (hasMask && mask[idx] != 0)
                {
                    flags |= SourceFlags.ApertureHasMasked;
                    maskArea += overlap;
                    continue;
                }
                sum += data[idx] * overlap;
                if (hasNoise) var += noise.VarianceAt(idx) * overlap;
            }
        }
        return new ApertureTotals(sum, var, totalArea, maskArea, flags);
    }

    // SEP adds scale² once per sample inside, so its area carries that sum's rounding
    // (25 additions of 0.04 are not 25 × 0.04); detection fluxes keep SEP's last bits.
    private static double RepeatedSum(double step, int count)
    {
        double a = 0;
        for (int k = 0; k < count; k++) a += step;
        return a;
    }
}

/// <summary>How <see cref="Aperture.Totals"/> turns an edge pixel's k inside samples into area.</summary>
internal enum EdgeArea
{
    /// <summary>scale² added k times, as SEP does (detection photometry).</summary>
    RunningSum,

    /// <summary>k × scale² (the patch fit's initial fluxes, docs/fitting.md §5.1).</summary>
    SampleCount,
}

/// <summary>Sums of one aperture before the masked-area correction (<see cref="Aperture.Totals"/>).</summary>
/// <param name="Sum">Σ data·overlap over unmasked pixels.</param>
/// <param name="Variance">Σ σ²·overlap over unmasked pixels (0 without noise).</param>
/// <param name="TotalArea">Covered area of all pixels in the aperture, masked or not [pix²].</param>
/// <param name="MaskedArea">Covered area of the masked pixels [pix²].</param>
/// <param name="Flags">ApertureTruncated / ApertureHasMasked.</param>
internal readonly record struct ApertureTotals(double Sum, double Variance, double TotalArea, double MaskedArea, short Flags);

