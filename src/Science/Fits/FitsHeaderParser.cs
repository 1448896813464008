using System.Globalization;
using System.Text;

namespace Tract7dt.Science.Fits;

/// <summary>
/// Turns 80-character header records into <see cref="FitsCard"/>s (FITS 4.0 §4):
/// logical, integer, real (E or D exponent), string (<c>''</c> escapes, trailing blanks
/// dropped), undefined values, CONTINUE long strings, HIERARCH keys and commentary cards.
/// </summary>
/// <remarks>
/// Lenient where readers in the wild are lenient (a value that is not a valid number is
/// kept as its text), strict nowhere: header validation is the job of the HDU reader,
/// which only cares about the structural keywords.
/// </remarks>
internal static class FitsHeaderParser
{
    public const int CardLength = 80;

    /// <summary>True when the record is the END card (keyword END, rest ignored as astropy does).</summary>
    public static bool IsEnd(ReadOnlySpan<char> card) =>
        card.Length >= 8 && card[..8].SequenceEqual("END     ");

    /// <summary>
    /// Parses <paramref name="records"/> (80 characters each, the END card excluded) into
    /// cards, joining CONTINUE pieces onto the string card before them.
    /// </summary>
    public static List<FitsCard> Parse(IReadOnlyList<string> records)
    {
        var cards = new List<FitsCard>(records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            var card = ParseOne(records[i], out bool stringValue);
            // Long-string convention: a string ending in '&' is continued by CONTINUE cards.
            if (stringValue && card.Value is string s && s.EndsWith('&')
                && i + 1 < records.Count && KeyOf(records[i + 1]) == "CONTINUE")
            {
                var value = new StringBuilder(s, 0, s.Length - 1, s.Length + 70);
                var comment = new StringBuilder(card.Comment ?? "");
                while (i + 1 < records.Count && KeyOf(records[i + 1]) == "CONTINUE")
                {
                    ParseValue(records[i + 1].AsSpan(Math.Min(10, records[i + 1].Length)),
                        out object? piece, out string? pieceComment, out bool pieceIsString);
                    if (!pieceIsString) break; // a CONTINUE without a string is commentary
                    i++;
                    var p = (string)piece!;
                    if (!string.IsNullOrEmpty(pieceComment))
                        comment.Append(comment.Length > 0 ? " " : "").Append(pieceComment);
                    if (p.EndsWith('&'))
                        value.Append(p, 0, p.Length - 1);
                    else
                    {
                        value.Append(p);
                        break;
                    }
                }
                card = card with
                {
                    Value = value.ToString().TrimEnd(' '),
                    Comment = comment.Length > 0 ? comment.ToString() : null,
                };
            }
            cards.Add(card);
        }
        return cards;
    }

    private static string KeyOf(string record) => record.Length >= 8 ? record[..8].TrimEnd() : record.TrimEnd();

    /// <summary>Parses one record; <paramref name="stringValue"/> tells whether it held a quoted string.</summary>
    public static FitsCard ParseOne(string record, out bool stringValue)
    {
        stringValue = false;
        var rec = record.AsSpan();
        string key = KeyOf(record).ToUpperInvariant();

        if (key == "HIERARCH")
        {
            // ESO convention: "HIERARCH A B C = value / comment"; the key may hold spaces.
            var rest = rec[8..];
            int eq = rest.IndexOf('=');
            if (eq > 0)
            {
                string hkey = rest[..eq].Trim().ToString().ToUpperInvariant();
                ParseValue(rest[(eq + 1)..], out object? hv, out string? hc, out stringValue);
                return new FitsCard(hkey, hv, hc);
            }
            return new FitsCard(key, null, rest.TrimEnd().ToString());
        }

        bool hasValueIndicator = rec.Length >= 10 && rec[8] == '=' && rec[9] == ' ';
        if (key is "COMMENT" or "HISTORY" or "" || !hasValueIndicator)
        {
            // Commentary: everything after column 8 is text.
            string text = rec.Length > 8 ? rec[8..].TrimEnd().ToString() : "";
            return new FitsCard(key, null, text);
        }

        ParseValue(rec[10..], out object? value, out string? comment, out stringValue);
        return new FitsCard(key, value, comment);
    }

    /// <summary>
    /// Parses the value field (columns 11–80, or the text after '=' for HIERARCH) and the
    /// comment after the '/'. Undefined values give null.
    /// </summary>
    public static void ParseValue(ReadOnlySpan<char> field, out object? value, out string? comment, out bool isString)
    {
        var s = field.TrimStart(' ');
        comment = null;
        isString = false;
        if (s.Length > 0 && s[0] == '\'')
        {
            isString = true;
            var sb = new StringBuilder(s.Length);
            int i = 1;
            for (; i < s.Length; i++)
            {
                if (s[i] == '\'')
                {
                    if (i + 1 < s.Length && s[i + 1] == '\'') { sb.Append('\''); i++; }
                    else break;
                }
                else sb.Append(s[i]);
            }
            // Trailing blanks in a string value are not significant (FITS 4.0 §4.2.1.1);
            // leading blanks are.
            value = sb.ToString().TrimEnd(' ');
            var after = i < s.Length ? s[(i + 1)..] : ReadOnlySpan<char>.Empty;
            int slash = after.IndexOf('/');
            if (slash >= 0) comment = after[(slash + 1)..].Trim().ToString();
            return;
        }

        int cut = s.IndexOf('/');
        var text = (cut >= 0 ? s[..cut] : s).Trim();
        if (cut >= 0) comment = s[(cut + 1)..].Trim().ToString();
        value = ParseScalar(text);
    }

    private static object? ParseScalar(ReadOnlySpan<char> text)
    {
        if (text.Length == 0) return null; // undefined value
        if (text.Length == 1 && text[0] == 'T') return true;
        if (text.Length == 1 && text[0] == 'F') return false;
        if (IsInteger(text))
        {
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
                return l;
            // Too long for 64 bits: keep the magnitude as a real.
        }
        if (FitsHeader.TryParseNumber(text.ToString(), out double d))
            return d;
        // Complex values "(re, im)" and malformed numbers are kept as their text.
        return text.ToString();
    }

    private static bool IsInteger(ReadOnlySpan<char> t)
    {
        int i = t.Length > 0 && (t[0] == '+' || t[0] == '-') ? 1 : 0;
        if (i == t.Length) return false;
        for (; i < t.Length; i++)
            if (t[i] is < '0' or > '9') return false;
        return true;
    }
}
