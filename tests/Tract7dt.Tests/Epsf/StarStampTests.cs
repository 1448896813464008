using Tract7dt.Science.Errors;
using Tract7dt.Science.Psf.Epsf;
using Xunit;

namespace Tract7dt.Tests.Epsf;

public class StarStampTests
{
    private static (float[] Img, float[] Err) Ramp(int w, int h)
    {
        var img = new float[w * h];
        var err = new float[w * h];
        for (int k = 0; k < img.Length; k++) { img[k] = k; err[k] = 2f; }
        return (img, err);
    }

    [Fact]
    public void StampFollowsTheCeilConventionAndDropsEdgeStars()
    {
        const int w = 30, h = 20;
        var (img, err) = Ramp(w, h);
        // x = 10.5 → columns [ceil(10.5 − 2.5), …) = [8, 13): central pixel 10 (ceil(x − 0.5))
        double[] xs = { 10.5, 10.51, 1.4, 27.6, 15, double.NaN };
        double[] ys = { 7.0, 7.0, 7.0, 7.0, 17.6, 5 };
        var set = StarStamps.Extract(img, err, w, h, xs, ys, null, 5);
        Assert.Equal(new[] { 0, 1 }, set.InputIndex);
        Assert.Equal(new[] { 2, 3, 4, 5 }, set.Dropped);
        var s0 = set.Stars[0];
        Assert.Equal((8, 5), (s0.OriginX, s0.OriginY));
        Assert.Equal(2.5, s0.CenterX, 12);
        Assert.Equal(2.0, s0.CenterY, 12);
        Assert.Equal(9, set.Stars[1].OriginX); // 10.51 − 2.5 = 8.01 → 9
        Assert.Equal(img[5 * w + 8], s0.Data[0]);
        Assert.Equal(0.5, s0.Weights[0]);
        Assert.Equal("0", s0.Id);
        double sum = 0;
        for (int j = 0; j < 5; j++) for (int i = 0; i < 5; i++) sum += img[(5 + j) * w + 8 + i];
        Assert.Equal(sum, s0.Flux0, 9);
    }

    [Fact]
    public void MaskedPixelsGetZeroWeightAndNearestValueInTheFlux()
    {
        const int w = 9, h = 9;
        var img = new float[w * h];
        var err = new float[w * h];
        Array.Fill(img, 1f);
        Array.Fill(err, 1f);
        img[4 * w + 4] = float.NaN;   // centre: nearest unmasked neighbours are all 1
        err[4 * w + 5] = 0f;          // zero error → masked
        img[4 * w + 6] = 7f;
        var set = StarStamps.Extract(img, err, w, h, new[] { 4.0 }, new[] { 4.0 }, new[] { "a" }, 5);
        var s = set.Stars[0];
        Assert.Equal(0, s.Weights[2 * 5 + 2]);
        Assert.Equal(0, s.Weights[2 * 5 + 3]);
        Assert.False(s.IsUsable(2 * 5 + 2));
        // 23 unmasked pixels sum to 22·1 + 7; the centre takes 1 (four neighbours at d=1, the
        // first met is above it), the masked (3,2) takes 7 or 1: its nearest at d=1 are
        // (3,1)=1, (2,2)=masked, (4,2)=7, (3,3)=1 → first met on the ring walk is (3,1) = 1.
        Assert.Equal(22 + 7 + 1 + 1, s.Flux0, 9);
    }

    [Fact]
    public void BadSizeAndShapeAreReportedWithCodes()
    {
        var (img, err) = Ramp(10, 10);
        var ex = Assert.Throws<Tract7dtException>(() =>
            StarStamps.Extract(img, err, 10, 10, new[] { 5.0 }, new[] { 5.0 }, null, 4));
        Assert.Equal(ErrorCodes.EpsfInvalidOption, ex.Code);
        Assert.Contains("epsf.cutout_size", ex.Message);
        ex = Assert.Throws<Tract7dtException>(() =>
            StarStamps.Extract(img, err.AsSpan(1), 10, 10, new[] { 5.0 }, new[] { 5.0 }, null, 3));
        Assert.Equal(ErrorCodes.EpsfInputShape, ex.Code);
    }

    [Fact]
    public void LocalBackgroundRecoversAConstantUnderAStar()
    {
        double[] x = { 40.3 }, y = { 40.7 };
        var (img, err, w, h) = SyntheticStars.Render(x, y, SyntheticStars.Gaussian(2.0), 5000, 0, 80, 0, 40);
        var rng = new Random(7);
        for (int k = 0; k < img.Length; k++) img[k] += 12.5f + (float)(0.01 * (rng.NextDouble() - 0.5));
        img[(40 + 25) * w + 40] = 1e6f; // a hot pixel inside the annulus, clipped away
        var star = StarStamps.Extract(img, err, w, h, x, y, null, 61).Stars[0];
        var (sub, rec) = StarLocalBackground.Subtract(star, new LocalBackgroundOptions());
        Assert.Equal("ok", rec.Status);
        Assert.Equal(29.0, rec.OuterRadius); // 30 clamped to (61−1)/2 − 1
        Assert.Equal(20.0, rec.InnerRadius);
        Assert.Equal(12.5, rec.Background, 2); // noise ±0.005
        Assert.Equal(star.Data[0] - (float)rec.Background, sub.Data[0], 5);
        Assert.Equal(star.Flux0 - 61 * 61 * (float)rec.Background, sub.Flux0, 1);

        var (same, fb) = StarLocalBackground.Subtract(star, new LocalBackgroundOptions(MinPixels: 100000));
        Assert.Equal("fallback_zero", fb.Status);
        Assert.Equal(0, fb.Background);
        Assert.Equal(star.Data, same.Data);
    }
}
