using Tract7dt.Science.Diagnostics;
using Xunit;

namespace Tract7dt.Tests.Diagnostics;

/// <summary>RA/Dec ticks of the overlay: round values, placed where the edge meets them, across RA = 0.</summary>
public sealed class SkyAxesTests
{
    [Fact]
    public void Ticks_sit_at_round_values_where_the_edge_passes_them()
    {
        // RA falls by 0.5″ per pixel along a 1400-px edge (150.2001 … 150.0057): steps of 0.05°
        var (pos, labels) = SkyAxes.Ticks(1400, t => 150.2 - t * 0.5 / 3600, wrapRa: true);
        Assert.Equal(["150.20", "150.15", "150.10", "150.05"], labels);
        for (int i = 0; i < pos.Length; i++)
        {
            double ra = double.Parse(labels[i], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(ra, 150.2 - pos[i] * 0.5 / 3600, 9);
        }
    }

    [Fact]
    public void RA_wraps_at_zero_and_Dec_does_not()
    {
        var (_, ra) = SkyAxes.Ticks(1000, t => (359.98 + t * 0.0001) % 360, wrapRa: true);
        // 359.98° … 0.08°: steps of 0.02° through 0, not 360° of span
        Assert.Equal(["359.98", "0.00", "0.02", "0.04", "0.06"], ra);
        var (_, dec) = SkyAxes.Ticks(1000, t => -0.03 + t * 0.0001, wrapRa: false);
        Assert.Equal(["-0.02", "0.00", "0.02", "0.04", "0.06"], dec); // no "-0.00"
    }
}
