using Tract7dt.Science.Errors;
using Tract7dt.Science.Imaging;
using Tract7dt.Science.Patches;
using Xunit;

namespace Tract7dt.Tests.Patches;

public class PatchLayoutTests
{
    [Fact]
    public void Halo_follows_the_formula() => Assert.Equal(29, PatchLayout.HaloPix(55, 20));

    [Theory]
    [InlineData(8576, 5388, 7, 6)]
    [InlineData(601, 599, 3, 2)]
    [InlineData(100, 100, 1, 1)]
    public void Cells_and_patch_bases_partition_the_frame(int nx, int ny, int g, int p)
    {
        var grid = new EpsfGrid(nx, ny, g);
        var patches = PatchLayout.Build(grid, p, 29, null);
        Assert.Equal(g * g * p * p, patches.Count);
        long area = patches.Sum(q => (long)q.Base.Width * q.Base.Height);
        Assert.Equal((long)nx * ny, area);
        // No overlaps: every base lies inside its cell, and the ROI contains the base and stays in the frame.
        foreach (var q in patches)
        {
            var cell = grid.CellBox(q.EpsfRow, q.EpsfCol);
            Assert.Equal(q.Base, q.Base.Intersect(cell));
            Assert.Equal(q.Base, q.Base.Intersect(q.Roi));
            Assert.True(q.Roi.X0 >= 0 && q.Roi.Y0 >= 0 && q.Roi.X1 <= nx && q.Roi.Y1 <= ny);
        }
        // Every position's cell (by CellOf) is the cell whose box contains it.
        var rng = new Random(1);
        for (int k = 0; k < 2000; k++)
        {
            double x = rng.NextDouble() * nx, y = rng.NextDouble() * ny;
            var (r, c) = grid.CellOf(x, y)!.Value;
            Assert.True(grid.CellBox(r, c).Contains(x, y));
        }
    }

    [Fact]
    public void Tags_and_order_are_row_major()
    {
        var patches = PatchLayout.Build(new EpsfGrid(120, 90, 2), 2, 5, null);
        Assert.Equal("r00_c00_pr00_pc00", patches[0].PatchTag);
        Assert.Equal("r00_c00_pr00_pc01", patches[1].PatchTag);
        Assert.Equal("r01_c01_pr01_pc01", patches[^1].PatchTag);
        Assert.Equal(new PixelBox(0, 30, 0, 22), patches[0].Base);
        Assert.Equal(new PixelBox(0, 35, 0, 27), patches[0].Roi);
        Assert.Equal(new PixelBox(90, 120, 67, 90), patches[^1].Base); // last absorbs the remainder
    }

    [Fact]
    public void Only_active_cells_are_cut()
    {
        var grid = new EpsfGrid(700, 700, 7);
        var active = grid.ActiveCells(new double[] { 50, 650, double.NaN, -1 }, new double[] { 50, 350, 1, 1 });
        Assert.Equal(new[] { "r00_c00", "r03_c06" }, active);
        Assert.Equal(2 * 36, PatchLayout.Build(grid, 6, 29, active).Count);
    }

    [Fact]
    public void Too_fine_a_grid_is_a_clear_error()
    {
        var e = Assert.Throws<Tract7dtException>(() => PatchLayout.Build(new EpsfGrid(20, 20, 7), 6, 29, null));
        Assert.Equal(ErrorCodes.BadPatchGeometry, e.Code);
        Assert.Contains("epsf.ngrid", e.Message);
    }
}
