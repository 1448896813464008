using Tract7dt.Science.Imaging;
using Xunit;

namespace Tract7dt.Tests.Imaging;

public class FramePixelsTests
{
    [Fact]
    public void Scale_is_ten_to_minus_0p4_delta_zp()
    {
        Assert.Equal(1.0, FrameCalibration.ScaleFor(25.0, 25.0));
        Assert.Equal(0.1, FrameCalibration.ScaleFor(27.5, 25.0), 15);
        Assert.Equal(Math.Pow(10, -0.4 * (24.87 - 25.0)), FrameCalibration.ScaleFor(24.87, 25.0));
    }

    [Fact]
    public void Pixels_follow_the_stage1_formulas()
    {
        var cal = new FrameCalibration(SkySigmaAdu: 10.0, GainEPerAdu: 2.0, Saturate: 1000.0, Scale: 0.5);
        float[] raw = { 100f, -50f, 499.9f, 500f, float.NaN, float.PositiveInfinity };
        var scaled = new float[6]; var sky = new float[6]; var tot = new float[6]; var bad = new byte[6];
        FramePixels.Prepare(cal, raw, scaled, sky, tot, bad);

        Assert.Equal(50f, scaled[0]);
        Assert.Equal(-25f, scaled[1]);
        Assert.Equal(new byte[] { 0, 0, 0, FramePixels.BadSaturated, FramePixels.BadNonFinite, FramePixels.BadNonFinite }, bad);
        Assert.Equal(5f, sky[0]);
        Assert.Equal((float)(Math.Sqrt(100.0 + 100.0 / 2.0) * 0.5), tot[0]);
        Assert.Equal(5f, tot[1]); // negative raw adds no source variance
        Assert.True(float.IsPositiveInfinity(sky[3]) && float.IsPositiveInfinity(tot[4]));
        Assert.True(float.IsNaN(scaled[4]));
    }

    [Fact]
    public void Without_SATURATE_nothing_is_saturated()
    {
        var cal = new FrameCalibration(1, 1, double.PositiveInfinity, 1);
        var bad = new byte[1];
        FramePixels.Prepare(cal, new[] { 1e30f }, new float[1], default, default, bad);
        Assert.Equal(0, bad[0]);
    }
}

public class WhiteStackTests
{
    [Fact]
    public void Equals_direct_inverse_variance_mean_and_ignores_bad_bands_per_pixel()
    {
        // Three bands, four pixels; band 1 has a NaN at pixel 2 and band 2 is saturated at pixel 1.
        float[][] img = { new[] { 1f, 2f, 3f, 4f }, new[] { 2f, 2f, float.NaN, 8f }, new[] { 3f, 9f, 5f, 4f } };
        float[][] sig = { new[] { 1f, 1f, 1f, 1f }, new[] { 2f, 2f, float.PositiveInfinity, 2f }, new[] { 0.5f, float.PositiveInfinity, 0.5f, 0.5f } };
        byte[][] bad = { new byte[4], new byte[] { 0, 0, 1, 0 }, new byte[] { 0, 2, 0, 0 } };
        var num = new float[4]; var den = new float[4];
        for (int b = 0; b < 3; b++) WhiteStack.Accumulate(img[b], sig[b], bad[b], num, den);
        WhiteStack.Finish(num, den);

        for (int p = 0; p < 4; p++)
        {
            double n = 0, d = 0;
            for (int b = 0; b < 3; b++)
            {
                if (bad[b][p] != 0) continue;
                double w = 1.0 / (sig[b][p] * sig[b][p]);
                n += w * img[b][p]; d += w;
            }
            Assert.Equal(n / d, num[p], 5);
            Assert.Equal(Math.Sqrt(1 / d), den[p], 5);
        }
        // Fix #12: pixel 2 is NaN in band 1 only; the white stack is still finite there.
        Assert.True(float.IsFinite(num[2]));
    }

    [Fact]
    public void No_good_band_gives_nan_and_infinite_sigma()
    {
        var num = new float[1]; var den = new float[1];
        WhiteStack.Accumulate(new[] { 1f }, new[] { 1f }, new byte[] { 1 }, num, den);
        WhiteStack.Finish(num, den);
        Assert.True(float.IsNaN(num[0]));
        Assert.True(float.IsPositiveInfinity(den[0]));
    }

    [Theory]
    [InlineData(4, 256)]
    [InlineData(6388, 798)]
    [InlineData(20000, 1024)]
    [InlineData(1000, 256)]
    public void Chunk_rows_follow_the_original(int h, int expected) => Assert.Equal(expected, WhiteStack.ChunkRows(h));
}

public class SaturationFlagsTests
{
    [Fact]
    public void Disk_offsets_match_the_definition()
    {
        var d = SaturationFlags.DiskOffsets(1.5);
        Assert.Equal(9, d.Length); // |dx|,|dy| ≤ 1 all have dx²+dy² ≤ 2.25
        Assert.Equal((-1, -1), d[0]); // dy-major order
        Assert.Equal(13, SaturationFlags.DiskOffsets(2.0).Length);
        Assert.Equal(new[] { (0, 0) }, SaturationFlags.DiskOffsets(-1));
        Assert.Empty(SaturationFlags.DiskOffsets(-1, minHalfSize: 1, centreFallback: false));
    }

    [Fact]
    public void Any_band_and_all_bands_rules()
    {
        var b1 = new SaturatedPixels(100, 100, new long[] { 50 * 100 + 50 });
        var b2 = new SaturatedPixels(100, 100, new long[] { 52 * 100 + 50 });
        var disk = SaturationFlags.DiskOffsets(2.0);
        double[] x = { 50, 50, 10, double.NaN, 49.5 };
        double[] y = { 50, 51, 10, 5, 50 };
        var any = SaturationFlags.Flag(new[] { b1, b2 }, x, y, disk, requireAllBands: false);
        var all = SaturationFlags.Flag(new[] { b1, b2 }, x, y, disk, requireAllBands: true);
        Assert.Equal(new[] { true, true, false, false, true }, any);
        // (50,50): band 2's pixel is 2 px away → inside r = 2; (50,51): both within 1.
        Assert.Equal(new[] { true, true, false, false, true }, all);
        var farAll = SaturationFlags.Flag(new[] { b1, b2 }, new double[] { 50 }, new double[] { 48.6 }, disk, true);
        Assert.False(farAll[0]); // rint(48.6)=49: band 2 pixel at dy=3 is outside
    }

    [Fact]
    public void Offsets_outside_the_frame_are_ignored()
    {
        var b = new SaturatedPixels(10, 10, new long[] { 0 });
        var f = SaturationFlags.Flag(new[] { b }, new double[] { -1, 0 }, new double[] { 0, 0 }, SaturationFlags.DiskOffsets(0.5), false);
        Assert.Equal(new[] { false, true }, f);
    }
}
