using Tract7dt.Science.Catalog;
using Xunit;

namespace Tract7dt.Tests.Catalog;

public class FloatTextTests
{
    // Expected strings are Python's repr() of the same doubles (the format pandas writes).
    [Theory]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-5, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(20.0, "20.0")]
    [InlineData(150.10234127, "150.10234127")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1234567890123456.0, "1234567890123456.0")]
    [InlineData(1.5e300, "1.5e+300")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    [InlineData(123456.789e-10, "1.23456789e-05")]
    [InlineData(0.0, "0.0")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    [InlineData(double.NaN, "nan")]
    public void MatchesPythonRepr(double v, string expected) => Assert.Equal(expected, FloatText.Repr(v));

    [Fact]
    public void RoundTripsSeededRandomDoubles()
    {
        var rng = new Random(12345);
        for (int i = 0; i < 20000; i++)
        {
            double v = BitConverter.Int64BitsToDouble(rng.NextInt64());
            if (!double.IsFinite(v)) continue;
            string s = FloatText.Repr(v);
            Assert.Equal(v, double.Parse(s, System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
