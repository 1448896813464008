using Tract7dt.Science.Calibration;
using Xunit;

namespace Tract7dt.Tests.Calibration;

public class RobustStatsTests
{
    [Fact]
    public void Median_even_and_odd_and_ignores_nan()
    {
        Assert.Equal(2.0, RobustStats.Median(new[] { 3.0, 1, 2 }));
        Assert.Equal(2.5, RobustStats.Median(new[] { 4.0, 1, 3, 2, double.NaN }));
        Assert.True(double.IsNaN(RobustStats.Median(Array.Empty<double>())));
    }

    [Fact]
    public void Weighted_median_is_the_lower_one()
    {
        Assert.Equal(1.0, RobustStats.WeightedMedian(new[] { 2.0, 1.0 }, new[] { 1.0, 1.0 }));
        Assert.Equal(5.0, RobustStats.WeightedMedian(new[] { 1.0, 5.0, 9.0 }, new[] { 1.0, 3.0, 1.0 }));
        Assert.Equal(9.0, RobustStats.WeightedMedian(new[] { 1.0, 5.0, 9.0 }, new[] { 1.0, 1.0, 10.0 }));
    }

    [Fact]
    public void Mad_clip_removes_an_outlier_and_lets_points_return()
    {
        double[] z = { 25.00, 25.01, 24.99, 25.02, 24.98, 25.00, 26.0 };
        var keep = RobustStats.MadClip(z, 3.0, 10);
        Assert.Equal(new[] { true, true, true, true, true, true, false }, keep);
        Assert.All(RobustStats.MadClip(z, 3.0, 0), Assert.True); // no iterations: nothing clipped
        Assert.All(RobustStats.MadClip(new[] { 1.0, 100.0 }, 3.0, 10), Assert.True); // < 3 points: stop
        Assert.All(RobustStats.MadClip(new[] { 1.0, 1.0, 1.0, 5.0 }, 3.0, 10), Assert.True); // MAD = 0: stop
    }
}

public class ZeroPointTests
{
    [Fact]
    public void Star_values_follow_the_formulas()
    {
        var s = ZeroPoint.Star("1", 15.0, 1000.0, 10.0)!;
        Assert.Equal(15.0 + 7.5, s.Zp, 12);
        Assert.Equal(ZeroPoint.K * 0.01, s.ZpErr, 15);
        Assert.Null(ZeroPoint.Star("1", 15.0, -3, 1));
        Assert.Null(ZeroPoint.Star("1", double.NaN, 3, 1));
        Assert.True(double.IsNaN(ZeroPoint.Star("1", 15, 3, 0)!.ZpErr));
    }

    [Fact]
    public void Band_zero_point_recovers_an_offset_and_clips_a_bad_star()
    {
        var stars = new List<ZpStar>();
        double trueZp = 25.03;
        for (int i = 0; i < 21; i++)
        {
            double mag = 14 + 0.2 * i;
            double flux = Math.Pow(10, -0.4 * (mag - trueZp)) * (1 + 0.002 * ((i % 5) - 2));
            stars.Add(ZeroPoint.Star(i.ToString(), mag, flux, flux * 0.01)!);
        }
        stars.Add(ZeroPoint.Star("bad", 15, Math.Pow(10, -0.4 * (15 - trueZp)) * 2.0, 1.0)!); // 0.75 mag off
        var zp = ZeroPoint.Compute("m400", stars, Array.Empty<ZpStar>(), 3.0, 10)!;
        Assert.Equal(trueZp, zp.ZpMedian, 3);
        Assert.False(zp.Kept[^1]);
        Assert.Equal(1, zp.NClipped);
        Assert.True(zp.ZpErrMad > 0 && zp.ZpErrMad < 0.005);
    }

    [Fact]
    public void Without_valid_errors_the_plain_median_is_used()
    {
        var stars = new[] { 1.0, 2.0, 4.0, 8.0 }.Select((f, i) => ZeroPoint.Star(i.ToString(), 20, f, double.NaN)!).ToList();
        var zp = ZeroPoint.Compute("b", stars, Array.Empty<ZpStar>(), 3, 10)!;
        Assert.Equal(RobustStats.Median(stars.Select(s => s.Zp).ToArray()), zp.ZpMedian, 12);
    }

    [Fact]
    public void Magnitudes_and_errors()
    {
        Assert.Equal(25.0 - 5.0, ZeroPoint.Magnitude(25.0, 100.0), 12);
        Assert.True(double.IsNaN(ZeroPoint.Magnitude(25.0, 0)));
        Assert.Equal(Math.Sqrt(Math.Pow(ZeroPoint.K * 0.1, 2) + 0.02 * 0.02), ZeroPoint.MagnitudeError(0.02, 10, 1), 12);
        Assert.True(double.IsNaN(ZeroPoint.MagnitudeError(0.02, 10, 0)));
    }
}
