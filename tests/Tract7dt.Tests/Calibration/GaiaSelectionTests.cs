using Tract7dt.Science.Calibration;
using Tract7dt.Science.Imaging;
using Xunit;

namespace Tract7dt.Tests.Calibration;

public class GaiaSelectionBoxTests
{
    [Fact]
    public void Small_cluster_expands_to_min_size_centred()
    {
        var box = GaiaSelectionBox.Compute(new double[] { 4000, 4100 }, new double[] { 3000, 3050 }, 9000, 6000, 3000);
        Assert.Equal(new PixelBox(2550, 5550, 1525, 4525), box);
    }

    [Fact]
    public void Box_shifts_at_each_edge_and_keeps_its_side()
    {
        Assert.Equal(new PixelBox(0, 3000, 0, 3000), GaiaSelectionBox.Compute(new double[] { 10 }, new double[] { 10 }, 9000, 6000, 3000));
        Assert.Equal(new PixelBox(6000, 9000, 3000, 6000), GaiaSelectionBox.Compute(new double[] { 8990 }, new double[] { 5990 }, 9000, 6000, 3000));
        Assert.Equal(new PixelBox(6000, 9000, 0, 3000), GaiaSelectionBox.Compute(new double[] { 8990 }, new double[] { 5 }, 9000, 6000, 3000));
    }

    [Fact]
    public void Frame_smaller_than_min_size_is_clamped()
    {
        Assert.Equal(new PixelBox(0, 600, 0, 500), GaiaSelectionBox.Compute(new double[] { 100, 200 }, new double[] { 100, 150 }, 600, 500, 3000));
    }

    [Fact]
    public void Spread_wider_than_min_size_sets_the_side()
    {
        var box = GaiaSelectionBox.Compute(new double[] { 100, 5100.4 }, new double[] { 200, 300 }, 9000, 9000, 3000);
        Assert.Equal(5002, box.Width); // ceil(5000.4) = 5001, then floor/ceil of the fractional edges
        Assert.Equal(new PixelBox(0, 3000, 0, 3000), GaiaSelectionBox.Compute(new double[] { double.NaN }, new double[] { 1 }, 3000, 3000, 3000));
    }
}

public class SkyMatcherTests
{
    [Fact]
    public void Separation_is_exact_for_known_angles()
    {
        Assert.Equal(90.0, SkyMatcher.SeparationDeg(0, 0, 90, 0), 12);
        Assert.Equal(1.0, SkyMatcher.SeparationDeg(10, 89, 190, 90), 12);
        Assert.Equal(1.0 / 3600, SkyMatcher.SeparationDeg(150, 2, 150, 2 + 1.0 / 3600), 15);
    }

    [Fact]
    public void Nearest_within_radius_across_ra_wrap_and_ties_to_lower_index()
    {
        var m = new SkyMatcher(new double[] { 359.9999, 0.0002, 10, 0.0002 }, new double[] { 0, 0, 0, 0 });
        int j = m.Nearest(0.0, 0.0, 1.0, out double sep);
        Assert.Equal(0, j); // 0.36" vs 0.72"
        Assert.Equal(0.36, sep, 6);
        Assert.Equal(1, m.Nearest(0.0003, 0, 3.0, out _)); // tie between 1 and 3 → 1
        Assert.Equal(-1, m.Nearest(5, 0, 3.0, out _));
        Assert.Equal(-1, m.Nearest(double.NaN, 0, 3.0, out _));
    }
}
