namespace Tract7dt.Science.Detection;

/// <summary>
/// The pixels of one connected component, in raster order: position, unfiltered value F
/// (0 if masked), filtered value C, own threshold T and whether it is masked. Local pixel index q runs over
/// 0..Count−1; <see cref="Grid"/> maps the bounding box back to q (−1 = not in it).
/// </summary>
internal sealed class Component
{
    public Component(int n)
    {
        Count = n;
        X = new int[n]; Y = new int[n]; F = new float[n]; C = new float[n]; T = new float[n]; Masked = new bool[n];
    }

    public int Count { get; }
    public int[] X { get; }
    public int[] Y { get; }
    public float[] F { get; }
    public float[] C { get; }
    public float[] T { get; }
    public bool[] Masked { get; }
    public int XMin { get; private set; }
    public int YMin { get; private set; }
    public int BoxWidth { get; private set; }
    public int BoxHeight { get; private set; }
    public int[] Grid { get; private set; } = [];

    /// <summary>Builds the bounding-box grid once the pixel arrays are filled.</summary>
    public void Prepare()
    {
        int x0 = int.MaxValue, x1 = int.MinValue, y0 = int.MaxValue, y1 = int.MinValue;
        for (int q = 0; q < Count; q++)
        {
            x0 = Math.Min(x0, X[q]); x1 = Math.Max(x1, X[q]);
            y0 = Math.Min(y0, Y[q]); y1 = Math.Max(y1, Y[q]);
        }
        XMin = x0; YMin = y0; BoxWidth = x1 - x0 + 1; BoxHeight = y1 - y0 + 1;
        Grid = new int[BoxWidth * BoxHeight];
        Array.Fill(Grid, -1);
        for (int q = 0; q < Count; q++) Grid[(Y[q] - y0) * BoxWidth + X[q] - x0] = q;
    }
}
