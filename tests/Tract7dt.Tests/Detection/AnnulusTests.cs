using Tract7dt.Science.Detection;
using Xunit;

namespace Tract7dt.Tests.Detection;

public class AnnulusTests
{
    [Fact]
    public void Clip_removes_outliers_and_keeps_the_rest()
    {
        var v = new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 1000, float.NaN };
        int n = SigmaClip.Clip(v, 3.0);
        // Iteration 1: median 5.5, std ≈ 297 → nothing beyond 3σ except… 1000 is 3.3σ
        // above: removed; iteration 2: median 5, std 2.58 → all of 1..9 within 3σ.
        Assert.Equal(9, n);
        Assert.Equal(5.0, SigmaClip.Median(v.AsSpan(0, n)));
    }

    [Fact]
    public void Clip_with_zero_spread_or_infinite_sigma_removes_nothing()
    {
        var same = new float[] { 2, 2, 2, 2 };
        Assert.Equal(4, SigmaClip.Clip(same, 3.0));
        var v = new float[] { 1, 2, 1e9f };
        Assert.Equal(3, SigmaClip.Clip(v, double.PositiveInfinity));
    }

    [Fact]
    public void Annulus_median_ignores_the_star_and_flagged_pixels()
    {
        const int n = 61;
        var stamp = new float[n * n];
        var weight = new float[n * n];
        Array.Fill(weight, 1f);
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
            {
                double r2 = (x - 30.2) * (x - 30.2) + (y - 29.7) * (y - 29.7);
                stamp[y * n + x] = 3f + (float)(1000 * Math.Exp(-r2 / 8)) + ((x + y) % 2 == 0 ? 0.5f : -0.5f);
            }
        stamp[30 * n + 2] = float.NaN;     // non-finite data: skipped
        weight[0] = 0f;                    // zero weight: skipped
        var r = AnnulusBackground.Estimate(stamp, n, n, 30.2, 29.7, rIn: 20, rOut: 30, sigma: 3.0, minPix: 50, weight);
        Assert.True(r.Ok);
        Assert.Equal(29.0, r.ROut);  // clamped to min((n−1)/2) − 1
        Assert.Equal(20.0, r.RIn);
        // Checkerboard ±0.5 about 3: median is 3 ± 0.5 depending on parity of the count;
        // the Gaussian wing at r ≥ 20 is < 1e-18.
        Assert.InRange(r.Value, 2.5, 3.5);
        Assert.True(r.AnnulusPixels > 1000);
    }

    [Fact]
    public void Annulus_with_too_few_pixels_falls_back_to_zero()
    {
        var stamp = new float[11 * 11];
        Array.Fill(stamp, 7f);
        var r = AnnulusBackground.Estimate(stamp, 11, 11, 5, 5, 3, 4, 3.0, minPix: 10000);
        Assert.False(r.Ok);
        Assert.Equal(0.0, r.Value);
    }
}
