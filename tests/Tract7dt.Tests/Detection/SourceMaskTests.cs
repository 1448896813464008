using Tract7dt.Science.Detection;
using Tract7dt.Science.Errors;
using Xunit;

namespace Tract7dt.Tests.Detection;

public class SourceMaskTests
{
    /// <summary>Reference: the definition, one 3×3 dilation at a time.</summary>
    private static byte[] NaiveDilate(byte[] m, int w, int h, int iters)
    {
        var cur = (byte[])m.Clone();
        for (int it = 0; it < iters; it++)
        {
            var next = new byte[cur.Length];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    bool any = false;
                    for (int dy = -1; dy <= 1 && !any; dy++)
                        for (int dx = -1; dx <= 1 && !any; dx++)
                        {
                            int xx = x + dx, yy = y + dy;
                            if (xx >= 0 && xx < w && yy >= 0 && yy < h && cur[yy * w + xx] != 0) any = true;
                        }
                    next[y * w + x] = (byte)(any ? 1 : 0);
                }
            cur = next;
        }
        return cur;
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 1, 2)]
    [InlineData(1, 9, 3)]
    [InlineData(17, 13, 0)]
    [InlineData(17, 13, 1)]
    [InlineData(32, 24, 4)]
    [InlineData(20, 20, 25)]
    public void Dilate8_equals_repeated_3x3_dilation(int w, int h, int iters)
    {
        var rng = new Random(w * 1000 + h * 10 + iters);
        var m = new byte[w * h];
        for (int i = 0; i < m.Length; i++) m[i] = (byte)(rng.NextDouble() < 0.03 ? 1 : 0);
        if (m.Length > 2) m[m.Length / 2] = 1;
        var expected = NaiveDilate(m, w, h, iters);
        SourceMask.Dilate8(m, w, h, iters);
        Assert.Equal(expected, m);
    }

    [Fact]
    public void Build_masks_bright_pixels_dilated_plus_bad()
    {
        const int w = 20, h = 15;
        var data = new float[w * h];
        var sigma = new float[w * h];
        var bad = new byte[w * h];
        Array.Fill(data, 5f);
        Array.Fill(sigma, 1f);
        data[7 * w + 10] = 9f;     // 4σ above the median 5: a source for nsigma = 3
        data[2 * w + 3] = 7.5f;    // 2.5σ: not a source
        bad[14 * w + 0] = 1;
        data[0] = float.NaN;       // not good, not a source, not bad
        var m = new byte[w * h];
        SourceMask.Build(data, sigma, bad, w, h, nsigma: 3.0, dilate: 2, m);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                bool src = Math.Abs(x - 10) <= 2 && Math.Abs(y - 7) <= 2;
                bool expected = src || (x == 0 && y == 14);
                Assert.Equal(expected ? 1 : 0, m[y * w + x]);
            }
    }

    [Fact]
    public void Build_without_positive_sigma_returns_the_bad_mask()
    {
        var data = new float[16];
        data[5] = 100f;
        var sigma = new float[16]; // all zero: no good pixel
        var bad = new byte[16];
        bad[3] = 1;
        var m = new byte[16];
        SourceMask.Build(data, sigma, bad, 4, 4, 3.0, 1, m);
        Assert.Equal(bad, m);
    }

    [Fact]
    public void Build_checks_lengths()
    {
        var ex = Assert.Throws<Tract7dtException>(() =>
            SourceMask.Build(new float[16], new float[15], default, 4, 4, 3.0, 1, new byte[16]));
        Assert.Equal(ErrorCodes.DetectionArrayLength, ex.Code);
    }
}
