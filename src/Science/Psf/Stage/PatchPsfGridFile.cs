using Tract7dt.Science.Errors;
using Tract7dt.Science.Fits;

namespace Tract7dt.Science.Psf.Stage;

/// <summary>
/// <c>epsf_pr##_pc##_grid.npy</c>: the band model on a patch's 3×3 grid of places
/// (<see cref="PatchCentre.Grid"/>), as one float32 array of 9·n rows × n columns, the nine
/// n×n stamps stacked along the rows in grid order (y outer, then x; stamp 4 is the centre,
/// the same as <c>epsf_pr##_pc##.npy</c>).
/// </summary>
public static class PatchPsfGridFile
{
    public const int Nodes = 9;

    /// <summary>The nine stamps (each square, row-major) as one row-major array.</summary>
    public static float[] Stack(IReadOnlyList<float[]> grid)
    {
        if (grid.Count != Nodes) throw new ArgumentException($"a patch grid has {Nodes} stamps; got {grid.Count}", nameof(grid));
        int nn = grid[0].Length;
        var all = new float[Nodes * nn];
        for (int g = 0; g < Nodes; g++)
        {
            if (grid[g].Length != nn) throw new ArgumentException("the grid's stamps differ in size", nameof(grid));
            grid[g].CopyTo(all.AsSpan(g * nn));
        }
        return all;
    }

    /// <summary>The nine stamps of a grid file, each n×n, as written (no normalisation).</summary>
    public static (float[][] Stamps, int Size) Read(string path)
    {
        NpyArray<float> a;
        try { a = Npy.ReadFloat(path); }
        catch (Exception e) when (e is not Tract7dtException)
        {
            throw new Tract7dtException(ErrorCodes.EpsfUnreadable, $"Cannot read the patch PSF grid {path}: {e.Message}. Rerun 'tract7dt run-epsf'.", e);
        }
        int n = a.Cols;
        if (n < 1 || a.Rows != Nodes * n)
            throw new Tract7dtException(ErrorCodes.EpsfUnreadable,
                $"The patch PSF grid {path} is {a.Rows}×{a.Cols}; expected {Nodes}·n × n (nine stacked n×n stamps). Rerun 'tract7dt run-epsf'.");
        var stamps = new float[Nodes][];
        for (int g = 0; g < Nodes; g++)
        {
            stamps[g] = a.Data.AsSpan(g * n * n, n * n).ToArray();
            EpsfStampCheck.Require(stamps[g], n, n, $"{path} (place {g})");
        }
        return (stamps, n);
    }
}
