using System.Globalization;
using Tract7dt.Science.Fits;
using Xunit;

namespace Tract7dt.Tests.Fits;

/// <summary>Card parsing and formatting against the FITS 4.0 rules, case by case.</summary>
public class FitsHeaderCardTests
{
    private static FitsCard One(string card) => FitsHeaderParser.Parse([card.PadRight(80)]).Single();

    [Theory]
    [InlineData("FLAG    =                    T", true)]
    [InlineData("FLAG    =                    F / no", false)]
    public void Logical(string card, bool expected) => Assert.Equal(expected, One(card).Value);

    [Theory]
    [InlineData("N       =                   42", 42L)]
    [InlineData("N       =                  -42 / c", -42L)]
    [InlineData("N       =                  +42", 42L)]
    [InlineData("N       =  9223372036854775807", long.MaxValue)]
    public void Integer(string card, long expected) => Assert.Equal(expected, One(card).Value);

    [Theory]
    [InlineData("X       =               1.0E-6", 1.0e-6)]
    [InlineData("X       =               1.0D-6", 1.0e-6)]
    [InlineData("X       =               1.0d+3", 1.0e3)]
    [InlineData("X       =                  10.", 10.0)]
    [InlineData("X       =                  .25", 0.25)]
    [InlineData("X       =                 -0.0", -0.0)]
    [InlineData("X       = 99999999999999999999", 1e20)] // too long for 64 bits: real
    [InlineData("X       =   1.7976931348623157E+308 / free format", double.MaxValue)]
    public void Real(string card, double expected)
    {
        var v = Assert.IsType<double>(One(card).Value);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(v));
    }

    [Theory]
    [InlineData("S       = 'abc     '", "abc")]
    [InlineData("S       = 'O''Brien'           / name", "O'Brien")]
    [InlineData("S       = '  lead  '", "  lead")]
    [InlineData("S       = ''", "")]
    [InlineData("S       = '        '", "")]
    [InlineData("S       = 'a/b'               / slash inside", "a/b")]
    [InlineData("S       = ''''", "'")]
    public void String_values(string card, string expected) => Assert.Equal(expected, One(card).Value);

    [Fact]
    public void Comments_and_undefined_values()
    {
        var c = One("UNDEF   =                      / nothing here");
        Assert.Null(c.Value);
        Assert.Equal("nothing here", c.Comment);
        Assert.Equal("a/b slash", One("S       = 'x' / a/b slash").Comment);
        Assert.Null(One("N       =                    1").Comment);
    }

    [Fact]
    public void Commentary_cards_keep_their_text()
    {
        Assert.Equal(new FitsCard("COMMENT", null, "  some text"), One("COMMENT   some text"));
        Assert.Equal(new FitsCard("HISTORY", null, "x = 'y' / z"), One("HISTORY x = 'y' / z"));
        Assert.Equal(new FitsCard("", null, "blank keyword"), One("        blank keyword"));
        Assert.True(One("COMMENT").IsCommentary);
        // A keyword without "= " in columns 9–10 is commentary too.
        Assert.Null(One("NOVALUE  this is text").Value);
    }

    [Fact]
    public void Hierarch_keys_keep_their_spaces()
    {
        var c = One("HIERARCH ESO DET CHIP NAME = 'CCD-42' / chip");
        Assert.Equal(("ESO DET CHIP NAME", "CCD-42", "chip"), (c.Key, c.Value, c.Comment));
        Assert.Equal(1.234, One("HIERARCH ESO TEL AIRM START = 1.234").Value);
    }

    [Fact]
    public void Continue_pieces_are_joined_and_ampersands_removed()
    {
        var cards = FitsHeaderParser.Parse([
            "LONG    = 'first part, &'                                                       ",
            "CONTINUE  'second ''quoted'' part&'                                             ",
            "CONTINUE  ' and the end' / the comment                                          ",
            "NEXT    =                    1                                                  ",
        ]);
        Assert.Equal(2, cards.Count);
        Assert.Equal("first part, second 'quoted' part and the end", cards[0].Value);
        Assert.Equal("the comment", cards[0].Comment);
        Assert.Equal(1L, cards[1].Value);
        // A final '&' with no CONTINUE after it is part of the value.
        Assert.Equal("ends with &", One("S       = 'ends with &'").Value);
    }

    [Theory]
    [InlineData(0.1, "0.1")]
    [InlineData(1.0, "1.0")]
    [InlineData(-2.5e-5, "-2.5E-05")]
    [InlineData(1e-4, "0.0001")]
    [InlineData(65535.0, "65535.0")]
    [InlineData(123456.789, "123456.789")]
    [InlineData(1.5e20, "1.5E+20")]
    [InlineData(1e15, "1.0E+15")]
    [InlineData(99999999999999.9, "99999999999999.9")]
    [InlineData(1e-300, "1.0E-300")]
    [InlineData(5e-324, "5.0E-324")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(double.MaxValue, "1.7976931348623157E+308")]
    public void Reals_are_shortest_round_trip_with_a_decimal_point(double value, string expected) =>
        Assert.Equal(expected, FitsHeaderFormatter.FormatReal(value));

    [Fact]
    public void Real_formatting_round_trips_a_sweep_of_doubles()
    {
        var rng = new Random(20240607);
        Span<byte> b = stackalloc byte[8];
        for (int i = 0; i < 20000; i++)
        {
            rng.NextBytes(b);
            double d = BitConverter.ToDouble(b);
            if (!double.IsFinite(d)) continue;
            if (i % 2 == 0) d = (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-12, 20));
            string s = FitsHeaderFormatter.FormatReal(d);
            Assert.True(s.Contains('.'), s);
            Assert.True(FitsHeader.TryParseNumber(s, out double back));
            Assert.Equal(BitConverter.DoubleToInt64Bits(d), BitConverter.DoubleToInt64Bits(back));
            // And through a whole card.
            var recs = new List<string>();
            FitsHeaderFormatter.Format(new FitsCard("X", d, "c"), recs);
            Assert.Equal(80, recs.Single().Length);
            Assert.Equal(d, One(recs[0]).Value);
        }
        Assert.Throws<ArgumentException>(() => FitsHeaderFormatter.FormatReal(double.NaN));
        Assert.Throws<ArgumentException>(() => FitsHeaderFormatter.FormatReal(double.PositiveInfinity));
    }

    [Fact]
    public void Formatted_cards_parse_back_to_the_same_values()
    {
        string longText = string.Concat(Enumerable.Range(0, 40).Select(i => i % 7 == 0 ? "'q' " : "word" + i.ToString(CultureInfo.InvariantCulture) + " ")).TrimEnd();
        var cards = new FitsCard[]
        {
            new("FILTER", "m400", "band"),
            new("OBJECT", "O'Brien", null),
            new("LEAD", "  lead", null),
            new("EMPTY", "", null),
            new("LONGSTR", longText, "comment on the last piece"),
            new("QUOTES", new string('\'', 150), null), // every split point is inside quotes
            new("N", 42L, "answer"),
            new("BIG", long.MinValue, null),
            new("T", true, null),
            new("F", false, null),
            new("UNDEF", null, "undefined"),
            new("REAL", 1.0 / 3, null),
            new("TINY", 5e-324, null),
            new("HUGE", -double.MaxValue, "free format"),
            new("ESO DET CHIP", "CCD", "hierarch"),
            new("LOWERCASEKEY", 3L, null),
            new("COMMENT", null, "short"),
            new("HISTORY", null, new string('h', 100)),
        };
        var recs = new List<string>();
        foreach (var c in cards) FitsHeaderFormatter.Format(c, recs);
        Assert.All(recs, r => Assert.Equal(80, r.Length));
        Assert.All(recs, r => Assert.All(r, ch => Assert.InRange(ch, ' ', '~')));
        var back = FitsHeaderParser.Parse(recs);
        var expectCards = cards.Where(c => c.Key != "HISTORY").Select(c => c with { Key = c.Key.ToUpperInvariant() }).ToList();
        var gotCards = back.Where(c => c.Key != "HISTORY").ToList();
        Assert.Equal(expectCards, gotCards);
        // A 100-character HISTORY becomes 72 + 28 characters on two cards.
        Assert.Equal(new[] { new string('h', 72), new string('h', 28) }, back.Where(c => c.Key == "HISTORY").Select(c => c.Comment));
        // Fixed format: a number's last character is in column 30, a string starts in column 11.
        Assert.Equal('2', recs.First(r => r.StartsWith("N ", StringComparison.Ordinal))[29]);
        Assert.Equal('\'', recs[0][10]);
        Assert.Equal("FILTER  = 'm400    '", recs[0][..20]);
    }

    [Fact]
    public void Non_ASCII_text_and_overlong_hierarch_cards_are_refused()
    {
        var recs = new List<string>();
        Assert.Throws<ArgumentException>(() => FitsHeaderFormatter.Format(new FitsCard("OBJECT", "café", null), recs));
        Assert.Throws<ArgumentException>(() => FitsHeaderFormatter.Format(new FitsCard("A VERY LONG HIERARCH KEY", new string('x', 70), null), recs));
    }
}
