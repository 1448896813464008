using Tract7dt.Science.Numerics;
using Tract7dt.Science.Psf.Epsf;
using Xunit;

namespace Tract7dt.Tests.Epsf;

public class SplineAndStatsTests
{
    // A not-a-knot cubic spline reproduces any cubic exactly; what is left is double
    // rounding through a tridiagonal solve of ≤ 40 unknowns.
    private const double PolynomialTol = 1e-9;

    private static double Cubic(double u, double v) =>
        (0.3 - 1.2 * u + 0.25 * u * u - 0.02 * u * u * u) * (1.1 + 0.4 * v - 0.07 * v * v + 0.003 * v * v * v);

    private static double CubicDu(double u, double v) =>
        (-1.2 + 0.5 * u - 0.06 * u * u) * (1.1 + 0.4 * v - 0.07 * v * v + 0.003 * v * v * v);

    private static double CubicDv(double u, double v) =>
        (0.3 - 1.2 * u + 0.25 * u * u - 0.02 * u * u * u) * (0.4 - 0.14 * v + 0.009 * v * v);

    [Theory]
    [InlineData(4, 4)]
    [InlineData(5, 7)]
    [InlineData(9, 6)]
    [InlineData(40, 33)]
    public void SplineReproducesBicubicPolynomialsAndTheirGradients(int w, int h)
    {
        var grid = new SplineGrid(w, h);
        var values = new double[w * h];
        for (int j = 0; j < h; j++) for (int i = 0; i < w; i++) values[j * w + i] = Cubic(i, j);
        grid.Fit(values);
        var rng = new Random(12345);
        for (int t = 0; t < 200; t++)
        {
            double u = rng.NextDouble() * (w - 1), v = rng.NextDouble() * (h - 1);
            double f = grid.Evaluate(u, v, out double du, out double dv);
            Assert.Equal(Cubic(u, v), f, PolynomialTol * Math.Max(1, Math.Abs(f)));
            Assert.Equal(CubicDu(u, v), du, PolynomialTol * Math.Max(1, Math.Abs(du)));
            Assert.Equal(CubicDv(u, v), dv, PolynomialTol * Math.Max(1, Math.Abs(dv)));
        }
        // nodes are interpolated, the outside is the fill value 0
        Assert.Equal(Cubic(w - 1, h - 1), grid.Evaluate(w - 1, h - 1), PolynomialTol);
        Assert.Equal(0.0, grid.Evaluate(-1e-9, 1));
        Assert.Equal(0.0, grid.Evaluate(1, h - 1 + 1e-9));
        Assert.Equal(0.0, grid.Evaluate(double.NaN, 1));
    }

    [Fact]
    public void SplineIsNotAKnotNotNatural()
    {
        // y = x³ on 6 nodes: a natural spline would bend at the ends; not-a-knot is exact
        var grid = new SplineGrid(6, 4);
        var values = new double[24];
        for (int j = 0; j < 4; j++) for (int i = 0; i < 6; i++) values[j * 6 + i] = i * i * i;
        grid.Fit(values);
        Assert.Equal(0.125, grid.Evaluate(0.5, 1.5), PolynomialTol);
        Assert.Equal(4.5 * 4.5 * 4.5, grid.Evaluate(4.5, 0.2), PolynomialTol);
    }

    [Fact]
    public void MedianOfOddEvenAndEmpty()
    {
        Assert.Equal(2.0, ClippedStats.MedianInPlace(new double[] { 3, 1, 2 }));
        Assert.Equal(2.5, ClippedStats.MedianInPlace(new double[] { 4, 1, 3, 2 }));
        Assert.True(double.IsNaN(ClippedStats.MedianInPlace(Span<double>.Empty)));
    }

    [Fact]
    public void SigmaClipRemovesOutliersAndNonFinite()
    {
        var v = new double[] { 1, 2, 3, 2, 1, 2, 3, 2, 100, double.NaN, double.PositiveInfinity };
        int kept = ClippedStats.SigmaClipInPlace(v, 2.0, 5);
        Assert.Equal(8, kept);
        Assert.DoesNotContain(100.0, v[..kept]);
        // σ = +∞ keeps every finite value; s = 0 removes nothing
        var w = new double[] { 1, 2, 1000, double.NaN };
        Assert.Equal(3, ClippedStats.SigmaClipInPlace(w, double.PositiveInfinity, 5));
        var c = new double[] { 5, 5, 5 };
        Assert.Equal(3, ClippedStats.SigmaClipInPlace(c, 3, 5));
    }
}
