namespace Tract7dt.Science.Psf.Epsf;

/// <summary>
/// One star stamp for the ePSF builder (photutils' <c>EPSFStar</c>): a square cutout of
/// the image with its weights, where it came from and where the star sits in it.
/// </summary>
/// <remarks>
/// Pixel <c>(x, y)</c> of the stamp is element <c>[y*Size + x]</c>; its centre is at stamp
/// coordinates <c>(x, y)</c> (0-based, pixel centres on integers). A pixel is <i>masked</i>
/// when its weight is ≤ 0 or its data value is not finite; masked pixels take part in
/// nothing. Instances are immutable by convention: the builder never writes to
/// <see cref="Data"/> or <see cref="Weights"/>.
/// </remarks>
public sealed class EpsfStar
{
    /// <summary>Creates a stamp. <paramref name="data"/> and <paramref name="weights"/>
    /// are taken as they are (not copied); non-finite data get weight 0.</summary>
    /// <param name="id">Label of the star (free text; the pipeline uses 0..n−1).</param>
    /// <param name="size">Stamp side in pixels (odd, ≥ 3).</param>
    /// <param name="data">Stamp values, <c>size²</c>, image units.</param>
    /// <param name="weights">Stamp weights 1/σ, <c>size²</c>.</param>
    /// <param name="originX">Column of the stamp's pixel (0, 0) in the parent image.</param>
    /// <param name="originY">Row of the stamp's pixel (0, 0) in the parent image.</param>
    /// <param name="centerX">Star centre x in stamp pixels.</param>
    /// <param name="centerY">Star centre y in stamp pixels.</param>
    public EpsfStar(string id, int size, float[] data, double[] weights, int originX, int originY,
        double centerX, double centerY)
    {
        if (data.Length != size * size || weights.Length != size * size)
            throw new ArgumentException($"stamp of side {size} needs {size * size} data and weights");
        Id = id;
        Size = size;
        Data = data;
        Weights = weights;
        OriginX = originX;
        OriginY = originY;
        CenterX = centerX;
        CenterY = centerY;
        for (int k = 0; k < data.Length; k++)
            if (!float.IsFinite(data[k]) || !(weights[k] > 0) || double.IsNaN(weights[k])) weights[k] = 0;
        Flux0 = EstimateFlux(data, weights, size);
    }

    /// <summary>Label of the star.</summary>
    public string Id { get; }

    /// <summary>Stamp side in pixels.</summary>
    public int Size { get; }

    /// <summary>Stamp values, <c>[y*Size + x]</c>, image units.</summary>
    public float[] Data { get; }

    /// <summary>Stamp weights 1/σ (0 = masked), <c>[y*Size + x]</c>.</summary>
    public double[] Weights { get; }

    /// <summary>Parent-image column of the stamp's pixel (0, 0).</summary>
    public int OriginX { get; }

    /// <summary>Parent-image row of the stamp's pixel (0, 0).</summary>
    public int OriginY { get; }

    /// <summary>Star centre x in stamp pixels at extraction.</summary>
    public double CenterX { get; }

    /// <summary>Star centre y in stamp pixels at extraction.</summary>
    public double CenterY { get; }

    /// <summary>
    /// Initial flux F₀: the sum of the stamp, each masked pixel replaced by the value of
    /// the nearest unmasked pixel (what photutils' two interpolation passes amount to).
    /// The builder normalises the star by this value for the whole build.
    /// </summary>
    public double Flux0 { get; }

    /// <summary>
    /// Inverse variance of each stamp pixel including the star's own photon noise, in data
    /// units, or null: the weighted residual stack (<see cref="EpsfStack.WeightedMean"/>) uses
    /// it, falling back to <c>Weights²</c> (sky noise only). The star fit keeps
    /// <see cref="Weights"/>, as photutils does.
    /// </summary>
    public double[]? StackInverseVariance { get; init; }

    /// <summary>True when the stamp pixel at <c>k = y*Size + x</c> takes part in the build.</summary>
    public bool IsUsable(int k) => Weights[k] > 0;

    /// <summary>
    /// Inverse variance of pixel <paramref name="k"/>: <see cref="StackInverseVariance"/> where it
    /// is known and positive, else <c>Weights²</c>; 0 for a pixel that takes no part.
    /// </summary>
    public double InverseVariance(int k) =>
        !(Weights[k] > 0) ? 0 : StackInverseVariance is { } v && v[k] > 0 ? v[k] : Weights[k] * Weights[k];

    /// <summary>A copy of this stamp with a constant subtracted from every data value
    /// (weights, origin, centre and id unchanged; F₀ recomputed).</summary>
    public EpsfStar WithOffsetSubtracted(double offset)
    {
        // float32 array minus a scalar: the scalar is rounded to float32 first (NumPy rule)
        double off32 = (float)offset;
        var data = new float[Data.Length];
        for (int k = 0; k < data.Length; k++) data[k] = (float)(Data[k] - off32);
        return new EpsfStar(Id, Size, data, (double[])Weights.Clone(), OriginX, OriginY, CenterX, CenterY)
        {
            StackInverseVariance = StackInverseVariance,
        };
    }

    private static double EstimateFlux(float[] data, double[] weights, int size)
    {
        double sum = 0;
        bool anyMasked = false;
        for (int k = 0; k < data.Length; k++)
        {
            if (weights[k] > 0) sum += data[k];
            else anyMasked = true;
        }
        if (!anyMasked) return sum;
        for (int k = 0; k < data.Length; k++)
            if (!(weights[k] > 0)) sum += NearestUnmaskedValue(data, weights, size, k % size, k / size);
        return sum;
    }

    /// <summary>Value of the unmasked pixel nearest to (x0, y0) by Euclidean distance;
    /// ties go to the first met walking square rings outward, row-major within a ring
    /// (photutils leaves them to a KD-tree, i.e. unspecified).
    /// Searches square rings outward and stops once no closer pixel can exist.</summary>
    private static double NearestUnmaskedValue(float[] data, double[] weights, int size, int x0, int y0)
    {
        long best = long.MaxValue;
        double value = 0;
        for (int r = 1; r < size; r++)
        {
            if ((long)r * r > best) break; // every pixel on ring r is at least r away
            int ylo = Math.Max(0, y0 - r), yhi = Math.Min(size - 1, y0 + r);
            for (int y = ylo; y <= yhi; y++)
            {
                bool edgeRow = y == y0 - r || y == y0 + r;
                int xlo = Math.Max(0, x0 - r), xhi = Math.Min(size - 1, x0 + r);
                for (int x = xlo; x <= xhi; x++)
                {
                    if (!edgeRow && x != x0 - r && x != x0 + r) continue;
                    int k = y * size + x;
                    if (!(weights[k] > 0)) continue;
                    long d = (long)(x - x0) * (x - x0) + (long)(y - y0) * (y - y0);
                    if (d < best) // ties: the first one met on the walk below wins
                    {
                        best = d;
                        value = data[k];
                    }
                }
            }
        }
        return value; // no unmasked pixel at all: contributes 0
    }
}

/// <summary>
/// A star's state after the ePSF build: its fitted centre (stamp pixels) and flux (image
/// units × stamp pixels, i.e. the same units as <see cref="EpsfStar.Flux0"/>).
/// </summary>
/// <param name="Id">Label of the star.</param>
/// <param name="CenterX">Fitted centre x in stamp pixels.</param>
/// <param name="CenterY">Fitted centre y in stamp pixels.</param>
/// <param name="Flux">Fitted flux.</param>
/// <param name="FitFailed">The 5×5 fit box left the stamp (photutils' fit status 1) in the last iteration.</param>
/// <param name="Excluded">Permanently excluded from residual stacking (failed after iteration 3).</param>
public readonly record struct EpsfFittedStar(string Id, double CenterX, double CenterY, double Flux,
    bool FitFailed, bool Excluded);
