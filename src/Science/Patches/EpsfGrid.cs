using Tract7dt.Science.Errors;
using Tract7dt.Science.Imaging;

namespace Tract7dt.Science.Patches;

/// <summary>
/// The ePSF grid: the white frame cut into G×G cells (docs/epsf.md §3 and docs/pipeline.md §6.1–§6.2).
/// The last row and column of cells absorb the remainder, so the cells partition the
/// frame exactly.
/// </summary>
public sealed class EpsfGrid
{
    /// <param name="width">White-frame width nx (post-crop).</param>
    /// <param name="height">White-frame height ny.</param>
    /// <param name="ngrid">Cells per axis G (<c>epsf.epsf_ngrid</c>).</param>
    public EpsfGrid(int width, int height, int ngrid)
    {
        if (ngrid < 1)
            throw new Tract7dtException(ErrorCodes.BadPatchGeometry, $"epsf.epsf_ngrid must be ≥ 1, got {ngrid}.");
        Width = width;
        Height = height;
        Ngrid = ngrid;
    }

    public int Width { get; }

    public int Height { get; }

    public int Ngrid { get; }

    /// <summary>The cell tag used in folder names: <c>r{row:02d}_c{col:02d}</c>.</summary>
    public static string Tag(int row, int col) => $"r{row:00}_c{col:00}";

    /// <summary>Half-open box of cell (row, col) in the white frame.</summary>
    public PixelBox CellBox(int row, int col)
    {
        int sx = Width / Ngrid, sy = Height / Ngrid;
        return new PixelBox(
            col * sx, col == Ngrid - 1 ? Width : (col + 1) * sx,
            row * sy, row == Ngrid - 1 ? Height : (row + 1) * sy);
    }

    /// <summary>Cell (row, col) containing a white-frame position, or null when the
    /// position is non-finite or outside the frame (Part B 1.2 steps 4–5).</summary>
    public (int Row, int Col)? CellOf(double x, double y)
    {
        if (!double.IsFinite(x) || !double.IsFinite(y) || x < 0 || y < 0 || x >= Width || y >= Height) return null;
        int sx = Math.Max(1, Width / Ngrid), sy = Math.Max(1, Height / Ngrid);
        int c = Math.Clamp((int)Math.Floor(x / sx), 0, Ngrid - 1);
        int r = Math.Clamp((int)Math.Floor(y / sy), 0, Ngrid - 1);
        return (r, c);
    }

    /// <summary>Tags of the cells holding at least one of the given (active) positions, sorted.</summary>
    public SortedSet<string> ActiveCells(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < x.Length; i++)
            if (CellOf(x[i], y[i]) is { } cell) set.Add(Tag(cell.Row, cell.Col));
        return set;
    }

    /// <summary>Every cell in row-major order.</summary>
    public IEnumerable<(int Row, int Col, string Tag, PixelBox Box)> Cells()
    {
        for (int r = 0; r < Ngrid; r++)
            for (int c = 0; c < Ngrid; c++)
                yield return (r, c, Tag(r, c), CellBox(r, c));
    }
}
