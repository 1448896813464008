using Tract7dt.Science.Psf.Epsf;
using Xunit;

namespace Tract7dt.Tests.Epsf;

public class EpsfPostProcessTests
{
    [Fact]
    public void CropsCentreNormalisesAndZeroesNonFinite()
    {
        const int n = 63;
        var a = new double[n * n];
        for (int k = 0; k < a.Length; k++) a[k] = k;
        a[4 * n + 4] = double.NaN;       // inside the crop: becomes 0
        a[4 * n + 5] = double.PositiveInfinity;
        var p = EpsfPostProcess.Finish(a, n, 1, 55);
        Assert.Equal(55, p.Size);
        // rows/columns 4..58 are kept (docs/epsf.md §8 step 2)
        double sum = 0;
        for (int j = 4; j <= 58; j++) for (int i = 4; i <= 58; i++) sum += (float)a[j * n + i] is var f && float.IsFinite(f) ? f : 0;
        Assert.Equal(0f, p.Data[0]);
        Assert.Equal(0f, p.Data[1]);
        Assert.Equal((float)(a[4 * n + 6] / sum), p.Data[2], 6);
        Assert.Equal(1.0, p.Data.Sum(v => (double)v), 5);
        // larger final size: no crop
        Assert.Equal(n, EpsfPostProcess.Finish(a, n, 1, 63).Size);
        Assert.Equal(n, EpsfPostProcess.Finish(a, n, 1, 99).Size);
    }

    [Fact]
    public void NonPositiveSumIsLeftUnnormalised()
    {
        var a = new double[25];
        a[12] = -2;
        var p = EpsfPostProcess.Finish(a, 5, 1, 55);
        Assert.Equal(-2f, p.Data[12]);
    }

    [Fact]
    public void GrowthCurveOfADeltaAndOfAUniformDisk()
    {
        const int n = 11;
        var delta = new float[n * n];
        delta[5 * n + 5] = 1;
        var (radii, ee, qa) = EpsfPostProcess.Growth(delta, n);
        Assert.Equal(9, radii.Length); // corner distance 5√2 = 7.07 → r_max = 8, radii 0..8
        Assert.All(ee, v => Assert.Equal(1.0, v));
        Assert.Equal(0, qa.EeR50Pix);
        Assert.Equal(0, qa.EeR90Pix);
        Assert.Equal(1.0, qa.EeEdge);
        Assert.Equal(0, qa.EdgeMedian);
        Assert.Equal((0.0, 1.0), (qa.Min, qa.Max));

        // uniform square: EE_k = (pixels within k) / n²
        var flat = Enumerable.Repeat(1f / (n * n), n * n).ToArray();
        var (_, ee2, qa2) = EpsfPostProcess.Growth(flat, n);
        Assert.Equal(5.0 / 121, ee2[1], 6); // centre + 4 neighbours
        Assert.Equal(13.0 / 121, ee2[2], 6); // + 4 diagonals (√2) + 4 at distance 2
        Assert.Equal(1.0 / 121, qa2.EdgeMean, 1e-6 / 121); // float32 input
        // EE ≥ 0.5 first at k = 5: ρ ≤ 4 holds 49 of 121 pixels (< 0.5), ρ ≤ 5 holds 81
        Assert.Equal(5, qa2.EeR50Pix);

        var zero = new float[n * n];
        var (_, ee3, qa3) = EpsfPostProcess.Growth(zero, n);
        Assert.All(ee3, v => Assert.Equal(0.0, v));
        Assert.True(double.IsNaN(qa3.EeR50Pix));
    }

    // Half-maximum-area FWHM of a sampled Gaussian: the bicubic interpolant of the samples
    // is accurate to well under 1 % of the area for σ ≥ 1.5 sample spacings.
    private const double FwhmRelTol = 0.01;

    [Theory]
    [InlineData(1.5, 1)]
    [InlineData(2.0, 1)]
    [InlineData(2.0, 3)]
    [InlineData(3.0, 2)]
    public void FwhmOfAGaussian(double sigma, int o)
    {
        int n = 55;
        int c = n / 2;
        var p = new float[n * n];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
            {
                double dx = (i - c) / (double)o, dy = (j - c) / (double)o;
                p[j * n + i] = (float)Math.Exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
            }
        double fwhm = EpsfPostProcess.Fwhm(p, n, o);
        Assert.Equal(2.3548200450309493 * sigma, fwhm, 2.3548 * sigma * FwhmRelTol);
    }
}
