namespace Tract7dt.Science.Imaging;

/// <summary>
/// The saturated pixels of one band in one pixel frame, kept sparse (sorted linear
/// indices): saturated cores are a tiny fraction of a tile, so 40 bands of them fit in
/// memory where 40 full boolean masks would not.
/// </summary>
public sealed class SaturatedPixels
{
    private readonly long[] _sorted;

    /// <param name="width">Frame width (pixels).</param>
    /// <param name="height">Frame height (pixels).</param>
    /// <param name="linearIndices">y·W + x of each saturated pixel, any order, duplicates allowed.</param>
    public SaturatedPixels(int width, int height, IEnumerable<long> linearIndices)
    {
        Width = width;
        Height = height;
        _sorted = linearIndices.Distinct().OrderBy(i => i).ToArray();
    }

    public int Width { get; }

    public int Height { get; }

    public int Count => _sorted.Length;

    public bool IsSaturated(int x, int y) =>
        (uint)x < (uint)Width && (uint)y < (uint)Height && Array.BinarySearch(_sorted, (long)y * Width + x) >= 0;

    /// <summary>Appends the linear indices of pixels whose <paramref name="bad"/> has
    /// <see cref="FramePixels.BadSaturated"/> set, for a block starting at row <paramref name="row0"/>.</summary>
    public static void Collect(ReadOnlySpan<byte> bad, int width, int row0, List<long> into)
    {
        for (int i = 0; i < bad.Length; i++)
            if ((bad[i] & FramePixels.BadSaturated) != 0)
                into.Add((long)row0 * width + i);
    }
}

/// <summary>
/// Flags sources that sit near saturated pixels (docs/pipeline.md §3.7 and the Gaia-injection
/// variant of docs/pipeline.md §4.2 step 9).
/// </summary>
public static class SaturationFlags
{
    /// <summary>
    /// Integer offsets (dx, dy) with dx² + dy² ≤ r², −R ≤ dx, dy ≤ R, enumerated dy-major.
    /// </summary>
    /// <param name="radius">Disk radius in pixels.</param>
    /// <param name="minHalfSize">Lower bound of R = max(minHalfSize, ceil(r)): 0 for source flagging, 1 for Gaia injection.</param>
    /// <param name="centreFallback">Use {(0,0)} when the disk is empty (r &lt; 0), as source flagging does.</param>
    public static (int Dx, int Dy)[] DiskOffsets(double radius, int minHalfSize = 0, bool centreFallback = true)
    {
        int half = Math.Max(minHalfSize, (int)Math.Ceiling(radius));
        var list = new List<(int, int)>();
        double r2 = radius * radius;
        for (int dy = -half; dy <= half; dy++)
            for (int dx = -half; dx <= half; dx++)
                if (radius >= 0 && (double)dx * dx + (double)dy * dy <= r2)
                    list.Add((dx, dy));
        if (list.Count == 0 && centreFallback) list.Add((0, 0));
        return list.ToArray();
    }

    /// <summary>
    /// For each source at pixel (x, y) in the bands' frame: hit_b = any saturated pixel of
    /// band b at (rint(x)+dx, rint(y)+dy) for the disk offsets (outside the frame: no hit).
    /// Flag = any band hit, or with <paramref name="requireAllBands"/> every band hit.
    /// Non-finite positions are never flagged.
    /// </summary>
    public static bool[] Flag(IReadOnlyList<SaturatedPixels> bands, ReadOnlySpan<double> x, ReadOnlySpan<double> y,
        (int Dx, int Dy)[] disk, bool requireAllBands)
    {
        var flags = new bool[x.Length];
        if (bands.Count == 0) return flags;
        for (int i = 0; i < x.Length; i++)
        {
            if (!double.IsFinite(x[i]) || !double.IsFinite(y[i])) continue;
            // numpy's rint rounds half to even, as Math.Round does by default.
            long ixl = (long)Math.Round(x[i]), iyl = (long)Math.Round(y[i]);
            if (Math.Abs(ixl) > int.MaxValue / 2 || Math.Abs(iyl) > int.MaxValue / 2) continue;
            int ix = (int)ixl, iy = (int)iyl;
            bool any = false, all = true;
            foreach (var band in bands)
            {
                bool hit = false;
                if (band.Count > 0)
                    foreach (var (dx, dy) in disk)
                        if (band.IsSaturated(ix + dx, iy + dy)) { hit = true; break; }
                any |= hit;
                all &= hit;
            }
            flags[i] = requireAllBands ? all : any;
        }
        return flags;
    }
}
