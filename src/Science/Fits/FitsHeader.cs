using System.Collections;
using System.Globalization;

namespace Tract7dt.Science.Fits;

/// <summary>
/// One header card after parsing: keyword, typed value and comment.
/// </summary>
/// <param name="Key">Keyword, upper case, without the <c>HIERARCH</c> prefix (kept with
/// its spaces, e.g. <c>ESO DET CHIP</c>). Empty for blank cards.</param>
/// <param name="Value">
/// <c>bool</c> (logical), <c>long</c> (integer), <c>double</c> (real), <c>string</c>
/// (character string, CONTINUE pieces already joined, trailing blanks removed), or
/// <c>null</c> for commentary cards (COMMENT, HISTORY, blank) and keys with an undefined value.
/// </param>
/// <param name="Comment">The comment text after the slash, or the commentary text for
/// COMMENT/HISTORY cards; null when absent.</param>
public sealed record FitsCard(string Key, object? Value, string? Comment = null)
{
    /// <summary>True for COMMENT, HISTORY and blank-keyword cards.</summary>
    public bool IsCommentary => Key is "COMMENT" or "HISTORY" or "";
}

/// <summary>
/// An ordered FITS header. Look-ups return the first card with the key (as astropy does);
/// <see cref="Set"/> replaces that card in place or appends. Structural keywords
/// (SIMPLE, BITPIX, NAXISn, EXTEND, PCOUNT, GCOUNT, END) are the writer's business: a
/// header handed to the writer may omit them.
/// </summary>
public sealed class FitsHeader : IEnumerable<FitsCard>
{
    private readonly List<FitsCard> _cards = new();

    public FitsHeader() { }

    public FitsHeader(IEnumerable<FitsCard> cards) => _cards.AddRange(cards);

    public int Count => _cards.Count;

    public IReadOnlyList<FitsCard> Cards => _cards;

    public bool Contains(string key) => IndexOf(key) >= 0;

    public bool TryGetCard(string key, out FitsCard card)
    {
        int i = IndexOf(key);
        card = i >= 0 ? _cards[i] : null!;
        return i >= 0;
    }

    /// <summary>The raw value of the first card with <paramref name="key"/>, or null.</summary>
    public object? this[string key] => TryGetCard(key, out var c) ? c.Value : null;

    /// <summary>String value (a number is formatted invariantly); null when absent or undefined.</summary>
    public string? GetString(string key) => this[key] switch
    {
        null => null,
        string s => s,
        bool b => b ? "T" : "F",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        var o => Convert.ToString(o, CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// Numeric value as double: integer and real cards, and string cards that hold a
    /// number (some writers quote numbers). Null when absent, undefined or not numeric.
    /// </summary>
    public double? GetDouble(string key) => this[key] switch
    {
        long l => l,
        double d => d,
        string s when TryParseNumber(s, out double v) => v,
        _ => null,
    };

    /// <summary>Integer value; a real card with an integral value is accepted.</summary>
    public long? GetInt(string key) => this[key] switch
    {
        long l => l,
        double d when d == Math.Floor(d) && Math.Abs(d) < 9.2e18 => (long)d,
        _ => null,
    };

    public bool? GetBool(string key) => this[key] as bool?;

    /// <summary>Sets the first card with <paramref name="key"/>, or appends a new one.</summary>
    /// <param name="value">bool, an integer type, float/double, string, or null (undefined).</param>
    public void Set(string key, object? value, string? comment = null)
    {
        var card = new FitsCard(key.ToUpperInvariant(), Normalise(value), comment);
        int i = IndexOf(card.Key);
        if (i >= 0)
            _cards[i] = comment is null ? card with { Comment = _cards[i].Comment } : card;
        else
            _cards.Add(card);
    }

    /// <summary>Appends a card without replacing (for repeated keys, COMMENT, HISTORY).</summary>
    public void Add(FitsCard card) => _cards.Add(card);

    public void AddComment(string text) => _cards.Add(new FitsCard("COMMENT", null, text));

    public void AddHistory(string text) => _cards.Add(new FitsCard("HISTORY", null, text));

    /// <summary>Removes every card with <paramref name="key"/>; returns how many.</summary>
    public int Remove(string key) => _cards.RemoveAll(c => string.Equals(c.Key, key, StringComparison.OrdinalIgnoreCase));

    public FitsHeader Clone() => new(_cards);

    public IEnumerator<FitsCard> GetEnumerator() => _cards.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string key)
    {
        for (int i = 0; i < _cards.Count; i++)
            if (string.Equals(_cards[i].Key, key, StringComparison.OrdinalIgnoreCase))
                return i;
        return -1;
    }

    private static object? Normalise(object? value) => value switch
    {
        null => null,
        bool b => b,
        string s => s,
        double d => d,
        float f => (double)f,
        decimal m => (double)m,
        sbyte or byte or short or ushort or int or uint or long => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        ulong u => checked((long)u),
        _ => throw new ArgumentException($"FITS card value of type {value.GetType().Name} is not supported.", nameof(value)),
    };

    /// <summary>
    /// Parses a FITS number: Fortran-style D exponents (1.0D-6) are accepted as well as E.
    /// </summary>
    public static bool TryParseNumber(string text, out double value)
    {
        var t = text.Trim().Replace('D', 'E').Replace('d', 'e');
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
