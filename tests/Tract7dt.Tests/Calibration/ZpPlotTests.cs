using Tract7dt.Science.Calibration;
using Tract7dt.Science.Diagnostics;
using Xunit;

namespace Tract7dt.Tests.Calibration;

/// <summary>The zero-point plot shows the calibration: its range follows the kept stars, not the outliers.</summary>
public sealed class ZpPlotTests
{
    private static BandZeroPoint Band()
    {
        var used = new List<ZpStar>();
        var kept = new List<bool>();
        for (int i = 0; i < 40; i++)
        {
            used.Add(new ZpStar("g" + i, 14 + 0.1 * i, 1e5, 100, 25.0 + 0.02 * Math.Sin(i), 0.005));
            kept.Add(true);
        }
        // clipped stars 3–5 mag off (unmatched neighbours), and a non-converged one 8 mag off
        foreach (double off in new[] { -5.3, -3.8, -2.9 })
        {
            used.Add(new ZpStar("c" + off, 16, 1e4, 100, 25 + off, 0.01));
            kept.Add(false);
        }
        return new BandZeroPoint("m550", used, kept, [new ZpStar("n", 15, 10, 10, 33, 1)], 3, 25.0, 0.014);
    }

    [Fact]
    public void The_range_follows_the_kept_stars_and_outliers_go_to_its_edges()
    {
        var zp = Band();
        var (lo, hi) = ZpPlot.YRange(zp);
        Assert.InRange(hi - lo, 0.05, 0.2); // the kept stars' ±0.02 mag fill it (was 19–31 mag with the outliers)
        Assert.True(lo < 24.98 && hi > 25.02);
        string path = Path.Combine(Directory.CreateTempSubdirectory("t7d-zpplot").FullName, "zp.png");
        ZpPlot.Save(zp, path, 60);
        Assert.True(new FileInfo(path).Length > 1000);
    }
}
