namespace Tract7dt.Science.Imaging;

/// <summary>Per-source exclusion tests in pixel space (docs/pipeline.md §3.6).</summary>
public static class SourceFlagging
{
    /// <summary>
    /// excluded_crop: true where (x, y) is not inside the half-open <paramref name="box"/>;
    /// a non-finite position is never inside, so it is excluded.
    /// </summary>
    public static bool[] OutsideBox(ReadOnlySpan<double> x, ReadOnlySpan<double> y, PixelBox box)
    {
        if (x.Length != y.Length) throw new ArgumentException("x and y differ in length");
        var flags = new bool[x.Length];
        for (int i = 0; i < flags.Length; i++) flags[i] = !box.Contains(x[i], y[i]);
        return flags;
    }
}
