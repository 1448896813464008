using Tract7dt.Science.Fits;
using Xunit;

namespace Tract7dt.Tests.FitsHeaderModel;

public class FitsHeaderTests
{
    [Fact]
    public void Set_replaces_first_card_and_keeps_order()
    {
        var h = new FitsHeader();
        h.Set("FILTER", "m400");
        h.Set("ZP_AUTO", 25.1);
        h.Set("filter", "m425");
        Assert.Equal(2, h.Count);
        Assert.Equal("m425", h.GetString("FILTER"));
        Assert.Equal("FILTER", h.Cards[0].Key);
    }

    [Theory]
    [InlineData("1.0E-6", 1.0e-6)]
    [InlineData("1.0D-6", 1.0e-6)]
    [InlineData(" 42 ", 42.0)]
    public void Numbers_in_fortran_form_parse(string text, double expected)
    {
        Assert.True(FitsHeader.TryParseNumber(text, out double v));
        Assert.Equal(expected, v);
    }

    [Fact]
    public void Integer_card_reads_as_double_and_real_integral_as_int()
    {
        var h = new FitsHeader();
        h.Set("NAXIS1", 9576);
        h.Set("EGAIN", 3.0);
        Assert.Equal(9576.0, h.GetDouble("NAXIS1"));
        Assert.Equal(3L, h.GetInt("EGAIN"));
        Assert.Null(h.GetDouble("MISSING"));
    }
}
