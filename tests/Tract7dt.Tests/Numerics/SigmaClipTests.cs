using Tract7dt.Science.Numerics;
using Xunit;

namespace Tract7dt.Tests.Numerics;

/// <summary>The shared σ-clip and median (<see cref="ClippedStats"/>) on the cases detection relied on.</summary>
public class SigmaClipTests
{
    [Fact]
    public void Clip_removes_outliers_and_keeps_the_rest()
    {
        var v = new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 1000, double.NaN };
        int n = ClippedStats.SigmaClipInPlace(v, 3.0, 5);
        // Iteration 1: median 5.5, std ≈ 297 → nothing beyond 3σ except… 1000 is 3.3σ
        // above: removed; iteration 2: median 5, std 2.58 → all of 1..9 within 3σ.
        Assert.Equal(9, n);
        Assert.Equal(5.0, ClippedStats.MedianInPlace(v.AsSpan(0, n)));
    }

    [Fact]
    public void Clip_with_zero_spread_or_infinite_sigma_removes_nothing()
    {
        var same = new double[] { 2, 2, 2, 2 };
        Assert.Equal(4, ClippedStats.SigmaClipInPlace(same, 3.0, 5));
        var v = new double[] { 1, 2, 1e9 };
        Assert.Equal(3, ClippedStats.SigmaClipInPlace(v, double.PositiveInfinity, 5));
    }

    [Fact]
    public void Single_precision_median_averages_the_middle_pair_in_double()
    {
        Assert.Equal(2.0, ClippedStats.MedianInPlace(new float[] { 3, 1, 2 }));
        // The pair's sum, 33554433, is not a float: summing in float would round it.
        Assert.Equal(16777216.5, ClippedStats.MedianInPlace(new float[] { 16777218f, 16777215f }));
        Assert.True(double.IsNaN(ClippedStats.MedianInPlace(Span<float>.Empty)));
    }
}
