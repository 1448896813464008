using System.Globalization;
using System.Text;

namespace Tract7dt.Science.Fits;

/// <summary>
/// Writes <see cref="FitsCard"/>s as 80-character header records (FITS 4.0 §4): fixed
/// format (value right-justified to column 30) where it fits, reals in their shortest
/// round-trip form with a decimal point and a two-digit (or three-digit) exponent, strings
/// quoted with <c>''</c> escapes, long strings split over CONTINUE cards, keywords that are
/// not standard (longer than 8 characters, or other characters) as HIERARCH cards.
/// Invariant culture throughout.
/// </summary>
internal static class FitsHeaderFormatter
{
    private const int CardLength = FitsHeaderParser.CardLength;

    /// <summary>Longest piece of an (escaped) string on one card: 80 − len("KEY     = '") − len("&'").</summary>
    private const int MaxPiece = CardLength - 11 - 2;

    /// <summary>Keywords the writer derives from the data; a user header never sets them.</summary>
    public static bool IsStructural(string key)
    {
        switch (key)
        {
            case "SIMPLE": case "XTENSION": case "BITPIX": case "NAXIS": case "EXTEND":
            case "PCOUNT": case "GCOUNT": case "END": case "BSCALE": case "BZERO": case "BLANK":
            case "CHECKSUM": case "DATASUM": case "THEAP": case "TFIELDS":
                return true;
        }
        return key.StartsWith("NAXIS", StringComparison.Ordinal) && key.Length > 5 && key[5..].All(char.IsAsciiDigit);
    }

    /// <summary>A standard keyword: 1–8 characters from A–Z, 0–9, '-', '_'.</summary>
    public static bool IsStandardKey(string key) =>
        key.Length is >= 1 and <= 8 && key.All(c => c is >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_');

    /// <summary>Appends the records for <paramref name="card"/> (one or more 80-char strings).</summary>
    public static void Format(FitsCard card, List<string> records)
    {
        string key = card.Key.ToUpperInvariant();
        CheckText(key, "keyword", key);
        if (card.IsCommentary)
        {
            FormatCommentary(key, card.Comment ?? "", records);
            return;
        }
        if (card.Comment is not null) CheckText(card.Comment, "comment", key);

        if (!IsStandardKey(key))
        {
            FormatHierarch(key, card, records);
            return;
        }

        string head = key.PadRight(8) + "= ";
        if (card.Value is string s)
        {
            CheckText(s, "value", key);
            FormatString(head, s, card.Comment, records);
            return;
        }
        string v = FormatScalar(card.Value, key);
        // Fixed format: right-justified in columns 11–30 when it fits, else free format.
        string field = v.Length <= 20 ? v.PadLeft(20) : v;
        records.Add(WithComment(head + field, card.Comment));
    }

    private static void FormatCommentary(string key, string text, List<string> records)
    {
        CheckText(text, "text", key);
        // 72 characters of text per card; longer text goes on further cards of the same key.
        int start = 0;
        do
        {
            int n = Math.Min(72, text.Length - start);
            records.Add((key.PadRight(8) + text.Substring(start, n)).PadRight(CardLength));
            start += n;
        } while (start < text.Length);
    }

    private static void FormatHierarch(string key, FitsCard card, List<string> records)
    {
        string value = card.Value is string s ? Quote(Escape(s)) : FormatScalar(card.Value, key);
        string rec = "HIERARCH " + key + " = " + value;
        if (rec.Length > CardLength)
            throw new ArgumentException(
                $"FITS keyword '{key}' is not a standard 8-character keyword and its HIERARCH card " +
                $"with value '{value}' is longer than 80 characters; shorten the keyword or the value.");
        records.Add(WithComment(rec, card.Comment));
    }

    private static void FormatString(string head, string value, string? comment, List<string> records)
    {
        string esc = Escape(value);
        if (head.Length + esc.Length + 2 <= CardLength)
        {
            records.Add(WithComment(head + Quote(esc), comment));
            return;
        }
        // CONTINUE long-string convention (FITS 4.0 §4.2.1.2): pieces end with '&', the
        // last piece carries the comment. Never split a doubled quote across pieces.
        int pos = 0;
        bool first = true;
        while (pos < esc.Length)
        {
            int n = Math.Min(MaxPiece, esc.Length - pos);
            if (pos + n < esc.Length && CountTrailingQuotes(esc, pos, n) % 2 == 1) n--;
            bool last = pos + n >= esc.Length;
            string piece = esc.Substring(pos, n) + (last ? "" : "&");
            string prefix = first ? head : "CONTINUE  ";
            string rec = prefix + "'" + piece + "'";
            records.Add(last ? WithComment(rec, comment) : rec.PadRight(CardLength));
            pos += n;
            first = false;
        }
    }

    private static int CountTrailingQuotes(string s, int pos, int n)
    {
        int k = 0;
        for (int i = pos + n - 1; i >= pos && s[i] == '\''; i--) k++;
        return k;
    }

    private static string Escape(string s) => s.Replace("'", "''");

    /// <summary>Quoted string; the closing quote is at column 20 or later (8-character minimum).</summary>
    private static string Quote(string escaped) => "'" + escaped.PadRight(8) + "'";

    /// <summary>Appends " / comment" when it fits; a comment is cut at column 80 (comments only).</summary>
    private static string WithComment(string rec, string? comment)
    {
        if (!string.IsNullOrEmpty(comment) && rec.Length + 3 < CardLength)
        {
            rec += " / " + comment;
            if (rec.Length > CardLength) rec = rec[..CardLength];
        }
        return rec.PadRight(CardLength);
    }

    private static string FormatScalar(object? value, string key) => value switch
    {
        null => "",
        bool b => b ? "T" : "F",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatReal(d, key),
        _ => throw new ArgumentException($"FITS keyword '{key}': value of type {value.GetType().Name} cannot be written."),
    };

    /// <summary>
    /// The shortest text that reads back to the same double, always with a decimal point
    /// (so it stays a real), in E notation outside 1e-4 ≤ |x| &lt; 1e15.
    /// </summary>
    public static string FormatReal(double d, string key = "?")
    {
        if (!double.IsFinite(d))
            throw new ArgumentException($"FITS keyword '{key}': {d} cannot be written in a FITS header (NaN and infinity are not FITS numbers); leave the keyword out or write a string.");
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";

        // "R" gives the shortest round-trip digits; re-lay them out in FITS form.
        string r = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOfAny(['E', 'e']);
        string mant = e >= 0 ? r[..e] : r;
        int exp10 = e >= 0 ? int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;
        int dot = mant.IndexOf('.');
        string intPart = dot >= 0 ? mant[..dot] : mant;
        string frac = dot >= 0 ? mant[(dot + 1)..] : "";
        // digits × 10^(pointPos − digits.Length): normalise to a digit string and the
        // decimal exponent of its first digit.
        string digits = (intPart + frac).TrimStart('0');
        int lead = (intPart + frac).Length - digits.Length;
        int firstExp = intPart.Length - 1 - lead + exp10;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";

        var sb = new StringBuilder(26);
        if (d < 0) sb.Append('-');
        if (firstExp is >= -4 and < 15)
        {
            if (firstExp >= 0)
            {
                string ip = digits.Length > firstExp + 1 ? digits[..(firstExp + 1)] : digits.PadRight(firstExp + 1, '0');
                string fp = digits.Length > firstExp + 1 ? digits[(firstExp + 1)..] : "0";
                sb.Append(ip).Append('.').Append(fp);
            }
            else
            {
                sb.Append("0.").Append('0', -firstExp - 1).Append(digits);
            }
        }
        else
        {
            sb.Append(digits[0]).Append('.').Append(digits.Length > 1 ? digits[1..] : "0");
            sb.Append('E').Append(firstExp < 0 ? '-' : '+')
              .Append(Math.Abs(firstExp).ToString(Math.Abs(firstExp) >= 100 ? "000" : "00", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>FITS headers hold printable ASCII only (32–126).</summary>
    private static void CheckText(string text, string what, string key)
    {
        foreach (char c in text)
            if (c is < ' ' or > '~')
                throw new ArgumentException(
                    $"FITS keyword '{key}': the {what} contains the character U+{(int)c:X4}, but FITS headers allow printable ASCII only; replace it.");
    }
}
