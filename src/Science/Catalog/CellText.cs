using System.Globalization;

namespace Tract7dt.Science.Catalog;

/// <summary>
/// How a CSV cell's text is read, matching the original's reader (pandas defaults,
/// docs/inputs.md §5.1): a fixed set of missing-value tokens, culture-invariant numbers.
/// </summary>
public static class CellText
{
    private static readonly HashSet<string> s_missing = new(StringComparer.Ordinal)
    {
        "", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "NULL", "null", "None", "<NA>",
        "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "1.#IND", "1.#QNAN",
    };

    /// <summary>True when the cell is exactly one of pandas' default missing-value tokens (no trimming).</summary>
    public static bool IsMissing(string text) => s_missing.Contains(text);

    /// <summary>
    /// Parse a number the way a numeric CSV column is read: surrounding blanks ignored,
    /// <c>1.50</c>, <c>1e5</c>, <c>.5</c>, <c>-3.</c>, <c>inf</c>/<c>-Infinity</c> accepted
    /// (case-insensitive). Returns false for a missing token or text that is not a number.
    /// </summary>
    public static bool TryParseNumber(string text, out double value)
    {
        value = double.NaN;
        if (IsMissing(text)) return false;
        ReadOnlySpan<char> s = text.AsSpan().Trim();
        if (s.Length == 0) return false;
        ReadOnlySpan<char> body = s[0] is '+' or '-' ? s[1..] : s;
        if (body.Equals("inf", StringComparison.OrdinalIgnoreCase) || body.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            value = s[0] == '-' ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        foreach (char c in body)
            if (!(char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-')) return false;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The number in <paramref name="text"/>, or NaN when missing or not a number.</summary>
    public static double ToDouble(string text) => TryParseNumber(text, out double v) ? v : double.NaN;
}
