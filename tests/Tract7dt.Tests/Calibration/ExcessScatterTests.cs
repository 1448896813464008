using Tract7dt.Science.Calibration;
using Xunit;

namespace Tract7dt.Tests.Calibration;

/// <summary>The scatter beyond the noise, against values drawn with a known excess.</summary>
public sealed class ExcessScatterTests
{
    private static (double[] Values, double[] Sigmas) Draw(int n, double excess, int seed, int outliers = 0)
    {
        var rng = new Random(seed);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var v = new double[n + outliers];
        var s = new double[n + outliers];
        for (int i = 0; i < n; i++)
        {
            // noises from a fifth to twice the excess, as a band's bright stars have
            s[i] = 0.002 + 0.018 * rng.NextDouble();
            v[i] = 0.01 + Gauss() * Math.Sqrt(s[i] * s[i] + excess * excess);
        }
        for (int i = n; i < n + outliers; i++) { s[i] = 0.003; v[i] = 0.3; }
        return (v, s);
    }

    [Fact]
    public void Recovers_a_known_excess_from_values_of_unequal_noise()
    {
        var found = new List<double>();
        for (int seed = 1; seed <= 20; seed++)
        {
            var (v, s) = Draw(200, 0.01, seed);
            var (n, centre, excess) = ExcessScatter.Estimate(v, s);
            Assert.InRange(n, 195, 200);
            Assert.InRange(centre, 0.007, 0.013); // σ of the mean ≈ 0.001
            found.Add(excess);
        }
        double mean = found.Average();
        Assert.InRange(mean, 0.0095, 0.0105); // unbiased over the draws
        Assert.All(found, e => Assert.InRange(e, 0.0075, 0.0125));
    }

    [Fact]
    public void Values_that_scatter_by_their_noise_alone_have_no_excess()
    {
        var found = Enumerable.Range(1, 20).Select(seed =>
        {
            var (v, s) = Draw(200, 0, seed);
            return ExcessScatter.Estimate(v, s).Excess;
        }).ToList();
        Assert.True(found.Average() < 0.002, $"mean excess {found.Average():F4} on pure noise");
    }

    [Fact]
    public void A_few_wild_values_do_not_inflate_it()
    {
        var (v, s) = Draw(100, 0.01, 7, outliers: 5);
        var (n, _, excess) = ExcessScatter.Estimate(v, s);
        Assert.True(n <= 100, $"{n} values kept: the outliers were not left out");
        Assert.InRange(excess, 0.007, 0.013);
        // without the clip the same values would give several times the excess
        var (_, _, unclipped) = ExcessScatter.Estimate(v, s, clip: 1e9);
        Assert.True(unclipped > 0.05, $"unclipped {unclipped:F4}: the test no longer has outliers that matter");
    }

    [Fact]
    public void Fewer_than_two_values_give_no_estimate()
    {
        Assert.True(double.IsNaN(ExcessScatter.Estimate([0.1], [0.01]).Excess));
        Assert.True(double.IsNaN(ExcessScatter.Estimate([double.NaN, 0.1], [0.01, 0.01]).Excess));
    }
}
