namespace Tract7dt.Science.Imaging;

/// <summary>A half-open integer pixel box [X0, X1) × [Y0, Y1), 0-based.</summary>
public readonly record struct PixelBox(int X0, int X1, int Y0, int Y1)
{
    public int Width => X1 - X0;

    public int Height => Y1 - Y0;

    public bool IsEmpty => X1 <= X0 || Y1 <= Y0;

    /// <summary>True when (x, y) lies in the box (half-open; NaN is outside).</summary>
    public bool Contains(double x, double y) => x >= X0 && x < X1 && y >= Y0 && y < Y1;

    public PixelBox Intersect(PixelBox o) =>
        new(Math.Max(X0, o.X0), Math.Min(X1, o.X1), Math.Max(Y0, o.Y0), Math.Min(Y1, o.Y1));

    /// <summary>The crop box of docs/pipeline.md §3.6: [m, W−m) × [m, H−m).</summary>
    public static PixelBox Crop(int width, int height, int margin) => new(margin, width - margin, margin, height - margin);

    public override string ToString() => $"({X0}, {X1}, {Y0}, {Y1})";
}
